"""Entry point ``tools``: the ``graphs tools`` commands."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_commands(register: Callable[..., None]) -> None:
    """``graphs tools list|doctor``."""
    from graphs_tools.cli import app

    register(app)
