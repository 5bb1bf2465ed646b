"""Family engines (mappers): how a kind of hardware executes a kernel.

:class:`Mapper` implements the roofline that every family starts from — precision-aware
peaks, main-memory bandwidth, per-kernel launch/dispatch overhead — and leaves to the
family what differs: which unit runs a kernel at which precision (:meth:`Mapper.compute_rate`),
what bandwidth it sees (:meth:`Mapper.memory_rate`), its overheads, and the *efficiency
prior* — the distribution of measured/roofline time ratios for each category of kernel,
derived from measurements (never a constant picked by hand), which gives both the
estimate and its interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Mapping, Sequence

from pydantic import BaseModel, ValidationError

from graphs.errors import SpecError
from graphs.hardware.schema import DTYPE_PRECISION, HardwareSpec, first_error
from graphs.partition import Kernel
from graphs.results import ConfidenceLevel, KernelEstimate


@dataclass(frozen=True)
class EfficiencyPrior:
    """Measured/roofline time ratio for one category of kernel.

    ``median`` scales the roofline time into the estimate; ``low`` and ``high`` (5th and
    95th percentiles of the same ratio) give the interval. ``source`` names the data and the
    script that derived them; ``n`` how many measurements.
    """

    median: float
    low: float
    high: float
    source: str
    n: int = 0

    def __post_init__(self) -> None:
        if not (0 < self.low <= self.median <= self.high):
            raise ValueError(f"efficiency prior must satisfy 0 < low <= median <= high, got {self}")


@dataclass(frozen=True)
class Rate:
    """A throughput (FLOP/s or B/s) and the unit or level that provides it."""

    value: float
    unit: str


class Mapper:
    """Base family engine: a roofline with family-supplied rates, overheads and priors."""

    family: ClassVar[str] = ""
    params_model: ClassVar[type[BaseModel] | None] = None
    default_fusion: ClassVar[str] = "default"
    estimator_name: ClassVar[str] = "roofline"

    def __init__(self, spec: HardwareSpec, calibration: Any = None) -> None:
        self.spec = spec
        self.calibration = calibration
        self.params: Any = None
        if self.params_model is not None:
            try:
                self.params = self.params_model.model_validate(spec.family_params)
            except ValidationError as e:
                raise SpecError(f"{spec.id}: family_params.{first_error(e)}") from None

    # --- what families override ------------------------------------------------------------
    def precision_of(self, kernel: Kernel) -> str:
        return DTYPE_PRECISION.get(kernel.dtype, "fp32")

    def compute_rate(self, kernel: Kernel, precision: str) -> Rate:
        """Peak FLOP/s that ``kernel`` can use at ``precision``; families refine it."""
        best = Rate(0.0, "")
        for name, unit in self.spec.compute.items():
            p = unit.peaks.get(precision)
            if p and p.si > best.value:
                best = Rate(p.si, name)
        if best.value == 0.0 and precision != "fp32":
            return self.compute_rate(kernel, "fp32")
        return best

    def memory_rate(self, kernel: Kernel) -> Rate:
        mm = self.spec.main_memory
        return Rate(self.spec.memory_bandwidth, mm.name)

    def kernel_overhead(self, kernel: Kernel) -> float:
        """Fixed time per kernel (launch or dispatch), seconds."""
        return self.spec.overhead("kernel_launch")

    def model_overhead(self, kernels: Sequence[Kernel]) -> float:
        """Fixed time per model run (framework), seconds: calibrated if available, else the spec's."""
        mo = getattr(self.calibration, "model_overhead", None)
        return mo.value_s if mo is not None else self.spec.overhead("model_dispatch")

    def model_overhead_fraction(self) -> float:
        """Overhead per model run proportional to its kernels' time (calibrated; 0 without a calibration)."""
        return float(getattr(self.calibration, "model_overhead_fraction", None) or 0.0)

    def model_interval(self, value_s: float) -> tuple[float, float] | None:
        """A model estimate's interval from the calibration's model-level residuals, if it has them
        (else the kernel intervals add up)."""
        res = getattr(self.calibration, "model_residuals", None)
        if res is None:
            return None
        return value_s * min(res.q05, 1.0), value_s * max(res.q95, 1.0)

    def prior(self, kernel: Kernel) -> EfficiencyPrior:
        raise NotImplementedError(f"family {self.family!r} supplies no efficiency prior")

    def confidence(self, kernel: Kernel) -> ConfidenceLevel:
        return ConfidenceLevel.THEORETICAL

    # --- the roofline ------------------------------------------------------------------------
    def roofline(self, kernel: Kernel, precision: str) -> tuple[float, str, str]:
        """(seconds, bound, unit) at the peaks, before efficiency and overhead."""
        comp = self.compute_rate(kernel, precision)
        mem = self.memory_rate(kernel)
        t_c = kernel.flops / comp.value if comp.value and kernel.flops else 0.0
        t_m = kernel.bytes / mem.value if mem.value else 0.0
        if t_c >= t_m:
            return t_c, "compute", comp.unit
        return t_m, "memory", mem.unit

    def calibration_keys(self, kernel: Kernel) -> tuple[str, ...]:
        """Curve keys of a kernel in a calibration file, most specific first (the first curve
        that covers the kernel is used; :mod:`graphs.calibrate` fits the same keys)."""
        return (kernel.kind, kernel.category.value)

    def for_measurements(self, conditions: Mapping[str, Any]) -> "Mapper":
        """This engine set up like the runs that produced measurements (e.g. their CPU thread
        count, from ``conditions``), for fitting and scoring; families override."""
        return self

    def calibrated_ratio(self, kernel: Kernel, t_roof: float) -> tuple[float, float, float, ConfidenceLevel] | None:
        """(median, low, high, confidence) of measured/roofline from this device's calibration, if it covers the kernel."""
        cal = self.calibration
        curves = getattr(cal, "curves", None) if cal is not None else None
        if not curves or t_roof <= 0:
            return None
        for key in self.calibration_keys(kernel):
            curve = curves.get(key)
            level = curve.confidence(t_roof) if curve is not None else None
            if level is not None:
                break
        else:
            return None
        if getattr(cal, "transferred_from", None) or getattr(curve, "transferred_from", None):
            level = min(level, ConfidenceLevel.INTERPOLATED)
        r = curve.ratio(t_roof)
        res = curve.residuals
        return r * res.q50, r * res.q05, r * res.q95, level

    def kernel_overhead_calibrated(self, kernel: Kernel) -> float:
        ko = getattr(self.calibration, "kernel_overhead", None)
        return ko.value_s if ko is not None else self.kernel_overhead(kernel)

    def estimate_kernel(self, kernel: Kernel) -> KernelEstimate:
        """Roofline × measured efficiency (calibration if it covers the kernel, else the family prior) + overhead."""
        precision = self.precision_of(kernel)
        t_roof, bound, unit = self.roofline(kernel, precision)
        cal = self.calibrated_ratio(kernel, t_roof)
        if cal is not None:
            med, lo, hi, level = cal
            over = self.kernel_overhead_calibrated(kernel)
        else:
            prior = self.prior(kernel)
            med, lo, hi, level = prior.median, prior.low, prior.high, self.confidence(kernel)
            over = self.kernel_overhead(kernel)
        value = t_roof * med + over
        low = t_roof * lo + over
        high = t_roof * hi + over
        if over > t_roof * med:
            bound = "overhead"
        return KernelEstimate(
            name=kernel.name, kind=kernel.kind, category=kernel.category.value, nodes=kernel.nodes,
            flops=kernel.flops, bytes=kernel.bytes, time_s=value, low_s=low, high_s=high, bound=bound,
            confidence=level, unit=unit,
        )

    # --- for `graphs hardware list/show` -------------------------------------------------------
    def summary(self) -> Mapping[str, Any]:
        s = self.spec
        return {
            "fp32": s.peak("fp32"), "fp16": s.peak("fp16") or s.peak("bf16"), "int8": s.peak("int8"),
            "memory_bytes": s.memory_bytes, "bandwidth": s.memory_bandwidth,
            "tdp_w": s.power.tdp.si if s.power else None,
            "calibration": ConfidenceLevel.CALIBRATED.name if self.calibration else ConfidenceLevel.THEORETICAL.name,
        }
