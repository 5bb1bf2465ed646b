"""graphs adapter for ASTRA-sim 2.0 (entry point ``astra-sim`` in group ``graphs``).

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr

_EXPORTS = {
    "AstraSimAdapter": ("graphs_astra_sim.adapter", "AstraSimAdapter"),
    "AstraSimJob": ("graphs_astra_sim.adapter", "AstraSimJob"),
    "LayerCost": ("graphs_astra_sim.workload", "LayerCost"),
    "NetworkDim": ("graphs_astra_sim.config", "NetworkDim"),
    "NpuStats": ("graphs_astra_sim.output", "NpuStats"),
    "SystemConfig": ("graphs_astra_sim.config", "SystemConfig"),
    "TrainingStep": ("graphs_astra_sim.workload", "TrainingStep"),
    "attrs_of": ("graphs_astra_sim.chakra", "attrs_of"),
    "build_traces": ("graphs_astra_sim.workload", "build_traces"),
    "from_training": ("graphs_astra_sim.convert", "from_training"),
    "load_schema": ("graphs_astra_sim.chakra", "load_schema"),
    "network_document": ("graphs_astra_sim.config", "network_document"),
    "network_from_spec": ("graphs_astra_sim.config", "network_from_spec"),
    "parse_stdout": ("graphs_astra_sim.output", "parse_stdout"),
    "parse_stdout_text": ("graphs_astra_sim.output", "parse_stdout_text"),
    "read_et": ("graphs_astra_sim.chakra", "read_et"),
    "to_result": ("graphs_astra_sim.output", "to_result"),
    "write_et": ("graphs_astra_sim.chakra", "write_et"),
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
