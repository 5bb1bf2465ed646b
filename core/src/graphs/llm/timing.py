"""Kernel times for LLM iterations, under a runtime assumption, memoised by kernel shape.

Two runtimes:

* ``eager`` — what the family engine estimates by default: GPU time plus the per-kernel launch
  cost and the eager-PyTorch host floor (``Mapper.estimate_kernel``).
* ``roofline`` — a baseline: ``max(FLOPs/peak, bytes/bandwidth)`` at the spec's peaks, no
  measured efficiency and no overhead (``Mapper.roofline``).
* ``graph`` — kernels replayed back to back with no host gaps (CUDA graphs, as vLLM captures its
  decode steps; also what VIDUR's profiler measures: kernel time only). For the GPU engine this is
  ``t_model × ratio`` (calibration curve or family prior) without launch cost or dispatch floor;
  for another family, its estimate minus its per-kernel overhead (never below its roofline).

**Streaming.** In an iteration each layer's weights and KV cache are read once and the model is far
larger than L2, so kernels reading them are timed with no L2 residency (GPU engine: the device's
``l2_bytes`` set to 0 for them); activations passed between consecutive kernels may stay in L2.

A serving simulation asks for the same kernel shapes thousands of times, so estimates are cached
by everything that determines them (kind, category, FLOPs, bytes, dtype, GEMM shape) — not by
kernel name.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from dataclasses import is_dataclass, replace
from typing import Any, Sequence

from graphs.errors import GraphsError
from graphs.ir import Graph
from graphs.partition import FusionPolicy, Kernel, partition
from graphs.results import ConfidenceLevel, KernelEstimate

RUNTIMES = ("graph", "eager", "roofline")

# Shortest GPU time of a kernel in ``graph`` runtime when no calibration curve covers it (a prior
# scales a near-zero modelled time to near zero): 3 µs, the median kernel time of VIDUR's
# elementwise/norm/rotary/embedding kernels at <= 4 tokens on A100 (4 µs) and A40 (3 µs),
# ../shared/data/vidur/compute/*/*/*/mlp.csv; tests/test_llm_timing.py recomputes it from the data.
GRAPH_KERNEL_FLOOR_S = 3e-6


@lru_cache(maxsize=16)
def kernel_time_calibration(hw_id: str) -> Any:
    """The shipped kernel-time (``graph`` runtime) calibration of a device, or None.

    ``graphs/llm/calibrations/<id>.yaml`` are fitted by ``benchmarks/accuracy_llm.py
    --write-calibrations`` on every model of VIDUR's kernel profiles of that GPU (fp16, kernel time
    only): what a CUDA-graph serving engine runs. A device's own calibration (``graphs calibrate``,
    or its distribution's) describes eager PyTorch and stays the one used by the ``eager`` runtime.
    """
    from importlib.resources import files
    from graphs.calibration import load_calibration
    f = files("graphs.llm").joinpath("calibrations", f"{hw_id}.yaml")
    return load_calibration(str(f)) if f.is_file() else None


def mapper_for_runtime(plugins: Any, hw_id: str, runtime: str, calibration: Any = None) -> Any:
    """The family engine for ``hw_id``: an explicit calibration wins; under ``graph`` the shipped
    kernel-time calibration if there is one; else the device's own."""
    if calibration is None and runtime == "graph":
        spec_id = plugins.hardware_entry(hw_id).spec.id
        calibration = kernel_time_calibration(spec_id)
    return plugins.mapper_for(hw_id, calibration)


def kernel_key(k: Kernel) -> tuple:
    return (k.kind, k.category, k.flops, k.matrix_flops, k.bytes_read, k.bytes_written, k.dtype, k.gemm)


class KernelTimer:
    """``timer(kernel) -> KernelEstimate`` for one mapper and runtime, memoised."""

    def __init__(self, mapper: Any, runtime: str = "graph") -> None:
        if runtime not in RUNTIMES:
            raise GraphsError(f"runtime {runtime!r}: expected one of {', '.join(RUNTIMES)}")
        self.mapper, self.runtime = mapper, runtime
        self._stream_mapper: Any = None
        self._cache: dict[tuple, KernelEstimate] = {}
        self.hits = self.misses = 0

    def _streaming(self) -> Any:
        """The mapper with no L2 residency (GPU engine: ``device.l2_bytes = 0``); others unchanged."""
        if self._stream_mapper is None:
            m = self.mapper
            dev = getattr(m, "device", None)
            if dev is not None and is_dataclass(dev) and hasattr(dev, "l2_bytes"):
                m = copy.copy(m)
                m.device = replace(dev, l2_bytes=0.0)
            self._stream_mapper = m
        return self._stream_mapper

    def __call__(self, kernel: Kernel, streamed: bool = False) -> KernelEstimate:
        """Estimate ``kernel``; ``streamed``: its weights / KV cache come from main memory, never from L2."""
        key = kernel_key(kernel) + (streamed,)
        est = self._cache.get(key)
        if est is None:
            self.misses += 1
            est = self._estimate(kernel, self._streaming() if streamed else self.mapper)
            self._cache[key] = est
        else:
            self.hits += 1
        if est.name != kernel.name or est.nodes != kernel.nodes:
            est = replace(est, name=kernel.name, nodes=kernel.nodes)
        return est

    def _estimate(self, k: Kernel, m: Any) -> KernelEstimate:
        if self.runtime == "roofline":
            t, bound, unit = m.roofline(k, m.precision_of(k))
            from graphs.results import ConfidenceLevel as CL
            return KernelEstimate(name=k.name, kind=k.kind, category=k.category.value, nodes=k.nodes, flops=k.flops,
                                  bytes=k.bytes, time_s=t, low_s=t, high_s=t, bound=bound, confidence=CL.THEORETICAL,
                                  unit=unit)
        if self.runtime == "eager":
            return m.estimate_kernel(k)
        if hasattr(m, "timing") and hasattr(m, "calibrated_efficiency"):   # the GPU family engine
            t = m.timing(k)
            cal = m.calibrated_efficiency(k, t)
            floor = 0.0
            if cal is not None:
                med, lo, hi, level = cal
            else:
                pr = m.prior(k)
                med, lo, hi, level = pr.median, pr.low, pr.high, m.confidence(k)
                floor = GRAPH_KERNEL_FLOOR_S
            unit = f"{t.unit.name}:{t.unit.precision}"
            v, lo_s, hi_s = (max(floor, t.seconds * r) for r in (med, lo, hi))
            return KernelEstimate(name=k.name, kind=k.kind, category=k.category.value, nodes=k.nodes, flops=k.flops,
                                  bytes=k.bytes, time_s=v, low_s=lo_s, high_s=hi_s,
                                  bound=t.bound if t.seconds * med >= floor else "overhead", confidence=level, unit=unit)
        est = m.estimate_kernel(k)
        over = m.kernel_overhead(k)
        roof = m.roofline(k, m.precision_of(k))[0]
        f = lambda v: max(v - over, roof)  # noqa: E731
        return replace(est, time_s=f(est.time_s), low_s=min(f(est.low_s), f(est.time_s)),
                       high_s=max(f(est.high_s), f(est.time_s)),
                       bound=est.bound if est.bound != "overhead" else "memory")

    def kernels(self, graph: Graph, fusion: str = "none") -> list[Kernel]:
        from graphs.llm.ops import REGISTRY
        return partition(graph, REGISTRY, FusionPolicy.named(fusion))

    def graph(self, graph: Graph, fusion: str = "none") -> list[KernelEstimate]:
        """Estimates of every kernel of an ``llm::`` graph (kernels reading weights or the KV cache streamed)."""
        streamed = streamed_nodes(graph)
        return [self(k, any(n in streamed for n in k.nodes)) for k in self.kernels(graph, fusion)]


def streamed_nodes(graph: Graph) -> set[str]:
    """Nodes that read weights or the KV cache: in one serving iteration every layer's weights and cache
    are read once, and the model is far larger than L2, so they come from main memory (the GPU engine's
    L2-residency rule describes repeated microbenchmarks on the same buffers)."""
    main = set(graph.parameters) | set(graph.meta.get("streamed_inputs", ()))
    return {n.name for n in graph.nodes if any(v in main for v in n.inputs)}


def total(parts: Sequence[KernelEstimate]) -> tuple[float, float, float, ConfidenceLevel]:
    """(value, low, high, confidence) of kernels run one after another."""
    from graphs.results import combine_confidence
    return (sum(p.time_s for p in parts), sum(p.low_s for p in parts), sum(p.high_s for p in parts),
            combine_confidence([(p.confidence, p.time_s) for p in parts]))
