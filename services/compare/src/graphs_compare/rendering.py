"""Rendering a :class:`~graphs_compare.harness.Comparison`: rich tables, Markdown, JSON, CSV."""

from __future__ import annotations

import math
from typing import Any

from graphs_compare import rubric
from graphs_compare.model import FAILURE_CLASSES

FORMATS = ("table", "markdown", "json", "csv")


def _pct(x: Any) -> str:
    return f"{x:.1f}%" if isinstance(x, (int, float)) and math.isfinite(x) else "–"


def _rho(x: Any) -> str:
    return f"{x:.3f}" if isinstance(x, (int, float)) and math.isfinite(x) else "–"


def _ttfp(c) -> str:
    if c.ttfp_s is None:
        return "n/a"
    return f"{c.ttfp_s * 1e3:.0f} ms" if c.ttfp_s < 1 else f"{c.ttfp_s:.1f} s"


def _wall(c) -> str:
    w = getattr(c, "wall_s", None)
    if w is None:
        return "–"
    return f"{w * 1e3:.0f} ms" if w < 1 else f"{w:.1f} s"


def _failures(c) -> str:
    return ", ".join(f"{k}×{c.failures[k]}" for k in sorted(c.failures)) or "none"


def _rank(comp, name: str) -> str:
    r = comp.sensitivity["ranks"]
    if name not in r.get("guide", {}):
        return "unranked"
    return f"{r['guide'][name]}/{r['uniform'][name]}/{r['deployment'][name]}"




def summary_rows(comp) -> list[list[str]]:
    ranks = comp.sensitivity["ranks"].get("guide", {})
    truth = comp.has_truth
    out = []
    big = len(ranks) + 1
    for c in sorted(comp.cards, key=lambda c: (ranks.get(c.estimator, big), -c.metrics["predicted"], c.estimator)):
        m = c.metrics
        d1 = str(c.grades["D1"].score) if truth else "n/a"
        mape = _pct(m["mape"]) if truth else "no ground truth"
        out.append([c.estimator, f"{m['predicted']}/{m['rows']}", f"{m['with_truth']}", mape, _rho(m["rho"]), d1,
                    *(str(c.grades[d].score) for d in rubric.DIMENSIONS[1:]),
                    f"{c.composite['guide']:.2f}", f"{c.composite['uniform']:.2f}", f"{c.composite['deployment']:.2f}",
                    _rank(comp, c.estimator), _ttfp(c), _wall(c), _failures(c)])
    return out


HEADER = ["estimator", "predicted", "scored", "MAPE", "ρ", "D1", "D2", "D3", "D4", "D5", "S", "S unif", "S depl",
          "rank g/u/d", "TTFP", "wall", "failures"]


def sensitivity_text(comp) -> str:
    s = comp.sensitivity
    if not s["ranks"].get("guide"):
        return "No ranking: no estimator predicted a row with ground truth on this suite."
    parts = []
    for w in ("uniform", "deployment"):
        if s["changes"][w]:
            moves = ", ".join(f"{n} {s['ranks']['guide'][n]}→{s['ranks'][w][n]}" for n in sorted(s["moves"][w]))
            parts.append(f"{w}: ranking changes ({moves})")
        else:
            parts.append(f"{w}: same ranking")
    top = f"top under GUIDE weights: {', '.join(s['top']['guide'])}"
    top += "; the top changes with the weights" if s["top_changes"] else "; the top is the same under all three"
    return f"Sensitivity — {'; '.join(parts)}. {top}."


def evidence_rows(comp) -> list[list[str]]:
    rows = []
    for c in comp.cards:
        for d in rubric.DIMENSIONS:
            rows.append([c.estimator, f"{d} {rubric.DIMENSION_NAMES[d]}", str(c.grades[d].score), c.grades[d].evidence])
    return rows


def failure_rows(comp) -> list[list[str]]:
    return [[c.estimator, k, str(c.failures[k]), c.failure_reasons.get(k, "")]
            for c in comp.cards for k in sorted(c.failures)]


MAX_PREDICTION_ROWS = 64


def _cycles_suite(comp) -> bool:
    return any("cycles" in o.metrics for r in comp.runs for o in r.outcomes.values())


def prediction_rows(comp) -> tuple[list[str], list[list[str]]]:
    """Per-row predictions of the estimators that predicted anything (ms, and the APE where measured; on a
    cycles suite: cycles and utilization side by side); suites up to :data:`MAX_PREDICTION_ROWS` rows."""
    runs = [r for r in comp.runs if r.predictions()]
    if len(comp.suite.rows) > MAX_PREDICTION_ROWS or not runs:
        return [], []
    if _cycles_suite(comp):
        header = ["row"]
        for r in runs:
            header += [f"{r.name} cycles", f"{r.name} util"]
        rows = []
        for row in comp.suite.rows:
            cells = [row.key]
            for r in runs:
                o = r.outcomes.get(row.key)
                cy = o.metrics.get("cycles") if o is not None and o.ok else None
                u = o.metrics.get("utilization") if o is not None and o.ok else None
                cells += [f"{cy:,.0f}" if cy is not None else (o.failure or "–") if o is not None else "–",
                          f"{100 * u:.1f}%" if u is not None else "–"]
            rows.append(cells)
        return header, rows
    header = ["row", "measured ms", *(f"{r.name} ms (APE)" for r in runs)]

    def cell(row, r) -> str:
        o = r.outcomes.get(row.key)
        if o is None or not o.ok:
            return (o.failure or "–") if o is not None else "–"
        v = f"{o.predicted_s * 1e3:.2f}"
        if row.measured_s:
            v += f" ({abs(o.predicted_s - row.measured_s) / row.measured_s * 100:.0f}%)"
        return v + (" ᶜ" if o.cached else "")

    rows = [[row.key, f"{row.measured_s * 1e3:.2f}" if row.measured_s else "–", *(cell(row, r) for r in runs)]
            for row in comp.suite.rows]
    return header, rows


def rows_table(comp) -> tuple[list[str], list[list[Any]]]:
    """The per-row table written beside the summary: every row, every estimator's prediction, APE and failure."""
    runs = comp.runs
    header = ["row", "model", "hardware", "batch", "seq", "precision", "measured_s", "truth"]
    mkeys = sorted({k for r in runs for o in r.outcomes.values() for k in o.metrics
                    if isinstance(o.metrics.get(k), (int, float))})
    for r in runs:
        header += [f"{r.name}:predicted_s", f"{r.name}:ape_pct", f"{r.name}:failure", f"{r.name}:reason",
                   f"{r.name}:cached"] + [f"{r.name}:{k}" for k in mkeys]
    out = []
    for row in comp.suite.rows:
        cells: list[Any] = [row.key, row.model, row.hardware, row.batch, row.seq, row.precision, row.measured_s, row.truth]
        for r in runs:
            o = r.outcomes.get(row.key)
            if o is None:
                cells += [None, None, None, None, None] + [None] * len(mkeys)
                continue
            ape = (abs(o.predicted_s - row.measured_s) / row.measured_s * 100
                   if o.ok and row.measured_s else None)
            cells += [o.predicted_s, ape, o.failure, o.reason or None, o.cached] + \
                     [o.metrics.get(k) if isinstance(o.metrics.get(k), (int, float)) else None for k in mkeys]
        out.append(cells)
    return header, out


def rows_csv(comp) -> str:
    from graphs.report import rows_csv as _csv
    h, rows = rows_table(comp)
    return _csv(h, [["" if c is None else c for c in r] for r in rows])


def rows_json(comp) -> str:
    """The ``graphs.compare.rows`` JSON document of a comparison."""
    from graphs.documents import render as document
    from graphs_compare import documents  # noqa: F401  (registers the documents)
    h, rows = rows_table(comp)
    return document("graphs.compare.rows", {"suite": comp.suite.name, "columns": h,
                                             "rows": [dict(zip(h, r)) for r in rows]})


def _title(comp) -> str:
    s = comp.suite
    n = len(s.rows)
    gt = sum(r.measured_s is not None for r in s.rows)
    return (f"graphs compare --suite {s.name}: {n} rows ({gt} with ground truth), {len(comp.cards)} estimators, "
            f"{comp.wall_s:.1f} s — {s.description}")


def _weights_line() -> str:
    return ("S = Σ wᵢ·Dᵢ with GUIDE weights (0.4, 0.2, 0.2, 0.1, 0.1); S unif = 0.2 each; S depl = "
            "(0.2, 0.2, 0.1, 0.3, 0.2). ρ = mean per-device Spearman. F1 install/build, F2 runtime, "
            "F3 > 50 % off the measurement, F4 scope mismatch. wall = this estimator's time in this comparison (tools "
            "run concurrently; cache hits are fast).")


def tables(comp) -> list[Any]:
    from rich.table import Table

    t = Table(title=_title(comp), title_justify="left", caption=_weights_line() + "\n" + sensitivity_text(comp),
              caption_justify="left")
    for h in HEADER:
        t.add_column(h, overflow="fold", justify="right" if h not in ("estimator", "failures") else "left")
    for r in summary_rows(comp):
        t.add_row(*r)
    ev = Table(title="Rubric evidence (every score computed from these numbers and checks)", title_justify="left",
               show_lines=True)
    for h, w in (("estimator", 16), ("dimension", 14), ("score", 5), ("evidence", None)):
        ev.add_column(h, overflow="fold", max_width=w)
    for r in evidence_rows(comp):
        ev.add_row(*r)
    fl = Table(title="Failures by class (one representative reason each)", title_justify="left")
    for h in ("estimator", "class", "rows", "reason"):
        fl.add_column(h, overflow="fold")
    for r in failure_rows(comp):
        fl.add_row(*r)
    out = [t, ev, fl]
    ph, pr = prediction_rows(comp)
    if pr:
        pt = Table(title="Per row: cycles and utilization (one array)" if _cycles_suite(comp) else
                   "Per row (ms; APE against the measurement; ᶜ = replayed from the tool-run cache)",
                   title_justify="left")
        for h in ph:
            pt.add_column(h, justify="left" if h == "row" else "right")
        for r in pr:
            pt.add_row(*r)
        out.append(pt)
    return out


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    esc = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def markdown(comp) -> str:
    parts = [f"**{_title(comp)}**", "", _md_table(HEADER, summary_rows(comp)), "", _weights_line(), "",
             sensitivity_text(comp), "", "**Rubric evidence**", "",
             _md_table(["estimator", "dimension", "score", "evidence"], evidence_rows(comp)), "",
             "**Failures**", "", _md_table(["estimator", "class", "rows", "reason"], failure_rows(comp))]
    ph, pr = prediction_rows(comp)
    if pr:
        parts += ["", "**Per row: cycles and utilization**" if _cycles_suite(comp) else "**Per row (ms, APE)**", "",
                  _md_table(ph, pr)]
    if comp.notes:
        parts += ["", *[f"- {n}" for n in comp.notes]]
    walls = "; ".join(f"{k} {v:.1f} s" for k, v in comp.timings.items())
    parts += ["", "Failure classes: " + "; ".join(f"{k} {v}" for k, v in FAILURE_CLASSES.items()),
              f"Wall time: {comp.wall_s:.1f} s" + (f" ({walls})." if walls else ".")]
    return "\n".join(parts) + "\n"


def to_csv(comp) -> str:
    from graphs.report import rows_csv

    header = ["estimator", "kind", "rows", "predicted", "with_truth", "mape", "max_ape", "rho", "rho_pooled"]
    header += [*rubric.DIMENSIONS, "S_guide", "S_uniform", "S_deployment", "rank_guide", "rank_uniform",
               "rank_deployment", "ttfp_s", "wall_s", "failures"] + [f"{d}_evidence" for d in rubric.DIMENSIONS]
    ranks = comp.sensitivity["ranks"]
    rows = []
    for c in comp.cards:
        m = c.metrics
        rk = [ranks.get(w, {}).get(c.estimator, "") for w in ("guide", "uniform", "deployment")]
        rows.append([c.estimator, c.kind, m["rows"], m["predicted"], m["with_truth"], m["mape"], m["max_ape"],
                     m["rho"], m["rho_pooled"], *(c.grades[d].score for d in rubric.DIMENSIONS),
                     c.composite["guide"], c.composite["uniform"], c.composite["deployment"],
                     *rk, c.ttfp_s, c.wall_s, _failures(c), *(c.grades[d].evidence for d in rubric.DIMENSIONS)])
    return rows_csv(header, rows)


def render(comp, fmt: str = "markdown") -> str:
    """``markdown`` | ``json`` | ``csv`` as text (``table`` is printed with rich: see :func:`tables`)."""
    if fmt == "json":
        from graphs.documents import render as document
        from graphs_compare import documents  # noqa: F401  (registers the documents)
        return document("graphs.compare", {"comparisons": [comp.to_dict()]})
    if fmt == "csv":
        return to_csv(comp)
    if fmt == "markdown":
        return markdown(comp)
    raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
