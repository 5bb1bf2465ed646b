"""Entry point ``mappers-edge``: registers the ``edge`` family engine (imported on use)."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_mappers(register: Callable[..., None]) -> None:
    """Register :class:`~graphs_mappers_edge.mapper.EdgeMapper` for family ``edge``."""
    register("edge", "graphs_mappers_edge.mapper:EdgeMapper")     # imported (and checked) on first use
