"""Entry point: registers the nn-Meter adapter (imported only when tools are asked for)."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_tools(register: Callable[..., None]) -> None:
    """Register the nn-Meter adapter."""
    from graphs_nn_meter.adapter import NNMeterAdapter

    register(NNMeterAdapter())
