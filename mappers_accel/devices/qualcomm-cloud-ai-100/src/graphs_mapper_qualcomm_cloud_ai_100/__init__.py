"""Qualcomm Cloud AI 100 Pro (PCIe HHHL) for graphs: a spec file registered against the `accel` family."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from graphs import hookimpl

SPEC = Path(__file__).with_name("qualcomm-cloud-ai-100.yaml")


@hookimpl
def graphs_register_hardware(register: Callable[..., None]) -> None:
    """Register the qualcomm-cloud-ai-100 spec."""
    register(SPEC)
