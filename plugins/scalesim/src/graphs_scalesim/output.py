"""Parser of SCALE-Sim v3 reports (``<out>/<run_name>/COMPUTE_REPORT.csv`` and ``BANDWIDTH_REPORT.csv``).

``COMPUTE_REPORT.csv`` columns (one row per layer, trailing comma): ``LayerID, Total Cycles (incl.
prefetch), Total Cycles, Stall Cycles, Overall Util %, Mapping Efficiency %, Compute Util %``.
*Total Cycles* are the array's compute cycles (fill and drain of every fold included); *incl.
prefetch* adds loading the first operands from DRAM. ``BANDWIDTH_REPORT.csv``: average SRAM and
DRAM bandwidth per operand (words/cycle). The result's value is the sum of *Total Cycles* over
the layers (layers run one after another); every column is kept per layer in ``metrics``.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from graphs.results import ConfidenceLevel, EstimationResult, KernelEstimate
from graphs_tools import ToolOutputError, is_number, point_result

COMPUTE = {"LayerID": "layer", "Total Cycles (incl. prefetch)": "cycles_incl_prefetch", "Total Cycles": "cycles",
           "Stall Cycles": "stall_cycles", "Overall Util %": "overall_util_pct",
           "Mapping Efficiency %": "mapping_efficiency_pct", "Compute Util %": "compute_util_pct"}


@dataclass(frozen=True)
class LayerReport:
    layer: int
    cycles_incl_prefetch: float
    cycles: float
    stall_cycles: float
    overall_util_pct: float
    mapping_efficiency_pct: float
    compute_util_pct: float
    bandwidth: dict[str, float]


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise ToolOutputError(f"{path}: SCALE-Sim report not found")
    with open(path, newline="", encoding="utf-8") as fh:
        r = csv.reader(fh)
        try:
            head = [h.strip() for h in next(r)]
        except StopIteration:
            raise ToolOutputError(f"{path}: empty report") from None
        return [{h: c.strip() for h, c in zip(head, row) if h} for row in r if any(c.strip() for c in row)]


def report_dir(path: str | Path) -> Path:
    """The folder holding ``COMPUTE_REPORT.csv``: ``path`` itself or the one run folder below it."""
    p = Path(path)
    if p.is_file():
        return p.parent
    if (p / "COMPUTE_REPORT.csv").is_file():
        return p
    found = sorted(p.glob("*/COMPUTE_REPORT.csv")) if p.is_dir() else []
    if len(found) != 1:
        raise ToolOutputError(f"{p}: expected one <run_name>/COMPUTE_REPORT.csv, found {len(found)}")
    return found[0].parent


def read_reports(path: str | Path) -> list[LayerReport]:
    d = report_dir(path)
    comp = _rows(d / "COMPUTE_REPORT.csv")
    if not comp:
        raise ToolOutputError(f"{d / 'COMPUTE_REPORT.csv'}: no layer rows")
    missing = [c for c in COMPUTE if c not in comp[0]]
    if missing:
        raise ToolOutputError(f"{d / 'COMPUTE_REPORT.csv'}: missing column(s) {', '.join(missing)}")
    bw = {int(float(r["LayerID"])): r for r in _rows(d / "BANDWIDTH_REPORT.csv")} \
        if (d / "BANDWIDTH_REPORT.csv").is_file() else {}
    out = []
    for r in comp:
        try:
            vals = {COMPUTE[k]: float(r[k]) for k in COMPUTE}
        except ValueError as e:
            raise ToolOutputError(f"{d / 'COMPUTE_REPORT.csv'}: not a number ({e})") from None
        i = int(vals.pop("layer"))
        b = {k: float(v) for k, v in bw.get(i, {}).items() if k != "LayerID" and is_number(v)}
        out.append(LayerReport(layer=i, bandwidth=b, **vals))
    return out


def to_result(reports: list[LayerReport], *, names: list[str] | None = None, macs: list[int] | None = None,
              array: tuple[int, int] | None = None, clock_hz: float | None = None, hardware: str = "",
              source: str = "", notes: tuple[str, ...] = ()) -> EstimationResult:
    """Σ compute cycles over the layers; per-layer reports (and graphs' MAC counts, when given) in metrics."""
    if names is not None and len(names) != len(reports):
        raise ToolOutputError(f"{source}: {len(reports)} layer reports for {len(names)} layers")
    cycles = sum(r.cycles for r in reports)
    per = []
    breakdown = []
    for i, r in enumerate(reports):
        d = asdict(r)
        d["name"] = names[i] if names else f"layer{r.layer}"
        if macs and array:
            d["macs"] = macs[i]
            d["utilization"] = macs[i] / (r.cycles * array[0] * array[1]) if r.cycles else 0.0
        per.append(d)
        if clock_hz:
            t = r.cycles / clock_hz
            breakdown.append(KernelEstimate(name=d["name"], kind="conv", category="conv", nodes=(d["name"],),
                                            flops=2.0 * d.get("macs", 0), bytes=0.0, time_s=t, low_s=t, high_s=t,
                                            bound="compute", confidence=ConfidenceLevel.THEORETICAL, unit="array"))
    metrics: dict[str, Any] = {"cycles": cycles, "cycles_incl_prefetch": sum(r.cycles_incl_prefetch for r in reports),
                               "layers": per}
    if clock_hz:
        metrics.update(clock_hz=clock_hz, latency_s=cycles / clock_hz)
    if macs and array and cycles:
        metrics["utilization"] = sum(macs) / (cycles * array[0] * array[1])
        metrics["array"] = list(array)
    return point_result(cycles, "cycles", estimator="scalesim", hardware=hardware, source=source,
                        notes=("layers back to back: cycles summed; 'Total Cycles' (compute, fill/drain per fold "
                               "included), not 'incl. prefetch'",) + notes,
                        metrics=metrics, breakdown=breakdown, confidence=ConfidenceLevel.THEORETICAL)
