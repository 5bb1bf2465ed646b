"""graphs adapter for Timeloop v0.4 (entry point ``timeloop`` in group ``graphs``)."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl
from graphs_timeloop.adapter import TimeloopAdapter, TimeloopJob, compose
from graphs_timeloop.arch import ArchConfig, MapperConfig
from graphs_timeloop.problem import Layer, TimeloopWorkload, conv_layer, gemm_layer, layers_from_graph
from graphs_timeloop.stats import TimeloopStats, parse_stats, parse_stats_text

__all__ = ["TimeloopAdapter", "TimeloopJob", "ArchConfig", "MapperConfig", "Layer", "TimeloopWorkload",
           "TimeloopStats", "compose", "conv_layer", "gemm_layer", "layers_from_graph", "parse_stats",
           "parse_stats_text"]


@hookimpl
def graphs_register_tools(register: Callable[..., None]) -> None:
    """Register the Timeloop adapter."""
    register(TimeloopAdapter())
