"""Entry point ``compare``: ``graphs compare``."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_commands(register: Callable[..., None]) -> None:
    """Register ``graphs compare``."""
    from graphs_compare.cli import compare

    register(compare)
