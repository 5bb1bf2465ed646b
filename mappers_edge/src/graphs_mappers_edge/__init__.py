"""graphs edge family engine: int8 NPUs with a supported-op list, CPU fallback with transfer
cost, named power modes (see docs/mappers/edge.md).

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr

_EXPORTS = {
    "CPU": ("graphs_mappers_edge.mapper", "CPU"),
    "EdgeDevice": ("graphs_mappers_edge.device", "EdgeDevice"),
    "EdgeMapper": ("graphs_mappers_edge.mapper", "EdgeMapper"),
    "EdgeOptions": ("graphs_mappers_edge.options", "EdgeOptions"),
    "EdgeParams": ("graphs_mappers_edge.params", "EdgeParams"),
    "EdgePriors": ("graphs_mappers_edge.priors", "EdgePriors"),
    "HostCPU": ("graphs_mappers_edge.params", "HostCPU"),
    "Link": ("graphs_mappers_edge.params", "Link"),
    "NPU": ("graphs_mappers_edge.mapper", "NPU"),
    "OpRule": ("graphs_mappers_edge.params", "OpRule"),
    "PowerMode": ("graphs_mappers_edge.params", "PowerMode"),
    "Verdict": ("graphs_mappers_edge.support", "Verdict"),
    "check": ("graphs_mappers_edge.support", "check"),
    "load_priors": ("graphs_mappers_edge.priors", "load_priors"),
    "resolve_device": ("graphs_mappers_edge.device", "resolve_device"),
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
