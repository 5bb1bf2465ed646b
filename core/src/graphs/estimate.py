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


FLOAT_PRECISIONS = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8")
INTEGER_PRECISIONS = ("int8", "int4")
QUANTIZE = ("int8",)


def apply_precision(graph: Graph, precision: str | None, quantize: str | None = None) -> Graph:
    """The graph as it runs at ``precision`` (and after ``quantize``), or a one-line error.

    * ``fp64 | fp32 | bf16 | fp16 | fp8``: every floating-point tensor takes that dtype;
    * ``tf32``: float32 tensors, and matrix kernels compute on TF32 units (``math = tf32``);
    * ``int8 | int4``: only for a graph that is already integer (a quantized TFLite model) — a float
      model is refused, because quantizing it changes the model: that is ``quantize="int8"``,
      post-training quantization of weights and activations (every float tensor int8, stated in
      the result), which ``--precision`` never does silently.
    """
    if quantize is not None:
        if quantize not in QUANTIZE:
            raise GraphsError(f"--quantize {quantize!r}: expected one of {', '.join(QUANTIZE)}")
        graph = quantize_graph(graph, quantize)
    if not precision:
        return graph
    if precision not in PRECISION_DTYPE:
        raise GraphsError(f"unknown precision {precision!r} (expected one of {', '.join(PRECISION_DTYPE)})")
    floats = any(v.is_float for v in graph.values.values())
    if precision in INTEGER_PRECISIONS:
        if floats:
            raise GraphsError(f"--precision {precision} on a floating-point model: integer execution needs a "
                              f"quantized model — give --quantize int8 (post-training quantization of weights and "
                              f"activations, stated in the result) or a quantized model file")
        return graph
    if quantize is not None:
        raise GraphsError(f"--precision {precision} with --quantize {quantize}: a quantized model runs at {quantize}")
    if not floats:
        raise GraphsError(f"--precision {precision}: the model has no floating-point tensors (it is quantized)")
    if precision == "tf32":
        return replace(with_float_dtype(graph, "float32"), meta={**graph.meta, "math_precision": "tf32"})
    return with_float_dtype(graph, PRECISION_DTYPE[precision])


def quantize_graph(graph: Graph, dtype: str = "int8") -> Graph:
    """Post-training quantization: every floating-point tensor (weights and activations) becomes ``dtype``."""
    from graphs.ir import TensorSpec
    values = {k: (TensorSpec(v.shape, dtype) if v.is_float else v) for k, v in graph.values.items()}
    return replace(graph, values=values, meta={**graph.meta, "quantization": f"{dtype} post-training (weights and "
                                                                              "activations)"})


def analyze_graph(graph: Graph, plugins: GraphsPlugins | None = None, *, fusion: str = "default",
                  precision: str | None = None, quantize: str | None = None) -> Analysis:
    plugins = plugins or get_plugins()
    graph = apply_precision(graph, precision, quantize)
    ops = plugins.ops
    ops.check(graph)
    costs = ops.costs(graph)
    kernels = tuple(partition(graph, ops, FusionPolicy.named(fusion), costs))
    if graph.meta.get("math_precision"):     # e.g. tf32: matrix kernels compute at that precision
        math = graph.meta["math_precision"]
        kernels = tuple(replace(k, attrs={**k.attrs, "math": math}) if k.category.is_matrix else k for k in kernels)
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
             precision: str | None = None, calibration: Any = None, runtime: str | None = None,
             quantize: str | None = None) -> EstimationResult:
    """Estimate the latency of one forward pass of ``graph`` on ``hardware`` (``calibration``:
    use this one instead of the device's own; ``runtime``: eager, graph or roofline, default the
    family's; ``quantize``: post-training int8)."""
    plugins = plugins or get_plugins()
    mapper: Mapper = plugins.mapper_for(hardware, calibration)
    check_device_precision(mapper, precision, quantize)
    policy = mapper.default_fusion if fusion == "auto" else fusion
    a = analyze_graph(graph, plugins, fusion=policy, precision=precision, quantize=quantize)
    return compose(a, mapper, fusion=policy, runtime=runtime)


def check_device_precision(mapper: Mapper, precision: str | None, quantize: str | None = None) -> None:
    """A precision the device has no units for is refused, naming the ones it has (never a silent
    fall back to other units)."""
    wanted = quantize or precision
    if not wanted:
        return
    if wanted not in PRECISION_DTYPE:
        raise GraphsError(f"unknown precision {wanted!r} (expected one of {', '.join(PRECISION_DTYPE)})")
    have = mapper.supported_precisions()
    if wanted not in have:
        raise GraphsError(f"{mapper.spec.id} has no {wanted} units in its spec (it computes "
                          f"{', '.join(sorted(have, key=_prec_order)) or 'nothing listed'}); choose one of those")


def _prec_order(p: str) -> int:
    order = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4")
    return order.index(p) if p in order else len(order)


def _engine_plan(a: Analysis, mapper: Mapper, runtime: str) -> tuple[list[tuple[KernelEstimate, int]], float,
                                                                 tuple[str, ...], bool]:
    """([(estimate, how many kernels it stands for)], per-run overhead, notes, distinct?).

    When the engine estimates kernels one by one and from their shapes only (the default
    ``estimate_kernels`` and ``Mapper.shape_only``), each distinct kernel of the model is estimated
    once and weighted by its count; otherwise the engine's ``estimate_kernels`` sees every kernel."""
    if mapper.shape_only and type(mapper).estimate_kernels is Mapper.estimate_kernels:
        unique, _, counts = a.distinct_kernels
        over = mapper.model_overhead(a.kernels) if runtime != "roofline" else 0.0
        return ([(mapper.estimate_kernel(k, runtime=runtime), n) for k, n in zip(unique, counts)],  # type: ignore[arg-type]
                over, tuple(mapper.notes), True)
    plan = mapper.estimate_kernels(a.kernels, runtime=runtime)  # type: ignore[arg-type]
    return [(p, 1) for p in plan.parts], plan.overhead_s, plan.notes, False


def compose(a: Analysis, mapper: Mapper, fusion: str = "default", runtime: str | None = None, *,
            breakdown: bool = True) -> EstimationResult:
    """Sum kernel estimates and the per-model overhead into the model estimate (``breakdown=False``:
    totals only, no per-kernel estimates in the result — what a sweep row needs, and faster)."""
    from graphs.mapper import RUNTIME_LABELS, check_runtime
    runtime = runtime or mapper.default_runtime
    check_runtime(runtime, mapper)
    weighted, plan_overhead, notes, distinct = _engine_plan(a, mapper, runtime)
    scale = 1.0 + (mapper.model_overhead_fraction() if runtime == "eager" else 0.0)
    kernels_s = sum(p.time_s * n for p, n in weighted)
    overhead = plan_overhead + (scale - 1.0) * kernels_s
    total = kernels_s + overhead
    low = sum(p.low_s * n for p, n in weighted) * scale + overhead - (scale - 1.0) * kernels_s
    high = sum(p.high_s * n for p, n in weighted) * scale + overhead - (scale - 1.0) * kernels_s
    interval = mapper.model_interval(total) if runtime == "eager" else None
    if interval is not None:  # model-level residuals of a calibration: kernel errors partly cancel in a model
        low, high = interval
    spec = mapper.spec
    mem_total = a.parameter_bytes + a.peak_activation_bytes
    capacity = spec.memory_bytes
    by_bound: dict[str, float] = {}
    for p, n in weighted:
        by_bound[p.bound] = by_bound.get(p.bound, 0.0) + p.time_s * n
    precisions = sorted({p.precision for p, _ in weighted if p.precision and p.flops}
                        or {DTYPE_PRECISION.get(k.dtype, k.dtype) for k in a.distinct_kernels[0]}, key=_prec_order)
    metrics: dict[str, Any] = {
        "model": a.graph.name,
        "hardware": spec.id,
        "hardware_name": spec.name,
        "precision": ",".join(precisions),
        "fusion": fusion,
        "runtime": runtime,
        "runtime_description": RUNTIME_LABELS[runtime],
        "quantization": a.graph.meta.get("quantization"),
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
    capped = (energy.coefficients or {}).get("time_at_power_limit_s")
    if capped and capped > total:   # the power limit binds: the clock drops and compute-bound time stretches
        k = capped / total
        total, low, high = capped, low * k, high * k
        metrics["achieved_flops_per_s"] = a.flops / total if total else 0.0
        metrics["power_limited"] = True
    # low/high sum the same terms as ``total`` in another order, and the power cap scales them apart: at
    # zero width (roofline) the last bit may fall on either side of the value
    low, high = min(low, total), max(high, total)
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
