"""Entry point: registers the VIDUR adapter (imported only when tools are asked for)."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_tools(register: Callable[..., None]) -> None:
    """Register the VIDUR adapter."""
    from graphs_vidur.adapter import VidurAdapter

    register(VidurAdapter())
