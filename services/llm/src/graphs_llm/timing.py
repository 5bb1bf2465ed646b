"""Kernel times for LLM iterations, under a runtime, memoised by kernel shape.

The family engine does the arithmetic (:meth:`graphs.mapper.Mapper.estimate_kernel` with
``runtime`` ``eager``, ``graph`` or ``roofline``, see :mod:`graphs.mapper`); this module only
caches it: a serving simulation asks for the same kernel shapes thousands of times, so estimates
are cached by everything that determines them (kind, category, FLOPs, bytes, dtype, GEMM shape) —
not by kernel name.

**Streaming.** In an iteration each layer's weights and KV cache are read once and the model is far
larger than L2, so kernels reading them are estimated with ``streamed=True`` (the GPU engine gives
them no L2 residency); activations passed between consecutive kernels may stay in L2.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any, Sequence

from graphs.errors import GraphsError
from graphs.ir import Graph
from graphs.mapper import RUNTIMES, Mapper
from graphs.partition import FusionPolicy, Kernel, partition
from graphs.results import ConfidenceLevel, KernelEstimate


@lru_cache(maxsize=16)
def kernel_time_calibration(hw_id: str) -> Any:
    """The shipped kernel-time (``graph`` runtime) calibration of a device, or None.

    ``graphs_llm/calibrations/<id>.yaml`` are fitted by ``benchmarks/accuracy_llm.py
    --write-calibrations`` on every model of VIDUR's kernel profiles of that GPU (fp16, kernel time
    only): what a CUDA-graph serving engine runs. A device's own calibration (``graphs calibrate``,
    or its distribution's) describes eager PyTorch and stays the one used by the ``eager`` runtime.
    """
    from importlib.resources import files
    from graphs.calibration import load_calibration
    f = files("graphs_llm").joinpath("calibrations", f"{hw_id}.yaml")
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

    def __init__(self, mapper: Mapper, runtime: str = "graph") -> None:
        if runtime not in RUNTIMES:
            raise GraphsError(f"runtime {runtime!r}: expected one of {', '.join(RUNTIMES)}")
        self.mapper, self.runtime = mapper, runtime
        self._cache: dict[tuple, KernelEstimate] = {}
        self.hits = self.misses = 0

    def __call__(self, kernel: Kernel, streamed: bool = False) -> KernelEstimate:
        """Estimate ``kernel``; ``streamed``: its weights / KV cache come from main memory, never from L2."""
        key = kernel_key(kernel) + (streamed,)
        est = self._cache.get(key)
        if est is None:
            self.misses += 1
            est = self.mapper.estimate_kernel(kernel, runtime=self.runtime, streamed=streamed)  # type: ignore[arg-type]
            self._cache[key] = est
        else:
            self.hits += 1
        if est.name != kernel.name or est.nodes != kernel.nodes:
            est = replace(est, name=kernel.name, nodes=kernel.nodes)
        return est

    def kernels(self, graph: Graph, fusion: str = "none") -> list[Kernel]:
        from graphs_llm.ops import REGISTRY
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
