"""Derive the GPU engine's efficiency priors and overheads from measured kernels.

    .venv/bin/python benchmarks/derive_gpu_priors.py            # writes the shipped priors.json
    .venv/bin/python benchmarks/derive_gpu_priors.py --check    # compare with the shipped file

For every measured kernel (see ``gpu_data.py``) the GPU engine's model time ``t_model`` is
computed on the GPU that ran it (``graphs_mappers_gpu.kernel_timing``, TF32 off as in the
data). Then, per GPU of the NeuSight set (eager PyTorch, times include host dispatch):

* ``op_dispatch``   = 5th percentile latency of its elementwise kernels moving < 1 MB (host floor);
* ``kernel_launch`` = intercept of latency vs bytes over elementwise kernels streaming more
  than twice the L2 (the fixed cost that adds to GPU time);

and per measurement ``ratio = (measured − kernel_launch) / t_model`` (VIDUR/LLMCompass report
GPU kernel time: ``ratio = measured / t_model``). Ratios enter a group's prior only when the
model says the GPU time dominates (``t_model >= 2 × op_dispatch``; selection on the model,
not on the measurement, so it does not bias the ratio). A group's prior is the 5th, 50th and
95th percentile of its ratios; the family overheads are medians over GPUs.

Accuracy is reported leave-one-GPU-out: priors and overheads fitted without a GPU predict all
of that GPU's rows as ``max(op_dispatch, kernel_launch + median × t_model)``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gpu_data import (Measurement, a100_80gb, llmcompass_measurements, neusight_device,  # noqa: E402
                      neusight_measurements, vidur_measurements)
from graphs.hardware.schema import DTYPE_PRECISION  # noqa: E402

from graphs_mappers_gpu import GPUOptions, kernel_timing  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
DEFAULT_OUT = REPO / "mappers_gpu" / "src" / "graphs_mappers_gpu" / "data" / "priors.json"
NO_TF32 = GPUOptions(tf32_matmul=False, tf32_conv=False)   # NeuSight: "FP32 with TF32 disabled"
DOMINANT = 2.0          # t_model >= DOMINANT × op_dispatch for a ratio to count
TINY_BYTES = 1e6        # elementwise kernels moving less than this set a GPU's op_dispatch
HOLDOUT = ("NVIDIA A100-PCIE-40GB", "NVIDIA A100 80GB PCIe")
# kernel groups without measurements borrow a measured group (stated in each prior's source)
ALIASES = {
    "attention.cuda_core": "matmul.cuda_core", "attention.tensor_core": "matmul.tensor_core",
    "recurrent.cuda_core": "matmul.cuda_core", "recurrent.tensor_core": "matmul.tensor_core",
    "conv.tensor_core": "matmul.tensor_core",
    "reduction": "norm", "pool": "elementwise", "embedding": "elementwise", "data_movement": "elementwise",
    "other": "elementwise", "collective": "elementwise", "view": "elementwise",
}


class Row:
    """A measurement with its model time on the GPU that ran it."""

    __slots__ = ("m", "t_model", "t_roof", "tile")

    def __init__(self, m: Measurement, t_model: float, t_roof: float, tile: str) -> None:
        self.m, self.t_model, self.t_roof, self.tile = m, t_model, t_roof, tile


def model_rows(measurements: Iterable[Measurement], devices: dict) -> list[Row]:
    rows = []
    for m in measurements:
        dev = devices[m.device]
        prec = DTYPE_PRECISION.get(m.kernel.dtype, "fp32")
        t = kernel_timing(m.kernel, prec, dev, NO_TF32)
        if t.seconds <= 0:
            continue
        roof = max(m.kernel.flops / t.unit.peak if t.unit.peak else 0.0, m.kernel.bytes / dev.hbm_bandwidth)
        rows.append(Row(m, t.seconds, roof, t.tiling.tile if t.tiling else ""))
    return rows


def device_overheads(rows: Sequence[Row], devices: dict) -> dict[str, dict[str, float]]:
    """Per NeuSight GPU with tiny elementwise kernels measured: op_dispatch and kernel_launch (s)."""
    out = {}
    by_dev: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        if r.m.group == "elementwise" and r.m.timing == "eager-event":
            by_dev[r.m.device].append(r)
    for dev, rs in sorted(by_dev.items()):
        lat = np.array([r.m.seconds for r in rs])
        nbytes = np.array([r.m.kernel.bytes for r in rs])
        big = nbytes > 2 * devices[dev].l2_bytes
        tiny = nbytes < TINY_BYTES
        if big.sum() < 10 or tiny.sum() < 20:
            continue
        a = np.vstack([np.ones(big.sum()), nbytes[big]]).T
        intercept = float(np.linalg.lstsq(a, lat[big], rcond=None)[0][0])
        out[dev] = {"op_dispatch_s": float(np.percentile(lat[tiny], 5)), "kernel_launch_s": max(intercept, 0.0),
                    "n": int(len(rs))}
    return out


def dispatch_key(kind: str, group: str) -> str:
    """Floors are kept per kernel kind where measured (linear, matmul, conv, layer_norm, softmax)."""
    return "elementwise" if group == "elementwise" else kind


def dispatch_scales(rows: Sequence[Row], over: dict[str, dict[str, float]]) -> dict[str, dict]:
    """Per kernel kind: its floor on a GPU / the family op_dispatch.

    A kind's floor on a GPU is the 5th percentile latency of its kernels whose modelled GPU
    time is under a quarter of that GPU's op_dispatch (the host, not the GPU, sets their time;
    the lower envelope is the host cost, what lies above it is the op's own slowness); kinds
    with fewer than 20 such kernels on every GPU get no entry (the engine uses elementwise's).
    ``median`` (over GPUs) scales the estimate's floor; ``low`` (lowest GPU) and ``high``
    (highest per-GPU median) bound it in the interval.
    """
    base = family_overheads(over)["op_dispatch_s"]
    per: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r.m.timing == "eager-event" and r.m.device in over and r.t_model < 0.25 * over[r.m.device]["op_dispatch_s"]:
            per[dispatch_key(r.m.kernel.kind, r.m.group)][r.m.device].append(r.m.seconds)
    out = {}
    for key, by_dev in sorted(per.items()):
        q = [np.percentile(v, (5, 50)) / base for v in by_dev.values() if len(v) >= 20]
        if q:
            out[key] = {"median": round(float(np.median([x[0] for x in q])), 3),
                        "low": round(float(min(x[0] for x in q)), 3),
                        "high": round(float(max(x[1] for x in q)), 3), "gpus": len(q)}
    return out


def family_overheads(per_dev: dict[str, dict[str, float]]) -> dict[str, float]:
    """Medians over GPUs; needs at least one GPU with tiny and streaming elementwise kernels."""
    if not per_dev:
        raise ValueError("no GPU has enough tiny and streaming elementwise kernels to derive overheads")
    return {k: float(np.median([v[k] for v in per_dev.values()])) for k in ("op_dispatch_s", "kernel_launch_s")}


def ratios(rows: Sequence[Row], over: dict[str, dict[str, float]], fam: dict[str, float]) -> dict[str, list]:
    """group -> (ratio, device) of GPU-dominated rows."""
    out: dict[str, list] = defaultdict(list)
    for r in rows:
        if r.m.timing == "eager-event":
            o = over.get(r.m.device, fam)
            if r.t_model < DOMINANT * o["op_dispatch_s"]:
                continue
            ratio = (r.m.seconds - o["kernel_launch_s"]) / r.t_model
        else:
            ratio = r.m.seconds / r.t_model
        if ratio > 0:
            out[r.m.group].append((ratio, r.m.device))
    return out


def weighted_percentiles(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]) -> list[float]:
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return [float(np.interp(q / 100.0, cum, v)) for q in qs]


def fit_groups(rat: dict[str, list[tuple[float, str]]], rows: Sequence[Row], devices: dict) -> dict[str, dict]:
    """Per group, and per group and power class: 5/50/95th percentiles, each GPU weighted equally."""
    groups = {}
    keys: dict[str, list[tuple[float, str]]] = {}
    for g, vals in rat.items():
        keys[g] = vals
        for cls in ("low_power", "high_power"):
            sub = [(x, d) for x, d in vals if devices[d].power_class == cls]
            if sub and len(sub) < len(vals):
                keys[f"{g}@{cls}"] = sub
    for g, vals in sorted(keys.items()):
        if len(vals) < 20:
            continue
        v = np.array([x for x, _ in vals])
        devs = [d for _, d in vals]
        count = {d: devs.count(d) for d in set(devs)}
        w = np.array([1.0 / count[d] for d in devs])
        lo, med, hi = weighted_percentiles(v, w, (5, 50, 95))
        base = g.split("@")[0]
        groups[g] = {"median": round(med, 4), "low": round(lo, 4), "high": round(hi, 4), "n": int(len(v)),
                     "devices": sorted(count), "files": sorted({r.m.source for r in rows if r.m.group == base
                                                               and r.m.device in count})}
    return groups


def group_for(r: Row, groups: dict, devices: dict) -> dict | None:
    cls = f"{r.m.group}@{devices[r.m.device].power_class}"
    return groups.get(cls) or groups.get(r.m.group)


def predict(r: Row, g: dict, fam: dict) -> tuple[float, float, float]:
    """(estimate, low, high) as GPUMapper.estimate_kernel computes them."""
    if r.m.timing != "eager-event":
        return tuple(g[q] * r.t_model for q in ("median", "low", "high"))  # type: ignore
    ds = fam["dispatch_scale"]
    sc = ds.get(dispatch_key(r.m.kernel.kind, r.m.group)) or ds.get("elementwise") or {"median": 1.0, "low": 1.0, "high": 1.0}
    launch, floor = fam["kernel_launch_s"], fam["op_dispatch_s"]
    return tuple(max(floor * sc[q], launch + g[q] * r.t_model) for q in ("median", "low", "high"))  # type: ignore


def score(rows: Sequence[Row], groups: dict, fam: dict, devices: dict) -> dict:
    """MAPE, max APE, coverage of the 90 % interval, and the roofline baseline on ``rows``."""
    ape, cov, ape_dom, ape_roof, ape_roof_oh = [], [], [], [], []
    for r in rows:
        g = group_for(r, groups, devices)
        if g is None:
            continue
        pred, lo, hi = predict(r, g, fam)
        e = abs(pred - r.m.seconds) / r.m.seconds
        ape.append(e)
        cov.append(lo <= r.m.seconds <= hi)
        floor = predict(r, {"median": 0.0, "low": 0.0, "high": 0.0}, fam)[0]
        if r.t_model >= DOMINANT * floor:
            ape_dom.append(e)
        ape_roof.append(abs(r.t_roof - r.m.seconds) / r.m.seconds)
        launch = fam["kernel_launch_s"] if r.m.timing == "eager-event" else 0.0
        ape_roof_oh.append(abs(max(floor, launch + r.t_roof) - r.m.seconds) / r.m.seconds)
    if not ape:
        return {"n": 0}
    return {"n": len(ape), "mape": round(100 * float(np.mean(ape)), 1), "median_ape": round(100 * float(np.median(ape)), 1),
            "max_ape": round(100 * float(np.max(ape)), 1), "coverage_90": round(float(np.mean(cov)), 3),
            "n_gpu_dominated": len(ape_dom), "mape_gpu_dominated": round(100 * float(np.mean(ape_dom)), 1) if ape_dom else None,
            "mape_roofline": round(100 * float(np.mean(ape_roof)), 1),
            "mape_roofline_plus_overheads": round(100 * float(np.mean(ape_roof_oh)), 1)}


def evaluate_holdout(rows: Sequence[Row], held: Sequence[str], devices: dict) -> dict:
    """Fit on the other GPUs, score on ``held`` (per group and overall)."""
    train = [r for r in rows if r.m.device not in held]
    test = [r for r in rows if r.m.device in held]
    over = device_overheads(train, devices)
    if not over:
        return {"held_out": list(held), "overall": {"n": 0}, "note": "too few training rows"}
    fam = family_overheads(over)
    groups = fit_groups(ratios(train, over, fam), train, devices)
    fam = {**fam, "dispatch_scale": dispatch_scales(train, over)}
    out = {"held_out": list(held), "fitted_on": sorted({r.m.device for r in train}),
           "overall": score(test, groups, fam, devices)}
    for g in sorted({r.m.group for r in test}):
        out[g] = score([r for r in test if r.m.group == g], groups, fam, devices)
    return out


def tile_agreement(rows: Sequence[Row]) -> dict:
    """Share of cuBLAS SGEMM rows whose kernel tile matches the engine's chosen tile."""
    pairs = [(r.m.cublas_tile, r.tile.split("/")[0]) for r in rows if r.m.cublas_tile and r.tile]
    if not pairs:
        return {"n": 0}
    same = sum(a == b for a, b in pairs)
    return {"n": len(pairs), "same_tile": round(same / len(pairs), 3)}


def derive(data: Path = DEFAULT_DATA, limit: int | None = None, holdout: Sequence[str] = HOLDOUT) -> dict:
    """Everything the priors file holds, computed from ``data`` (``limit`` rows per file)."""
    meas = list(neusight_measurements(data, limit))
    devices = {name: neusight_device(data, name) for name in sorted({m.device for m in meas})}
    tensor = list(vidur_measurements(data, limit)) + list(llmcompass_measurements(data))
    a100 = a100_80gb(data)
    for m in tensor:
        devices[m.device] = a100
    rows = model_rows(meas + tensor, devices)
    over = device_overheads(rows, devices)
    fam = family_overheads(over)
    groups = fit_groups(ratios(rows, over, fam), rows, devices)
    scales = dispatch_scales(rows, over)
    aliases = {k: v for k, v in ALIASES.items() if v in groups}
    neusight_rows = [r for r in rows if r.m.source.startswith("neusight/")]
    lodo = {d: evaluate_holdout(neusight_rows, [d], devices)["overall"] for d in sorted({r.m.device for r in neusight_rows})}
    tc_rows = [r for r in rows if r.m.group == "matmul.tensor_core"]
    tc_holdout = {}
    for tag in sorted({r.m.tag for r in tc_rows}):
        tr = [r for r in tc_rows if r.m.tag != tag]
        g = fit_groups(ratios(tr, {}, fam), tr, devices)
        tc_holdout[tag] = score([r for r in tc_rows if r.m.tag == tag], g, {**fam, "dispatch_scale": scales}, devices)
    files = sorted({r.m.source for r in rows})
    return {
        "version": 1,
        "source": ("derived by benchmarks/derive_gpu_priors.py from ../shared/data: NeuSight kernels "
                   "(neusight/kernels/train/*/*.csv, neusight/kernels/test/{bmm,linear,elem,ln,softmax}.csv; FP32, TF32 off), "
                   "VIDUR A100 fp16 linear layers (vidur/compute/a100/*/*/mlp.csv), "
                   "LLMCompass A100 fp16 matmul (llmcompass/ae__figure5__ab__real_hardware__matmul_A100.csv)"),
        "script": "benchmarks/derive_gpu_priors.py",
        "rows_per_file_limit": limit,
        "ratio": "measured / modelled GPU time (graphs_mappers_gpu.kernel_timing); 5th/50th/95th percentile",
        "groups": groups,
        "aliases": aliases,
        "dispatch_scale": scales,
        "overheads": {**{k: round(v, 9) for k, v in fam.items()},
                      "per_device": {d: {k: (round(x, 9) if isinstance(x, float) else x) for k, x in v.items()}
                                     for d, v in over.items()}},
        "files": files,
        "rows": len(rows),
        "accuracy": {
            "holdout": evaluate_holdout(neusight_rows, [h for h in holdout if h in devices], devices),
            "leave_one_gpu_out": lodo,
            "tensor_core_leave_one_source_out": tc_holdout,
            "sgemm_tile_agreement": tile_agreement(rows),
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--limit", type=int, default=None, help="rows per file (quick runs)")
    ap.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: data folder {args.data} not found", file=sys.stderr)
        return 2
    result = derive(args.data, args.limit)
    text = json.dumps(result, indent=1, sort_keys=False) + "\n"
    if args.check:
        shipped = json.loads(args.out.read_text())
        same = shipped["groups"] == result["groups"] and shipped["overheads"] == result["overheads"]
        print("priors match the data" if same else "priors DIFFER from the data")
        return 0 if same else 1
    args.out.write_text(text)
    acc = result["accuracy"]
    print(json.dumps({"groups": {k: {q: v[q] for q in ("median", "low", "high", "n")} for k, v in result["groups"].items()},
                      "overheads": {k: v for k, v in result["overheads"].items() if k != "per_device"},
                      "accuracy": acc}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
