"""Entry point ``calibrate``: ``graphs benchmark``, ``graphs calibrate``, ``graphs validate``."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_commands(register: Callable[..., None]) -> None:
    """Register the measurement-loop commands."""
    from graphs_calibrate import cli

    register(cli.benchmark)
    register(cli.calibrate)
    register(cli.validate)
