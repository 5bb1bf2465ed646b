"""The estimators the harness runs on a suite, each giving an :class:`EstimatorRun`.

* **graphs** — the family engine of each row's device with its installed calibration (fitted on
  single-kernel benchmarks only), and **graphs-roofline**, the same kernels at vendor peaks (the floor).
  Measured suite: :func:`graphs_datasets.validate.validate_dir` (one run with own calibrations, one
  leave-one-GPU-out for D3). Core suite: :func:`graphs.estimate.estimate` on the zoo model.
* **recorded:<method>** — NeuSight, Habitat, roofline and Li et al. as published in the NeuSight
  artifact, replayed by ``graphs-neusight``'s ``RecordedPredictions``.
* **each tool adapter** — scope check (F4), the tool's workload written, then run if ``doctor()`` says
  it can run; otherwise its diagnosis is the outcome (F1 install/build/data, F2 runtime).
"""

from __future__ import annotations

import csv
import json
import math
import re
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from graphs import metrics
from graphs_compare.facts import facts_for
from graphs_compare.first import time_first_prediction
from graphs_compare.model import EstimatorRun, Outcome
from graphs_compare.suites import Suite
from graphs.errors import GraphsError

KERNEL_ONLY_MARK = "model labels not used"


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _mape_of(pairs: Sequence[tuple[float, float]]) -> float:
    return metrics.mape([p for p, _ in pairs], [m for _, m in pairs]) if pairs else float("nan")


def _pairs(run: EstimatorRun, suite: Suite, keys=None) -> list[tuple[float, float]]:
    out = []
    for r in suite.rows:
        o = run.outcomes.get(r.key)
        if o is not None and o.ok and r.measured_s and (keys is None or r.key in keys):
            out.append((o.predicted_s, r.measured_s))
    return out


def composition_summary(outcomes: Sequence[Outcome], levels: Sequence[str], source: str) -> dict[str, Any]:
    both = [o for o in outcomes if _finite(o.gamma_measured) and _finite(o.gamma_predicted)]
    km = [o.kernel_mape for o in both if _finite(o.kernel_mape)]
    if not both:
        return {"levels": tuple(levels), "rows": 0, "source": source}
    return {"levels": tuple(levels), "rows": len(both), "source": source,
            "dgamma": float(np.median([abs(o.gamma_predicted - o.gamma_measured) for o in both])),
            "gamma_measured": float(np.median([o.gamma_measured for o in both])),
            "gamma_predicted": float(np.median([o.gamma_predicted for o in both])),
            "kernel_mape": float(np.mean(km)) if km else float("nan")}


# --- graphs ---------------------------------------------------------------------------------------------
def _calibrations_kernel_only(plugins, family: str = "gpu") -> tuple[bool, str]:
    cals = {hw: e.calibration for hw, e in plugins.hardware.items()
            if e.family == family and e.calibration is not None and e.calibration.curves}
    bad = sorted(hw for hw, c in cals.items() if KERNEL_ONLY_MARK not in (c.source or ""))
    if bad:
        return False, f"calibration(s) of {', '.join(bad)} do not state that model labels were left out"
    return True, (f"every installed {family.upper()} calibration ({len(cals)}) is fitted on single-kernel benchmarks "
                  f"('{KERNEL_ONLY_MARK}'), so every whole model is a held-out workload")


def graphs_on_measured(suite: Suite, plugins, *, ttfp: bool = True) -> list[EstimatorRun]:
    from graphs_datasets.validate import validate_dir

    gpus = suite.settings["gpus"]
    rep = validate_dir(suite.data_root, plugins, gpus=gpus)
    loo = validate_dir(suite.data_root, plugins, leave_one_out=True, gpus=gpus)
    by = {f"{r.gpu}/{r.tag}": r for r in rep.rows}
    skipped = {s["label"]: s["why"] for s in rep.skipped}
    g = EstimatorRun("graphs", "graphs", "graphs GPU engine, each device's installed calibration (kernel-fitted) "
                                         "or one transferred from its siblings")
    roof = EstimatorRun("graphs-roofline", "graphs", "graphs' kernels at vendor peaks (spec sheet roofline)")
    for row in suite.rows:
        r = by.get(row.key)
        if r is None:
            why = skipped.get(f"{row.device_name}/{row.tag}.json", "not scored by validate_dir")
            for e in (g, roof):
                e.outcomes[row.key] = Outcome(row.key, failure="F4", reason=f"graphs cannot build this model here: {why}")
            continue
        g.outcomes[row.key] = Outcome(row.key, r.predicted_s, kernels_s=r.kernels_predicted_s,
                                      gamma_measured=r.gamma_measured, gamma_predicted=r.gamma_predicted,
                                      kernel_mape=r.kernel_mape)
        roof.outcomes[row.key] = Outcome(row.key, r.roofline_s)
    g.composition = composition_summary(list(g.outcomes.values()), ("kernel", "model"),
                                        "label per-op CSVs (kernel level) and label JSONs (model level)")
    roof.composition = {"levels": ("model",), "rows": 0, "scope": facts_for("graphs-roofline")["scope"]}
    ok, how = _calibrations_kernel_only(plugins)
    pairs = _pairs(g, suite)
    models = sorted({suite.row(k).model for k in g.predictions()})
    g.held_out["workload"] = ({"mape": _mape_of(pairs), "n": len(pairs), "what": f"{len(models)} models", "how": how}
                              if ok else {"why": how})
    lpairs = [(r.predicted_s, r.measured_s) for r in loo.rows]
    g.held_out["hardware"] = {"mape": _mape_of(lpairs), "n": len(lpairs), "what": f"leave-one-GPU-out, {len(loo.per_gpu)} GPUs",
                              "how": "each GPU predicted with calibrations transferred from the other GPUs only",
                              "per_gpu": {k: v["mape"] for k, v in loo.per_gpu.items()}}
    rpairs = _pairs(roof, suite)
    for dim in ("workload", "hardware"):
        roof.held_out[dim] = {"mape": _mape_of(rpairs), "n": len(rpairs), "what": "all rows",
                              "how": "nothing is fitted: every row is held out"}
    own = sorted(hw for hw, d in rep.calibrations.items() if d.startswith("own"))
    g.notes.append(f"calibrations: own (kernel-fitted) for {', '.join(own) or 'none'}; "
                   f"transferred from sibling GPUs for {', '.join(sorted(set(rep.calibrations) - set(own))) or 'none'}")
    if ttfp and rep.rows:
        t, how = time_first_prediction(["measured", str(suite.data_root), rep.rows[0].gpu])
        for e in (g, roof):
            e.ttfp_s, e.ttfp_how = t, how
    elif not ttfp:
        g.ttfp_how = roof.ttfp_how = "not measured (ttfp off)"
    return [g, roof]


def graphs_on_core(suite: Suite, plugins, *, ttfp: bool = True) -> list[EstimatorRun]:
    from graphs.estimate import estimate
    from graphs.frontends import LoadOptions, load_model
    from graphs_tools import to_seconds

    g = EstimatorRun("graphs", "graphs", "graphs family engine with each device's installed calibration (or priors)")
    graphs_cache: dict[tuple, Any] = {}
    for row in suite.rows:
        key = (row.model, row.batch, row.seq)
        try:
            if key not in graphs_cache:
                graphs_cache[key] = load_model(row.model, LoadOptions(batch=row.batch, seq_len=row.seq), plugins)
            res = estimate(graphs_cache[key], row.hardware, plugins, precision=row.precision)
        except GraphsError as e:
            g.outcomes[row.key] = Outcome(row.key, failure="F2", reason=str(e))
            continue
        t = to_seconds(res)
        ks = sum(k.time_s for k in res.breakdown)
        g.outcomes[row.key] = Outcome(row.key, t, kernels_s=ks,
                                      gamma_predicted=metrics.composition_gap(t, [ks]) if ks > 0 else None,
                                      reason=f"{res.confidence.name}")
    g.composition = {"levels": ("kernel", "model"), "rows": 0, "scope": facts_for("graphs")["scope"]}
    if ttfp and suite.rows:
        r = suite.rows[0]
        t, how = time_first_prediction(["core", r.model, r.hardware, r.precision, str(r.batch)] +
                                       ([str(r.seq)] if r.seq else []))
        g.ttfp_s, g.ttfp_how = t, how
    elif not ttfp:
        g.ttfp_how = "not measured (ttfp off)"
    return [g]


# --- recorded sets --------------------------------------------------------------------------------------------
PUBLISHED_METHODS = {"Roofline": "roofline", "Habitat": "habitat", "Li et al.": "li-et-al", "NeuSight": "neusight"}


def published_method_errors(root: Path) -> dict[tuple[str, str], list[float]]:
    """(GPU, method) -> NeuSight's published inference percent errors (``peer_summary/nvidia_inf.csv``)."""
    f = root / "peer_summary" / "nvidia_inf.csv"
    out: dict[tuple[str, str], list[float]] = {}
    if not f.is_file():
        return out
    gpu = None
    for r in csv.reader(f.open(newline="", encoding="utf-8")):
        cells = [c.strip() for c in r]
        if not any(cells):
            continue
        if len([c for c in cells if c]) == 1 and cells[0]:
            gpu = cells[0]
            continue
        m = PUBLISHED_METHODS.get(cells[0])
        if gpu and m:
            out[(gpu, m)] = [float(c.rstrip("%")) for c in cells[1:] if re.fullmatch(r"[\d.]+%?", c)]
    return out


def training_gpus(root: Path) -> list[str]:
    """GPUs with kernel training data in the artifact (``kernels/train/<op>/<GPU>.csv``)."""
    return sorted({p.stem for p in (root / "kernels" / "train").glob("*/*.csv")})


def _label_gpus(root: Path) -> set[str]:
    return {p.name for p in (root / "labels").iterdir() if p.is_dir()} if (root / "labels").is_dir() else set()


def held_out_evidence(run: EstimatorRun, suite: Suite, *, fitted: bool, train: Sequence[str],
                      published: dict[tuple[str, str], list[float]], label_gpus: set[str], method: str
                      ) -> dict[str, Any]:
    """D3 evidence of a method fitted (or not) on the kernel data of ``train`` GPUs: all models are held-out
    workloads; held-out hardware = suite rows on other GPUs + published errors on GPUs without labels here."""
    pairs = _pairs(run, suite)
    out: dict[str, Any] = {"workload": {
        "mape": _mape_of(pairs), "n": len(pairs), "what": f"{len({suite.row(k).model for k in run.predictions()})} models",
        "how": ("fitted on kernel measurements (kernels/train), never on model labels" if fitted
                else "nothing is fitted")}}
    held = sorted({suite.row(k).device_name for k in run.predictions()} - (set(train) if fitted else set()))
    apes = [abs(p - m) / m * 100 for p, m in _pairs(run, suite, {r.key for r in suite.rows if r.device_name in held})]
    pub = sorted(g for (g, m) in published if m == method and g not in label_gpus and (not fitted or g not in train))
    pub_apes = [x for g in pub for x in published[(g, method)]]
    if not (apes or pub_apes):
        out["hardware"] = {"why": f"no rows on GPUs outside its training set ({', '.join(train)})"}
        return out
    how = [f"suite rows on {', '.join(held)}" if apes else "",
           f"published errors on {', '.join(pub)} (self-reported)" if pub_apes else "",
           f"training GPUs = {', '.join(train)} (kernels/train)" if fitted else ""]
    out["hardware"] = {"mape": float(np.mean(apes + pub_apes)), "n": len(apes) + len(pub_apes),
                       "what": "GPUs outside its training set" if fitted else "all GPUs",
                       "how": "; ".join(x for x in how if x)}
    return out


def recorder(plugins: Any) -> tuple[str, Any] | None:
    """(name, adapter) of the first installed adapter that replays published predictions (``recorded``)."""
    for name in sorted(plugins.tools):
        adapter = plugins.tools[name][0]
        if callable(getattr(adapter, "recorded", None)):
            return name, adapter
    return None


def recorded_sets(suite: Suite, plugins) -> tuple[list[EstimatorRun], str]:
    if suite.data_root is None:
        return [], "recorded sets: no NeuSight data root in this suite"
    found = recorder(plugins)
    if found is None:
        return [], "recorded sets: no installed tool adapter replays published predictions (e.g. graphs-neusight)"
    tool_name, adapter = found
    t0 = time.monotonic()
    rec = adapter.recorded(suite.data_root)
    load_s = time.monotonic() - t0
    keys = {(m, k.gpu, k.tag): k for m in rec.methods for k in rec.keys(m)}
    root = suite.data_root
    train = training_gpus(root)
    published = published_method_errors(root)
    label_gpus = _label_gpus(root)
    runs = []
    for method in rec.methods:
        f = facts_for(method, adapter if method == tool_name else None)
        run = EstimatorRun(f"recorded:{method}", "recorded", f"{method} predictions published in the NeuSight artifact, "
                                                           "replayed (no tool run)")
        first = None
        for row in suite.rows:
            k = keys.get((method, row.device_name, row.tag))
            if k is None:
                run.outcomes[row.key] = Outcome(row.key, failure="F4",
                                                reason=f"no published {method} prediction for this row")
                continue
            t1 = time.monotonic()
            r = rec.get(method, k)
            first = first if first is not None else time.monotonic() - t1
            run.outcomes[row.key] = Outcome(row.key, r.value * (1e-3 if r.unit == "ms" else 1.0))
        run.ttfp_s = load_s + (first or 0.0)
        run.ttfp_how = "replay: index load + first lookup (in-process)"
        run.composition = {"levels": f["levels"], "rows": 0, "scope": f["scope"], "source": f["source"]}
        run.held_out.update(held_out_evidence(run, suite, fitted=method != "roofline", train=train,
                                              published=published, label_gpus=label_gpus, method=method))
        if method == tool_name:
            run.composition.update(reference_composition(root, adapter))
        runs.append(run)
    return runs, f"recorded sets: {len(rec)} predictions indexed in {load_s * 1e3:.0f} ms"


def reference_composition(root: Path, adapter: Any) -> dict[str, Any]:
    """γ and per-op error of a tool's own reference outputs (``adapter.reference_predictions(root)``: whole
    model and per-op predictions of labelled runs) against the labels of the same runs."""
    ref = getattr(adapter, "reference_predictions", None)
    if not callable(ref):
        return {}
    from graphs_datasets.labels import ModelLabel, parse_label_csv

    outs = []
    for pred in ref(root.parent / "tool_outputs" / adapter.name):
        tag = pred["tag"]
        gpu = _gpu_of_prediction(root, tag, pred["model_s"] * 1e3)
        if gpu is None or not (root / "labels" / gpu / f"{tag}.csv").is_file():
            continue
        lab = ModelLabel.read(root / "labels" / gpu / f"{tag}.json")
        g = parse_label_csv(root / "labels" / gpu / f"{tag}.csv")
        pn = pred["ops_s"]
        pairs = [(pn[o.name], o.measured_s) for o in g.ops
                 if o.kernel is not None and o.measured_s > 0 and pn.get(o.name, 0) > 0]
        ops_meas = g.measured(lab.num_layer or 0)
        outs.append(Outcome(f"{gpu}/{tag}", pred["model_s"], kernels_s=pred["composed_s"],
                            gamma_measured=abs(lab.fw_s - ops_meas) / ops_meas,
                            gamma_predicted=abs(pred["model_s"] - pred["composed_s"]) / pred["composed_s"],
                            kernel_mape=_mape_of(pairs)))
    if not outs:
        return {}
    c = composition_summary(outs, ("kernel", "model"), f"{adapter.name}'s reference output for "
                            f"{', '.join(o.row for o in outs)} (tool_outputs/{adapter.name})")
    c["rows_keys"] = [o.row for o in outs]
    return c


def _gpu_of_prediction(root: Path, tag: str, fw_ms: float) -> str | None:
    """The GPU whose recorded NeuSight prediction of ``tag`` equals ``fw_ms`` (the reference output's device)."""
    for f in sorted((root / "peer_predictions").glob(f"*/neusight/{tag}.json")):
        d = json.loads(f.read_text(encoding="utf-8"))
        if abs(float(d.get("fw_latency", -1)) - fw_ms) <= 1e-6 * fw_ms:
            return f.parent.parent.name
    return None
