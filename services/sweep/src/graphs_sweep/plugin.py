"""Entry point ``sweep``: ``graphs sweep``, ``graphs plan`` and ``graphs report``."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_commands(register: Callable[..., None]) -> None:
    """Register the sweep, plan and report commands (their module imports nothing heavy)."""
    from graphs_sweep import cli

    register(cli.sweep)
    register(cli.plan)
    register(cli.report)
