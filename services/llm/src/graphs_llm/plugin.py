"""Entry point ``llm``: ``graphs serve``, ``graphs train`` and ``graphs serving simulate``."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_commands(register: Callable[..., None]) -> None:
    """Register the LLM commands (their module imports nothing heavy)."""
    from graphs_llm import cli

    register(cli.serve)
    register(cli.train)
    register(cli.serving_app)
