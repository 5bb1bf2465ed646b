"""Power of a device while it works: static power plus power proportional to what each unit does,
capped by the board's power limit with the clock reduced when the cap binds.

    P = P_static + P_matrix·a_matrix + P_vector·a_vector + P_memory·a_memory + P_link·a_link
    a_x = (seconds unit x would be busy at its full rate) / (wall seconds)       (0 <= a_x <= 1)

* ``P_static`` — the device powered, clocked up and holding a context, no unit busy ("active idle";
  far above the bare idle of a GPU nobody uses, which no source in reach gives);
* ``P_matrix`` / ``P_vector`` — added at 100 % activity of the matrix units (tensor cores, AMX …) and
  of the vector/scalar units (CUDA cores …), at the maximum clock;
* ``P_memory`` — added while main memory streams at its full bandwidth;
* ``P_link`` — added while device-to-device links carry collectives (optional).

Activities come from the family engine's own roofline (:func:`kernel_activity`): a kernel's FLOPs
over the peak of the unit that runs it and its main-memory bytes over the bandwidth. Energy over a
run is ``P·t``, i.e. ``P_static·t + Σ_x P_x·busy_x``: the coefficients are energies per unit-second.

**Power cap.** When ``P`` exceeds the limit (the spec's TDP, or a configured power limit), the
device lowers its clock to a factor ``s < 1``: compute-bound time stretches by ``1/s`` and the
energy of each operation falls as ``s²`` (dynamic power ``∝ f·V²`` with ``V ∝ f``, the first-order
DVFS model); main-memory traffic keeps its clock. ``s`` solves ``P(s) = limit`` (bisection), so an
estimate never exceeds the limit and the time it costs is reported.

Coefficients carry a source and an interval (:class:`graphs.energy.Coefficient`); a family engine
provides them through ``Mapper.power_coefficients()`` (fitted on named measurements, see
docs/energy.md). This module is arithmetic only.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Sequence

from graphs.energy import Coefficient

DVFS_ENERGY_EXPONENT = 2.0    # energy per operation ∝ V² ∝ s² at clock factor s (V ∝ f)
UNITS = ("matrix", "vector", "memory", "link")


@dataclass(frozen=True)
class Activity:
    """Seconds each unit would be busy at its full rate (``link``: seconds in collectives)."""

    matrix_s: float = 0.0
    vector_s: float = 0.0
    memory_s: float = 0.0
    link_s: float = 0.0

    def __add__(self, o: "Activity") -> "Activity":
        return Activity(self.matrix_s + o.matrix_s, self.vector_s + o.vector_s, self.memory_s + o.memory_s,
                        self.link_s + o.link_s)

    def scaled(self, k: float) -> "Activity":
        return Activity(self.matrix_s * k, self.vector_s * k, self.memory_s * k, self.link_s * k)

    def fractions(self, wall_s: float) -> dict[str, float]:
        """Activity of each unit over ``wall_s`` seconds (capped at 1: a unit cannot be busier than always)."""
        if wall_s <= 0:
            return {u: 0.0 for u in UNITS}
        return {u: min(1.0, getattr(self, f"{u}_s") / wall_s) for u in UNITS}


@dataclass(frozen=True)
class PowerCoefficients:
    """A device's power model: watts at full activity of each unit on top of static power."""

    static: Coefficient
    matrix: Coefficient
    vector: Coefficient
    memory: Coefficient
    limit_w: float
    link: Coefficient | None = None
    confidence: str = "THEORETICAL"     # CALIBRATED: fitted on this device; INTERPOLATED: transferred
    source: str = ""

    def _get(self, unit: str, end: str) -> float:
        c = getattr(self, unit)
        return 0.0 if c is None else float(getattr(c, end))

    @functools.cached_property
    def _dynamic(self) -> dict[str, tuple[float, float, float, float]]:
        """end -> (matrix, vector, memory, link) watts, read once (the coefficients are frozen)."""
        return {end: tuple(self._get(u, end) for u in ("matrix", "vector", "memory", "link"))  # type: ignore[misc]
                for end in ("value", "low", "high")}

    def dynamic_energy(self, act: Activity, end: str = "value") -> tuple[float, float]:
        """(compute energy, other energy) in joules for ``act`` at full clock (``end``: value/low/high)."""
        w = self._dynamic.get(end)
        m, v, me, ln = w if w is not None else (self._get(u, end) for u in ("matrix", "vector", "memory", "link"))
        comp = m * act.matrix_s + v * act.vector_s
        other = me * act.memory_s + ln * act.link_s
        return comp, other

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {u: getattr(self, u).to_dict("W", 1.0) for u in ("static", "matrix", "vector", "memory")}
        if self.link is not None:
            out["link"] = self.link.to_dict("W", 1.0)
        out.update(limit_w=self.limit_w, confidence=self.confidence, source=self.source)
        return out


@dataclass(frozen=True)
class PowerEstimate:
    """Average power and energy of a run, after the power cap (``time_s`` includes any slowdown)."""

    power_w: float
    low_w: float
    high_w: float
    energy_j: float
    energy_low_j: float
    energy_high_j: float
    time_s: float
    clock_factor: float = 1.0
    capped: bool = False
    confidence: str = "THEORETICAL"
    activity: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"avg_power_w": self.power_w, "avg_power_interval_w": [self.low_w, self.high_w],
                "energy_j": self.energy_j, "energy_interval_j": [self.energy_low_j, self.energy_high_j],
                "time_s": self.time_s, "clock_factor": self.clock_factor, "power_capped": self.capped,
                "confidence": self.confidence, "activity": dict(self.activity), "notes": list(self.notes)}


def _at_end(c: PowerCoefficients, act: Activity, time_s: float, compute_bound_s: float, end: str
            ) -> tuple[float, float, float]:
    """(power W, time s, clock factor) for one end of the coefficients' intervals, after the cap."""
    static = c._get("static", end)
    comp, other = c.dynamic_energy(act, end)
    p0 = static + (comp + other) / time_s
    if p0 <= c.limit_w or c.limit_w <= 0:
        return p0, time_s, 1.0
    if static + other / (time_s + compute_bound_s * 1e6) >= c.limit_w:
        # even a stopped clock would not get under the limit: the coefficients exceed the limit; pin to it
        return c.limit_w, time_s, 1.0

    def power(s: float) -> tuple[float, float]:
        t = time_s + compute_bound_s * (1.0 / s - 1.0)
        return static + (comp * s ** DVFS_ENERGY_EXPONENT + other) / t, t

    lo, hi = 1e-3, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if power(mid)[0] > c.limit_w:
            hi = mid
        else:
            lo = mid
    p, t = power(lo)
    return min(p, c.limit_w), t, lo


def average_power(c: PowerCoefficients, act: Activity, time_s: float, compute_bound_s: float = 0.0,
                  confidence: str | None = None) -> PowerEstimate:
    """Average power of work ``act`` done in ``time_s`` seconds (``compute_bound_s`` of which are limited by
    compute and stretch if the clock drops). Never above ``c.limit_w``."""
    if time_s <= 0:
        raise ValueError("time must be > 0")
    compute_bound_s = min(max(compute_bound_s, 0.0), time_s)
    p, t, s = _at_end(c, act, time_s, compute_bound_s, "value")
    p_lo, t_lo, _ = _at_end(c, act, time_s, compute_bound_s, "low")
    p_hi, t_hi, _ = _at_end(c, act, time_s, compute_bound_s, "high")
    notes = []
    if s < 1.0:
        notes.append(f"power limit {c.limit_w:g} W binds: clock reduced to {s:.0%} of maximum, time "
                     f"+{t / time_s - 1:.1%}")
    return PowerEstimate(power_w=p, low_w=min(p_lo, p), high_w=max(p_hi, p), energy_j=p * t,
                         energy_low_j=min(p_lo * t_lo, p * t), energy_high_j=max(p_hi * t_hi, p * t), time_s=t,
                         clock_factor=s, capped=s < 1.0, confidence=confidence or c.confidence,
                         activity=act.fractions(time_s), notes=tuple(notes))


def kernel_activity(mapper: Any, kernel: Any, streamed: bool = False) -> Activity:
    """What ``kernel`` asks of each unit on ``mapper``'s device, from the family's roofline rates:
    FLOPs / peak of the unit that runs it (matrix kernels on a matrix unit count as ``matrix``),
    bytes / bandwidth when they come from main memory (``streamed`` or the engine says so)."""
    spec = mapper.spec
    prec = mapper.precision_of(kernel)
    rate = mapper.compute_rate(kernel, prec)
    comp = kernel.flops / rate.value if rate.value and kernel.flops else 0.0
    matrix = bool(kernel.matrix_flops) and kernel.category.is_matrix and not _vector_unit(str(rate.unit))
    mem = 0.0
    if kernel.bytes:
        level = str(mapper.memory_rate(kernel).unit)
        main, names = _memory_levels(mapper)
        if streamed or level in (main, "hbm", "dram") or level not in names:
            mem = kernel.bytes / spec.memory_bandwidth
    return Activity(matrix_s=comp if matrix else 0.0, vector_s=0.0 if matrix else comp, memory_s=mem)


def _memory_levels(mapper: Any) -> tuple[str, frozenset[str]]:
    """(main memory's name, every level's name) of the engine's spec, kept in the engine's
    ``derived()`` memo when it has one (a core Mapper: dropped when its spec is replaced)."""
    derived = getattr(mapper, "derived", None)
    memo = derived() if callable(derived) else {}
    got = memo.get("power.memory_levels")
    if got is None:
        spec = mapper.spec
        got = memo["power.memory_levels"] = (spec.main_memory.name, frozenset(m.name for m in spec.memory))
    return got


_VECTOR_NAMES = ("cuda_core", "simd", "vector", "avx", "neon", "sve", "scalar", "vpu", "shader", "stream_processor")


@functools.lru_cache(maxsize=1024)
def _vector_unit(name: str) -> bool:
    n = name.lower()
    return any(v in n for v in _VECTOR_NAMES)


def activity_of(mapper: Any, kernels: Sequence[Any], streamed: Sequence[bool] | None = None) -> Activity:
    """Sum of :func:`kernel_activity` over ``kernels``."""
    total = Activity()
    for i, k in enumerate(kernels):
        total = total + kernel_activity(mapper, k, bool(streamed[i]) if streamed is not None else False)
    return total
