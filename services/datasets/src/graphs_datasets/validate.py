"""Validate whole-model estimates against measured model labels laid out like NeuSight's artifact.

    report = validate_dir("../shared/data/neusight", plugins)                 # installed calibrations
    report = validate_dir(path, plugins, fit_from="../shared/data")           # fit from kernels first
    report = validate_dir(path, plugins, fit_from=..., leave_one_out=True)    # each GPU from the others
    json.dumps(report.to_dict())

**Input layout** (any directory, no code change for new GPUs or models)::

    device_configs/<GPU>.json        {"Device": "<name as torch reports it>", ...}
    labels/<GPU>/<model>-inf-<seq>-<batch>.json   {num_layer, e2e_latency, fw_latency, ...} (ms)
    labels/<GPU>/<model>-inf-<seq>-<batch>.csv    the model's torch.fx nodes (embeddings, ONE layer, head)
    peer_predictions/<GPU>/<method>/<tag>.json    (optional) other estimators' predictions, scored too
    peer_summary/{nvidia,amd}_inf.csv             (optional) NeuSight's published percent errors

Every device config must map to an installed hardware id (:func:`graphs_datasets.devices.map_device_configs`;
an unmappable device is a one-line :class:`~graphs.errors.GraphsError` naming it). Each labelled
model is rebuilt from its CSV (:mod:`graphs_datasets.labels`), every kernel is estimated by the
device's family engine, and the model composes as ``embeddings + num_layer × layer + head`` plus
the engine's per-model overhead. Only inference rows without an option suffix are scored (training
needs backward kernels; ``-fusion`` / distributed rows other runtimes); a label without a CSV is
listed in ``skipped`` with the reason.

**Calibrations.** ``fit_from=None`` uses each device's installed calibration; ``fit_from`` (a
:class:`~graphs.store.ResultsStore`, a store file, or a public-data folder) fits one per device
from its *kernel-level* measurements only (never the labels being scored). A device without
measurements gets a calibration **transferred** from all calibrated devices (INTERPOLATED).
``leave_one_out=True`` gives *every* device the calibration transferred from the others only,
so each GPU is predicted from its spec and the other GPUs' fits.

**Report.** Per row: measured and predicted time, APE, interval, confidence, the roofline
baseline, per-op (kernel-level) error against the label CSV's own per-op times, and the
composition gap γ = |T_model − Σ T_op| / Σ T_op measured (label JSON vs composed label CSV)
and predicted (model estimate vs its composed kernel estimates). Per GPU: MAPE, max APE,
Spearman ρ, interval coverage, kernel-level MAPE, the peers' MAPE on the same rows and
NeuSight's published error on them. ``overall.mean_gpu_mape`` averages the per-GPU MAPEs.
"""

from __future__ import annotations

import csv
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from graphs import metrics
from graphs_datasets.devices import map_device_configs
from graphs_datasets.labels import LabelGraph, ModelLabel, label_files, parse_label_csv
from graphs.errors import GraphsError
from graphs.hardware.schema import DTYPE_PRECISION

# NeuSight's peer_summary column names -> label model names
SUMMARY_MODELS = {"BERT-Large": "bert_large", "GPT2-Large": "gpt2_large", "GPT3-XL": "gpt3_xl", "OPT-1.3B": "opt_13",
                  "GPT3-2.7B": "gpt3_27", "SwitchTrans": "switchxl4"}
SUMMARY_ROWS = {"MI100": "AMD_Instinct_MI100", "MI210": "AMD_Instinct_MI210", "MI250": "AMD_Instinct_MI250"}


@dataclass
class RowResult:
    gpu: str
    device: str
    tag: str
    model: str
    seq: int
    batch: int
    measured_s: float
    predicted_s: float
    ape: float
    low_s: float
    high_s: float
    confidence: str
    roofline_s: float
    calibration: str
    ops_measured_s: float          # label CSV per-op times composed (all nodes)
    kernels_predicted_s: float     # Σ kernel estimates composed (no model overhead)
    kernel_mape: float             # per-op APE over the nodes that launch a kernel
    kernel_wape: float             # Σ|p − m| / Σ m over those nodes, composed
    n_kernels: int
    gamma_measured: float
    gamma_predicted: float
    peers: dict[str, float] = field(default_factory=dict)       # method -> predicted seconds
    published_neusight_ape: float | None = None


@dataclass
class ValidationReport:
    rows: list[RowResult]
    per_gpu: dict[str, dict[str, Any]]
    overall: dict[str, Any]
    device_map: dict[str, str]
    calibrations: dict[str, str]
    skipped: list[dict[str, str]]
    settings: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"settings": self.settings, "overall": self.overall, "per_gpu": self.per_gpu,
                "rows": [asdict(r) for r in self.rows], "device_map": self.device_map,
                "calibrations": self.calibrations, "skipped": self.skipped}


# --- calibrations ---------------------------------------------------------------------------------
def _family_cls(plugins, hw: str):
    entry = plugins.hardware_entry(hw)
    fam = entry.spec.family
    if fam not in plugins.mappers:
        raise GraphsError(f"hardware {hw!r} needs the {fam!r} family engine, which is not installed")
    return plugins.mappers[fam][0], entry


def installed_calibrations(plugins) -> dict[str, Any]:
    """hw -> the calibration its distribution ships (with curves), for every installed device."""
    return {hw: e.calibration for hw, e in plugins.hardware.items()
            if e.calibration is not None and e.calibration.curves}


def transferred_calibration(plugins, hw: str, own: Mapping[str, Any], *, origin: str = "installed calibration",
                            leave_one_out: bool = False) -> tuple[Any, str]:
    """(calibration, description) of ``hw`` as validation scores it: its own calibration in ``own``
    with the keys it lacks transferred from the other devices of its family in ``own`` (its family
    engine's ``transfer_calibration``), or only the transfer (no own calibration, or
    ``leave_one_out``); (None, …) when neither exists."""
    cls, entry = _family_cls(plugins, hw)
    others = [(c, plugins.hardware_entry(d).spec) for d, c in sorted(own.items())
              if d != hw and plugins.hardware_entry(d).spec.family == entry.spec.family]
    transfer = cls.transfer_calibration if cls.can_transfer() else None
    mine = own.get(hw) if not leave_one_out else None
    moved = transfer(entry.spec, others, own=mine) if others and transfer is not None else None
    names = ", ".join(sorted({c.device for c, _ in others}))
    if hw in own and not leave_one_out:
        cal = merge_calibrations(own[hw], moved)
        extra = sorted(set(cal.curves) - set(own[hw].curves))
        desc = f"own ({origin})" + (f"; {len(extra)} curves without own measurements transferred from {names}"
                                    if extra else "")
    elif moved is not None:
        cal, desc = moved, f"transferred from {names}"
    else:
        return None, "none (family priors)"
    note = (moved.source or "").partition("; ")[2] if moved is not None else ""
    return cal, desc + (f"; {note}" if note else "")


def _calibrations(plugins, devices: Sequence[str], fit_from, leave_one_out: bool) -> tuple[dict[str, Any], dict[str, str]]:
    """hw -> calibration (or None) for the devices to score, and a description of each."""
    if fit_from is None:
        own, origin = installed_calibrations(plugins), "installed calibration"
    else:
        from graphs_datasets.samples import samples_from

        own = {}
        samples, where = samples_from(fit_from, plugins)
        for hw, ss in sorted(samples.items()):
            cls, entry = _family_cls(plugins, hw)
            if not cls.can_fit() or not ss:
                continue
            own[hw] = cls.fit_calibration(entry.spec, ss, source=f"fitted on {len(ss)} kernel measurements ({where})")
        origin = "fitted from kernel measurements"
    out: dict[str, Any] = {}
    desc: dict[str, str] = {}
    for hw in devices:
        out[hw], desc[hw] = transferred_calibration(plugins, hw, own, origin=origin, leave_one_out=leave_one_out)
    return out, desc


def merge_calibrations(own, moved):
    """``own`` plus, for keys it has no curve for, ``moved``'s curves (each marked as transferred)."""
    if moved is None:
        return own
    extra = {k: (c if c.transferred_from else c.model_copy(update={"transferred_from": moved.transferred_from}))
             for k, c in moved.curves.items() if k not in own.curves}
    return own.model_copy(update={"curves": {**own.curves, **extra}})


# --- peers and published errors ---------------------------------------------------------------------
def _peers(plugins, root: Path) -> Any:
    tool = plugins.tools.get("neusight")
    if tool is None or not (root / "peer_predictions").is_dir() or not hasattr(tool[0], "recorded"):
        return None
    try:
        return tool[0].recorded(root)
    except GraphsError:
        return None


def _peer_values(rec, gpu: str, tag: str) -> dict[str, float]:
    out = {}
    if rec is None:
        return out
    for method in rec.methods:
        for key in rec.keys(method):
            if key.gpu == gpu and key.tag == tag:
                r = rec.get(method, key)
                out[method] = float(r.value) * (1e-3 if r.unit == "ms" else 1.0)
    return out


def published_errors(root: Path) -> dict[tuple[str, str, int], float]:
    """(GPU folder, model, batch) -> NeuSight's published percent error (``peer_summary/*_inf.csv``)."""
    out: dict[tuple[str, str, int], float] = {}
    for name in ("nvidia_inf.csv", "amd_inf.csv"):
        f = root / "peer_summary" / name
        if not f.exists():
            continue
        rows = list(csv.reader(f.open(newline="", encoding="utf-8")))
        gpu, models, batches = None, [], []
        for r in rows:
            if not r or not any(c.strip() for c in r):
                continue
            first = r[0].strip()
            if len(r) == 1 or (first and all(not c.strip() for c in r[1:])):
                gpu = first
                continue
            if first in ("Model", ""):
                models, last = [], ""
                for c in r[1:]:
                    last = c.strip() or last
                    models.append(SUMMARY_MODELS.get(last, last))
                continue
            if first in ("Batch", "Batch Size"):
                batches = [int(c) if c.strip().isdigit() else None for c in r[1:]]
                continue
            folder = SUMMARY_ROWS.get(first) if name.startswith("amd") else (gpu if first == "NeuSight" else None)
            if folder is None:
                continue
            for m, b, c in zip(models, batches, r[1:]):
                try:
                    out[(folder, m, b)] = float(c.strip().rstrip("%"))
                except (ValueError, AttributeError):
                    continue
    return out


# --- scoring one label ----------------------------------------------------------------------------
def _roofline(mapper, kernel) -> float:
    prec = DTYPE_PRECISION.get(kernel.dtype, "fp32")
    comp = mapper.compute_rate(kernel, prec).value
    bw = mapper.spec.memory_bandwidth
    return max(kernel.flops / comp if comp and kernel.flops else 0.0, kernel.bytes / bw if bw else 0.0)


def _score_label(mapper, g: LabelGraph, lab: ModelLabel) -> dict[str, Any]:
    from graphs.results import combine_confidence

    L = lab.num_layer or 0
    # a node's estimate: Σ over every kernel it launches (operand copies of matmul, then the op)
    per_kernel = {o.index: [mapper.estimate_kernel(k) for k in o.all_kernels] for o in g.ops if o.kernel is not None}
    est = {i: {a: sum(getattr(e, a) for e in es) for a in ("time_s", "low_s", "high_s")} for i, es in per_kernel.items()}
    val = lambda attr: g.compose(L, lambda o: est[o.index][attr] if o.index in est else 0.0)  # noqa: E731
    kernels_pred = val("time_s")
    overhead = mapper.model_overhead([k for o in g.ops for k in o.all_kernels])
    pred = kernels_pred + overhead
    low, high = val("low_s") + overhead, val("high_s") + overhead
    roof = g.compose(L, lambda o: sum(_roofline(mapper, k) for k in o.all_kernels))
    pairs = [(est[o.index]["time_s"], o.measured_s) for o in g.ops if o.index in est and o.measured_s > 0]
    kape = metrics.ape([p for p, _ in pairs], [m for _, m in pairs]) if pairs else np.array([])
    abs_err = g.compose(L, lambda o: abs(est[o.index]["time_s"] - o.measured_s) if o.index in est and o.measured_s > 0 else 0.0)
    meas_k = g.compose(L, lambda o: o.measured_s if o.index in est and o.measured_s > 0 else 0.0)
    ops_meas = g.measured(L)
    conf = combine_confidence([(e.confidence, e.time_s * (L if o.part == "layer" else 1))
                               for o in g.ops if o.index in per_kernel for e in per_kernel[o.index]])
    return {"predicted_s": pred, "low_s": low, "high_s": high, "roofline_s": roof + overhead,
            "confidence": conf.name, "ops_measured_s": ops_meas, "kernels_predicted_s": kernels_pred,
            "kernel_mape": float(np.mean(kape)) if len(kape) else float("nan"),
            "kernel_wape": 100.0 * abs_err / meas_k if meas_k else float("nan"), "n_kernels": len(pairs),
            "gamma_measured": metrics.composition_gap(lab.fw_s, [ops_meas]) if ops_meas > 0 else float("nan"),
            "gamma_predicted": metrics.composition_gap(pred, [kernels_pred]) if kernels_pred > 0 else float("nan")}


def _summary(rows: Sequence[RowResult]) -> dict[str, Any]:
    import warnings
    with warnings.catch_warnings():       # a device whose rows all lack kernel data: NaN (unknown), no warning
        warnings.simplefilter("ignore", RuntimeWarning)
        return _summary_of(rows)


def _summary_of(rows: Sequence[RowResult]) -> dict[str, Any]:
    meas = [r.measured_s for r in rows]
    pred = [r.predicted_s for r in rows]
    sc = metrics.score(pred, meas, [r.low_s for r in rows], [r.high_s for r in rows])
    out = {"device": rows[0].device, "calibration": rows[0].calibration, "n": len(rows), "mape": sc.mape,
           "max_ape": sc.max_ape, "spearman": sc.spearman, "coverage": sc.coverage,
           "mape_roofline": metrics.mape([r.roofline_s for r in rows], meas),
           "kernel_mape": float(np.nanmean([r.kernel_mape for r in rows])),
           "kernel_wape": float(np.nanmean([r.kernel_wape for r in rows])),
           "gamma_measured_median": float(np.nanmedian([r.gamma_measured for r in rows])),
           "gamma_measured_max": float(np.nanmax([r.gamma_measured for r in rows])),
           "gamma_predicted_median": float(np.nanmedian([r.gamma_predicted for r in rows])),
           "confidence": sorted({r.confidence for r in rows})}
    out["model_over_kernel"] = out["mape"] / out["kernel_mape"] if out["kernel_mape"] else float("nan")
    peers: dict[str, Any] = {}
    for method in sorted({m for r in rows for m in r.peers}):
        have = [r for r in rows if method in r.peers]
        peers[method] = {"n": len(have), "mape": metrics.mape([r.peers[method] for r in have], [r.measured_s for r in have]),
                         "graphs_mape_same_rows": metrics.mape([r.predicted_s for r in have], [r.measured_s for r in have])}
    out["peers"] = peers
    pub = [r for r in rows if r.published_neusight_ape is not None]
    out["published_neusight"] = ({"n": len(pub), "mape": float(np.mean([r.published_neusight_ape for r in pub])),
                                  "graphs_mape_same_rows": float(np.mean([r.ape for r in pub]))} if pub else None)
    return out


# --- the entry point --------------------------------------------------------------------------------
def validate_dir(path: str | Path, plugins=None, fit_from=None, *, leave_one_out: bool = False,
                 gpus: Sequence[str] | None = None) -> ValidationReport:
    """Score graphs' whole-model estimates on every inference label under ``path`` (see module docstring)."""
    from graphs.plugins import get_plugins

    plugins = plugins or get_plugins()
    root = Path(path)
    for sub in ("device_configs", "labels"):
        if not (root / sub).is_dir():
            raise GraphsError(f"{root}: no {sub}/ folder (expected the NeuSight layout: device_configs/, labels/<GPU>/)")
    device_map = map_device_configs(root / "device_configs", plugins)
    folders = sorted(p for p in (root / "labels").iterdir() if p.is_dir() and (gpus is None or p.name in gpus))
    for f in folders:
        if f.name not in device_map:
            raise GraphsError(f"labels/{f.name} has no device config (expected device_configs/{f.name}.json)")
    scored = [f for f in folders if label_files(f)]
    cals, desc = _calibrations(plugins, sorted({device_map[f.name] for f in scored}), fit_from, leave_one_out)
    rec = _peers(plugins, root)
    published = published_errors(root)
    rows: list[RowResult] = []
    skipped: list[dict[str, str]] = []
    for f in scored:
        hw = device_map[f.name]
        cls, entry = _family_cls(plugins, hw)
        mapper = cls(entry.spec, cals[hw])
        for jf in label_files(f):
            try:
                lab = ModelLabel.read(jf)
            except GraphsError as e:      # a bad row is reported and skipped, the rest scored
                skipped.append({"label": f"{f.name}/{jf.name}", "why": str(e)})
                continue
            cf = jf.with_suffix(".csv")
            if not cf.exists():
                skipped.append({"label": f"{f.name}/{jf.name}", "why": "no per-op CSV to build the model from"})
                continue
            if not lab.num_layer:
                skipped.append({"label": f"{f.name}/{jf.name}", "why": "num_layer missing or 0"})
                continue
            try:
                g = parse_label_csv(cf)
            except GraphsError as e:
                skipped.append({"label": f"{f.name}/{jf.name}", "why": str(e)})
                continue
            s = _score_label(mapper, g, lab)
            k = lab.key
            rows.append(RowResult(
                gpu=f.name, device=hw, tag=k.tag, model=k.model, seq=k.seq, batch=k.batch, measured_s=lab.fw_s,
                ape=abs(s["predicted_s"] - lab.fw_s) / lab.fw_s * 100.0, calibration=desc[hw],
                peers=_peer_values(rec, f.name, k.tag), published_neusight_ape=published.get((f.name, k.model, k.batch)),
                **s))
    per_gpu = {}
    for gname in sorted({r.gpu for r in rows}):
        per_gpu[gname] = _summary([r for r in rows if r.gpu == gname])
    gm = [v["mape"] for v in per_gpu.values()]
    overall = {"gpus": len(per_gpu), "rows": len(rows), "mean_gpu_mape": float(np.mean(gm)) if gm else float("nan"),
               "row_mape": metrics.mape([r.predicted_s for r in rows], [r.measured_s for r in rows]) if rows else float("nan"),
               "mean_gpu_mape_roofline": float(np.mean([v["mape_roofline"] for v in per_gpu.values()])) if gm else float("nan"),
               "mean_gpu_kernel_mape": float(np.mean([v["kernel_mape"] for v in per_gpu.values()])) if gm else float("nan")}
    pub = [v["published_neusight"] for v in per_gpu.values() if v.get("published_neusight")]
    if pub:
        overall["published_neusight_mean_gpu_mape"] = float(np.mean([p["mape"] for p in pub]))
        overall["graphs_mean_gpu_mape_same_rows"] = float(np.mean([p["graphs_mape_same_rows"] for p in pub]))
        overall["gpus_beating_published_neusight"] = sum(p["graphs_mape_same_rows"] < p["mape"] for p in pub)
    settings = {"path": str(root), "fit_from": str(fit_from) if fit_from is not None else None,
                "leave_one_out": leave_one_out, "scored": "inference labels without option suffix, fw_latency",
                "composition": "embeddings + num_layer x layer + head + model overhead"}
    return ValidationReport(rows, per_gpu, _finite(overall), device_map, desc, skipped, settings)


def _finite(d: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}
