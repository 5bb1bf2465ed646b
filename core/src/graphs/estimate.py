"""From a Graph and a hardware id to a model-level EstimationResult.

graph ─(precision pass)─▶ op costs ─partition─▶ kernels ─mapper─▶ KernelEstimates
      ─compose─▶ model EstimationResult (latency) with memory metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from graphs.energy import estimate_energy
from graphs.errors import GraphsError
from graphs.hardware.schema import DTYPE_PRECISION, PRECISION_DTYPE
from graphs.ir import Graph
from graphs.mapper import Mapper
from graphs.partition import FusionPolicy, Kernel, kind_histogram, partition
from graphs.passes import peak_activation_bytes, with_float_dtype
from graphs.plugins import GraphsPlugins, get_plugins
from graphs.results import EstimationResult, KernelEstimate, Provenance, combine_confidence


@dataclass(frozen=True)
class Analysis:
    """Hardware-independent analysis of a graph (FLOPs, bytes, memory)."""

    graph: Graph
    kernels: tuple[Kernel, ...]
    flops: float
    matrix_flops: float
    bytes: float
    parameter_bytes: float
    parameter_count: int
    peak_activation_bytes: float
    op_kinds: dict[str, int]
    kernel_kinds: dict[str, int]

    @cached_property
    def distinct_kernels(self) -> tuple[tuple[Kernel, ...], tuple[int, ...], tuple[int, ...]]:
        """(distinct kernels, index of each kernel's distinct one, count of each distinct one): kernels
        equal in everything but name and nodes (ResNet-50: 174 kernels, 48 distinct) are estimated once
        by a family engine whose ``estimate_kernel`` depends on shapes only (see :func:`compose`)."""
        seen: dict[tuple, int] = {}
        unique: list[Kernel] = []
        index: list[int] = []
        counts: list[int] = []
        for k in self.kernels:
            try:
                attrs = tuple(sorted(k.attrs.items()))
                hash(attrs)
            except TypeError:                     # an unhashable attribute: the kernel stands alone
                attrs = (("", id(k)),)
            sig = (k.kind, k.category, k.flops, k.matrix_flops, k.bytes_read, k.bytes_written, k.dtype, k.gemm, attrs)
            i = seen.get(sig)
            if i is None:
                i = seen[sig] = len(unique)
                unique.append(k)
                counts.append(0)
            index.append(i)
            counts[i] += 1
        return tuple(unique), tuple(index), tuple(counts)


def analyze_graph(graph: Graph, plugins: GraphsPlugins | None = None, *, fusion: str = "default",
                  precision: str | None = None) -> Analysis:
    plugins = plugins or get_plugins()
    if precision:
        if precision not in PRECISION_DTYPE:
            raise GraphsError(f"unknown precision {precision!r} (expected one of {', '.join(PRECISION_DTYPE)})")
        dtype = PRECISION_DTYPE[precision]
        if dtype in ("float32", "float16", "bfloat16", "float64", "float8_e4m3"):
            graph = with_float_dtype(graph, dtype)
    ops = plugins.ops
    ops.check(graph)
    costs = ops.costs(graph)
    kernels = tuple(partition(graph, ops, FusionPolicy.named(fusion), costs))
    op_hist: dict[str, int] = {}
    for n in graph.nodes:
        k = ops.handlers[n.op_type].kind
        op_hist[k] = op_hist.get(k, 0) + 1
    return Analysis(
        graph=graph, kernels=kernels,
        flops=sum(c.flops for c in costs.values()),
        matrix_flops=sum(c.flops for c in costs.values() if c.matrix),
        bytes=sum(k.bytes for k in kernels),
        parameter_bytes=graph.parameter_bytes, parameter_count=graph.parameter_count,
        peak_activation_bytes=peak_activation_bytes(graph, ops, costs),
        op_kinds=dict(sorted(op_hist.items())), kernel_kinds=kind_histogram(kernels),
    )


def estimate(graph: Graph, hardware: str, plugins: GraphsPlugins | None = None, *, fusion: str = "auto",
             precision: str | None = None, calibration: Any = None) -> EstimationResult:
    """Estimate the latency of one forward pass of ``graph`` on ``hardware`` (``calibration``:
    use this one instead of the device's own)."""
    plugins = plugins or get_plugins()
    mapper: Mapper = plugins.mapper_for(hardware, calibration)
    policy = mapper.default_fusion if fusion == "auto" else fusion
    a = analyze_graph(graph, plugins, fusion=policy, precision=precision)
    return compose(a, mapper, fusion=policy)


def _engine_plan(a: Analysis, mapper: Mapper) -> tuple[list[tuple[KernelEstimate, int]], float, tuple[str, ...], bool]:
    """([(estimate, how many kernels it stands for)], per-run overhead, notes, distinct?).

    When the engine estimates kernels one by one and from their shapes only (the default
    ``estimate_kernels`` and ``Mapper.shape_only``), each distinct kernel of the model is estimated
    once and weighted by its count; otherwise the engine's ``estimate_kernels`` sees every kernel."""
    if mapper.shape_only and type(mapper).estimate_kernels is Mapper.estimate_kernels:
        unique, _, counts = a.distinct_kernels
        return ([(mapper.estimate_kernel(k), n) for k, n in zip(unique, counts)], mapper.model_overhead(a.kernels),
                tuple(mapper.notes), True)
    plan = mapper.estimate_kernels(a.kernels)
    return [(p, 1) for p in plan.parts], plan.overhead_s, plan.notes, False


def compose(a: Analysis, mapper: Mapper, fusion: str = "default", *, breakdown: bool = True) -> EstimationResult:
    """Sum kernel estimates and the per-model overhead into the model estimate (``breakdown=False``:
    totals only, no per-kernel estimates in the result — what a sweep row needs, and faster)."""
    weighted, plan_overhead, notes, distinct = _engine_plan(a, mapper)
    scale = 1.0 + mapper.model_overhead_fraction()
    kernels_s = sum(p.time_s * n for p, n in weighted)
    overhead = plan_overhead + (scale - 1.0) * kernels_s
    total = kernels_s + overhead
    low = sum(p.low_s * n for p, n in weighted) * scale + overhead - (scale - 1.0) * kernels_s
    high = sum(p.high_s * n for p, n in weighted) * scale + overhead - (scale - 1.0) * kernels_s
    interval = mapper.model_interval(total)
    if interval is not None:  # model-level residuals of a calibration: kernel errors partly cancel in a model
        low, high = interval
    spec = mapper.spec
    mem_total = a.parameter_bytes + a.peak_activation_bytes
    capacity = spec.memory_bytes
    by_bound: dict[str, float] = {}
    for p, n in weighted:
        by_bound[p.bound] = by_bound.get(p.bound, 0.0) + p.time_s * n
    precisions = sorted({DTYPE_PRECISION.get(k.dtype, k.dtype) for k in a.distinct_kernels[0]})
    metrics: dict[str, Any] = {
        "model": a.graph.name,
        "hardware": spec.id,
        "hardware_name": spec.name,
        "precision": ",".join(precisions),
        "fusion": fusion,
        "flops": a.flops,
        "matrix_flops": a.matrix_flops,
        "bytes": a.bytes,
        "nodes": len(a.graph.nodes),
        "kernels": len(a.kernels),
        "parameters": a.parameter_count,
        "parameter_bytes": a.parameter_bytes,
        "peak_activation_bytes": a.peak_activation_bytes,
        "memory_bytes": mem_total,
        "device_memory_bytes": capacity,
        "fits": (mem_total <= capacity) if capacity else None,
        "model_overhead_s": overhead,
        "time_by_bound_s": by_bound,
        "kernel_kinds": a.kernel_kinds,
        "achieved_flops_per_s": a.flops / total if total else 0.0,
    }
    # energy (graphs.energy): dynamic per FLOP / per byte + idle power x time; unknown without sourced idle power
    ests = [p for p, _ in weighted]
    if distinct:
        unique, index, counts = a.distinct_kernels
        energy = estimate_energy(mapper, unique, ests, overhead, total, counts=counts)
    else:
        index = tuple(range(len(ests)))
        energy = estimate_energy(mapper, a.kernels, ests, overhead, total)
    parts: tuple[KernelEstimate, ...] = ()
    if breakdown:
        parts = tuple(_as_kernel(ests[i], k, energy.per_kernel_j[i]) for k, i in zip(a.kernels, index))
    metrics.update(energy.metrics())
    prov = Provenance(
        estimator=mapper.estimator_name, mapper=mapper.family, hardware=spec.id,
        calibration=mapper.calibration.source if mapper.calibration is not None else "",
        notes=notes,
    )
    return EstimationResult(
        value=total, unit="s", low=low, high=high,
        confidence=combine_confidence([(p.confidence, p.time_s * n) for p, n in weighted]),
        provenance=prov, breakdown=parts, metrics=metrics,
    )


def _as_kernel(e: KernelEstimate, k: Kernel, energy_j: float | None) -> KernelEstimate:
    """``e`` (the estimate of a kernel equal to ``k``) under ``k``'s name and nodes, with its energy."""
    if e.name == k.name and (e.energy_j is not None or energy_j is None):
        return e
    return replace(e, name=k.name, nodes=k.nodes, energy_j=e.energy_j if e.energy_j is not None else energy_j)
