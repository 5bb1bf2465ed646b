"""Parser of Timeloop v0.4 ``timeloop-mapper.stats.txt`` / ``timeloop-model.stats.txt``.

Reads every level (arithmetic and storage): specs, loop nest, cycles and per-data-space stats;
the ``Summary Stats`` (cycles, energy, utilization, GFLOPs, EDP, area) and the per-level
``fJ/Compute`` table. Numbers are kept exactly as printed; nothing is recomputed except the
per-level energy sums (documented on :attr:`Level.energy_pj`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphs.results import ConfidenceLevel, EstimationResult
from graphs_tools import ToolOutputError, point_result

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_LEVEL = re.compile(r"^Level (\d+)\n-+\n=== (.+?) ===\n", re.M)
_KV = re.compile(r"^(\s*)([^:\n]+?)\s*:\s*(.*?)\s*$")
_LOOP = re.compile(r"for (\w+) in \[(\d+):(\d+)\)(?:\s*\((Spatial-[XY])\))?")
ENERGY_KEYS = ("Energy (total)", "Temporal Reduction Energy (total)", "Address Generation Energy (total)")


def number(text: str) -> float | None:
    """The leading number of a printed value ('0.21 pJ' → 0.21, '168 (14*12)' → 168, '-' → None)."""
    m = re.match(rf"\s*({_NUM})", text)
    return float(m.group(1)) if m else None


@dataclass
class Level:
    """One ``Level i`` block."""

    index: int
    name: str
    specs: dict[str, str] = field(default_factory=dict)
    stats: dict[str, str] = field(default_factory=dict)
    dataspaces: dict[str, dict[str, str]] = field(default_factory=dict)
    loops: list[tuple[str, int, str]] = field(default_factory=list)   # (dim, bound, "temporal"|"Spatial-X"|...)

    @property
    def is_arithmetic(self) -> bool:
        return "Computes (total)" in self.stats

    @property
    def cycles(self) -> int | None:
        v = number(self.stats.get("Cycles", ""))
        return int(v) if v is not None else None

    @property
    def instances(self) -> int | None:
        v = number(self.specs.get("Instances", ""))
        return int(v) if v is not None else None

    @property
    def energy_pj(self) -> float:
        """Energy of this level, pJ: arithmetic ``Energy (total)``; storage: the sum over data spaces of
        access, temporal-reduction and address-generation energy, plus ``Leakage energy (total)``."""
        if self.is_arithmetic:
            return number(self.stats.get("Energy (total)", "")) or 0.0
        total = number(self.specs.get("Leakage energy (total)", "")) or 0.0
        for ds in self.dataspaces.values():
            for k in ENERGY_KEYS:
                total += number(ds.get(k, "")) or 0.0
        return total

    def value(self, key: str, dataspace: str | None = None) -> float | None:
        src = self.dataspaces.get(dataspace, {}) if dataspace else {**self.specs, **self.stats}
        return number(src.get(key, ""))


@dataclass
class TimeloopStats:
    """Everything read from one stats file."""

    source: str
    levels: list[Level]
    summary: dict[str, float]
    computes: int
    fj_per_compute: dict[str, float]

    @property
    def cycles(self) -> int:
        return int(self.summary["cycles"])

    @property
    def utilization(self) -> float:
        """Fraction (0–1) of the arithmetic instances doing useful work, as Timeloop prints it."""
        return self.summary["utilization_pct"] / 100.0

    @property
    def energy_j(self) -> float:
        """Total energy, J: ``Computes × Total fJ/Compute`` (the printed ``Energy: x uJ`` has two decimals,
        0.00 for small layers); falls back to the printed value when there is no fJ/Compute table."""
        if self.computes and "Total" in self.fj_per_compute:
            return self.computes * self.fj_per_compute["Total"] * 1e-15
        return self.summary["energy_uj"] * 1e-6

    @property
    def bound(self) -> str:
        """``compute`` when the run takes as many cycles as the arithmetic level needs, else ``memory``
        (a storage level's bandwidth stretched it)."""
        arith = next((lv for lv in self.levels if lv.is_arithmetic), None)
        return "compute" if arith is None or arith.cycles is None or arith.cycles >= self.cycles else "memory"

    def level(self, name: str) -> Level:
        for lv in self.levels:
            if lv.name == name:
                return lv
        raise KeyError(name)

    def energy_by_level_j(self) -> dict[str, float]:
        """Per-level energy, J, from the fJ/Compute table (levels in the table's order)."""
        return {k: v * self.computes * 1e-15 for k, v in self.fj_per_compute.items() if k != "Total"}

    def to_result(self, *, hardware: str = "", clock_hz: float | None = None, notes: tuple[str, ...] = ()
                  ) -> EstimationResult:
        metrics: dict[str, Any] = {
            "cycles": self.cycles, "energy_j": self.energy_j, "energy_uj_printed": self.summary["energy_uj"],
            "utilization": self.utilization, "gflops_at_1ghz": self.summary["gflops_at_1ghz"],
            "edp_j_cycle": self.summary["edp_j_cycle"], "area_mm2": self.summary["area_mm2"],
            "bound": self.bound, "computes": self.computes, "fj_per_compute": dict(self.fj_per_compute),
            "energy_by_level_j": self.energy_by_level_j(),
            "levels": {lv.name: {"index": lv.index, "cycles": lv.cycles, "instances": lv.instances,
                                 "energy_pj": lv.energy_pj} for lv in self.levels},
        }
        if clock_hz:
            metrics["clock_hz"] = clock_hz
            metrics["latency_s"] = self.cycles / clock_hz
        return point_result(self.cycles, "cycles", estimator="timeloop", hardware=hardware, source=self.source,
                            notes=notes, metrics=metrics, confidence=ConfidenceLevel.THEORETICAL)


def parse_stats_text(text: str, source: str = "<text>") -> TimeloopStats:
    if "Summary Stats" not in text:
        raise ToolOutputError(f"{source}: no 'Summary Stats' section: not a Timeloop stats file")
    body = text.split("\nNetworks\n", 1)[0]
    levels: list[Level] = []
    matches = list(_LEVEL.finditer(body))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(body)
        levels.append(_parse_level(int(m.group(1)), m.group(2).strip(), body[m.end():end]))
    if not levels:
        raise ToolOutputError(f"{source}: no 'Level i / === name ===' blocks")
    tail = text.split("Summary Stats", 1)[1]

    def grab(pattern: str, what: str) -> float:
        m = re.search(pattern, tail)
        if not m:
            raise ToolOutputError(f"{source}: Summary Stats has no {what}")
        return float(m.group(1))

    summary = {
        "gflops_at_1ghz": grab(rf"GFLOPs \(@1GHz\):\s*({_NUM})", "GFLOPs"),
        "utilization_pct": grab(rf"Utilization:\s*({_NUM})%", "Utilization"),
        "cycles": grab(r"Cycles:\s*(\d+)", "Cycles"),
        "energy_uj": grab(rf"Energy:\s*({_NUM}) uJ", "Energy"),
        "edp_j_cycle": grab(rf"EDP\(J\*cycle\):\s*({_NUM})", "EDP"),
        "area_mm2": grab(rf"Area:\s*({_NUM}) mm\^2", "Area"),
    }
    computes = int(grab(r"Computes = (\d+)", "Computes"))
    fj: dict[str, float] = {}
    block = tail.split("fJ/Compute", 1)
    if len(block) == 2:
        for line in block[1].splitlines()[1:]:
            mm = re.match(rf"^\s+(\S+)\s+=\s+({_NUM})\s*$", line)
            if not mm:
                if line.strip():
                    break
                continue
            fj[mm.group(1)] = float(mm.group(2))
    return TimeloopStats(source, levels, summary, computes, fj)


def parse_stats(path: str | Path) -> TimeloopStats:
    p = Path(path)
    if p.is_dir():
        cands = [p / "timeloop-mapper.stats.txt", p / "timeloop-model.stats.txt"]
        p = next((c for c in cands if c.exists()), cands[0])
    if not p.exists():
        raise ToolOutputError(f"{p}: Timeloop stats file not found")
    return parse_stats_text(p.read_text(encoding="utf-8", errors="replace"), str(p))


def _parse_level(index: int, name: str, text: str) -> Level:
    lv = Level(index, name)
    section = ""
    ds: str | None = None
    for raw in text.splitlines():
        line = raw.rstrip()
        s = line.strip()
        if not s or set(s) == {"-"}:
            continue
        if s in ("SPECS", "STATS", "MAPPING"):
            section, ds = s, None
            continue
        if section == "MAPPING":
            m = _LOOP.search(s)
            if m:
                lv.loops.append((m.group(1), int(m.group(3)) - int(m.group(2)), m.group(4) or "temporal"))
            continue
        if section == "STATS" and re.match(r"^\s{4}\w[\w ]*:\s*$", line):
            ds = s[:-1]
            lv.dataspaces[ds] = {}
            continue
        kv = _KV.match(line)
        if not kv:
            continue
        key, val = kv.group(2).strip(), kv.group(3)
        if section == "SPECS":
            lv.specs[key] = val
        elif section == "STATS":
            if ds is not None and len(kv.group(1)) > 4:
                lv.dataspaces[ds][key] = val
            else:
                ds = None
                lv.stats[key] = val
    return lv
