"""AWS Trainium (Trainium1, one chip) for graphs: a spec file registered against the `accel` family."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from graphs import hookimpl

SPEC = Path(__file__).with_name("trainium1.yaml")


@hookimpl
def graphs_register_hardware(register: Callable[..., None]) -> None:
    """Register the trainium1 spec."""
    register(SPEC)
