"""GPU accuracy on NeuSight's whole-model labels: per GPU, leave-one-GPU-out, kernel -> model composition.

    .venv/bin/python benchmarks/accuracy_gpu.py                       # installed (shipped) calibrations
    .venv/bin/python benchmarks/accuracy_gpu.py --fit-from ../shared/data   # refit from the kernels first
    .venv/bin/python benchmarks/accuracy_gpu.py --rows --json out.json

Split: the calibrations are fitted on single-kernel benchmarks only (NeuSight ``kernels/``, VIDUR,
LLMCompass); the scored rows are NeuSight's whole-model inference labels (``labels/<GPU>/*.json``),
never fitted. Leave-one-GPU-out additionally hides the scored GPU's own kernels: its calibration is
transferred from the other GPUs' fits and its spec. The roofline baseline (vendor peaks, no
efficiency, no overheads, same graphs and composition) is computed in the same run; the peers are
NeuSight's recorded predictions (``peer_predictions``) and its published errors (``peer_summary``)
on the same rows.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Sequence

from graphs_datasets.validate import ValidationReport, validate_dir
from graphs.plugins import get_plugins

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"


def _f(x, nd: int = 1) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{nd}f}"


def table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def per_gpu_table(rep: ValidationReport) -> str:
    rows = []
    for g, v in rep.per_gpu.items():
        pub = v.get("published_neusight") or {}
        peers = v["peers"]
        rows.append([g, v["device"], str(v["n"]), _f(v["mape"]), _f(v["max_ape"]), _f(v["spearman"], 2),
                     _f(v["coverage"], 2), _f(v["mape_roofline"]), _f(v["mape_roofline"] / v["mape"] if v["mape"] else None, 1),
                     _f(pub.get("mape")), _f(peers.get("neusight", {}).get("mape")), _f(peers.get("habitat", {}).get("mape")),
                     _f(peers.get("li-et-al", {}).get("mape")), _f(peers.get("roofline", {}).get("mape")),
                     "yes" if pub and v["mape"] < pub["mape"] else ("no" if pub else "—")])
    o = rep.overall
    rows.append(["**mean over GPUs**", "", str(o["rows"]), _f(o["mean_gpu_mape"]), "", "", "", _f(o["mean_gpu_mape_roofline"]),
                 _f(o["mean_gpu_mape_roofline"] / o["mean_gpu_mape"] if o["mean_gpu_mape"] else None, 1),
                 _f(o.get("published_neusight_mean_gpu_mape")), "", "", "", "",
                 f"{o.get('gpus_beating_published_neusight', 0)}/{o['gpus']}"])
    return table(["GPU", "catalog id", "rows", "graphs MAPE %", "max APE %", "ρ", "90% cov.", "roofline MAPE % (same run)",
                  "roofline / graphs", "NeuSight published %", "NeuSight recorded %", "Habitat %", "Li et al. %",
                  "roofline (NeuSight's) %", "beats NeuSight"], rows)


def loo_table(own: ValidationReport, loo: ValidationReport) -> str:
    rows = []
    for g, v in loo.per_gpu.items():
        pub = v.get("published_neusight") or {}
        rows.append([g, str(v["n"]), _f(v["mape"]), _f(v["max_ape"]), _f(own.per_gpu[g]["mape"]), _f(pub.get("mape")),
                     v["calibration"].replace("transferred from ", "")])
    rows.append(["**mean over GPUs**", str(loo.overall["rows"]), _f(loo.overall["mean_gpu_mape"]), "",
                 _f(own.overall["mean_gpu_mape"]), _f(loo.overall.get("published_neusight_mean_gpu_mape")), ""])
    return table(["held-out GPU", "rows", "LOO MAPE %", "LOO max APE %", "own-kernels MAPE %", "NeuSight published %",
                  "calibration transferred from"], rows)


def composition_table(rep: ValidationReport) -> str:
    rows = []
    for g, v in rep.per_gpu.items():
        rows.append([g, _f(v["kernel_mape"]), _f(v["kernel_wape"]), _f(v["mape"]), _f(v["model_over_kernel"], 2),
                     "yes" if v["model_over_kernel"] <= 1.5 else "no", _f(100 * v["gamma_measured_median"]),
                     _f(100 * v["gamma_measured_max"]), _f(100 * v["gamma_predicted_median"], 2)])
    return table(["GPU", "kernel MAPE % (per op)", "kernel error % (time-weighted)", "model MAPE %", "model / kernel",
                  "≤ 1.5×", "γ measured median %", "γ measured max %", "γ predicted median %"], rows)


def rows_table(rep: ValidationReport) -> str:
    rows = [[r.gpu, r.tag, _f(r.measured_s * 1e3), _f(r.predicted_s * 1e3), _f(r.ape), _f(r.roofline_s * 1e3),
             _f(r.peers["neusight"] * 1e3) if "neusight" in r.peers else "—", _f(r.published_neusight_ape), r.confidence]
            for r in rep.rows]
    return table(["GPU", "label", "measured ms", "graphs ms", "APE %", "roofline ms", "NeuSight ms", "NeuSight pub. %",
                  "confidence"], rows)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--fit-from", default=None, help="data folder or results store to fit calibrations from")
    ap.add_argument("--rows", action="store_true", help="also print every scored row")
    ap.add_argument("--json", type=Path, default=None, help="write both reports as JSON")
    args = ap.parse_args(argv)
    root = args.data / "neusight"
    if not root.is_dir():
        print(f"error: {root} not found", file=sys.stderr)
        return 2
    gp = get_plugins()
    own = validate_dir(root, gp, fit_from=args.fit_from)
    loo = validate_dir(root, gp, fit_from=args.fit_from, leave_one_out=True)
    src = args.fit_from or "installed calibrations (benchmarks/fit_gpu_calibrations.py)"
    print(f"## Whole-model inference labels, calibrations from {src}\n")
    print(per_gpu_table(own), "\n")
    print("## Leave one GPU out\n")
    print(loo_table(own, loo), "\n")
    print("## Kernel -> model composition (own-kernel calibrations)\n")
    print(composition_table(own), "\n")
    if args.rows:
        print("## Rows\n")
        print(rows_table(own), "\n")
    if own.skipped:
        print("not scored: " + "; ".join(f"{s['label']} ({s['why']})" for s in own.skipped))
    if args.json:
        args.json.write_text(json.dumps({"own": own.to_dict(), "leave_one_out": loo.to_dict()}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
