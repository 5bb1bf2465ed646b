"""graphs adapter for VIDUR (entry point ``vidur`` in group ``graphs``)."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl
from graphs_vidur.adapter import VidurAdapter
from graphs_vidur.convert import VIDUR_MODELS, from_scenario, write_length_trace
from graphs_vidur.output import find_request_metrics, read_request_metrics, to_result
from graphs_vidur.scenario import ServingScenario, vidur_device

__all__ = ["VidurAdapter", "ServingScenario", "VIDUR_MODELS", "find_request_metrics", "from_scenario",
           "read_request_metrics", "to_result", "vidur_device", "write_length_trace"]


@hookimpl
def graphs_register_tools(register: Callable[..., None]) -> None:
    """Register the VIDUR adapter."""
    register(VidurAdapter())
