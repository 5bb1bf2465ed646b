"""Hailo-8 on Raspberry Pi 5 (AI HAT+ 26 TOPS) for graphs: a spec file registered against the `edge` family."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from graphs import hookimpl

SPEC = Path(__file__).with_name("hailo-8.yaml")


@hookimpl
def graphs_register_hardware(register: Callable[..., None]) -> None:
    """Register the hailo-8 spec."""
    register(SPEC)
