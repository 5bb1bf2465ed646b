"""Entry point: registers the SCALE-Sim adapter (imported only when tools are asked for)."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_tools(register: Callable[..., None]) -> None:
    """Register the SCALE-Sim adapter."""
    from graphs_scalesim.adapter import ScaleSimAdapter

    register(ScaleSimAdapter())
