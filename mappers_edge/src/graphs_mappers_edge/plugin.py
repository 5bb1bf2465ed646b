"""Entry point ``mappers-edge``: registers the ``edge`` family engine."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl

from graphs_mappers_edge.mapper import EdgeMapper


@hookimpl
def graphs_register_mappers(register: Callable[..., None]) -> None:
    """Register :class:`EdgeMapper` for family ``edge``."""
    register("edge", EdgeMapper)
