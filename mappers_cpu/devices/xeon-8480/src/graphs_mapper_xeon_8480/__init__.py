"""Intel Xeon Platinum 8480+ (Sapphire Rapids) for graphs: a spec file registered against the `cpu` family."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from graphs import hookimpl

SPEC = Path(__file__).with_name("xeon-8480.yaml")


@hookimpl
def graphs_register_hardware(register: Callable[..., None]) -> None:
    """Register the xeon-8480 spec."""
    register(SPEC)
