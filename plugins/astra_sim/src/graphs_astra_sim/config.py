"""ASTRA-sim 2.0 system (``system.json``), network (analytical ``network.yml``) and memory configs.

The keys and formats are those of ``tool_outputs/astra_sim/HGX-H100-validated.system.json``
and ``Ring_8npus.network.yml``: a network lists, per dimension, its topology (``Ring``,
``Switch``, ``FullyConnected``), NPU count, link bandwidth (GB/s) and latency (ns).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import yaml

from graphs.hardware.schema import HardwareSpec
from graphs_tools import ToolInputError

TOPOLOGIES = ("Ring", "Switch", "FullyConnected")


@dataclass(frozen=True)
class NetworkDim:
    """One network dimension: topology, NPUs, per-link bandwidth (GB/s), latency (ns)."""

    topology: str
    npus: int
    bandwidth_gbps: float
    latency_ns: float = 500.0

    def __post_init__(self) -> None:
        if self.topology not in TOPOLOGIES:
            raise ToolInputError(f"network topology {self.topology!r} is not one of {', '.join(TOPOLOGIES)}")
        if self.npus < 1 or self.bandwidth_gbps <= 0 or self.latency_ns < 0:
            raise ToolInputError(f"bad network dimension {self}")


@dataclass(frozen=True)
class SystemConfig:
    """``system.json``; defaults = the validated HGX-H100 file, except ``local-mem-bw`` (from the spec)."""

    local_mem_bw_gbps: float = 3350.0
    scheduling_policy: str = "LIFO"
    endpoint_delay: int = 10
    active_chunks_per_dimension: int = 2
    preferred_dataset_splits: int = 4
    collective_algorithm: str = "ring"
    collective_optimization: str = "localBWAware"
    boost_mode: int = 0
    roofline_peak_tflops: float | None = None   # set to enable ASTRA-sim's roofline compute model
    extra: dict[str, Any] = field(default_factory=dict)

    def document(self, n_dims: int) -> dict[str, Any]:
        algo = [self.collective_algorithm] * n_dims
        d: dict[str, Any] = {
            "scheduling-policy": self.scheduling_policy, "endpoint-delay": self.endpoint_delay,
            "active-chunks-per-dimension": self.active_chunks_per_dimension,
            "preferred-dataset-splits": self.preferred_dataset_splits,
            "all-reduce-implementation": algo, "all-gather-implementation": algo,
            "reduce-scatter-implementation": algo, "all-to-all-implementation": algo,
            "collective-optimization": self.collective_optimization,
            "local-mem-bw": _round(self.local_mem_bw_gbps), "boost-mode": self.boost_mode,
        }
        if self.roofline_peak_tflops:
            d.update({"roofline-enabled": 1, "peak-perf": _round(self.roofline_peak_tflops)})
        d.update(self.extra)
        return d

    @classmethod
    def from_spec(cls, spec: HardwareSpec, **overrides: Any) -> "SystemConfig":
        return cls(**{"local_mem_bw_gbps": spec.memory_bandwidth / 1e9, **overrides})


def network_document(dims: Sequence[NetworkDim]) -> dict[str, Any]:
    if not dims:
        raise ToolInputError("a network needs at least one dimension")
    return {"topology": [d.topology for d in dims], "npus_count": [d.npus for d in dims],
            "bandwidth": [_round(d.bandwidth_gbps) for d in dims], "latency": [_round(d.latency_ns) for d in dims]}


def network_from_spec(spec: HardwareSpec, sizes: Sequence[int], *, topology: str = "Ring", latency_ns: float = 500.0,
                      link: str | None = None, bidirectional: bool = True) -> list[NetworkDim]:
    """One dimension per size, all on the spec's interconnect ``link`` (largest by default).

    Vendors quote NVLink-style bandwidth as the bidirectional aggregate; ASTRA-sim wants the
    per-direction link bandwidth, so it is halved when ``bidirectional`` (the default).
    """
    if not spec.interconnect:
        raise ToolInputError(f"{spec.id}: the spec lists no interconnect bandwidth; give NetworkDim(...) explicitly")
    name = link or max(spec.interconnect, key=lambda k: spec.interconnect[k].si)
    if name not in spec.interconnect:
        raise ToolInputError(f"{spec.id}: no interconnect {name!r} (has {', '.join(spec.interconnect)})")
    gbps = spec.interconnect[name].si / 1e9 / (2 if bidirectional else 1)
    return [NetworkDim(topology, int(n), gbps, latency_ns) for n in sizes]


def write_network(path: str | Path, dims: Sequence[NetworkDim]) -> Path:
    p = Path(path)
    doc = network_document(dims)
    lines = [f"{k}: [ {', '.join(str(v) for v in vals)} ]" for k, vals in doc.items()]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert yaml.safe_load(p.read_text(encoding="utf-8")) == doc
    return p


def write_json(path: str | Path, doc: dict[str, Any]) -> Path:
    p = Path(path)
    p.write_text(json.dumps(doc, indent=4) + "\n", encoding="utf-8")
    return p


MEMORY_DOCUMENT = {"memory-type": "NO_MEMORY_EXPANSION"}


def _round(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 4)
