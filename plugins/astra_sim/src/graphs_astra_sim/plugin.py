"""Entry point: registers the ASTRA-sim adapter (imported only when tools are asked for)."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_tools(register: Callable[..., None]) -> None:
    """Register the ASTRA-sim adapter."""
    from graphs_astra_sim.adapter import AstraSimAdapter

    register(AstraSimAdapter())
