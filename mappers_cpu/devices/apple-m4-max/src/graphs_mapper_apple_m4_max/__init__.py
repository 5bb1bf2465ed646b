"""Apple M4 Max (16-core CPU) for graphs: a spec file registered against the `cpu` family."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from graphs import hookimpl

SPEC = Path(__file__).with_name("apple-m4-max.yaml")


@hookimpl
def graphs_register_hardware(register: Callable[..., None]) -> None:
    """Register the apple-m4-max spec."""
    register(SPEC)
