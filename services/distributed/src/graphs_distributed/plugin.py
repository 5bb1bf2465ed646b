"""Entry point ``distributed``: ``graphs systems list|show|collective``."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_commands(register: Callable[..., None]) -> None:
    """Register ``graphs systems``."""
    from graphs_distributed.cli import app

    register(app)
