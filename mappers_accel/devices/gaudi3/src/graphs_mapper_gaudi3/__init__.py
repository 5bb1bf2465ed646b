"""Intel Gaudi 3 (OAM, air-cooled) for graphs: a spec file registered against the `accel` family."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from graphs import hookimpl

SPEC = Path(__file__).with_name("gaudi3.yaml")


@hookimpl
def graphs_register_hardware(register: Callable[..., None]) -> None:
    """Register the gaudi3 spec."""
    register(SPEC)
