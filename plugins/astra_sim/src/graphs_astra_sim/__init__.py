"""graphs adapter for ASTRA-sim 2.0 (entry point ``astra-sim`` in group ``graphs``)."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl
from graphs_astra_sim.adapter import AstraSimAdapter, AstraSimJob
from graphs_astra_sim.chakra import attrs_of, load_schema, read_et, write_et
from graphs_astra_sim.convert import from_training
from graphs_astra_sim.config import NetworkDim, SystemConfig, network_document, network_from_spec
from graphs_astra_sim.output import NpuStats, parse_stdout, parse_stdout_text, to_result
from graphs_astra_sim.workload import LayerCost, TrainingStep, build_traces

__all__ = ["AstraSimAdapter", "AstraSimJob", "LayerCost", "TrainingStep", "NetworkDim", "SystemConfig", "NpuStats",
           "attrs_of", "build_traces", "from_training", "load_schema", "network_document", "network_from_spec", "parse_stdout",
           "parse_stdout_text", "read_et", "to_result", "write_et"]


@hookimpl
def graphs_register_tools(register: Callable[..., None]) -> None:
    """Register the ASTRA-sim adapter."""
    register(AstraSimAdapter())
