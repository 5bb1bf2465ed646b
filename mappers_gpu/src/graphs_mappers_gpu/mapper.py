"""GPUMapper: how a GPU executes a kernel.

For each kernel: pick the unit (tensor cores or CUDA cores, by precision and TF32 options),
tile it into CTAs and count waves (GEMM-like kernels), pick the memory level (L2-resident or
HBM), and take the slower of compute and memory (:func:`graphs_mappers_gpu.timing.kernel_timing`).
Then scale by the measured efficiency of the kernel's group and add overheads:

    gpu_time = kernel_launch + t_model × ratio            (ratio: median, p05, p95 of the group)
    estimate = max(op_dispatch × scale(kind), gpu_time)

``ratio`` comes from the device's calibration when it has a curve for the kernel's
``<kind>.<precision>`` (or ``<category>.<precision>``) covering ``t_model``
(:mod:`graphs_mappers_gpu.calibrate`; CALIBRATED, or INTERPOLATED near the measured range
or when the calibration was transferred from other devices), with the calibration's
``kernel_launch``; otherwise from the family prior (THEORETICAL).

``kernel_launch`` is the fixed per-kernel cost that adds to GPU time, and ``op_dispatch`` the
host-bound floor of one eager PyTorch elementwise op (a kernel cannot finish before the host
has issued it); both are ``overheads`` in the spec. ``scale(kind)`` (median, low, high) comes
with the priors: a linear or a convolution costs the host more than an add. The default fusion is ``none``: PyTorch eager runs one
kernel per op, which is what the measurements behind the priors and overheads ran.
"""

from __future__ import annotations

from dataclasses import replace

from graphs.ir import DTYPE_BITS, FLOAT_DTYPES
from typing import Any, Sequence

from graphs.calibration import Calibration
from graphs.mapper import EfficiencyPrior, Mapper, Rate, Runtime, check_runtime, guard_calibration
from graphs.hardware.schema import HardwareSpec
from graphs.partition import Kernel
from graphs.results import ConfidenceLevel, KernelEstimate

from graphs_mappers_gpu import calibrate as _cal
from graphs_mappers_gpu.calibrate import curve_keys
from graphs_mappers_gpu.device import GPUDevice, resolve_device
from graphs_mappers_gpu.energy import kernel_energy
from graphs_mappers_gpu.options import GPUOptions
from graphs_mappers_gpu.params import GPUParams
from graphs_mappers_gpu.priors import PriorTable, group_key, load_priors
from graphs_mappers_gpu.timing import KernelTiming, kernel_timing
from graphs_mappers_gpu.memory import memory_rate
from graphs_mappers_gpu.units import Unit, _thin, select_unit

# Shortest GPU time of a kernel in the ``graph`` runtime when no calibration curve covers it (a prior
# scales a near-zero modelled time to near zero): 3 µs, the median kernel time of VIDUR's
# elementwise/norm/rotary/embedding kernels at <= 4 tokens on A100 (4 µs) and A40 (3 µs),
# ../shared/data/vidur/compute/*/*/*/mlp.csv; tests/test_llm_timing.py recomputes it from the data.
GRAPH_KERNEL_FLOOR_S = 3e-6


def _single_kind(curves: dict, class_key: str, curve: Any) -> str | None:
    """The one kind a class curve was fitted on, when a kind curve of the same precision is identical to
    it (the fit writes both from the same samples), else None."""
    suffix = class_key.split(".", 1)[1]
    same = [k for k, c in curves.items() if k != class_key and k.split(".", 1)[1] == suffix and c == curve]
    return same[0].split(".", 1)[0] if len(same) == 1 else None


class GPUMapper(Mapper):
    """The ``gpu`` family engine."""

    family = "gpu"
    params_model = GPUParams
    default_fusion = "none"
    estimator_name = "gpu-tiles"

    def __init__(self, spec: HardwareSpec, calibration: Calibration | None = None, options: GPUOptions | None = None,
                 priors: PriorTable | None = None) -> None:
        super().__init__(spec, calibration)
        self.options = options if options is not None else GPUOptions.from_env()
        self.device: GPUDevice = resolve_device(spec, self.params, self.options)
        self._streaming_device: GPUDevice = replace(self.device, l2_bytes=0.0)
        self._tilings: dict = {}      # chosen tilings of this device (graphs_mappers_gpu.timing.kernel_timing)
        self.priors = priors if priors is not None else load_priors()
        self._notes: tuple[str, ...] = (
            f"TF32: matmul {'on' if self.options.tf32_matmul else 'off'}, conv {'on' if self.options.tf32_conv else 'off'}"
            " (PyTorch defaults: off, on)",
            "overheads: eager PyTorch, one kernel per op (kernel_launch added, op_dispatch as floor)",
        ) + self.device.notes + tuple(
            f"overheads.{name}: family value derived from measurements (priors.json), not in the spec"
            for name in ("kernel_launch", "op_dispatch") if name not in spec.overheads)

    @property
    def notes(self) -> tuple[str, ...]:
        return self._notes

    # --- the model ---------------------------------------------------------------------------
    def timing(self, kernel: Kernel, streamed: bool = False, precision: str | None = None) -> KernelTiming:
        """Modelled time before prior and overheads (unit, level, tiling included); ``streamed``: the
        kernel's operands come from HBM, never from L2 (weights and KV cache of one serving iteration)."""
        device = self._streaming_device if streamed else self.device
        precision = precision or self.precision_of(kernel)
        return kernel_timing(kernel, precision, device, self.options, self._tilings,
                             unit=self.unit(kernel, precision))

    def unit(self, kernel: Kernel, precision: str) -> Unit:
        """:func:`select_unit` for ``kernel`` on this device, memoized: the choice depends on the kernel only
        through its category, whether it has matrix FLOPs and whether its GEMM is too thin for MMA, and
        on the device and options (the memo is per engine state, see :meth:`Mapper.derived`; the
        streaming device shares the device's peaks)."""
        key = ("unit", kernel.category, bool(kernel.matrix_flops), _thin(kernel), precision)
        memo = self.derived()
        u = memo.get(key)
        if u is None:
            u = memo[key] = select_unit(kernel, precision, self.device, self.options)
        return u

    def compute_rate(self, kernel: Kernel, precision: str) -> Rate:
        u = self.unit(kernel, precision)
        return Rate(u.peak, u.name)

    def memory_rate(self, kernel: Kernel) -> Rate:
        m = memory_rate(kernel.bytes, self.device)
        return Rate(m.bandwidth, m.level)

    def kernel_overhead(self, kernel: Kernel) -> float:
        """Per-kernel launch cost added to GPU time: the spec's, else the family's derived value (the same
        for every kernel)."""
        return self._overhead("kernel_launch")

    def dispatch_floor(self) -> float:
        """Host-bound minimum time of one eager elementwise op, seconds (other kinds scale it)."""
        return self._overhead("op_dispatch")

    def _overhead(self, name: str) -> float:
        """The spec's overhead ``name``, else the priors' ``<name>_s``; kept in the per-state memo."""
        memo = self.derived()
        v = memo.get(name)
        if v is None:
            v = memo[name] = self.spec.overhead(name, float(self.priors.overheads.get(f"{name}_s", 0.0)))
        return v

    def prior(self, kernel: Kernel) -> EfficiencyPrior:
        unit = self.unit(kernel, self.precision_of(kernel))
        return self.priors.prior(group_key(kernel, unit.name), self.device.power_class)

    def confidence(self, kernel: Kernel) -> ConfidenceLevel:
        return ConfidenceLevel.THEORETICAL  # spec + family prior; no calibration of this device

    def _single_kind(self, curves: dict, key: str, curve: Any) -> str | None:
        """:func:`_single_kind` of this engine's calibration, memoized per class key (it compares curves)."""
        memo = self.derived()
        mk = ("single_kind", key)
        if mk not in memo:
            memo[mk] = _single_kind(curves, key, curve)
        return memo[mk]

    def calibrated_efficiency(self, kernel: Kernel, t: KernelTiming) -> tuple[float, float, float, ConfidenceLevel] | None:
        """(ratio median, low, high, confidence) from this device's calibration, if a curve covers the kernel."""
        curves = self.calibration.curves if self.calibration is not None else None
        if not curves or t.seconds <= 0:
            return None
        keys = curve_keys(kernel, t.unit.precision)
        for key in keys:
            curve = curves.get(key)
            if curve is not None and key != keys[0] and self._single_kind(curves, key, curve) not in (None, kernel.kind):
                continue        # a "class" curve fitted on one other kind (gelu) says nothing about this kind (relu)
            level = curve.confidence(t.seconds) if curve is not None else None
            if curve is not None and level is not None:
                break
        else:
            return None
        if key != keys[0]:          # a class curve (e.g. elementwise) standing in for this kind: less than measured
            level = min(level, ConfidenceLevel.INTERPOLATED)
        if self.calibration.transferred_from or curve.transferred_from:
            level = min(level, ConfidenceLevel.INTERPOLATED)
        r, res = curve.ratio(t.seconds), curve.residuals
        return r * res.q50, r * res.q05, r * res.q95, level

    def estimate_kernel(self, kernel: Kernel, *, runtime: Runtime = "eager", streamed: bool = False) -> KernelEstimate:
        est = self._estimate_kernel(kernel, runtime, streamed)
        bits = DTYPE_BITS.get(kernel.dtype, 32)
        if runtime != "roofline" and kernel.dtype == "float32":
            self._remember_fp32(kernel, 1.0, runtime, streamed, est)
        if runtime != "roofline" and bits < 32 and kernel.dtype in FLOAT_DTYPES:
            # physics: the same kernel at a narrower float type moves fewer bytes on units at least as fast,
            # so it is not slower than at fp32; a curve fitted on other kernels of its class (gelu for every
            # elementwise op) or on other data (one GPU's fp16 GEMMs against a transferred fp32 prior) must
            # not say otherwise — the result says where the cap applied
            f = 32 / bits
            ref = self._remember_fp32(kernel, f, runtime, streamed)
            if ref is None:
                k32 = replace(kernel, dtype="float32", bytes_read=kernel.bytes_read * f,
                              bytes_written=kernel.bytes_written * f)
                ref = self._remember_fp32(kernel, f, runtime, streamed, self._estimate_kernel(k32, runtime, streamed))
            # measured data for this kernel at its own type stands against a less founded fp32 estimate
            if est.time_s > ref.time_s and ref.confidence >= est.confidence:
                est = replace(est, time_s=ref.time_s, low_s=min(est.low_s, ref.low_s), high_s=max(est.high_s, ref.time_s),
                              unit=est.unit + " (capped at its fp32 time)")
            elif est.time_s > ref.time_s:
                est = replace(est, unit=est.unit + f" ({est.confidence.name.lower()} {kernel.dtype} data: slower than "
                                                   f"the {ref.confidence.name.lower()} fp32 estimate)")
        return est

    #: fp32 estimates remembered per engine state (:meth:`_remember_fp32`) before the memo is emptied
    FP32_MEMO_SIZE = 20_000

    def _remember_fp32(self, kernel: Kernel, f: float, runtime: str, streamed: bool,
                       est: KernelEstimate | None = None) -> KernelEstimate | None:
        """The estimate of ``kernel`` as a float32 kernel (bytes x ``f``), remembered in :meth:`derived`:
        a narrower-float kernel's fp32 reference (the cap in :meth:`estimate_kernel`) is the estimate of
        the same shape at fp32 — which the fp32 run of the same model, or the fp16/bf16 twin, already
        made. Keyed by every shape field :meth:`_estimate_kernel` reads (this engine is ``shape_only``;
        the key is the one graphs.estimate.Analysis.distinct_kernels uses, dtype float32). Only
        time, interval and confidence of a remembered estimate are used (its name is the first
        kernel's). With ``est``: store it; without: look it up (None when not there or the kernel's
        attributes are unhashable)."""
        attrs = kernel.attrs
        try:
            a = tuple(sorted(attrs.items())) if attrs else ()
            key = ("fp32", kernel.kind, kernel.category, kernel.flops, kernel.matrix_flops, kernel.bytes_read * f,
                   kernel.bytes_written * f, kernel.gemm, a, runtime, streamed)
            hash(key)
        except TypeError:
            return est
        memo = self.derived()
        if est is None:
            return memo.get(key)
        if len(memo) > self.FP32_MEMO_SIZE:
            memo.clear()
        memo[key] = est
        return est

    def _estimate_kernel(self, kernel: Kernel, runtime: Runtime, streamed: bool) -> KernelEstimate:
        check_runtime(runtime)
        if runtime == "roofline":
            return self.roofline_estimate(kernel)
        precision = self.precision_of(kernel)
        t = self.timing(kernel, streamed, precision)
        cal = self.calibrated_efficiency(kernel, t)
        memo = self.derived()     # per engine state: the prior of a (category, unit), the overheads
        pk = ("prior", kernel.category, t.unit.name)
        prior = memo.get(pk)
        if prior is None:
            prior = memo[pk] = self.priors.prior(group_key(kernel, t.unit.name), self.device.power_class)
        if cal is not None:
            r_med, r_low, r_high, level = cal
            r_med, r_low, r_high = guard_calibration(r_med, r_low, r_high, prior)
            launch = self.kernel_overhead_calibrated(kernel)
        else:
            r_med, r_low, r_high, level = prior.median, prior.low, prior.high, self.confidence(kernel)
            launch = self.kernel_overhead(kernel)
        ph = {"peak_flops": t.unit.peak or None, "level": t.memory.level, "level_bandwidth": t.memory.bandwidth or None,
              "precision": precision}     # the data's precision; `unit` says the units' math
        # a calibration never overrides physics: the GPU time is at least the model's roofline of the unit and level
        t_floor = max(kernel.flops / t.unit.peak if t.unit.peak and kernel.flops else 0.0,
                      kernel.bytes / t.memory.bandwidth if t.memory.bandwidth else 0.0)
        if t.seconds > 0:
            q = t_floor / t.seconds
            r_med, r_low, r_high = max(r_med, q), max(r_low, q), max(r_high, q)
        unit = f"{t.unit.name}:{t.unit.precision}" + (f" {t.tiling.tile} x{t.tiling.waves}w" if t.tiling else "")
        if runtime == "graph":
            # back to back (CUDA graphs): GPU time only, no launch cost or host floor; an uncalibrated
            # kernel is never faster than the shortest kernel VIDUR measured
            floor = 0.0 if cal is not None else GRAPH_KERNEL_FLOOR_S
            v, lo_s, hi_s = (max(floor, t.seconds * r) for r in (r_med, r_low, r_high))
            energy = kernel_energy(self.spec, v, kernel.flops, kernel.bytes, t.unit.precision, t.memory.level)
            return KernelEstimate(name=kernel.name, kind=kernel.kind, category=kernel.category.value,
                                  nodes=kernel.nodes, flops=kernel.flops, bytes=kernel.bytes, time_s=v, low_s=lo_s,
                                  high_s=hi_s, bound=t.bound if t.seconds * r_med >= floor else "overhead",
                                  confidence=level, unit=unit, energy_j=energy, **ph)
        floor = self.dispatch_floor()
        dk = ("dispatch", kernel.category, kernel.kind)      # dispatch_scale reads these two only
        scale = memo.get(dk)
        if scale is None:
            scale = memo[dk] = self.priors.dispatch_scale(kernel)
        f_med, f_low, f_high = scale
        value = max(floor * f_med, launch + t.seconds * r_med)
        low = max(floor * f_low, launch + t.seconds * r_low)
        high = max(floor * f_high, launch + t.seconds * r_high)
        work = t.seconds * r_med
        bound = t.bound if work >= value - work else "overhead"
        energy = kernel_energy(self.spec, value, kernel.flops, kernel.bytes, t.unit.precision, t.memory.level)
        return KernelEstimate(
            name=kernel.name, kind=kernel.kind, category=kernel.category.value, nodes=kernel.nodes,
            flops=kernel.flops, bytes=kernel.bytes, time_s=value, low_s=low, high_s=high, bound=bound,
            confidence=level, unit=unit, energy_j=energy, **ph,
        )

    def power_coefficients(self) -> Any:
        """The device's power model (:mod:`graphs_mappers_gpu.power`): fitted on its own measured power,
        else the family's fractions of TDP; capped at the TDP or ``GRAPHS_GPU_POWER_LIMIT``."""
        from graphs_mappers_gpu.power import coefficients_for
        memo = self.derived()       # a pure function of the spec and options (and the shipped table)
        if "power" not in memo:
            memo["power"] = coefficients_for(self.spec, self.options.power_limit_w)
        return memo["power"]

    # --- calibration (the family protocol core's validation uses) ------------------------------
    FIT_OPTIONS = GPUOptions(tf32_matmul=False, tf32_conv=False)   # the measurements ran without TF32

    @classmethod
    def fit_calibration(cls, spec: HardwareSpec, samples: Sequence[Any], source: str) -> Calibration:
        """A :class:`graphs.calibration.Calibration` of ``spec`` from its measured kernels (see calibrate.py)."""
        return _cal.fit_calibration(cls(spec, options=cls.FIT_OPTIONS), samples, source=source)

    @classmethod
    def transfer_calibration(cls, spec: HardwareSpec, sources: Sequence[tuple[Calibration, HardwareSpec]],
                             source: str = "", own: Calibration | None = None) -> Calibration:
        """A calibration of ``spec`` transferred from other devices' (calibration, spec) pairs (INTERPOLATED);
        ``own``: the device's own calibration, whose matrix keys set the matrix-efficiency factor."""
        pairs = [(c, cls(s, options=cls.FIT_OPTIONS).device.power_class, s.vendor) for c, s in sources]
        return _cal.transfer_calibration(cls(spec, options=cls.FIT_OPTIONS), pairs, source=source, own=own,
                                         vendor=spec.vendor)

