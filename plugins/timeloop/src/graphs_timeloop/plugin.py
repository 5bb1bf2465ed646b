"""Entry point: registers the Timeloop adapter (imported only when tools are asked for)."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_tools(register: Callable[..., None]) -> None:
    """Register the Timeloop adapter."""
    from graphs_timeloop.adapter import TimeloopAdapter

    register(TimeloopAdapter())
