"""``compare()``: run every estimator on a suite, join with ground truth, score MTAP D1–D5.

    from graphs_compare import compare
    c = compare("measured")              # NeuSight labels: graphs, recorded sets, every tool adapter
    c = compare("llm")                   # ML.ENERGY decode rows: graphs vs GenZ vs llm-analysis (vs VIDUR)
    c = compare("core", store="results.sqlite")
    print(render(c, "markdown"))

Suites: ``measured`` (= category ``gpu``), ``core``, and the categories ``llm``, ``accel`` and
``collectives`` (:mod:`graphs_compare.categories`). Only estimators with at least one prediction
on a row with ground truth are ranked; a suite without ground truth ranks nobody.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from graphs import metrics
from graphs_compare import rubric
from graphs_compare.estimators import graphs_on_core, graphs_on_measured, recorded_sets
from graphs_compare.facts import deployment_evidence, extension_evidence, facts_for
from graphs_compare.model import EstimatorRun, Grade, Scorecard
from graphs_compare.progress import NullProgress
from graphs_compare.suites import SUITES, Suite, core_suite, default_data_root, measured_suite
from graphs_compare.toolruns import tool_runs
from graphs.errors import GraphsError


@dataclass
class Comparison:
    suite: Suite
    runs: list[EstimatorRun]
    cards: list[Scorecard]
    sensitivity: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)   # estimator -> wall seconds in this comparison

    @property
    def has_truth(self) -> bool:
        return any(r.measured_s for r in self.suite.rows)

    def ranked(self, name: str) -> bool:
        """Whether ``name`` is ranked: it predicted at least one row that has ground truth."""
        return name in self.sensitivity.get("ranks", {}).get("guide", {})

    def card(self, name: str) -> Scorecard:
        return next(c for c in self.cards if c.estimator == name)

    def to_dict(self, rows: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "suite": {"name": self.suite.name, "description": self.suite.description, "rows": len(self.suite.rows),
                      "with_ground_truth": sum(r.measured_s is not None for r in self.suite.rows),
                      "settings": self.suite.settings},
            "weights": {k: list(v) for k, v in rubric.WEIGHTS.items()},
            "scorecards": [c.to_dict() for c in self.cards], "sensitivity": self.sensitivity,
            "notes": self.notes, "wall_s": round(self.wall_s, 2),
            "estimator_wall_s": {k: round(v, 2) for k, v in self.timings.items()},
            "ranked": sorted(self.sensitivity.get("ranks", {}).get("guide", {}))}
        if rows:
            d["rows"] = [{"key": r.key, "model": r.model, "hardware": r.hardware, "seq": r.seq, "batch": r.batch,
                          "precision": r.precision, "measured_s": r.measured_s, "truth": r.truth,
                          "extra": _jsonable(r.extra),
                          "predictions": {run.name: _outcome_dict(run.outcomes.get(r.key)) for run in self.runs}}
                         for r in self.suite.rows]
        return d


def _outcome_dict(o) -> dict[str, Any] | None:
    if o is None:
        return None
    d = {"predicted_s": o.predicted_s, "failure": o.failure, "reason": o.reason or None}
    if o.metrics:
        d["metrics"] = _jsonable(o.metrics)
    if o.cached:
        d["cached"] = True
    return d


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v if isinstance(v, (str, int, float, bool)) or v is None else str(v)


# --- scoring ----------------------------------------------------------------------------------------------
def _mean_device_rho(pairs_by_device: dict[str, list[tuple[float, float]]]) -> float:
    rhos = [metrics.spearman([p for p, _ in v], [m for _, m in v]) for v in pairs_by_device.values() if len(v) >= 3]
    rhos = [r for r in rhos if np.isfinite(r)]
    return float(np.mean(rhos)) if rhos else float("nan")


def _deployment(run: EstimatorRun, plugins) -> dict[str, Any]:
    if run.kind == "tool":
        adapter = plugins.tools[run.name][0]
        fail = None if run.status == "ok" else ("F2" if run.status == "runtime_failure" else "F1")
        return deployment_evidence(run.name, status=run.status, reason=run.status_reason, failure=fail,
                                   ttfp_s=run.ttfp_s, adapter=adapter)
    if run.kind == "recorded":
        method = run.name.split(":", 1)[1]
        from graphs_compare.estimators import recorder
        found = recorder(plugins)
        tool = found[0] if found is not None and found[0] == method else None
        f = facts_for(method, found[1] if tool else None)
        if tool is not None:
            from graphs_tools import doctor
            d = doctor(plugins.tools[tool][0])
            ev = deployment_evidence(method, status=d.status.value, failure=d.failure_class, ttfp_s=run.ttfp_s,
                                     reason=f"the replay loads, but a new prediction needs {tool}: {d.reason}")
        elif f.get("formula"):
            ev = deployment_evidence(method, status="ok", reason="", failure=None, ttfp_s=run.ttfp_s)
        else:
            ev = deployment_evidence(method, status="not_installed", failure="F1", ttfp_s=run.ttfp_s,
                                     reason=f"the replay loads, but no tool makes new predictions here: {f['install']}")
        return ev
    failed_path = run.ttfp_s is None and run.ttfp_how.startswith(("the prediction path failed", "no prediction"))
    ok = bool(run.predictions()) and not failed_path
    reason = run.ttfp_how if failed_path else "no prediction on any row"
    return deployment_evidence(run.name, status="ok" if ok else "runtime_failure", failure=None if ok else "F2",
                               reason="" if ok else reason, ttfp_s=run.ttfp_s)


def score_run(run: EstimatorRun, suite: Suite, plugins, reference: dict[str, Grade] | None = None) -> Scorecard:
    fails: Counter = Counter()
    reasons: dict[str, str] = {}
    by_dev: dict[str, list[tuple[float, float]]] = {}
    independent = True
    for row in suite.rows:
        o = run.outcomes.get(row.key)
        if o is None:
            continue
        if o.failure:
            fails[o.failure] += 1
            reasons.setdefault(o.failure, o.reason)
            continue
        if o.ok and row.measured_s:
            ape = abs(o.predicted_s - row.measured_s) / row.measured_s * 100
            if ape > rubric.F3_APE:
                o.failure = "F3"
                fails["F3"] += 1
                reasons.setdefault("F3", f"{row.key}: {ape:.0f}% off the measured {row.measured_s * 1e3:.1f} ms")
            by_dev.setdefault(row.hardware, []).append((o.predicted_s, row.measured_s))
            independent &= row.independent
    pairs = [p for v in by_dev.values() for p in v]
    n_pred = len(run.predictions())
    mape = metrics.mape([p for p, _ in pairs], [m for _, m in pairs]) if pairs else float("nan")
    rho = _mean_device_rho(by_dev)
    ref = (reference or {}).get("D1")
    grades = {
        "D1": rubric.grade_d1(len(pairs), mape, rho, independent=independent and bool(pairs), devices=len(by_dev),
                              reference=ref),
        "D2": rubric.grade_d2(run.composition, n_pred > 0),
        "D3": rubric.grade_d3(run.held_out.get("workload"), run.held_out.get("hardware"), n_pred > 0),
        "D4": rubric.grade_d4(run.deployment),
        "D5": rubric.grade_d5(run.extension),
    }
    for dim in ("D2", "D3"):
        if reference and dim in reference and not pairs:
            g = reference[dim]
            grades[dim] = Grade(g.score, f"{g.evidence} [measured suite]")
    comp = {w: rubric.composite(grades, ws) for w, ws in rubric.WEIGHTS.items()}
    m = {"rows": len(suite.rows), "predicted": n_pred, "with_truth": len(pairs), "mape": mape,
         "max_ape": metrics.max_ape([p for p, _ in pairs], [m_ for _, m_ in pairs]) if pairs else float("nan"),
         "rho": rho, "devices": len(by_dev),
         "rho_pooled": metrics.spearman([p for p, _ in pairs], [m_ for _, m_ in pairs]) if pairs else float("nan")}
    return Scorecard(run.name, run.kind, grades, comp, _clean(m), dict(fails), reasons, run.ttfp_s, run.ttfp_how,
                     run.wall_s)


def _clean(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in d.items()}


# --- the entry point ----------------------------------------------------------------------------------------
def build_suite(name: str, plugins, *, data: str | Path | None = None, store: str | Path | None = None,
                precision: str | None = None, gpus: Sequence[str] | None = None) -> Suite:
    """The suite called ``name`` (see :data:`graphs_compare.suites.SUITES`)."""
    from graphs_compare import categories
    if name not in SUITES:
        raise GraphsError(f"unknown suite {name!r}: expected one of {', '.join(SUITES)} (or 'all')")
    if name in ("measured", "gpu"):
        s = measured_suite(data, plugins, gpus)
        s.name = name
        return s
    if name == "core":
        s = core_suite(plugins, store, **({"precision": precision} if precision else {}))
        base = Path(data) if data is not None else default_data_root()
        s.data_root = base / "neusight" if (base / "neusight").is_dir() else None
        return s
    if name == "llm":
        return categories.llm_suite(data, plugins)
    if name == "accel":
        return categories.accel_suite(plugins)
    return categories.collectives_suite(data, plugins)


def compare(suite: str | Suite = "measured", plugins=None, *, data: str | Path | None = None,
            store: str | Path | None = None, precision: str | None = None, gpus: Sequence[str] | None = None,
            only: Sequence[str] | None = None, ttfp: bool = True, tool_inputs: str | Path | None = None,
            timeout_s: float = 600.0, cache: Any = None, use_cache: bool = True, progress: Any = None,
            jobs: int = 4) -> Comparison:
    """Run and score every estimator on ``suite`` (a name in :data:`SUITES` or a :class:`Suite`).

    Tool adapters run concurrently with graphs' own estimators (``jobs`` threads; the tools are
    subprocesses); tool runs are cached by input hash (``cache``: a :class:`graphs_tools.ToolRunCache`,
    default the user cache; ``use_cache=False`` ignores it); ``progress`` gets one task per estimator.
    """
    t0 = time.monotonic()
    if plugins is None:
        from graphs.plugins import get_plugins
        plugins = get_plugins()
    s = build_suite(suite, plugins, data=data, store=store, precision=precision, gpus=gpus) \
        if isinstance(suite, str) else suite
    progress = progress or NullProgress()
    plugins.plugins      # every hook collected and every family engine imported before threads share the registry
    if cache is None:
        from graphs_tools import ToolRunCache
        cache = ToolRunCache(enabled=use_cache)
    notes: list[str] = []
    want = set(only) if only else None

    def wanted(name: str) -> bool:
        return want is None or name in want or (name.startswith("recorded:") and "recorded" in want)

    runs: list[EstimatorRun] = []
    timings: dict[str, float] = {}
    reference: dict[str, dict[str, Grade]] = {}
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=1) as ex:
        t_tools = time.monotonic()
        fut = ex.submit(tool_runs, s, plugins, work_dir=tool_inputs, timeout_s=timeout_s, cache=cache,
                        progress=progress, jobs=jobs, only=wanted) if any(map(wanted, plugins.tools)) else None
        if wanted("graphs") or wanted("graphs-roofline"):
            tg = time.monotonic()
            task = progress.task("graphs", len(s.rows))
            g_runs = _graphs_runs(s, plugins, ttfp=ttfp)
            progress.finish(task)
            timings["graphs"] = time.monotonic() - tg
            for r in g_runs:
                r.wall_s = timings["graphs"]
            runs += g_runs
            if s.name == "core":
                reference = _measured_reference(plugins, data, notes)
        if s.data_root is not None and any(wanted(f"recorded:{m}") for m in ("neusight", "habitat", "roofline",
                                                                              "li-et-al")):
            tr0 = time.monotonic()
            rec, note = recorded_sets(s, plugins)
            for r in rec:
                r.wall_s = time.monotonic() - tr0
            runs += rec
            notes.append(note)
        if fut is not None:
            truns = fut.result()
            runs += truns
            timings["tools (all, concurrently)"] = time.monotonic() - t_tools
            for r in truns:
                if r.wall_s is not None:
                    timings[r.name] = r.wall_s
    runs = [r for r in runs if wanted(r.name)]
    if not runs:
        raise GraphsError(f"no estimator selected (--only {', '.join(only or [])})")
    for run in runs:
        method = run.name.split(":", 1)[1] if run.kind == "recorded" else run.name
        adapter = plugins.tools[method][0] if method in plugins.tools else None
        run.deployment = _deployment(run, plugins)
        run.extension = extension_evidence(method, plugins, adapter)
    _same_rows_gamma(runs)
    cards = [score_run(r, s, plugins, reference.get(r.name)) for r in runs]
    _same_rows_d1(runs, cards, s)
    ranked = {c.estimator: c.composite for c in cards if c.metrics.get("with_truth")}
    sens = rubric.sensitivity(ranked) if ranked else {"ranks": {w: {} for w in rubric.WEIGHTS}, "changes": {},
                                                      "moves": {}, "top": {w: [] for w in rubric.WEIGHTS},
                                                      "top_changes": False}
    unranked = sorted(c.estimator for c in cards if not c.metrics.get("with_truth"))
    if not any(r.measured_s for r in s.rows):
        notes.append("no ground truth on this suite's rows: no estimator is ranked (scores are shown for the record); "
                     "D1 is capped at 2 and, for graphs, at the grade measured on the measured suite")
    elif unranked:
        notes.append(f"not ranked (no prediction on a row with ground truth): {', '.join(unranked)}")
    if cache.enabled and (cache.hits or cache.misses):
        notes.append(f"tool-run cache {cache.root}: {cache.hits} hit(s)")
    return Comparison(s, runs, cards, sens, notes, time.monotonic() - t0, timings)


def _graphs_runs(s: Suite, plugins, *, ttfp: bool) -> list[EstimatorRun]:
    from graphs_compare import graphs_runs
    if s.name in ("measured", "gpu"):
        return graphs_on_measured(s, plugins, ttfp=ttfp)
    if s.name == "llm":
        return graphs_runs.graphs_on_llm(s, plugins, ttfp=ttfp)
    if s.name == "accel":
        return graphs_runs.graphs_on_accel(s, plugins, ttfp=ttfp)
    if s.name == "collectives":
        return graphs_runs.graphs_on_collectives(s, plugins, ttfp=ttfp)
    return graphs_on_core(s, plugins, ttfp=ttfp)


def _same_rows_d1(runs: list[EstimatorRun], cards: list[Scorecard], suite: Suite) -> None:
    """Peers are compared with graphs on the same rows (GUIDE §4): add graphs' MAPE on each peer's rows."""
    g = next((r for r in runs if r.name == "graphs"), None)
    if g is None:
        return
    gp = g.predictions()
    for run, card in zip(runs, cards):
        if run is g or run.name == "graphs-roofline":
            continue
        keys = [k for k in run.predictions() if k in gp and suite.row(k).measured_s]
        if not keys:
            continue
        meas = [suite.row(k).measured_s for k in keys]
        gm = metrics.mape([gp[k] for k in keys], meas)
        om = metrics.mape([run.outcomes[k].predicted_s for k in keys], meas)
        card.metrics["same_rows"] = {"n": len(keys), "mape": om, "graphs_mape": gm}
        d1 = card.grades["D1"]
        card.grades["D1"] = Grade(d1.score, f"{d1.evidence} (on the {len(keys)} rows graphs also predicts: "
                                            f"{om:.1f}% vs graphs {gm:.1f}%)")


def _same_rows_gamma(runs: list[EstimatorRun]) -> None:
    """Where an estimator's composition evidence covers only a few rows, say what graphs shows on the same rows."""
    g = next((r for r in runs if r.name == "graphs"), None)
    for run in runs:
        keys = run.composition.get("rows_keys")
        if g is None or run is g or not keys:
            continue
        d = [abs(o.gamma_predicted - o.gamma_measured) for k in keys for o in [g.outcomes.get(k)]
             if o is not None and o.gamma_predicted is not None and o.gamma_measured is not None]
        if d:
            run.composition["same_rows"] = f"graphs on the same row(s): {float(np.median(d)):.3f}"


def _measured_reference(plugins, data, notes: list[str]) -> dict[str, dict[str, Grade]]:
    """graphs' grades on the measured suite: what the core suite may carry (D1 capped at 2)."""
    try:
        ms = measured_suite(data, plugins)
    except GraphsError as e:
        notes.append(f"no measured-suite reference for graphs: {e}")
        return {}
    out = {}
    for run in graphs_on_measured(ms, plugins, ttfp=False):
        run.deployment = {"status": "ok"}
        run.extension = {}
        card = score_run(run, ms, plugins)
        out[run.name] = {d: card.grades[d] for d in ("D1", "D2", "D3")}
    notes.append("reference: graphs scored on the measured suite in the same run (for the D1 cap and D2/D3)")
    return out
