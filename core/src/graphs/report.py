"""Rendering results: rich tables, JSON and CSV."""

from __future__ import annotations

import csv
import io
from typing import Any, Iterable, Sequence

from rich.table import Table

from graphs.fmt import fmt_si
from graphs.results import EstimationResult
from graphs.output import console, to_json  # noqa: F401  (console: callers import it from here too)


def _pct(x: float) -> str:
    return f"{x * 100:+.0f}%"


def _joules(x: float) -> str:
    for p, f in (("kJ", 1e3), ("J", 1.0), ("mJ", 1e-3), ("uJ", 1e-6), ("nJ", 1e-9)):
        if abs(x) >= f:
            return f"{x / f:.3g} {p}"
    return f"{x:.3g} J"


def _energy(r: EstimationResult) -> str:
    m = r.metrics
    e, dyn = m.get("energy_j"), m.get("energy_dynamic_min_j")
    if e is not None:
        lo, hi = m["energy_interval_j"]
        return f"{_joules(e)} ({_joules(lo)} – {_joules(hi)}) {m.get('energy_confidence', '')}".rstrip()
    return f"unknown (dynamic ≥ {_joules(dyn)})" if dyn else "unknown"


def _power(r: EstimationResult) -> str:
    p = r.metrics.get("avg_power_w")
    if p is None:
        return "–"
    tdp = (r.metrics.get("energy_coefficients") or {}).get("tdp_w")
    return f"{p:.3g} W" + (" (> TDP!)" if tdp and p > tdp else "")


def _estimate_rows(results: Sequence[EstimationResult]) -> list[tuple[str, list[str]]]:
    rows: list[tuple[str, Any]] = [
        ("latency", lambda r: fmt_si(r.value, "s")),
        ("interval (90%)", lambda r: f"{fmt_si(r.low, 's')} – {fmt_si(r.high, 's')}"),
        ("relative interval", lambda r: f"{_pct(r.relative_interval[0])} / {_pct(r.relative_interval[1])}"),
        ("confidence", lambda r: r.confidence.name),
        ("precision", lambda r: r.metrics.get("precision", "") + (" (quantized)" if r.metrics.get("quantization")
                                                                  else "")),
        ("runtime", lambda r: r.metrics.get("runtime", "")),
        ("FLOPs", lambda r: fmt_si(r.metrics["flops"], "FLOP")),
        ("bytes moved", lambda r: fmt_si(r.metrics["bytes"], "B")),
        ("achieved", lambda r: fmt_si(r.metrics["achieved_flops_per_s"], "FLOP/s")),
        ("kernels (nodes)", lambda r: f"{r.metrics['kernels']} ({r.metrics['nodes']})"),
        ("compute/memory/overhead-bound", lambda r: " / ".join(
            fmt_si(r.metrics["time_by_bound_s"].get(b, 0.0), "s") for b in ("compute", "memory", "overhead"))),
        ("parameters", lambda r: f"{r.metrics['parameters'] / 1e6:,.1f}M ({fmt_si(r.metrics['parameter_bytes'], 'B')})"),
        ("peak activations", lambda r: fmt_si(r.metrics["peak_activation_bytes"], "B")),
        ("memory / device", lambda r: f"{fmt_si(r.metrics['memory_bytes'], 'B')} / "
                                      f"{fmt_si(r.metrics['device_memory_bytes'], 'B') if r.metrics['device_memory_bytes'] else '?'}"),
        ("fits", lambda r: {True: "yes", False: "NO", None: "unknown"}[r.metrics.get("fits")]),
        ("energy", _energy),
        ("average power", _power),
        ("estimator", lambda r: f"{r.provenance.estimator} ({r.provenance.mapper})"),
    ]
    return [(label, [fn(r) for r in results]) for label, fn in rows]


def mixed_runtimes(results: Sequence[EstimationResult]) -> str | None:
    """A warning when side-by-side results model different runtimes (not like with like)."""
    rts = {r.metrics.get("runtime") for r in results}
    if len(rts) <= 1:
        return None
    by = ", ".join(f"{r.metrics.get('hardware')} {r.metrics.get('runtime')}" for r in results)
    return f"mixed runtimes ({by}): eager includes per-kernel host overhead, graph does not; use --runtime graph " \
           "to compare like with like"


def estimate_table(results: Sequence[EstimationResult]) -> Table:
    """Side-by-side model estimates (one column per hardware)."""
    mixed = mixed_runtimes(results)
    t = Table(title=f"{results[0].metrics.get('model', '')}: estimated forward pass"
                    + (f"\nwarning: {mixed}" if mixed else ""), title_justify="left")
    t.add_column("")
    for r in results:
        t.add_column(r.metrics.get("hardware", "?"), justify="right")
    for label, cells in _estimate_rows(results):
        t.add_row(label, *cells)
    return t


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A GitHub-flavoured markdown table (``|`` in cells escaped)."""
    def cell(v: Any) -> str:
        return ("" if v is None else str(v)).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def results_markdown(results: Sequence[EstimationResult]) -> str:
    """The estimate table as markdown (one column per device)."""
    header = ["", *(r.metrics.get("hardware", "?") for r in results)]
    return markdown_table(header, [[label, *cells] for label, cells in _estimate_rows(results)])


def kernel_table(result: EstimationResult, top: int, width: int = 120) -> Table:
    from graphs.tables import Col, fit_table
    parts = sorted(result.breakdown, key=lambda k: k.time_s, reverse=True)[:top]
    cols = [Col("kernel", 0, wrap=True, min_width=16), Col("ops", 5, "right"), Col("FLOPs", 3, "right"),
            Col("bytes", 4, "right"), Col("time", 0, "right"), Col("share", 1, "right"), Col("bound", 2),
            Col("unit", 6)]
    rows = [(k.name, str(len(k.nodes)), fmt_si(k.flops, "FLOP"), fmt_si(k.bytes, "B"), fmt_si(k.time_s, "s"),
             f"{k.time_s / result.value * 100:.1f}%", k.bound, k.unit) for k in parts]
    return fit_table(f"top {len(parts)} kernels on {result.metrics.get('hardware')}", cols, rows, width)


def results_json(results: Sequence[EstimationResult], breakdown: bool = True, indent: int | None = 2) -> str:
    """The ``graphs.analyze`` JSON document of ``results`` (with each one's per-layer rows when it has them)."""
    from graphs.documents import render
    return render("graphs.analyze", {"results": [r.to_dict(breakdown) for r in results]}, indent=indent)


CSV_FIELDS = ("model", "hardware", "precision", "latency_s", "low_s", "high_s", "confidence", "flops", "bytes",
              "parameter_bytes", "peak_activation_bytes", "fits", "kernels", "estimator", "energy_j")


def csv_number(x: Any) -> Any:
    """A number for CSV without losing digits: counts as integers, the rest as Python's shortest repr."""
    if x is None:
        return ""
    if isinstance(x, float) and x.is_integer() and abs(x) < 2 ** 53:
        return int(x)
    return x


def results_csv(results: Sequence[EstimationResult]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for r in results:
        m = r.metrics
        n = csv_number
        w.writerow([m.get("model"), m.get("hardware"), m.get("precision"), n(r.value), n(r.low), n(r.high),
                    r.confidence.name, n(m["flops"]), n(m["bytes"]), n(m["parameter_bytes"]),
                    n(m["peak_activation_bytes"]), m.get("fits"), m.get("kernels"), r.provenance.estimator,
                    n(m.get("energy_j"))])
    return buf.getvalue()


def rows_csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(header))
    for r in rows:
        w.writerow(list(r))
    return buf.getvalue()


