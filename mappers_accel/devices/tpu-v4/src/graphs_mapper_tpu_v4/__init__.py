"""Google Cloud TPU v4 (one chip) for graphs: a spec file registered against the `accel` family."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from graphs import hookimpl

SPEC = Path(__file__).with_name("tpu-v4.yaml")


@hookimpl
def graphs_register_hardware(register: Callable[..., None]) -> None:
    """Register the tpu-v4 spec."""
    register(SPEC)
