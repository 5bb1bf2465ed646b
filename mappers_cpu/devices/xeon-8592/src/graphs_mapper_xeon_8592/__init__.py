"""Intel Xeon Platinum 8592+ (Emerald Rapids) for graphs: a spec file registered against the `cpu` family."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from graphs import hookimpl

SPEC = Path(__file__).with_name("xeon-8592.yaml")


@hookimpl
def graphs_register_hardware(register: Callable[..., None]) -> None:
    """Register the xeon-8592 spec."""
    register(SPEC)
