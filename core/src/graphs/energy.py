"""Energy of one forward pass: dynamic energy per FLOP and per byte, plus static (idle) power.

    E_kernel = flops * e_flop[precision] + bytes * e_byte[memory level] + P_idle * t_kernel
    E_model  = sum(E_kernel) + P_idle * t_framework_overhead
    P_avg    = E_model / t_model        (flagged in the notes when above the spec's TDP)

Coefficients, first match wins (each carries a source, shown in the result):

* the spec's ``energy`` block (``per_flop[precision]``, ``per_byte[level]``) and ``power.idle``;
* otherwise the family-independent defaults below, from published measurements:

  - per FLOP, two published bounds: (A) the arithmetic energy of one multiply-add at 45 nm
    (Horowitz, ISSCC 2014), halved per FLOP - the datapath alone, no instruction or operand
    delivery; (B) the device's ceiling (TDP - idle) / dense peak at that precision - all dynamic
    power at full load charged to FLOPs. Value = geometric mean of A and B, interval [min, max].
  - per byte of main memory: Micron's published device energy for GDDR6 / GDDR6X / HBM2E, and
    Horowitz's 45 nm DRAM access energy (1.3-2.6 nJ per 64 bit) for DDR/LPDDR main memory.
  - per byte of an on-chip level (L1/L2/L3/SRAM): Horowitz's 45 nm SRAM read energy for an
    8 KB / 32 KB / 1 MB array (10 / 20 / 100 pJ per 64 bit), picked by the level's size.

* idle power has no default: without a sourced ``power.idle`` the total energy is unknown
  (never 0); the dynamic part is still reported as a lower bound.

Confidence is always THEORETICAL: no energy measurement of any device backs these numbers.
The interval is the spread between the published sources for each coefficient (not a constant)
combined with the latency interval: low = all coefficients at their lowest source and the
kernel times at their low end, high = the opposite. A coefficient with a single source has no
spread of its own. See docs/energy.md.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from graphs.hardware.schema import HardwareSpec, MemoryLevel

PJ = 1e-12

HOROWITZ = ("M. Horowitz, 'Computing's energy problem (and what we can do about it)', ISSCC 2014, "
            "doi:10.1109/ISSCC.2014.6757323, energy table for 45 nm CMOS at 0.9 V")
MICRON = ("Micron, Ultra-Bandwidth Solutions memory comparison, average device power: GDDR6 7.5 pJ/bit, "
          "GDDR6X 7.25 pJ/bit, HBM2E 6.0 pJ/bit, https://www.micron.com/products/ultra-bandwidth-solutions")

# (multiply, add) energy in pJ at 45 nm, Horowitz ISSCC 2014. A FLOP is half a multiply-add.
ARITH_45NM_PJ: dict[str, tuple[float, float]] = {"fp32": (3.7, 0.9), "fp16": (1.1, 0.4), "int8": (0.2, 0.03)}
# precisions without their own entry borrow one; each borrowed value is an upper bound (narrower datapath)
PRECISION_PROXY: dict[str, tuple[str, str]] = {
    "bf16": ("fp16", "bf16 takes the fp16 value (an 8-bit-mantissa multiplier is smaller than fp16's 11-bit)"),
    "fp8": ("fp16", "fp8 takes the fp16 value (no published 45 nm fp8 figure; an upper bound)"),
    "tf32": ("fp32", "tf32 takes the fp32 value (10-bit-mantissa multiply, fp32 accumulate; an upper bound)"),
    "int4": ("int8", "int4 takes the int8 value (an upper bound)"),
}
# SRAM read energy at 45 nm, pJ per 64-bit access, by array size (Horowitz ISSCC 2014)
SRAM_45NM_PJ_PER_64B: tuple[tuple[float, float, str], ...] = (
    (8 * 1024, 10.0, "8 KB"), (32 * 1024, 20.0, "32 KB"), (math.inf, 100.0, "1 MB"))
DRAM_45NM_PJ_PER_64B = (1300.0, 2600.0)   # Horowitz: DRAM access 1.3-2.6 nJ per 64 bit
# main-memory technology (matched on the level name) -> [(pJ per bit, source)]
MAIN_MEMORY_PJ_PER_BIT: tuple[tuple[str, tuple[tuple[float, str], ...]], ...] = (
    ("gddr6x", ((7.25, MICRON),)),
    ("gddr6", ((7.5, MICRON),)),
    ("hbm", ((6.0, MICRON + " (HBM2E figure used for every HBM generation)"),)),
    ("ddr", tuple((pj / 64, f"{HOROWITZ}: DRAM access {pj / 1000:g} nJ per 64 bit = {pj / 64:.3g} pJ/bit "
                             "(45 nm-era DDR; used for DDR4/DDR5/LPDDR)") for pj in DRAM_45NM_PJ_PER_64B)),
    ("dram", tuple((pj / 64, f"{HOROWITZ}: DRAM access {pj / 1000:g} nJ per 64 bit = {pj / 64:.3g} pJ/bit")
                   for pj in DRAM_45NM_PJ_PER_64B)),
)
ON_CHIP = re.compile(r"^(l[0-9]|slc|sram|smem|vmem|cmem|sbuf|psum|infinity|shared|llc)", re.I)


@dataclass(frozen=True)
class Coefficient:
    """A coefficient in SI units (J per FLOP, J per byte, or W) with its spread and sources."""

    value: float
    low: float
    high: float
    source: str

    @classmethod
    def of(cls, candidates: Sequence[tuple[float, str]]) -> "Coefficient":
        """One source: that value. Several: interval [min, max], value = geometric mean of the ends."""
        vals = [v for v, _ in candidates]
        lo, hi = min(vals), max(vals)
        value = math.sqrt(lo * hi) if lo > 0 else (lo + hi) / 2
        src = candidates[0][1] if len(candidates) == 1 else (
            "geometric mean of [" + "; ".join(s for _, s in candidates) + "]")
        return cls(value, lo, hi, src)

    def to_dict(self, unit: str, scale: float) -> dict[str, Any]:
        return {"value": self.value / scale, "low": self.low / scale, "high": self.high / scale, "unit": unit,
                "source": self.source}


class EnergyModel:
    """The coefficients for one spec, resolved lazily (spec values first, then the defaults)."""

    def __init__(self, spec: HardwareSpec, peak: Callable[[str], float] | None = None) -> None:
        self.spec = spec
        self._peak = peak or spec.peak
        self.notes: list[str] = []
        pw = spec.power
        self.tdp_w: float | None = pw.tdp.si if pw is not None else None
        self.idle: Coefficient | None = None
        if pw is not None and pw.idle is not None:
            self.idle = Coefficient.of([(pw.idle.si, pw.idle.source)])
        self._flop: dict[str, Coefficient | None] = {}
        self._byte: dict[str, Coefficient | None] = {}

    # --- per FLOP -----------------------------------------------------------------------------
    def per_flop(self, precision: str) -> Coefficient | None:
        if precision not in self._flop:
            self._flop[precision] = self._resolve_flop(precision)
        return self._flop[precision]

    def _resolve_flop(self, precision: str) -> Coefficient | None:
        en = self.spec.energy
        if en is not None and precision in en.per_flop:
            q = en.per_flop[precision]
            return Coefficient.of([(q.si, q.source)])
        cands: list[tuple[float, str]] = []
        base, why = PRECISION_PROXY.get(precision, (precision, ""))
        if base in ARITH_45NM_PJ:
            mul, add = ARITH_45NM_PJ[base]
            src = f"{HOROWITZ}: {base} multiply {mul:g} pJ + add {add:g} pJ, / 2 per FLOP"
            cands.append(((mul + add) / 2 * PJ, src + (f"; {why}" if why else "")))
        peak = self._peak(precision)
        if self.tdp_w and peak:
            idle = self.idle.value if self.idle else 0.0
            cands.append(((self.tdp_w - idle) / peak,
                          f"derived ceiling: (TDP {self.tdp_w:g} W - idle {idle:g} W) / dense {precision} peak "
                          f"{peak / 1e12:.4g} T/s from the spec"))
        return Coefficient.of(cands) if cands else None

    # --- per byte -----------------------------------------------------------------------------
    def level(self, name: str) -> MemoryLevel:
        """The memory level called ``name``; any other name (``hbm``, a unit name) means main memory."""
        return next((m for m in self.spec.memory if m.name == name), self.spec.main_memory)

    def per_byte(self, level_name: str) -> Coefficient | None:
        lvl = self.level(level_name)
        if lvl.name not in self._byte:
            self._byte[lvl.name] = self._resolve_byte(lvl)
        return self._byte[lvl.name]

    def _resolve_byte(self, lvl: MemoryLevel) -> Coefficient | None:
        en = self.spec.energy
        if en is not None and lvl.name in en.per_byte:
            q = en.per_byte[lvl.name]
            return Coefficient.of([(q.si, q.source)])
        name = lvl.name.lower()
        if lvl is not self.spec.main_memory and ON_CHIP.match(name):
            if lvl.size is None:
                return None
            size = lvl.size.si
            for limit, pj, label in SRAM_45NM_PJ_PER_64B:
                if size <= limit:
                    return Coefficient.of([(pj / 8 * PJ, f"{HOROWITZ}: {label} SRAM read {pj:g} pJ per 64 bit "
                                                          f"(level {lvl.name}, {size / 2**20:.3g} MiB)")])
        for key, cands in MAIN_MEMORY_PJ_PER_BIT:
            if key == "ddr" and "gddr" in name:
                return None  # GDDR other than GDDR6/6X: no published figure found
            if key in name:
                return Coefficient.of([(pj * 8 * PJ, src) for pj, src in cands])
        return None

    def summary(self, precisions: Any = None, levels: Any = None) -> dict[str, Any]:
        """The coefficients resolved so far (or only those of ``precisions`` and memory ``levels``)."""
        out: dict[str, Any] = {
            "per_flop": {p: c.to_dict("pJ/FLOP", PJ) for p, c in self._flop.items()
                         if c is not None and (precisions is None or p in precisions)},
            "per_byte": {lv: c.to_dict("pJ/B", PJ) for lv, c in self._byte.items()
                         if c is not None and (levels is None or lv in levels)},
        }
        if self.idle is not None:
            out["idle_power"] = self.idle.to_dict("W", 1.0)
        if self.tdp_w:
            out["tdp_w"] = self.tdp_w
        return out


@dataclass(frozen=True)
class EnergyEstimate:
    """Model-level energy: ``value_j`` is None when some coefficient (or idle power) is unknown."""

    value_j: float | None
    low_j: float | None
    high_j: float | None
    dynamic_min_j: float | None          # lower bound of the dynamic part (no static power)
    avg_power_w: float | None
    per_kernel_j: tuple[float | None, ...]
    notes: tuple[str, ...] = ()
    coefficients: Mapping[str, Any] = field(default_factory=dict)
    confidence: str = "THEORETICAL"

    def metrics(self) -> dict[str, Any]:
        return {
            "energy_j": self.value_j,
            "energy_interval_j": [self.low_j, self.high_j] if self.value_j is not None else None,
            "energy_dynamic_min_j": self.dynamic_min_j,
            "avg_power_w": self.avg_power_w,
            "energy_confidence": self.confidence,
            "energy_notes": list(self.notes),
            "energy_coefficients": dict(self.coefficients),
        }


def _level_of(mapper: Any, kernel: Any) -> str:
    try:
        return str(mapper.memory_rate(kernel).unit)
    except Exception:  # a family that cannot say: main memory
        return mapper.spec.main_memory.name


def _power_model_energy(mapper: Any, coeffs: Any, kernels: Sequence[Any], parts: Sequence[Any], overhead_s: float,
                        total_s: float, counts: Sequence[int] | None = None) -> EnergyEstimate:
    """Energy from a family's power model (:mod:`graphs.power`): static power over the whole run plus each
    unit's coefficient times its activity, capped at the power limit (the clock drops when it binds)."""
    from graphs.power import Activity, average_power, kernel_activity
    from graphs.results import ConfidenceLevel
    per_kernel: list[float | None] = []
    mat = vec = mem = link = 0.0          # the sum of each kernel's Activity (x its count), unit by unit
    bound = 0.0
    static = coeffs.static.value
    for i, (k, p) in enumerate(zip(kernels, parts)):
        n = counts[i] if counts is not None else 1
        a = kernel_activity(mapper, k)
        if n != 1:
            mat, vec, mem, link = mat + a.matrix_s * n, vec + a.vector_s * n, mem + a.memory_s * n, link + a.link_s * n
        else:
            mat, vec, mem, link = mat + a.matrix_s, vec + a.vector_s, mem + a.memory_s, link + a.link_s
        comp, other = coeffs.dynamic_energy(a)
        per_kernel.append(static * p.time_s + comp + other)
        if getattr(p, "bound", "") == "compute":
            bound += p.time_s * n
    total = Activity(mat, vec, mem, link)
    est = average_power(coeffs, total, total_s, compute_bound_s=bound)
    levels = [ConfidenceLevel[coeffs.confidence]] + [p.confidence for p in parts]
    conf = min(levels, key=lambda c: c.value) if levels else ConfidenceLevel.THEORETICAL
    notes = list(est.notes)
    # the interval also spans the latency interval (static energy and activity scale with time)
    ns = counts if counts is not None else [1] * len(parts)
    t_lo = sum(p.low_s * n for p, n in zip(parts, ns)) + overhead_s
    t_hi = sum(p.high_s * n for p, n in zip(parts, ns)) + overhead_s
    lo = min(est.energy_low_j, average_power(coeffs, total, max(t_lo, 1e-12), min(bound, t_lo)).energy_low_j)
    hi = max(est.energy_high_j, average_power(coeffs, total, max(t_hi, 1e-12), min(bound, t_hi)).energy_high_j)
    summary = {"power_model": coeffs.summary(), "tdp_w": coeffs.limit_w, "activity": est.activity,
               "clock_factor": est.clock_factor, "time_at_power_limit_s": est.time_s}
    return EnergyEstimate(value_j=est.energy_j, low_j=lo, high_j=hi,
                          dynamic_min_j=sum(coeffs.dynamic_energy(total, "low")), avg_power_w=est.power_w,
                          per_kernel_j=tuple(per_kernel), notes=tuple(notes), coefficients=summary,
                          confidence=conf.name)


def estimate_energy(mapper: Any, kernels: Sequence[Any], parts: Sequence[Any], overhead_s: float,
                    total_s: float, counts: Sequence[int] | None = None) -> EnergyEstimate:
    """Energy of ``kernels`` (with their time estimates ``parts``) on ``mapper``'s device.

    A family engine may already have set ``parts[i].energy_j`` (e.g. the GPU engine from a spec's
    own coefficients); that value is then used for the kernel, without an interval of its own.
    A spec without its own idle power but whose family engine has a power model
    (``mapper.power_coefficients()``, e.g. every GPU: see docs/energy.md) gets its energy from that model.
    ``counts``: how many times each kernel runs (distinct kernels of a model); per-kernel values are
    per single run, totals weighted.
    """
    spec: HardwareSpec = mapper.spec
    own = spec.power is not None and spec.power.idle is not None
    get = getattr(mapper, "power_coefficients", None)
    coeffs = get() if (not own and callable(get) and total_s > 0) else None
    if coeffs is not None:
        return _power_model_energy(mapper, coeffs, kernels, parts, overhead_s, total_s, counts)
    model = _model_for(mapper)
    used_prec: set[str] = set()
    used_levels: set[str] = set()
    missing: set[str] = set()
    per_kernel: list[float | None] = []
    tot = lo = hi = dyn_min = 0.0
    idle = model.idle
    flop_of: dict[str, Coefficient | None] = {}            # this call's lookups (precision, level name)
    byte_of: dict[str, tuple[Coefficient | None, str]] = {}
    for k, p in zip(kernels, parts):
        flops, nbytes = k.flops, k.bytes
        d = d_lo = d_hi = 0.0
        if flops:
            prec = mapper.precision_of(k)
            if prec not in flop_of:
                flop_of[prec] = model.per_flop(prec)
                used_prec.add(prec)
            ef = flop_of[prec]
            if ef is None:
                missing.add(f"no energy per FLOP for {prec}")
            else:
                d, d_lo, d_hi = flops * ef.value, flops * ef.low, flops * ef.high
        if nbytes:
            level = _level_of(mapper, k)
            if level not in byte_of:
                byte_of[level] = (model.per_byte(level), model.level(level).name)
                used_levels.add(byte_of[level][1])
            eb = byte_of[level][0]
            if eb is None:
                missing.add(f"no energy per byte for memory level {level!r}")
            else:
                d, d_lo, d_hi = d + nbytes * eb.value, d_lo + nbytes * eb.low, d_hi + nbytes * eb.high
        n = counts[len(per_kernel)] if counts is not None else 1
        dyn_min += d_lo * n
        if getattr(p, "energy_j", None) is not None:
            e = e_lo = e_hi = float(p.energy_j)
        elif idle is not None:
            e, e_lo, e_hi = d + idle.value * p.time_s, d_lo + idle.low * p.low_s, d_hi + idle.high * p.high_s
        else:
            e = e_lo = e_hi = None  # type: ignore[assignment]
        per_kernel.append(e)
        if e is not None:
            tot, lo, hi = tot + e * n, lo + e_lo * n, hi + e_hi * n
    notes = sorted(missing)
    known = idle is not None and not missing and all(e is not None for e in per_kernel)
    if idle is None:
        notes.append("no sourced idle power (power.idle): total energy unknown; the dynamic part is a lower bound")
    value = low = high = power = None
    if known:
        static = idle.value * overhead_s
        value, low, high = tot + static, lo + idle.low * overhead_s, hi + idle.high * overhead_s
        power = value / total_s if total_s > 0 else None
        if power is not None and model.tdp_w and power > model.tdp_w:
            notes.append(f"average power {power:.3g} W exceeds the TDP {model.tdp_w:g} W: coefficients or "
                         "latency are off for this device")
    else:
        per_kernel = [None] * len(per_kernel) if idle is None else per_kernel
    return EnergyEstimate(
        value_j=value, low_j=low, high_j=high,
        dynamic_min_j=dyn_min if not missing else None, avg_power_w=power,
        per_kernel_j=tuple(per_kernel), notes=tuple(notes), coefficients=model.summary(used_prec, used_levels),
    )


def _model_for(mapper: Any) -> EnergyModel:
    """The mapper's EnergyModel, kept on the mapper (its coefficients are resolved once per device,
    not once per estimate: a sweep composes the same engine thousands of times)."""
    m = getattr(mapper, "_graphs_energy_model", None)
    if m is None or m.spec is not mapper.spec:
        m = EnergyModel(mapper.spec)
        try:
            mapper._graphs_energy_model = m
        except AttributeError:      # an engine with __slots__: no cache
            pass
    return m
