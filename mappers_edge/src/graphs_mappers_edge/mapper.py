"""EdgeMapper: an int8 NPU with a supported-op list, CPU fallback and power modes.

For each kernel, in graph order:

1. **Placement** (:mod:`support`): on the NPU if its kind, dtype and filter size are in the
   NPU's op list, else on the host CPU (``cpu-fallback``). With ``partitioning:
   first_unsupported`` (Edge TPU) the first refused kernel and every later one run on the CPU.
2. **Time**: NPU ``max(ops / npu_peak(mode), bytes / npu_bandwidth)``; CPU
   ``max(flops / cpu_peak(mode), bytes / DRAM bandwidth)``; bytes and ops at the NPU dtype
   when float models are assumed quantized (``EdgeOptions.quantize``).
3. **Transfers**: when a kernel runs on the other side from the previous one, its input
   activations cross the NPU<->CPU link first: ``latency + bytes / link_bandwidth`` (a
   discrete NPU's first kernel also receives the graph input from host memory; the result of
   a graph ending on it goes back in ``model_overhead``).

    estimate = dispatch + t_model × ratio + transfer

``ratio`` is the calibration's where it covers the kernel, else the transferred prior
(:mod:`priors`). The breakdown's ``unit`` is ``npu`` or ``cpu-fallback``; a model with
fallbacks lists them in the provenance notes.

Placement and transfers depend on the kernels before, so the engine estimates a model as a whole
(:meth:`EdgeMapper.estimate_kernels`): the state of one run (where the previous kernel ran, the
Edge TPU's cut, fallbacks, transfers) lives in a :class:`_Run` local to that call — nothing is kept
on the engine between calls, so estimates never depend on call order. ``estimate_kernel`` alone
estimates one kernel as the first of a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from graphs.hardware.schema import DTYPE_PRECISION, HardwareSpec
from graphs.ir import DTYPE_BITS
from graphs.calibration import Calibration
from graphs.mapper import EfficiencyPrior, KernelPlan, Mapper, Rate, Runtime, check_runtime
from graphs.partition import Kernel
from graphs.results import ConfidenceLevel, KernelEstimate

from graphs_mappers_edge.device import EdgeDevice, resolve_device
from graphs_mappers_edge.options import EdgeOptions
from graphs_mappers_edge.params import EdgeParams
from graphs_mappers_edge.priors import EdgePriors, load_priors
from graphs_mappers_edge.support import check, npu_dtype

NPU, CPU = "npu", "cpu-fallback"


@dataclass
class _Run:
    prev: str | None = None
    fallbacks: list[str] = field(default_factory=list)
    quantized: int = 0
    transfers: int = 0
    transfer_s: float = 0.0
    last_out_bytes: float = 0.0
    cut: bool = False
    sram_left: float | None = None           # on-chip parameter bytes still free (None: not modelled)
    streamed_bytes: float = 0.0              # parameters streamed from the host this inference
    streamed_s: float = 0.0


class EdgeMapper(Mapper):
    """The ``edge`` family engine."""

    family = "edge"
    runtimes = ("graph", "roofline")     # NPUs run what their compiler made of the whole model
    default_runtime = "graph"
    params_model = EdgeParams
    default_fusion = "none"     # placement is per op: a fused kernel would hide an unsupported epilogue
    estimator_name = "edge-npu"

    def __init__(self, spec: HardwareSpec, calibration: Calibration | None = None, options: EdgeOptions | None = None,
                 priors: EdgePriors | None = None) -> None:
        super().__init__(spec, calibration)
        self.options = options if options is not None else EdgeOptions.from_env()
        self.device: EdgeDevice = resolve_device(spec, self.params, self.options)
        self.priors = priors if priors is not None else load_priors()

    # --- placement and transfers ------------------------------------------------------------------
    def placement(self, kernel: Kernel, run: _Run | None = None) -> tuple[str, str]:
        """(``npu`` | ``cpu-fallback``, reason); ``run`` carries the Edge TPU's cut across kernels."""
        if run is not None and run.cut:
            return CPU, "after the first unsupported op (the compiler maps one NPU segment only)"
        v = check(kernel, self.params.npu_ops, self.options.quantize == "assume")
        if v.supported:
            return NPU, ""
        if run is not None and self.params.partitioning == "first_unsupported":
            run.cut = True
        return CPU, v.reason

    def _scale(self, kernel: Kernel) -> tuple[str, float]:
        """(dtype the kernel runs in, bytes scale from its graph dtype)."""
        dt = npu_dtype(kernel, self.options.quantize == "assume")
        return dt, DTYPE_BITS.get(dt, 8) / DTYPE_BITS.get(kernel.dtype, 32)

    @staticmethod
    def _activation_in(kernel: Kernel, scale: float) -> float:
        """Bytes of the kernel's input activations: what it reads minus its weights."""
        return max(kernel.bytes_read * scale - EdgeMapper._weight_bytes(kernel, scale), 0.0)

    def _transfer(self, nbytes: float) -> float:
        d = self.device
        return d.link_latency + (nbytes / d.link_bandwidth if d.link_bandwidth else 0.0)

    # --- the model ----------------------------------------------------------------------------------
    def t_model(self, kernel: Kernel, place: str, dtype: str, scale: float) -> tuple[float, str]:
        d = self.device
        nbytes = kernel.bytes * scale
        if place == NPU:
            t_c = kernel.flops / d.npu_peak(DTYPE_PRECISION.get(dtype, "int8")) if kernel.flops else 0.0
            t_m = nbytes / d.npu_bandwidth if d.npu_bandwidth else 0.0
        else:
            t_c = kernel.flops / d.cpu_peak(dtype) if kernel.flops else 0.0
            t_m = nbytes / d.cpu_bandwidth
        return (t_c, "compute") if t_c >= t_m else (t_m, "memory")

    def estimate_kernel(self, kernel: Kernel, *, runtime: Runtime = "graph", streamed: bool = False) -> KernelEstimate:
        """One kernel as the first of a run (its input starts in host memory)."""
        return self._estimate(kernel, self._new_run(), runtime)

    def _new_run(self) -> _Run:
        return _Run(sram_left=self.device.sram_bytes)

    @staticmethod
    def _weight_bytes(kernel: Kernel, scale: float) -> float:
        """Parameter bytes the kernel reads (the partition records them, also through views such as a
        weight expanded for ``bmm``); for kernels built without that record, a GEMM's B operand
        unless it is an activation-by-activation matmul."""
        if "parameter_bytes" in kernel.attrs:
            return float(kernel.attrs["parameter_bytes"]) * scale
        g = kernel.gemm
        if g is None or kernel.kind == "matmul":
            return 0.0
        return g.batch * g.k * g.n * DTYPE_BITS.get(kernel.dtype, 32) / 8 * scale

    def _estimate(self, kernel: Kernel, run: _Run, runtime: Runtime) -> KernelEstimate:
        check_runtime(runtime)
        place, reason = self.placement(kernel, run)
        dtype, scale = self._scale(kernel)
        if dtype != kernel.dtype and place == NPU:
            run.quantized += 1
        if place == CPU:
            run.fallbacks.append(f"{kernel.name}: {reason}")
        # graph input starts in host memory: a discrete NPU's first kernel must receive it
        prev = run.prev if run.prev is not None else (place if self.device.shared_memory else CPU)
        transfer = 0.0
        if place != prev:
            transfer = self._transfer(self._activation_in(kernel, scale))
            run.transfers += 1
            run.transfer_s += transfer
        run.prev = place
        run.last_out_bytes = kernel.bytes_written * scale
        t, bound = self.t_model(kernel, place, dtype, scale)
        prec = DTYPE_PRECISION.get(dtype, "int8")
        if place == NPU:
            ph = {"peak_flops": self.device.npu_peak(prec), "level": self.params.npu_memory or "npu on-chip",
                  "level_bandwidth": self.device.npu_bandwidth or None, "precision": prec}
        else:
            ph = {"peak_flops": self.device.cpu_peak(dtype), "level": self.spec.main_memory.name,
                  "level_bandwidth": self.device.cpu_bandwidth, "precision": prec}
        if runtime == "roofline":          # the same placement and types, at the peaks, nothing else
            return KernelEstimate(name=kernel.name, kind=kernel.kind, category=kernel.category.value,
                                  nodes=kernel.nodes, flops=kernel.flops, bytes=kernel.bytes * scale, time_s=t,
                                  low_s=t, high_s=t, bound=bound, confidence=ConfidenceLevel.THEORETICAL, unit=place,
                                  **ph)
        stream = 0.0
        if place == NPU and run.sram_left is not None:      # parameters beyond the on-chip cache come over the link
            w = self._weight_bytes(kernel, scale)
            if w > run.sram_left:
                off = w - max(run.sram_left, 0.0)
                run.sram_left = 0.0
                stream = off / self.device.link_bandwidth if self.device.link_bandwidth else 0.0
                run.streamed_bytes += off
                run.streamed_s += stream
            else:
                run.sram_left -= w
        cal = self.calibrated_ratio(kernel, t)
        if cal is not None:
            med, lo, hi, level = cal
        else:
            pr = self.priors.prior(kernel, place)
            med, lo, hi, level = pr.median, pr.low, pr.high, ConfidenceLevel.THEORETICAL
        over = self.device.npu_dispatch if place == NPU else 0.0
        fixed = over + transfer
        work, work_lo, work_hi = (max(t * r, t, stream) for r in (med, lo, hi))   # streamed weights feed the array
        value = work + fixed
        if stream > t * med and stream >= transfer:
            bound = "parameter streaming"
        elif transfer > t * med and transfer >= over:
            bound = "transfer"
        elif over > t * med:
            bound = "overhead"
        return KernelEstimate(
            name=kernel.name, kind=kernel.kind, category=kernel.category.value, nodes=kernel.nodes,
            flops=kernel.flops, bytes=kernel.bytes * scale, time_s=value, low_s=work_lo + fixed,
            high_s=work_hi + fixed, bound=bound, confidence=level, unit=place, **ph,
        )

    def estimate_kernels(self, kernels: Sequence[Kernel], *, runtime: Runtime = "graph",
                         streamed: frozenset[str] | set[str] = frozenset()) -> KernelPlan:
        """The model in graph order, with placement, the Edge TPU cut and NPU<->CPU transfers carried
        from kernel to kernel, and the result's trip back from a discrete NPU as per-run overhead."""
        run = self._new_run()
        parts = tuple(self._estimate(k, run, runtime) for k in kernels)
        over = super().model_overhead(kernels) if runtime != "roofline" else 0.0
        if run.prev == NPU and not self.device.shared_memory:
            back = self._transfer(run.last_out_bytes)
            run.transfers += 1
            run.transfer_s += back
            over += back
        return KernelPlan(parts, over, self._run_notes(run))

    # --- reporting ------------------------------------------------------------------------------------
    @property
    def notes(self) -> tuple[str, ...]:
        return self._run_notes(self._new_run())

    def _run_notes(self, run: _Run) -> tuple[str, ...]:
        out = ["efficiency priors transferred from the GPU family (no edge measurements); intervals widened"]
        out += list(self.device.notes)
        if run.quantized:
            out.append(f"{run.quantized} float kernels assumed post-training quantized to int8 on the NPU "
                       "(GRAPHS_EDGE_QUANTIZE=fallback runs them on the CPU instead)")
        if run.fallbacks:
            out.append(f"{len(run.fallbacks)} kernels fell back to the CPU: " + "; ".join(run.fallbacks[:8])
                       + (" ..." if len(run.fallbacks) > 8 else ""))
        if run.transfers:
            out.append(f"{run.transfers} NPU<->CPU transfers, {run.transfer_s * 1e3:.3g} ms in total")
        if run.streamed_bytes:
            out.append(f"parameters beyond the {self.device.sram_bytes / 1e6:.3g} MB on-chip cache: "
                       f"{run.streamed_bytes / 1e6:.3g} MB streamed from the host on every inference "
                       f"({run.streamed_s * 1e3:.3g} ms over the link)")
        return tuple(out)

    def compute_rate(self, kernel: Kernel, precision: str) -> Rate:
        return Rate(self.device.npu_peak(precision), self.params.npu_unit)

    def memory_rate(self, kernel: Kernel) -> Rate:
        return Rate(self.device.cpu_bandwidth, self.spec.main_memory.name)

    def prior(self, kernel: Kernel) -> EfficiencyPrior:
        return self.priors.prior(kernel, NPU)
