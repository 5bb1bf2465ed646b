"""Entry point: registers the GenZ adapter (imported only when tools are asked for)."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_tools(register: Callable[..., None]) -> None:
    """Register the GenZ adapter."""
    from graphs_genz.adapter import GenZAdapter

    register(GenZAdapter())
