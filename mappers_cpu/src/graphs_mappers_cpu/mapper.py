"""CPUMapper: how a CPU executes eager PyTorch kernels.

time(kernel) = roofline(kernel) × prior + dispatch overhead

* **compute** — matrix kernels (GEMM, conv, attention) use the best unit with a peak at the
  kernel's precision (AMX for bf16/int8 when present, else SIMD); vector kernels (elementwise,
  norms, softmax, reductions ...) use the SIMD unit at fp32 (fp64 for fp64) because PyTorch's
  CPU kernels compute reduced precisions in fp32 registers. Peaks scale with
  ``min(threads, cores) / cores`` (SMT threads share their core's FMA units).
* **memory** — the kernel's working set ``W = bytes read + written`` is looked up on the
  measured copy-bandwidth curve (log-log interpolation over footprints, clamped at both
  ends: the last point is main memory). Assumption: in eager execution a kernel's operands
  were just produced or are small enough to stay resident, so a working set that fits a
  cache level streams at the bandwidth measured for that footprint. Thread count
  interpolates linearly between the curve's 1-thread and all-thread measurements.
  Without a curve (a YAML device spec), the smallest memory level whose size holds ``W``
  (per-core sizes × threads) gives the bandwidth, else main memory.
* **calibration** — when a calibration fitted on this CPU model at this thread count applies
  (``graphs calibrate``, or shipped in ``data/calibration``; :mod:`graphs_mappers_cpu.calib`),
  its curve for ``<kind>.<precision>`` (else ``<category>.<precision>``; grouped and
  depthwise convolutions have their own) gives the ratio and its residual interval, and its
  dispatch overhead replaces ``kernel_launch``: CALIBRATED inside the fitted range;
* **prior** — otherwise measured/roofline ratios per kernel class from the priors file chosen
  for this CPU (:mod:`graphs_mappers_cpu.priors`); intervals are its 5th/95th percentiles; at
  most INTERPOLATED (a prior is one ratio per class, not a validated calibration).
* **overheads** — ``kernel_launch`` (eager dispatch through an ``nn.Module`` call, measured)
  per kernel, plus, for an output of at least ``alloc_fresh_threshold`` bytes (32 MiB: glibc
  maps such allocations fresh on every call), its page-fault time at the measured
  ``first_touch_per_mib``; ``model_dispatch`` (``no_grad`` + outer module call, measured) per
  model.
* **composition** (a calibration's model overhead) — a model run is slower than the sum of its
  kernels timed alone: ``T = (1 + f)·Σ kernels + c + a·N + b·W`` with ``N`` the model's kernels
  and ``W`` the bytes of weights its GEMM/conv kernels read. The readings: per kernel, the Python
  module/functional code around each ATen call, which a kernel replayed alone does not run; per
  weight byte, weights that a kernel repeated alone finds in cache but a forward pass streams from
  memory (on the development CPU ``b`` fits ≈ 1 / (22 GB/s), near its one-thread copy bandwidth);
  ``f``, what remains in proportion (cache state of activations). ``a`` and ``b`` are the
  calibration's ``model_overhead_terms`` (:meth:`model_overhead_features`), fitted by
  ``graphs calibrate`` only when leave-one-model-out error says they help.

Default fusion policy is ``none``: eager PyTorch runs op by op.
"""

from __future__ import annotations

import math
from typing import ClassVar

from graphs.errors import GraphsError, SpecError
from graphs.hardware.schema import HardwareSpec
from graphs.mapper import EfficiencyPrior, Mapper, Rate
from graphs.partition import Kernel
from graphs.results import ConfidenceLevel

from graphs_mappers_cpu import calib as _calib
from graphs_mappers_cpu import priors as _priors
from graphs_mappers_cpu.host import env_positive_int
from graphs_mappers_cpu.spec import CPUParams


class CPUMapper(Mapper):
    family: ClassVar[str] = "cpu"
    params_model = CPUParams
    default_fusion: ClassVar[str] = "none"
    estimator_name: ClassVar[str] = "cpu-roofline×measured-prior"

    #: the thread count shapes rates and bandwidths: part of the state :meth:`Mapper.derived` memos hang on
    STATE_ATTRS = Mapper.STATE_ATTRS | {"threads", "cores"}

    def __init__(self, spec: HardwareSpec, calibration=None, threads: int | None = None,
                 priors: _priors.PriorSet | None = None) -> None:
        super().__init__(spec, calibration)
        p: CPUParams = self.params
        self.cores = int(p.cores.value)
        if self.cores < 1:
            raise SpecError(f"{spec.id}: family_params.cores must be at least 1")
        if threads is None:
            threads = env_positive_int("GRAPHS_CPU_THREADS")
        if threads is None:
            threads = int(p.threads.value) if p.threads else self.cores
        if threads < 1:
            raise GraphsError(f"threads must be at least 1, got {threads}")
        self.threads = threads
        self._notes: list[str] = [f"{threads} thread(s) on {self.cores} core(s); fusion default 'none' (eager)"]
        self._given_calibration = calibration
        self.calibration = self._applicable(calibration)
        self.priors = priors if priors is not None else _priors.select(
            p.cpu_model, p.signature, p.microarch, p.isa, int(p.simd_bits.value), spec.vendor, p.priors,
            threads=threads)
        if self.priors is not None:
            self._notes.append(f"efficiency priors: {self.priors.reason} ({self.priors.path.name})")
            pt = self.priors.threads
            if pt and pt != threads:
                self._notes.append(f"priors were measured with {pt} thread(s), estimate assumes {threads}")

    def _applicable(self, cal):
        """``cal`` if it was fitted on this CPU model at this thread count, else the shipped one that was."""
        p: CPUParams = self.params
        why = _calib.mismatch(cal, p.cpu_model, self.threads) if cal is not None else None
        if why is None:
            if cal is not None:
                self._notes.append(f"calibration: {getattr(cal, 'source', '')}")
            return cal
        other = _calib.shipped_calibration(p.cpu_model, p.signature, self.threads)
        self._notes.append(f"{why}: " + (f"used the shipped {_calib.shipped_path(p.cpu_model, p.signature, self.threads).name}"
                                          if other is not None else "not used (priors only)"))
        return other

    def for_measurements(self, conditions) -> "CPUMapper":
        """The same CPU at the thread count the measurements were taken with."""
        t = conditions.get("threads") if conditions else None
        if not t or int(t) == self.threads:
            return self
        return CPUMapper(self.spec, self._given_calibration, threads=int(t))

    def calibration_keys(self, kernel: Kernel) -> tuple[str, ...]:
        return _calib.curve_keys(kernel, self.precision_of(kernel))

    def kernel_overhead_calibrated(self, kernel: Kernel) -> float:
        return self.kernel_overhead(kernel)

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(self._notes)

    def _note(self, text: str) -> None:
        if text not in self._notes:
            self._notes.append(text)

    # --- rates --------------------------------------------------------------------------------
    def compute_rate(self, kernel: Kernel, precision: str) -> Rate:
        # depends on the kernel only through whether it is a matrix kernel: kept per engine state
        memo = self.derived()
        key = ("rate", kernel.category.is_matrix, precision)
        r = memo.get(key)
        if r is None:
            r = memo[key] = self._compute_rate(kernel, precision)
        return r

    def _compute_rate(self, kernel: Kernel, precision: str) -> Rate:
        if not self.spec.compute:
            raise GraphsError(f"hardware {self.spec.id!r}: CPU clock unknown, so no peak FLOP/s "
                              "(set GRAPHS_CPU_FREQ_GHZ to the sustained all-core clock)")
        scale = min(self.threads, self.cores) / self.cores
        if kernel.category.is_matrix:
            r = super().compute_rate(kernel, precision)
        else:
            unit = "simd" if "simd" in self.spec.compute else next(iter(self.spec.compute))
            prec = "fp64" if precision == "fp64" else "fp32"
            peak = self.spec.compute[unit].peaks.get(prec) or self.spec.compute[unit].peaks.get("fp32")
            r = Rate(peak.si if peak else 0.0, unit)
        if not r.value:
            raise GraphsError(f"hardware {self.spec.id!r}: no peak for {precision} or fp32")
        return Rate(r.value * scale, r.unit)

    def memory_rate(self, kernel: Kernel) -> Rate:
        return self.bandwidth_at(kernel.bytes)

    def physics(self, kernel: Kernel, precision: str) -> dict:
        """What bounds a kernel physically on a CPU: the whole chip's peak (a few threads may run above the
        sustained all-core clock the per-thread rate assumes, never above the chip) and main memory's
        bandwidth (the curve for a cache-resident working set is a measured typical rate, not a ceiling)."""
        ph = super().physics(kernel, precision)
        scale = min(self.threads, self.cores) / self.cores
        if ph["peak_flops"]:
            ph["peak_flops"] = ph["peak_flops"] / scale
        main = self.spec.main_memory.name
        # the curve at this thread count is a typical rate; the spec's bandwidth (all cores) is the ceiling
        ph["level_bandwidth"] = self.spec.memory_bandwidth if ph["level"] == main else None
        return ph

    def bandwidth_at(self, working_set: float) -> Rate:
        """Effective bandwidth (B/s) for a working set of ``working_set`` bytes."""
        curve = self.params.bandwidth_curve
        level = self._level_for(working_set)
        if curve is None:
            return level
        memo = self.derived()          # the curve's points at this thread count (per engine state, threads included)
        pts = memo.get("bandwidth_curve")
        if pts is None:
            t_all = curve.threads_all
            frac = 0.0 if t_all <= 1 else (min(self.threads, t_all) - 1) / (t_all - 1)
            xs = [math.log(pt.footprint_bytes) for pt in curve.points]
            ys = [math.log(pt.bytes_per_s_1 + frac * (pt.bytes_per_s_all - pt.bytes_per_s_1)) for pt in curve.points]
            pts = memo["bandwidth_curve"] = (xs, ys)
        xs, ys = pts
        x = math.log(max(working_set, 1.0))
        if x <= xs[0]:
            y = ys[0]
        elif x >= xs[-1]:
            y = ys[-1]
        else:
            i = next(i for i in range(1, len(xs)) if x <= xs[i])
            w = (x - xs[i - 1]) / (xs[i] - xs[i - 1])
            y = ys[i - 1] + w * (ys[i] - ys[i - 1])
        return Rate(math.exp(y), level.unit)

    def _level_for(self, working_set: float) -> Rate:
        levels = self.__dict__.get("_levels")
        if levels is None:       # (capacity for these threads, rate) of each cache level with a bandwidth
            levels = []
            for lvl in self.spec.memory:
                if lvl.size is None or lvl is self.spec.main_memory or lvl.bandwidth is None:
                    continue
                size = lvl.size.si * (min(self.threads, self.cores) if lvl.scope in ("per_core", "per_cluster") else 1)
                levels.append((size, Rate(lvl.bandwidth.si, lvl.name)))
            levels.append((math.inf, Rate(self.spec.memory_bandwidth, self.spec.main_memory.name)))
            self._levels = levels
        for size, rate in levels:
            if working_set <= size:
                return rate
        return levels[-1][1]

    # --- overheads ---------------------------------------------------------------------------------
    def alloc_time(self, kernel: Kernel) -> float:
        """Page-fault time for an output that the allocator maps fresh (measured cost per byte)."""
        thr = self.params.alloc_fresh_threshold
        per_all = self.spec.overheads.get("first_touch_per_mib")
        if thr is None or per_all is None or kernel.bytes_written < thr.si:
            return 0.0
        per_1 = self.spec.overheads.get("first_touch_per_mib_1", per_all)
        curve = self.params.bandwidth_curve
        t_all = curve.threads_all if curve else self.cores
        frac = 0.0 if t_all <= 1 else (min(self.threads, t_all) - 1) / (t_all - 1)
        return kernel.bytes_written / 2**20 * (per_1.si + frac * (per_all.si - per_1.si))

    def kernel_overhead(self, kernel: Kernel) -> float:
        """Dispatch (the calibration's, measured on tiny ops, else the spec's ``kernel_launch``) plus
        page faults of a freshly mapped output; for every kernel, calibrated curve or prior."""
        ko = getattr(self.calibration, "kernel_overhead", None)
        base = ko.value_s if ko is not None else self.spec.overhead("kernel_launch")
        return base + self.alloc_time(kernel)

    # --- composition -------------------------------------------------------------------------------
    @staticmethod
    def model_overhead_features(kernels) -> dict[str, float]:
        """Per-model features whose cost :mod:`graphs_calibrate.fit` may fit (``model_overhead_terms``):
        ``per_kernel`` — the number of kernels; ``per_weight_byte`` — bytes of weights read by the
        GEMM/conv kernels (``linear`` and convolutions: batch × N × K of their GEMM at its dtype)."""
        from graphs.ir import DTYPE_BITS

        w = 0.0
        for k in kernels:
            if k.gemm is not None and (k.kind == "linear" or k.category.value == "conv"):
                w += k.gemm.batch * k.gemm.n * k.gemm.k * DTYPE_BITS.get(k.dtype, 32) / 8
        return {"per_kernel": float(len(kernels)), "per_weight_byte": w}

    def model_overhead(self, kernels) -> float:
        """The calibrated constant (else the spec's ``model_dispatch``) plus the calibration's
        ``model_overhead_terms`` times this model's :meth:`model_overhead_features`."""
        base = super().model_overhead(kernels)
        terms = getattr(self.calibration, "model_overhead_terms", None)
        if not terms:
            return base
        feats = self.model_overhead_features(kernels)
        unknown = sorted(set(terms) - set(feats))
        if unknown:
            self._note(f"calibration has model-overhead terms this engine does not compute: {', '.join(unknown)}")
        return base + sum(v * feats[n] for n, v in terms.items() if n in feats)

    # --- priors & confidence ----------------------------------------------------------------------
    def _lookup(self, kernel: Kernel) -> tuple[EfficiencyPrior, ConfidenceLevel]:
        last = getattr(self, "_last_lookup", None)
        if last is not None and last[0] is kernel:     # prior() then confidence() of the same kernel
            return last[1]
        out = self._lookup_new(kernel)
        self._last_lookup = (kernel, out)
        return out

    def _lookup_new(self, kernel: Kernel) -> tuple[EfficiencyPrior, ConfidenceLevel]:
        if self.priors is None:
            raise SpecError(f"hardware {self.spec.id!r}: no CPU efficiency priors installed "
                            "(run benchmarks/derive_cpu_priors.py)")
        t_roof, _, _ = self.roofline(kernel, self.precision_of(kernel))
        key = _priors.kernel_key(kernel)
        prior, used, note = self.priors.prior(key, t_roof)
        if note:
            self._note(note)
        prec = self.precision_of(kernel)
        if prec != "fp32":
            self._note(f"priors are measured at fp32; applied to {prec} kernels")
        return prior, self.priors.confidence(used, kernel, key)

    def prior(self, kernel: Kernel) -> EfficiencyPrior:
        return self._lookup(kernel)[0]

    def confidence(self, kernel: Kernel) -> ConfidenceLevel:
        """A prior is not a calibration: at most INTERPOLATED (CALIBRATED needs a calibration curve)."""
        return min(self._lookup(kernel)[1], ConfidenceLevel.INTERPOLATED)
