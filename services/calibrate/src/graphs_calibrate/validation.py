"""Estimates against measurements of one device (``graphs validate``).

For every whole-model run of the device in the store (``graphs benchmark --suite models``):

* the model is traced by its frontend and estimated exactly as ``graphs analyze`` does
  (family default fusion, the calibration under test): APE, whether the measurement lies in
  the stated 90 % interval, confidence;
* two baselines from the same run: the **roofline** (the family engine's own peaks and
  bandwidth, no efficiency, no overheads) and the **priors** (the same engine without a
  calibration — the family's measured efficiency priors);
* the **composition gap** γ = |T_model − Σ T_kernel| / Σ T_kernel, *measured* (model time
  against the sum of its kernels timed in isolation during the same benchmark) and
  *predicted* (model estimate against the sum of its kernel estimates);
* the kernel sum: Σ kernel estimates over the measured kernels against Σ measured kernel
  times, whose APE is compared with the model's (**kernel→model error ratio** = model MAPE /
  kernel-sum MAPE: how much composing kernels into a model adds to the error).

For every kernel measurement (microbenchmarks and kernels timed inside models): estimate,
APE and interval coverage, grouped by the curve key the engine uses.

Runs and kernels of models the calibration was not fitted on (``conditions.fitted_models`` of
the calibration, written by ``graphs calibrate --holdout``) are **held out**: summaries are
given for held-out and fitted separately, per batch size, and the held-out ones are what a
claim of accuracy rests on.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

from graphs import metrics
from graphs_calibrate.fit import GraphCache, KernelPoint, base_mapper, canonical_models, load_measured
from graphs.errors import GraphsError
from graphs.store import ResultsStore


@dataclass
class ModelRow:
    model: str
    batch: int
    seq_len: int | None
    held_out: bool | None
    measured_s: float
    predicted_s: float
    low_s: float
    high_s: float
    ape: float
    inside: bool
    confidence: str
    roofline_s: float
    roofline_ape: float
    prior_s: float
    prior_ape: float
    kernels_traced: int
    kernels_measured: int
    kernels_measured_s: float | None       # Σ of its kernels timed in isolation
    kernels_estimated_s: float | None      # Σ estimates of those same measured kernels
    kernels_predicted_s: float             # Σ kernel estimates of the traced graph (no model overhead)
    kernel_sum_ape: float | None
    kernel_mape: float | None
    gamma_measured: float | None
    gamma_predicted: float


@dataclass
class KernelRow:
    name: str
    key: str
    model: str | None
    held_out: bool | None
    measured_s: float
    predicted_s: float
    low_s: float
    high_s: float
    ape: float
    inside: bool
    confidence: str


def _ape(p: float, m: float) -> float:
    return abs(p - m) / m * 100.0


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def summarize(rows: Sequence[ModelRow]) -> dict[str, Any]:
    if not rows:
        return {"n": 0}
    meas = [r.measured_s for r in rows]
    s = metrics.score([r.predicted_s for r in rows], meas, [r.low_s for r in rows], [r.high_s for r in rows])
    ks = [r for r in rows if r.kernel_sum_ape is not None]
    kmape = float(np.mean([r.kernel_sum_ape for r in ks])) if ks else None
    gm = [r.gamma_measured for r in rows if r.gamma_measured is not None]
    return {
        "n": s.n, "mape": s.mape, "max_ape": s.max_ape, "spearman": _finite(s.spearman), "coverage": s.coverage,
        "roofline_mape": metrics.mape([r.roofline_s for r in rows], meas),
        "prior_mape": metrics.mape([r.prior_s for r in rows], meas),
        "kernel_sum_mape": kmape,
        "kernel_to_model_ratio": (s.mape / kmape) if kmape else None,
        "gamma_measured": float(np.mean(gm)) if gm else None,
        "gamma_predicted": float(np.mean([r.gamma_predicted for r in rows])),
    }


def summarize_kernels(rows: Sequence[KernelRow]) -> dict[str, Any]:
    if not rows:
        return {"n": 0}
    s = metrics.score([r.predicted_s for r in rows], [r.measured_s for r in rows], [r.low_s for r in rows],
                      [r.high_s for r in rows])
    return {"n": s.n, "mape": s.mape, "median_ape": float(np.median([r.ape for r in rows])), "max_ape": s.max_ape,
            "spearman": _finite(s.spearman), "coverage": s.coverage}


@dataclass
class Report:
    device: str
    calibration: str
    conditions: dict[str, Any]
    models: list[ModelRow]
    kernels: list[KernelRow]
    skipped: list[str]

    def groups(self) -> dict[str, list[ModelRow]]:
        out: dict[str, list[ModelRow]] = defaultdict(list)
        for r in self.models:
            tag = "held-out" if r.held_out else ("fitted" if r.held_out is False else "unknown")
            out[f"{tag} b{r.batch}"].append(r)
            out[tag].append(r)
        out["all"] = list(self.models)
        return dict(out)

    def kernel_groups(self) -> dict[str, list[KernelRow]]:
        out: dict[str, list[KernelRow]] = defaultdict(list)
        for r in self.kernels:
            where = "microbenchmark" if r.model is None else ("held-out model" if r.held_out else "fitted model")
            out[f"{where} / {r.key}"].append(r)
            out[where].append(r)
        return dict(sorted(out.items()))

    def summary(self) -> dict[str, Any]:
        return {k: summarize(v) for k, v in self.groups().items()}

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "calibration": self.calibration, "conditions": self.conditions,
                "summary": self.summary(),
                "kernels_summary": {k: summarize_kernels(v) for k, v in self.kernel_groups().items()},
                "models": [asdict(r) for r in self.models], "kernels": [asdict(r) for r in self.kernels],
                "skipped": self.skipped}


def validate(store: ResultsStore, hw: str, plugins, *, calibration: Any = None, models: Sequence[str] = (),
             graphs: GraphCache | None = None, kernels: bool = True, statistic: str | None = None) -> Report:
    """Score ``hw``'s estimates (with ``calibration``, else the device's own) on its measurements in ``store``."""
    entry = plugins.hardware_entry(hw)
    hw_id = entry.spec.id
    cal = calibration if calibration is not None else plugins.calibration_for(hw)
    if cal is None:
        raise GraphsError(f"{hw_id}: no calibration to validate (run `graphs calibrate --hardware {hw}` "
                          "or give --calibration FILE)")
    if cal.device != hw_id:
        raise GraphsError(f"the calibration is for {cal.device!r}, not {hw_id!r}")
    cond = dict(cal.conditions or {})
    statistic = statistic or cond.get("statistic") or "median"   # score the times the calibration was fitted on
    meas = load_measured(store, hw_id, plugins, statistic=statistic)
    only = set(canonical_models(models, plugins)) if models else None
    fitted = set(cond["fitted_models"]) if "fitted_models" in cond else None
    mcond = {**meas.conditions}
    mapper = base_mapper(plugins, hw, cal, mcond)
    if mapper.calibration is None:
        raise GraphsError(f"{hw_id}: the calibration does not apply to these measurements "
                          f"({'; '.join(mapper.notes) or 'refused by the family engine'})")
    prior = base_mapper(plugins, hw, None, mcond)
    graphs = graphs or GraphCache(plugins)
    by_run: dict[tuple, list[KernelPoint]] = defaultdict(list)
    for p in meas.kernels:
        if p.model is not None:
            pr = p.sm.m.params
            by_run[(p.model, int(pr.get("batch", 0)), pr.get("seq_len") or None)].append(p)

    def held(model: str | None) -> bool | None:
        if model is None:
            return False
        return None if fitted is None else model not in fitted

    def kest(p: KernelPoint):
        ests = [mapper.estimate_kernel(k) for k in p.kernels]
        return (sum(e.time_s for e in ests), sum(e.low_s for e in ests), sum(e.high_s for e in ests),
                min(e.confidence for e in ests).name, ests)

    model_rows: list[ModelRow] = []
    skipped: list[str] = []
    from graphs_calibrate.fit import kernels_estimate

    for run in meas.models:
        if only is not None and run.model not in only:
            continue
        try:
            a = graphs.analysis(run, mapper.default_fusion)
            k_sum, r = kernels_estimate(a, mapper)
            _, rp = kernels_estimate(a, prior)
        except GraphsError as e:
            skipped.append(f"{run.model} b{run.batch}: {e}")
            continue
        roof = sum(mapper.roofline(k, mapper.precision_of(k))[0] for k in a.kernels)
        t = run.seconds
        pts = by_run.get(run.key, [])
        km = ke = None
        kmape = None
        if pts:
            km = sum(p.seconds for p in pts)
            ests = [kest(p) for p in pts]
            ke = sum(e[0] for e in ests)
            kmape = float(np.mean([_ape(e[0], p.seconds) for e, p in zip(ests, pts)]))
        model_rows.append(ModelRow(
            model=run.model, batch=run.batch, seq_len=run.seq_len, held_out=held(run.model), measured_s=t,
            predicted_s=r.value, low_s=r.low, high_s=r.high, ape=_ape(r.value, t), inside=r.low <= t <= r.high,
            confidence=r.confidence.name, roofline_s=roof, roofline_ape=_ape(roof, t), prior_s=rp.value,
            prior_ape=_ape(rp.value, t), kernels_traced=len(r.breakdown), kernels_measured=len(pts),
            kernels_measured_s=km, kernels_estimated_s=ke, kernels_predicted_s=k_sum,
            kernel_sum_ape=_ape(ke, km) if km else None, kernel_mape=kmape,
            gamma_measured=metrics.composition_gap(t, [km]) if km else None,
            gamma_predicted=metrics.composition_gap(r.value, [k_sum])))
    kernel_rows: list[KernelRow] = []
    if kernels:
        for p in meas.kernels:
            if only is not None and p.model not in only:   # --models: only those models' kernels
                continue
            v, lo, hi, conf, ests = kest(p)
            key = mapper.calibration_keys(p.kernels[0])[0] if len(p.kernels) == 1 else "multi-kernel"
            kernel_rows.append(KernelRow(name=p.sm.m.name, key=key, model=p.model, held_out=held(p.model),
                                         measured_s=p.seconds, predicted_s=v, low_s=lo, high_s=hi,
                                         ape=_ape(v, p.seconds), inside=lo <= p.seconds <= hi, confidence=conf))
    if not model_rows and not kernel_rows:
        raise GraphsError(f"{hw_id}: nothing to validate in {store.path}" + (f" for models {sorted(only)}" if only else ""))
    return Report(hw_id, cal.source, cond, model_rows, kernel_rows, skipped)



# --- tables ------------------------------------------------------------------------------------------------
def _pct(x: float | None) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:.1f}%"


def _f(x: float | None, fmt: str = "{:.2f}") -> str:
    return "–" if x is None or not math.isfinite(x) else fmt.format(x)


def _ms(x: float | None) -> str:
    return "–" if x is None else f"{x * 1e3:.3g} ms"


def validation_tables(rep: Report) -> list[Any]:
    """Rich tables: per model run, per group summary, per kernel group."""
    from rich.table import Table

    t = Table(title=f"{rep.device}: models (estimate vs measured)", title_justify="left")
    for c in ("model", "batch", "set", "measured", "estimate", "APE", "in 90%", "conf", "roofline APE",
              "priors APE", "γ meas", "γ pred", "kernels Σ APE"):
        t.add_column(c, justify="left" if c in ("model", "set", "conf") else "right")
    for r in sorted(rep.models, key=lambda r: (not r.held_out, r.model, r.batch)):
        t.add_row(r.model, str(r.batch), "held out" if r.held_out else ("fitted" if r.held_out is False else "?"),
                  _ms(r.measured_s), _ms(r.predicted_s), _pct(r.ape), "yes" if r.inside else "no", r.confidence[:5],
                  _pct(r.roofline_ape), _pct(r.prior_ape), _f(r.gamma_measured), _f(r.gamma_predicted),
                  _pct(r.kernel_sum_ape))
    s = Table(title=f"{rep.device}: summary by set (MAPE of this calibration, the priors and the roofline)",
              title_justify="left")
    for c in ("set", "n", "MAPE", "max APE", "Spearman ρ", "coverage 90%", "priors MAPE", "roofline MAPE",
              "kernel Σ MAPE", "kernel→model", "γ meas", "γ pred"):
        s.add_column(c, justify="left" if c == "set" else "right")
    for name, v in rep.summary().items():
        if not v.get("n"):
            continue
        s.add_row(name, str(v["n"]), _pct(v["mape"]), _pct(v["max_ape"]), _f(v["spearman"], "{:.3f}"),
                  _pct(v["coverage"] * 100 if v["coverage"] is not None else None), _pct(v["prior_mape"]),
                  _pct(v["roofline_mape"]), _pct(v["kernel_sum_mape"]), _f(v["kernel_to_model_ratio"]),
                  _f(v["gamma_measured"], "{:.3f}"), _f(v["gamma_predicted"], "{:.3f}"))
    k = Table(title=f"{rep.device}: kernels (each timed alone)", title_justify="left")
    for c in ("set / curve key", "n", "MAPE", "median APE", "max APE", "Spearman ρ", "coverage 90%"):
        k.add_column(c, justify="left" if c.startswith("set") else "right")
    for name, rows in rep.kernel_groups().items():
        v = summarize_kernels(rows)
        k.add_row(name, str(v["n"]), _pct(v["mape"]), _pct(v["median_ape"]), _pct(v["max_ape"]),
                  _f(v["spearman"], "{:.3f}"), _pct(v["coverage"] * 100))
    return [t, s, k] if rep.kernels else [t, s]


def calibration_table(cal: Any, rep: dict[str, Any]) -> Any:
    from rich.table import Table

    t = Table(title=(f"calibration of {cal.device}: {rep['kernels_fitted']} kernels fitted "
                     f"({rep['kernels_held_out']} of held-out models left out), {rep['model_runs_fitted']} model runs; "
                     f"held out: {', '.join(rep['holdout']) or 'none'}"), title_justify="left")
    for c in ("curve key", "n", "roofline range", "ratio at ends", "residual p5 / p50 / p95"):
        t.add_column(c, justify="left" if c == "curve key" else "right")
    for key, c in cal.curves.items():
        t.add_row(key, str(c.n), f"{c.x_min * 1e6:.3g}–{c.x_max * 1e6:.3g} µs",
                  f"{c.points[0][1]:.3g} → {c.points[-1][1]:.3g}",
                  f"{c.residuals.q05:.2f} / {c.residuals.q50:.2f} / {c.residuals.q95:.2f}")
    ko, mo = cal.kernel_overhead, cal.model_overhead
    terms = cal.model_overhead_terms or {}
    t.caption = (f"dispatch overhead per kernel: {_ms(ko.value_s) if ko else '– (family value)'}; "
                 f"per model: {_ms(mo.value_s) if mo else '– (family value)'}"
                 + (f" + {cal.model_overhead_fraction or 0:.3g} × Σ kernels" if mo else "")
                 + "".join(f" + {v:.3g} s × {n}" for n, v in terms.items()))
    return t
