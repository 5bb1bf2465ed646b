"""Entry point ``mappers-accel``: registers the ``accel`` family engine (imported on use)."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_mappers(register: Callable[..., None]) -> None:
    """Register :class:`~graphs_mappers_accel.mapper.AccelMapper` for family ``accel``."""
    register("accel", "graphs_mappers_accel.mapper:AccelMapper")     # imported (and checked) on first use
