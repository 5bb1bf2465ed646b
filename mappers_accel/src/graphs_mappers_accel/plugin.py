"""Entry point ``mappers-accel``: registers the ``accel`` family engine."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl

from graphs_mappers_accel.mapper import AccelMapper


@hookimpl
def graphs_register_mappers(register: Callable[..., None]) -> None:
    """Register :class:`AccelMapper` for family ``accel``."""
    register("accel", AccelMapper)
