"""The MTAP rubric of GUIDE §5, as code: each grade is computed from evidence, never typed in.

Every ``grade_dN`` takes measured numbers / checked facts and returns a :class:`Grade` whose
``evidence`` says which numbers gave which score. Where the GUIDE's table leaves a case open,
the choice made here is written next to it (and in ``docs/compare.md``):

* D1: the GUIDE fixes ρ > 0.95 for 3; below that this module grades ρ > 0.80 → 2, ρ > 0.50 → 1,
  else 0. Fewer than :data:`MIN_ROWS` scored rows or a single device is "little validation" (≤ 1).
* D2: γ in the rubric is read as the composition error the estimator leaves: the median over rows
  of |γ_predicted − γ_measured| (γ = |T_model − Σ T_kernel| / Σ T_kernel). 0.10–0.20 (a gap in
  the table) scores 2; fewer than :data:`MIN_GAMMA_ROWS` rows with both levels are reported, not graded.
* D3: a transfer is *validated* when the held-out MAPE is ≤ 25 % (the D1 "usable" bound) and
  *fails* when it is > 50 % (the F3 bound).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from graphs_compare.model import Grade

DIMENSIONS = ("D1", "D2", "D3", "D4", "D5")
DIMENSION_NAMES = {"D1": "prediction fidelity", "D2": "compositional fidelity", "D3": "generalization",
                   "D4": "deployment viability", "D5": "extensibility"}
WEIGHTS: dict[str, tuple[float, ...]] = {
    "guide": (0.4, 0.2, 0.2, 0.1, 0.1),
    "uniform": (0.2, 0.2, 0.2, 0.2, 0.2),
    "deployment": (0.2, 0.2, 0.1, 0.3, 0.2),
}
F3_APE = 50.0            # % off a known baseline = silent inaccuracy
MIN_ROWS = 5             # fewer scored rows = "little validation"
MIN_GAMMA_ROWS = 3       # fewer rows with both levels: γ is reported but not graded
TRANSFER_OK = 25.0       # held-out MAPE (%) at or below which a transfer counts as validated
TRANSFER_FAIL = 50.0     # held-out MAPE (%) above which it fails
TTFP_FAST_S = 30 * 60.0  # rubric: < 30 min to first prediction
TTFP_SLOW_S = 2 * 3600.0


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _pct(x: float | None) -> str:
    return f"{x:.1f}%" if _finite(x) else "n/a"


# --- D1 -----------------------------------------------------------------------------------------
def mape_grade(mape: float, independent: bool) -> int:
    if not _finite(mape):
        return 0
    if mape < 5.0:
        return 3 if independent else 2
    return 2 if mape < 15.0 else 1 if mape < 25.0 else 0


def rho_grade(rho: float | None) -> int | None:
    """None when ρ cannot be computed (fewer than 3 rows per device)."""
    if not _finite(rho):
        return None
    return 3 if rho > 0.95 else 2 if rho > 0.80 else 1 if rho > 0.50 else 0


def grade_d1(n: int, mape: float | None, rho: float | None, *, independent: bool, devices: int,
             reference: Grade | None = None) -> Grade:
    """``n`` rows with ground truth and a prediction; ``rho`` the mean per-device Spearman ρ."""
    if n == 0:
        if reference is not None:
            s = min(2, reference.score)
            return Grade(s, f"no ground truth on these rows: capped at 2, and at the grade measured elsewhere "
                            f"({reference.evidence})")
        return Grade(0, "no working prediction with ground truth")
    mg = mape_grade(mape, independent)
    rg = rho_grade(rho)
    parts = [f"MAPE {_pct(mape)} on {n} rows → {mg}"]
    if rg is None:
        rg = min(mg, 2)
        parts.append("ρ n/a (< 3 rows per device) → ≤ 2")
    else:
        parts.append(f"mean per-device ρ {rho:.3f} → {rg}")
    s = min(mg, rg)
    if n < MIN_ROWS or devices < 2:
        s = min(s, 1)
        parts.append(f"little validation ({n} rows, {devices} device(s)) → ≤ 1")
    if not independent:
        s = min(s, 2)
        parts.append("no independent measurement → ≤ 2")
    return Grade(s, "; ".join(parts))


# --- D2 -----------------------------------------------------------------------------------------
def grade_d2(c: Mapping[str, Any], predicted: bool) -> Grade:
    """Composition evidence: ``levels`` the estimator predicts here, ``rows`` with both levels and a measured γ,
    ``dgamma`` median |γ_pred − γ_meas|, ``kernel_mape`` its kernel-level error, ``scope`` documented scope."""
    if not predicted:
        return Grade(0, "no prediction here: no composition to observe")
    levels = tuple(c.get("levels", ()))
    rows, dg, km = int(c.get("rows") or 0), c.get("dgamma"), c.get("kernel_mape")
    doc = bool(c.get("scope"))
    src = f" [{c['source']}]" if c.get("source") else ""
    if "kernel" in levels and "model" in levels and 0 < rows < MIN_GAMMA_ROWS and _finite(dg) and doc:
        return Grade(2, f"composition observed on only {rows} row(s) (median |γ_pred − γ_meas| = {dg:.3f}"
                        f"{', ' + c['same_rows'] if c.get('same_rows') else ''}): too few to grade γ; "
                        f"documented scope: {c['scope']} → 2" + src)
    if "kernel" in levels and "model" in levels and rows and _finite(dg):
        g = (f"kernel + model levels on {rows} row(s): median |γ_pred − γ_meas| = {dg:.3f} "
             f"(γ_meas median {c.get('gamma_measured', float('nan')):.3f}, γ_pred median "
             f"{c.get('gamma_predicted', float('nan')):.3f})")
        g += f", kernel-level MAPE {_pct(km)}" if _finite(km) else ", kernel level not validated"
        if dg > 0.20:
            return Grade(1, g + " → composition attempted, γ > 0.20" + src)
        if dg < 0.10 and _finite(km):
            return Grade(3, g + " → validated multi-level composition, γ < 0.10" + src)
        why = "0.10 ≤ γ ≤ 0.20" if dg >= 0.10 else "kernel level not validated"
        return Grade(2, g + f" → 2 ({why})" + src)
    if doc:
        return Grade(2, f"single-level ({'/'.join(levels) or 'model'}) prediction, documented scope: {c['scope']}" + src)
    return Grade(0, "no composition evidence and no documented scope")


# --- D3 -----------------------------------------------------------------------------------------
def _transfer(ev: Mapping[str, Any] | None) -> tuple[str, str]:
    """('ok' | 'fail' | 'weak' | 'none', text) for one held-out evidence dict {mape, n, what, how}."""
    if not ev or not _finite(ev.get("mape")) or not ev.get("n"):
        return "none", (ev or {}).get("why", "no held-out evidence")
    m = ev["mape"]
    state = "ok" if m <= TRANSFER_OK else "fail" if m > TRANSFER_FAIL else "weak"
    return state, f"{ev.get('what', '')} MAPE {_pct(m)} on {ev['n']} held-out rows ({ev.get('how', '')})"


def grade_d3(workload: Mapping[str, Any] | None, hardware: Mapping[str, Any] | None, predicted: bool) -> Grade:
    if not predicted:
        return Grade(0, "no prediction here: transfer not observable")
    sw, tw = _transfer(workload)
    sh, th = _transfer(hardware)
    text = f"cross-workload: {tw}; cross-hardware: {th}"
    states = (sw, sh)
    oks, fails = states.count("ok"), states.count("fail")
    if oks == 2:
        return Grade(3, text + " → both validated")
    if oks == 1 and fails == 0:
        return Grade(2, text + " → one of the two validated")
    if oks == 1:
        return Grade(1, text + " → one validated, the other fails (> 50 %)")
    if fails and fails == sum(s != "none" for s in states):
        return Grade(0, text + " → fails outside its training set")
    return Grade(1, text + " → transfer not validated (held-out MAPE > 25 % or untested)")


# --- D4 -----------------------------------------------------------------------------------------
def grade_d4(d: Mapping[str, Any]) -> Grade:
    """``status``/``reason`` (here), ``one_step`` install, ``ci_tested`` (+ ``ci_tests``), ``ttfp_s``, ``install``."""
    if d.get("status", "ok") != "ok":
        return Grade(0, f"{d.get('failure', 'F1')} here: {d.get('reason', '')}")
    t = d.get("ttfp_s")
    tt = f"time to first prediction {t:.1f} s" if _finite(t) else "time to first prediction not measured"
    inst = f"install: {d.get('install', '?')}"
    ci = f"CI-tested ({', '.join(d.get('ci_tests', ()))})" if d.get("ci_tested") else "not CI-tested here"
    text = f"{inst}; {tt}; {ci}"
    if d.get("one_step") and _finite(t) and t < TTFP_FAST_S and d.get("ci_tested"):
        return Grade(3, text + " → one step, < 30 min, CI-tested")
    if not _finite(t) or t < TTFP_SLOW_S:
        return Grade(2, text + " → works, < 2 h")
    return Grade(1, text + " → > 2 h to first prediction")


# --- D5 -----------------------------------------------------------------------------------------
def grade_d5(e: Mapping[str, Any]) -> Grade:
    """``hw_by_config`` (+ ``hw_how``), ``standard_formats`` (+ ``formats``), ``closed``."""
    hw = f"new hardware: {e.get('hw_how', '?')}"
    fm = f"workloads: {e.get('formats', '?')}"
    text = f"{hw}; {fm}"
    if e.get("closed"):
        return Grade(0, text + " → closed / no extension path")
    if not e.get("hw_by_config"):
        return Grade(1, text + " → new hardware needs code or measurements")
    if e.get("standard_formats"):
        return Grade(3, text + " → hardware by config, standard workload formats")
    return Grade(2, text + " → hardware by config, custom workload format")


# --- composite and rankings ------------------------------------------------------------------------
def composite(grades: Mapping[str, Grade], weights: Sequence[float]) -> float:
    return round(sum(w * grades[d].score for d, w in zip(DIMENSIONS, weights)), 3)


def ranking(scores: Mapping[str, float]) -> list[str]:
    """Names by descending score (ties: by name, for a stable order)."""
    return sorted(scores, key=lambda n: (-scores[n], n))


def rank_positions(scores: Mapping[str, float]) -> dict[str, int]:
    """Competition ranks (1, 2, 2, 4 ...): equal scores share a rank."""
    out, prev, pos = {}, None, 0
    for i, n in enumerate(ranking(scores), 1):
        if scores[n] != prev:
            pos, prev = i, scores[n]
        out[n] = pos
    return out


def sensitivity(composites: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """Does the ranking change between weightings? ``composites``: estimator -> weighting -> S."""
    by_w = {w: {n: c[w] for n, c in composites.items()} for w in WEIGHTS}
    ranks = {w: rank_positions(s) for w, s in by_w.items()}
    base = ranks["guide"]
    moves = {w: {n: r[n] - base[n] for n in r if r[n] != base[n]} for w, r in ranks.items() if w != "guide"}
    top = {w: [n for n, p in r.items() if p == 1] for w, r in ranks.items()}
    return {"ranks": ranks, "changes": {w: bool(m) for w, m in moves.items()}, "moves": moves, "top": top,
            "top_changes": any(set(t) != set(top["guide"]) for t in top.values())}
