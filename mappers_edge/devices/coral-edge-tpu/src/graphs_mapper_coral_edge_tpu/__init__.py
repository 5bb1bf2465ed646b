"""Google Coral Dev Board (Edge TPU + NXP i.MX 8M) for graphs: a spec file registered against the `edge` family."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from graphs import hookimpl

SPEC = Path(__file__).with_name("coral-edge-tpu.yaml")


@hookimpl
def graphs_register_hardware(register: Callable[..., None]) -> None:
    """Register the coral-edge-tpu spec."""
    register(SPEC)
