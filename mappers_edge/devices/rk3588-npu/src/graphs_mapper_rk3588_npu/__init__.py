"""Rockchip RK3588 NPU (6 TOPS) with its Cortex-A76 cluster for graphs: a spec file registered against the `edge` family."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from graphs import hookimpl

SPEC = Path(__file__).with_name("rk3588-npu.yaml")


@hookimpl
def graphs_register_hardware(register: Callable[..., None]) -> None:
    """Register the rk3588-npu spec."""
    register(SPEC)
