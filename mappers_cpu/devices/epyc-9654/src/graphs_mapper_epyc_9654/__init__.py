"""AMD EPYC 9654 (Genoa) for graphs: a spec file registered against the `cpu` family."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from graphs import hookimpl

SPEC = Path(__file__).with_name("epyc-9654.yaml")


@hookimpl
def graphs_register_hardware(register: Callable[..., None]) -> None:
    """Register the epyc-9654 spec."""
    register(SPEC)
