"""graphs edge family engine: int8 NPUs with a supported-op list, CPU fallback with transfer
cost, named power modes (see docs/mappers/edge.md)."""

from graphs_mappers_edge.device import EdgeDevice, resolve_device
from graphs_mappers_edge.mapper import CPU, NPU, EdgeMapper
from graphs_mappers_edge.options import EdgeOptions
from graphs_mappers_edge.params import EdgeParams, HostCPU, Link, OpRule, PowerMode
from graphs_mappers_edge.priors import EdgePriors, load_priors
from graphs_mappers_edge.support import Verdict, check

__all__ = [
    "EdgeDevice", "resolve_device", "CPU", "NPU", "EdgeMapper", "EdgeOptions", "EdgeParams", "HostCPU",
    "Link", "OpRule", "PowerMode", "EdgePriors", "load_priors", "Verdict", "check",
]
