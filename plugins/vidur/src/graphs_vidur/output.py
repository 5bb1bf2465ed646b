"""Parser of VIDUR's per-request metrics (``<output_dir>/<timestamp>/request_metrics.csv``).

Columns (names from ``vidur/metrics/constants.py``; times in seconds): ``Request Id``,
``request_e2e_time``, ``request_execution_time``, ``request_scheduling_delay``,
``prefill_e2e_time`` (time to first token), ``decode_time_execution_plus_preemption_normalized``
(time per output token), ``request_num_prefill_tokens``, ``request_num_decode_tokens`` ...
The result's value is the mean end-to-end request latency; percentiles of every latency
column are in ``metrics``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from graphs.results import ConfidenceLevel, EstimationResult
from graphs_tools import ToolOutputError, is_number, point_result

REQUIRED = ("request_e2e_time",)
LATENCY_COLUMNS = ("request_e2e_time", "request_execution_time", "request_scheduling_delay", "prefill_e2e_time",
                   "decode_time_execution_plus_preemption_normalized", "request_preemption_time")


def find_request_metrics(path: str | Path) -> Path:
    """``path`` itself, or the newest ``request_metrics.csv`` below it."""
    p = Path(path)
    if p.is_file():
        return p
    found = sorted(p.rglob("request_metrics.csv"), key=lambda f: f.stat().st_mtime) if p.is_dir() else []
    if not found:
        raise ToolOutputError(f"{p}: no request_metrics.csv (VIDUR writes it to <output_dir>/<timestamp>/)")
    return found[-1]


def percentile(sorted_vals: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default method) of sorted values."""
    if not sorted_vals:
        return math.nan
    pos = (len(sorted_vals) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


def read_request_metrics(path: str | Path) -> tuple[list[str], list[dict[str, float]]]:
    p = find_request_metrics(path)
    with open(p, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        cols = list(reader.fieldnames or [])
        missing = [c for c in REQUIRED if c not in cols]
        if missing:
            raise ToolOutputError(f"{p}: missing column(s) {', '.join(missing)} (has {', '.join(cols[:8])} ...)")
        rows = []
        for r in reader:
            rows.append({k: float(v) for k, v in r.items() if k and v not in (None, "") and is_number(v)})
    if not rows:
        raise ToolOutputError(f"{p}: no request rows")
    return cols, rows


def to_result(path: str | Path, *, hardware: str = "", notes: tuple[str, ...] = (), report: str = "e2e"
              ) -> EstimationResult:
    """The run's result: mean end-to-end request latency (``report="e2e"``) or mean time per output token
    (``"tpot"``: ``decode_time_execution_plus_preemption_normalized``); every statistic in ``metrics``."""
    p = find_request_metrics(path)
    cols, rows = read_request_metrics(p)
    stats: dict[str, Any] = {}
    for c in LATENCY_COLUMNS:
        vals = sorted(r[c] for r in rows if c in r)
        if vals:
            stats[c] = {"mean": sum(vals) / len(vals), "p50": percentile(vals, 50), "p90": percentile(vals, 90),
                        "p99": percentile(vals, 99), "max": vals[-1]}
    e2e = stats["request_e2e_time"]
    metrics = {"requests": len(rows), "latency_stats_s": stats, "mean_e2e_s": e2e["mean"], "p99_e2e_s": e2e["p99"]}
    if "prefill_e2e_time" in stats:
        metrics["ttft_mean_s"] = stats["prefill_e2e_time"]["mean"]
    if "decode_time_execution_plus_preemption_normalized" in stats:
        metrics["tpot_mean_s"] = stats["decode_time_execution_plus_preemption_normalized"]["mean"]
    if report == "tpot":
        if "tpot_mean_s" not in metrics:
            raise ToolOutputError(f"{p}: no decode_time_execution_plus_preemption_normalized column for the TPOT")
        return point_result(metrics["tpot_mean_s"], "s", estimator="vidur", hardware=hardware, source=str(p),
                            notes=("value = mean time per output token (decode, normalised per token)",) + notes,
                            metrics=metrics, confidence=ConfidenceLevel.INTERPOLATED)
    return point_result(e2e["mean"], "s", estimator="vidur", hardware=hardware, source=str(p),
                        notes=("value = mean end-to-end request latency",) + notes, metrics=metrics,
                        confidence=ConfidenceLevel.INTERPOLATED)
