"""The family-engine contract: how a kind of hardware executes kernels.

:class:`Mapper` is an abstract base class; a family engine (``gpu``, ``cpu``, ``accel``, ``edge``,
or a third party's) subclasses it and registers the class with ``graphs_register_mappers``.
Registration checks the class (:func:`check_mapper_class`): it must be a subclass, name its
``family``, and implement every abstract member — a plugin that lacks one is listed as failed,
naming the member, instead of failing later inside ``analyze``.

What core calls, and what a family must or may provide:

==================================  ========  ============================================================
member                              required  used by
==================================  ========  ============================================================
``family`` (class attribute)        yes       registration; specs name it
``prior(kernel)``                   yes       every estimate without a covering calibration curve
``compute_rate / memory_rate``      default   the roofline (peaks of the spec, best unit per precision)
``precision_of(kernel)``            default   which peak applies (the kernel's dtype)
``kernel_overhead(kernel)``         default   fixed time per kernel (the spec's ``kernel_launch``)
``model_overhead(kernels)``         default   fixed time per model run (calibrated, else the spec's)
``estimate_kernel(k, runtime, ..)`` default   roofline x efficiency (calibration, else prior) + overhead
``estimate_kernels(kernels, ..)``   default   a whole model in graph order: per-kernel estimates, the
                                              per-run overhead and the notes of *this* run (an engine with
                                              state across kernels — placement, transfers — keeps it here)
``notes``                           default   provenance notes of the engine
``model_overhead_features(ks)``     default   per-model features ``graphs calibrate`` may fit (none)
``fit_calibration`` (classmethod)   optional  ``graphs calibrate`` / dataset validation; default refuses
``transfer_calibration`` (cls)      optional  calibration of a device from its siblings'; default refuses
``for_measurements(conditions)``    default   the engine set up like the runs behind measurements
==================================  ========  ============================================================

**Runtimes.** ``estimate_kernel(kernel, runtime=...)`` takes one of :data:`RUNTIMES`, with the same
meaning in every family (:data:`RUNTIME_LABELS`; a family lists the ones it models in ``runtimes``
and names its ``default_runtime``; every result states the runtime it models):

* ``eager`` — one kernel per op issued by a framework on the host: device time plus the per-kernel
  launch/dispatch cost (eager PyTorch: what the GPU and CPU measurements and priors describe);
* ``graph`` — a compiled or captured graph (CUDA graphs, XLA, a vendor NPU compiler): kernels run
  back to back with no host gaps; only the device's own per-kernel cost
  (:meth:`Mapper.graph_kernel_overhead`, 0 by default) is added, never below the roofline;
* ``roofline`` — the floor: ``max(FLOPs/peak, bytes/bandwidth)`` at the spec's peaks, no efficiency,
  no overhead (THEORETICAL).

``streamed=True`` says the kernel's weights or KV cache come from main memory (never from a cache
that an isolated benchmark would have warmed); an engine without a cache model ignores it.

The efficiency *prior* of a family is the distribution of measured/roofline time ratios for each
category of kernel, derived from measurements (never a constant picked by hand); it gives both
the estimate and its interval.
"""

from __future__ import annotations

import abc
import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Mapping, Sequence

from pydantic import BaseModel, ValidationError

from graphs.errors import GraphsError, RegistrationError, SpecError
from graphs.hardware.schema import DTYPE_PRECISION, HardwareSpec, first_error
from graphs.partition import Kernel
from graphs.results import ConfidenceLevel, KernelEstimate

if TYPE_CHECKING:
    from graphs.calibration import Calibration, KernelSample

Runtime = Literal["eager", "graph", "roofline"]
RUNTIMES: tuple[str, ...] = ("eager", "graph", "roofline")
RUNTIME_LABELS = {
    "eager": "eager (framework launches one kernel per op; host overhead per kernel)",
    "graph": "graph (compiled or captured: kernels back to back, no host gaps)",
    "roofline": "roofline (spec peaks; no efficiency, no overhead)",
}


class CalibrationUnsupported(GraphsError):
    """The family engine cannot fit (or transfer) calibrations."""


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


@dataclass(frozen=True)
class KernelPlan:
    """A model's kernels as one engine runs them: estimates in graph order, the per-run overhead
    (seconds, e.g. framework dispatch, a result's trip back from an accelerator), and notes."""

    parts: tuple[KernelEstimate, ...]
    overhead_s: float
    notes: tuple[str, ...] = ()


class Mapper(abc.ABC):
    """Base family engine: a roofline with family-supplied rates, overheads and priors."""

    family: ClassVar[str] = ""
    #: ``estimate_kernel`` depends on a kernel's shape fields only (kind, category, FLOPs, bytes, dtype,
    #: GEMM, attributes), not on its name or nodes: core estimates kernels equal in those once per model
    #: (graphs.estimate.compose). An engine keyed on names sets False.
    shape_only: ClassVar[bool] = True
    params_model: ClassVar[type[BaseModel] | None] = None
    default_fusion: ClassVar[str] = "default"
    estimator_name: ClassVar[str] = "roofline"
    runtimes: ClassVar[tuple[str, ...]] = RUNTIMES          # the runtimes this family models
    default_runtime: ClassVar[str] = "eager"

    def __init__(self, spec: HardwareSpec, calibration: "Calibration | None" = None) -> None:
        self.spec = spec
        self.calibration = calibration
        self.params: Any = None
        if self.params_model is not None:
            try:
                self.params = self.params_model.model_validate(spec.family_params)
            except ValidationError as e:
                raise SpecError(f"{spec.id}: family_params.{first_error(e)}") from None

    # --- derived values, computed once per engine ----------------------------------------------
    #: Attributes an engine's answers derive from. Replacing any of them (tests and scripts do:
    #: ``mapper.priors = ...``) empties the :meth:`derived` memo; the objects themselves are immutable
    #: (frozen dataclasses, frozen pydantic models, tables nobody edits in place).
    STATE_ATTRS: ClassVar[frozenset[str]] = frozenset({"spec", "calibration", "params", "priors", "options", "device"})

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self.STATE_ATTRS:
            self.__dict__.pop("_derived", None)
        object.__setattr__(self, name, value)

    def derived(self) -> dict[Any, Any]:
        """A per-engine dict for values that are pure functions of the engine's state (:data:`STATE_ATTRS`)
        and of what the key names — e.g. the unit a GPU picks for a (category, precision), or a kernel
        estimate keyed by the kernel's shape. Setting any state attribute drops it (``__setattr__``),
        so a memo never outlives the state it was computed from."""
        memo = self.__dict__.get("_derived")
        if memo is None:
            memo = self.__dict__["_derived"] = {}
        return memo

    # --- what every family must provide --------------------------------------------------------
    @abc.abstractmethod
    def prior(self, kernel: Kernel) -> EfficiencyPrior:
        """The measured/roofline ratio distribution for ``kernel``'s category on this family."""

    # --- what families may override ------------------------------------------------------------
    def supported_precisions(self) -> frozenset[str]:
        """Precisions the device has units for (its spec's peaks): asking for another is refused."""
        return frozenset(p for unit in self.spec.compute.values() for p in unit.peaks)

    def graph_kernel_overhead(self, kernel: Kernel) -> float:
        """Fixed device-side time per kernel under the ``graph`` runtime (0: no host gap to pay)."""
        return 0.0

    @property
    def notes(self) -> tuple[str, ...]:
        """Provenance notes of the engine (assumptions a reader of the result should know)."""
        return ()

    def precision_of(self, kernel: Kernel) -> str:
        """The kernel's math precision: ``attrs["math"]`` (e.g. ``tf32`` for fp32 matrix kernels run on
        TF32 units) if set, else its dtype's."""
        return kernel.attrs.get("math") or DTYPE_PRECISION.get(kernel.dtype, "fp32")

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
        return Rate(self.spec.memory_bandwidth, self.spec.main_memory.name)

    def kernel_overhead(self, kernel: Kernel) -> float:
        """Fixed time per kernel (launch or dispatch), seconds."""
        return self.spec.overhead("kernel_launch")

    def model_overhead(self, kernels: Sequence[Kernel]) -> float:
        """Fixed time per model run (framework), seconds: calibrated if available, else the spec's."""
        mo = self.calibration.model_overhead if self.calibration is not None else None
        return mo.value_s if mo is not None else self.spec.overhead("model_dispatch")

    def model_overhead_fraction(self) -> float:
        """Overhead per model run proportional to its kernels' time (calibrated; 0 without a calibration)."""
        return float(self.calibration.model_overhead_fraction or 0.0) if self.calibration is not None else 0.0

    def model_overhead_features(self, kernels: Sequence[Kernel]) -> dict[str, float]:
        """Per-model features (name -> amount, e.g. kernels, weight bytes) whose cost per unit
        ``graphs calibrate`` may fit as ``model_overhead_terms``; none by default."""
        return {}

    def model_interval(self, value_s: float) -> tuple[float, float] | None:
        """A model estimate's interval from the calibration's model-level residuals, if it has them
        (else the kernel intervals add up)."""
        res = self.calibration.model_residuals if self.calibration is not None else None
        if res is None:
            return None
        return value_s * min(res.q05, 1.0), value_s * max(res.q95, 1.0)

    def confidence(self, kernel: Kernel) -> ConfidenceLevel:
        return ConfidenceLevel.THEORETICAL

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
        that covers the kernel is used; ``graphs calibrate`` fits the same keys)."""
        return (kernel.kind, kernel.category.value)

    def for_measurements(self, conditions: Mapping[str, Any]) -> "Mapper":
        """This engine set up like the runs that produced measurements (e.g. their CPU thread
        count, from ``conditions``), for fitting and scoring; families override."""
        return self

    def calibrated_ratio(self, kernel: Kernel, t_roof: float) -> tuple[float, float, float, ConfidenceLevel] | None:
        """(median, low, high, confidence) of measured/roofline from this device's calibration, if it covers the kernel."""
        cal = self.calibration
        if cal is None or not cal.curves or t_roof <= 0:
            return None
        for key in self.calibration_keys(kernel):
            curve = cal.curves.get(key)
            level = curve.confidence(t_roof) if curve is not None else None
            if curve is not None and level is not None:
                break
        else:
            return None
        if cal.transferred_from or curve.transferred_from:
            level = min(level, ConfidenceLevel.INTERPOLATED)
        r = curve.ratio(t_roof)
        res = curve.residuals
        return r * res.q50, r * res.q05, r * res.q95, level

    def _prior_or_none(self, kernel: Kernel) -> EfficiencyPrior | None:
        try:
            return self.prior(kernel)
        except GraphsError:
            return None

    def kernel_overhead_calibrated(self, kernel: Kernel) -> float:
        ko = self.calibration.kernel_overhead if self.calibration is not None else None
        return ko.value_s if ko is not None else self.kernel_overhead(kernel)

    def physics(self, kernel: Kernel, precision: str) -> dict[str, Any]:
        """What bounds the kernel physically: the unit's peak and the streamed level's bandwidth."""
        comp = self.compute_rate(kernel, precision)
        mem = self.memory_rate(kernel)
        return {"peak_flops": comp.value or None, "level": mem.unit, "level_bandwidth": mem.value or None,
                "precision": precision}

    def physical_floor(self, kernel: Kernel, precision: str) -> float:
        """The least time physics allows: max(FLOPs / peak, bytes / bandwidth); estimates never go below."""
        return _floor_of(kernel, self.physics(kernel, precision))

    def roofline_estimate(self, kernel: Kernel) -> KernelEstimate:
        """The ``roofline`` runtime: the physical floor at the spec's peaks (:meth:`physics`), no efficiency,
        no overhead (THEORETICAL)."""
        precision = self.precision_of(kernel)
        ph = self.physics(kernel, precision)
        t_c = kernel.flops / ph["peak_flops"] if ph["peak_flops"] and kernel.flops else 0.0
        t_m = kernel.bytes / ph["level_bandwidth"] if ph["level_bandwidth"] else 0.0
        t, bound = (t_c, "compute") if t_c >= t_m else (t_m, "memory")
        unit = self.compute_rate(kernel, precision).unit
        return KernelEstimate(name=kernel.name, kind=kernel.kind, category=kernel.category.value, nodes=kernel.nodes,
                              flops=kernel.flops, bytes=kernel.bytes, time_s=t, low_s=t, high_s=t, bound=bound,
                              confidence=ConfidenceLevel.THEORETICAL, unit=unit, **ph)

    def estimate_kernel(self, kernel: Kernel, *, runtime: Runtime = "eager", streamed: bool = False) -> KernelEstimate:
        """Roofline x measured efficiency (calibration if it covers the kernel, else the family prior),
        plus the per-kernel overhead under ``eager`` (see the module doc for runtimes)."""
        check_runtime(runtime)
        if runtime == "roofline":
            return self.roofline_estimate(kernel)
        precision = self.precision_of(kernel)
        t_roof, bound, unit = self.roofline(kernel, precision)
        cal = self.calibrated_ratio(kernel, t_roof)
        if cal is not None:
            med, lo, hi, level = cal
            med, lo, hi = guard_calibration(med, lo, hi, self._prior_or_none(kernel))
            over = self.kernel_overhead_calibrated(kernel)
        else:
            prior = self.prior(kernel)
            med, lo, hi, level = prior.median, prior.low, prior.high, self.confidence(kernel)
            over = self.kernel_overhead(kernel)
        ph = self.physics(kernel, precision)
        # the floor from the physics just computed, unless the family defines its own floor
        floor = (_floor_of(kernel, ph) if type(self).physical_floor is Mapper.physical_floor
                 else self.physical_floor(kernel, precision))
        if runtime == "graph":      # back to back: no host gaps, never below the physical floor
            g = self.graph_kernel_overhead(kernel)
            value, low, high = (max(floor, t_roof * r) + g for r in (med, lo, hi))
            return KernelEstimate(name=kernel.name, kind=kernel.kind, category=kernel.category.value,
                                  nodes=kernel.nodes, flops=kernel.flops, bytes=kernel.bytes, time_s=value,
                                  low_s=low, high_s=high, bound=bound, confidence=level, unit=unit, **ph)
        # a calibration never overrides physics: the device time is at least the physical floor
        value = max(t_roof * med, floor) + over
        low = max(t_roof * lo, floor) + over
        high = max(t_roof * hi, floor) + over
        if over > t_roof * med:
            bound = "overhead"
        return KernelEstimate(
            name=kernel.name, kind=kernel.kind, category=kernel.category.value, nodes=kernel.nodes,
            flops=kernel.flops, bytes=kernel.bytes, time_s=value, low_s=low, high_s=high, bound=bound,
            confidence=level, unit=unit, **ph,
        )

    def estimate_kernels(self, kernels: Sequence[Kernel], *, runtime: Runtime = "eager",
                         streamed: frozenset[str] | set[str] = frozenset()) -> KernelPlan:
        """A whole model's kernels in graph order (``streamed``: names of kernels whose weights come
        from main memory). Engines whose kernels depend on each other override this; the default
        estimates each kernel alone and adds :meth:`model_overhead`."""
        parts = tuple(self.estimate_kernel(k, runtime=runtime, streamed=k.name in streamed) for k in kernels)
        over = self.model_overhead(kernels) if runtime != "roofline" else 0.0
        return KernelPlan(parts, over, tuple(self.notes))

    # --- calibration capabilities (classmethods; the default refuses) ---------------------------
    @classmethod
    def fit_calibration(cls, spec: HardwareSpec, samples: Sequence["KernelSample"], source: str) -> "Calibration":
        """A calibration of ``spec`` fitted on measured kernels; families that can fit override this."""
        raise CalibrationUnsupported(f"the {cls.family!r} family engine cannot fit calibrations from kernel samples")

    @classmethod
    def transfer_calibration(cls, spec: HardwareSpec, sources: Sequence[tuple["Calibration", HardwareSpec]],
                             source: str = "", own: "Calibration | None" = None) -> "Calibration":
        """A calibration of ``spec`` transferred from other devices' (calibration, spec) pairs."""
        raise CalibrationUnsupported(f"the {cls.family!r} family engine cannot transfer calibrations")

    @classmethod
    def can_fit(cls) -> bool:
        return cls.fit_calibration.__func__ is not Mapper.fit_calibration.__func__  # type: ignore[attr-defined]

    @classmethod
    def can_transfer(cls) -> bool:
        return cls.transfer_calibration.__func__ is not Mapper.transfer_calibration.__func__  # type: ignore[attr-defined]


def _floor_of(kernel: Kernel, ph: Mapping[str, Any]) -> float:
    """max(FLOPs / peak, bytes / bandwidth) from :meth:`Mapper.physics`' answer."""
    t_c = kernel.flops / ph["peak_flops"] if ph["peak_flops"] and kernel.flops else 0.0
    t_m = kernel.bytes / ph["level_bandwidth"] if ph["level_bandwidth"] else 0.0
    return max(t_c, t_m)


def guard_calibration(med: float, lo: float, hi: float, prior: EfficiencyPrior | None) -> tuple[float, float, float]:
    """A calibration curve's ratio (median, p5, p95) kept honest against the family prior: when the
    curve moves the estimate away from the prior by more than its own residual spread (p95/p5) — a
    thin calibration overriding measured physics — the interval is widened to include the prior's
    median. The median stays the calibration's (it is this device's data)."""
    if prior is None or lo <= 0:
        return med, lo, hi
    spread = max(hi / lo, 1.0)
    move = max(med / prior.median, prior.median / med)
    if move > spread:
        return med, min(lo, prior.median), max(hi, prior.median)
    return med, lo, hi


def check_runtime(runtime: str, mapper: "Mapper | type[Mapper] | None" = None) -> None:
    if runtime not in RUNTIMES:
        raise GraphsError(f"runtime {runtime!r}: expected one of {', '.join(RUNTIMES)}")
    if mapper is not None and runtime not in mapper.runtimes:
        raise GraphsError(f"the {mapper.family} family does not model the {runtime!r} runtime "
                          f"(it models {', '.join(mapper.runtimes)})")


def check_mapper_class(cls: Any, family: str, plugin: str) -> None:
    """Refuse (RegistrationError naming what is wrong) a class that cannot serve as family ``family``."""
    if not (isinstance(cls, type) and issubclass(cls, Mapper)):
        raise RegistrationError(f"plugin {plugin!r}: family {family!r} engine {cls!r} is not a graphs.mapper.Mapper "
                                "subclass")
    missing = sorted(getattr(cls, "__abstractmethods__", ()))
    if missing:
        raise RegistrationError(f"plugin {plugin!r}: family {family!r} engine {cls.__name__} does not implement "
                                f"{', '.join(missing)} (required by graphs.mapper.Mapper)")
    if not family or cls.family != family:
        raise RegistrationError(f"plugin {plugin!r}: engine {cls.__name__} declares family {cls.family!r}, "
                                f"registered as {family!r}")
    params = list(inspect.signature(cls.__init__).parameters)[1:3]
    if params[:2] != ["spec", "calibration"]:
        raise RegistrationError(f"plugin {plugin!r}: {cls.__name__}.__init__ must take (spec, calibration=None)")
