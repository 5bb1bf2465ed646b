"""Entry point: registers the NeuSight adapter (imported only when tools are asked for)."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_tools(register: Callable[..., None]) -> None:
    """Register the NeuSight adapter."""
    from graphs_neusight.adapter import NeuSightAdapter

    register(NeuSightAdapter())
