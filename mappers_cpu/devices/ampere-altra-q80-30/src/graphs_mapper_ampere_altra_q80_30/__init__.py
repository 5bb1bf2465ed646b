"""Ampere Altra Q80-30 for graphs: a spec file registered against the `cpu` family."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from graphs import hookimpl

SPEC = Path(__file__).with_name("ampere-altra-q80-30.yaml")


@hookimpl
def graphs_register_hardware(register: Callable[..., None]) -> None:
    """Register the ampere-altra-q80-30 spec."""
    register(SPEC)
