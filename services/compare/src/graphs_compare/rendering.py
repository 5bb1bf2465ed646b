"""Rendering a :class:`~graphs_compare.harness.Comparison`: rich tables, Markdown, JSON, CSV."""

from __future__ import annotations

import math
from typing import Any

from graphs_compare import rubric
from graphs_compare.model import FAILURE_CLASSES
from graphs.output import to_json

FORMATS = ("table", "markdown", "json", "csv")


def _pct(x: Any) -> str:
    return f"{x:.1f}%" if isinstance(x, (int, float)) and math.isfinite(x) else "–"


def _rho(x: Any) -> str:
    return f"{x:.3f}" if isinstance(x, (int, float)) and math.isfinite(x) else "–"


def _ttfp(c) -> str:
    if c.ttfp_s is None:
        return "n/a"
    return f"{c.ttfp_s * 1e3:.0f} ms" if c.ttfp_s < 1 else f"{c.ttfp_s:.1f} s"


def _failures(c) -> str:
    return ", ".join(f"{k}×{c.failures[k]}" for k in sorted(c.failures)) or "none"


def summary_rows(comp) -> list[list[str]]:
    ranks = comp.sensitivity["ranks"]
    out = []
    for c in sorted(comp.cards, key=lambda c: (ranks["guide"][c.estimator], c.estimator)):
        m = c.metrics
        out.append([c.estimator, f"{m['predicted']}/{m['rows']}", _pct(m["mape"]), _rho(m["rho"]),
                    *(str(c.grades[d].score) for d in rubric.DIMENSIONS),
                    f"{c.composite['guide']:.2f}", f"{c.composite['uniform']:.2f}", f"{c.composite['deployment']:.2f}",
                    f"{ranks['guide'][c.estimator]}/{ranks['uniform'][c.estimator]}/{ranks['deployment'][c.estimator]}",
                    _ttfp(c), _failures(c)])
    return out


HEADER = ["estimator", "rows", "MAPE", "ρ", "D1", "D2", "D3", "D4", "D5", "S", "S unif", "S depl", "rank g/u/d",
          "TTFP", "failures"]


def sensitivity_text(comp) -> str:
    s = comp.sensitivity
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


MAX_PREDICTION_ROWS = 24


def prediction_rows(comp) -> tuple[list[str], list[list[str]]]:
    """Per-row predictions (ms) of the estimators that predicted anything; small suites only."""
    runs = [r for r in comp.runs if r.predictions()]
    if len(comp.suite.rows) > MAX_PREDICTION_ROWS or not runs:
        return [], []
    header = ["row", "measured", *(r.name for r in runs)]
    ms = lambda x: f"{x * 1e3:.2f}" if x is not None else "–"  # noqa: E731
    rows = [[row.key, ms(row.measured_s), *(ms(r.outcomes[row.key].predicted_s) if row.key in r.outcomes else "–"
                                            for r in runs)] for row in comp.suite.rows]
    return header, rows


def _title(comp) -> str:
    s = comp.suite
    n = len(s.rows)
    gt = sum(r.measured_s is not None for r in s.rows)
    return (f"graphs compare --suite {s.name}: {n} rows ({gt} with ground truth), {len(comp.cards)} estimators — "
            f"{s.description}")


def _weights_line() -> str:
    return ("S = Σ wᵢ·Dᵢ with GUIDE weights (0.4, 0.2, 0.2, 0.1, 0.1); S unif = 0.2 each; S depl = "
            "(0.2, 0.2, 0.1, 0.3, 0.2). ρ = mean per-device Spearman. F1 install/build, F2 runtime, "
            "F3 > 50 % off the measurement, F4 scope mismatch.")


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
        pt = Table(title="Predictions (ms)", title_justify="left")
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
        parts += ["", "**Predictions (ms)**", "", _md_table(ph, pr)]
    if comp.notes:
        parts += ["", *[f"- {n}" for n in comp.notes]]
    parts += ["", "Failure classes: " + "; ".join(f"{k} {v}" for k, v in FAILURE_CLASSES.items()),
              f"Wall time: {comp.wall_s:.1f} s."]
    return "\n".join(parts) + "\n"


def to_csv(comp) -> str:
    from graphs.report import rows_csv

    header = ["estimator", "kind", "rows", "predicted", "with_truth", "mape", "max_ape", "rho", "rho_pooled"]
    header += [*rubric.DIMENSIONS, "S_guide", "S_uniform", "S_deployment", "rank_guide", "rank_uniform",
               "rank_deployment", "ttfp_s", "failures"] + [f"{d}_evidence" for d in rubric.DIMENSIONS]
    ranks = comp.sensitivity["ranks"]
    rows = []
    for c in comp.cards:
        m = c.metrics
        rows.append([c.estimator, c.kind, m["rows"], m["predicted"], m["with_truth"], m["mape"], m["max_ape"],
                     m["rho"], m["rho_pooled"], *(c.grades[d].score for d in rubric.DIMENSIONS),
                     c.composite["guide"], c.composite["uniform"], c.composite["deployment"],
                     ranks["guide"][c.estimator], ranks["uniform"][c.estimator], ranks["deployment"][c.estimator],
                     c.ttfp_s, _failures(c), *(c.grades[d].evidence for d in rubric.DIMENSIONS)])
    return rows_csv(header, rows)


def render(comp, fmt: str = "markdown") -> str:
    """``markdown`` | ``json`` | ``csv`` as text (``table`` is printed with rich: see :func:`tables`)."""
    if fmt == "json":
        return to_json(comp.to_dict())
    if fmt == "csv":
        return to_csv(comp)
    if fmt == "markdown":
        return markdown(comp)
    raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")
