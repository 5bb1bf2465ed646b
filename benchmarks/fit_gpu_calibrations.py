"""Fit and write the GPU device calibrations from the public kernel measurements.

    .venv/bin/python benchmarks/fit_gpu_calibrations.py                  # import ../shared/data, fit, write
    .venv/bin/python benchmarks/fit_gpu_calibrations.py --store S.sqlite # use (and fill) a results store
    .venv/bin/python benchmarks/fit_gpu_calibrations.py --check          # compare with the shipped files

For every device with single-kernel measurements in NeuSight (``kernels/``), VIDUR (``compute/``)
or LLMCompass — never the model labels, which are what the calibrations are validated on, and
not DeepBench (CUDA 10 / cuDNN 7 era timings of other systems) — the GPU engine fits a
:class:`graphs.calibration.Calibration` (``graphs_mappers_gpu.calibrate``) and this script writes it to
``mappers_gpu/devices/<id>/src/graphs_mapper_<id>/calibration.yaml``, where the device package
registers it with its spec.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Sequence

import yaml

from graphs.calibration import Calibration
from graphs_datasets.public import import_public_data
from graphs_datasets.samples import samples_from_store
from graphs.plugins import get_plugins
from graphs.store import ResultsStore

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
FIT_DATASETS = ("neusight", "vidur", "llmcompass")


def calibration_path(hw: str) -> Path:
    return REPO / "mappers_gpu" / "devices" / hw / "src" / f"graphs_mapper_{hw.replace('-', '_')}" / "calibration.yaml"


def fit_all(store: ResultsStore, plugins) -> dict[str, Calibration]:
    samples = samples_from_store(store, datasets=FIT_DATASETS)
    out = {}
    for hw, ss in sorted(samples.items()):
        entry = plugins.hardware_entry(hw)
        cls = plugins.mappers[entry.spec.family][0]
        files = sorted({s.source.split("#")[0] for s in ss})
        src = (f"benchmarks/fit_gpu_calibrations.py: {len(ss)} single-kernel measurements of this device from "
               f"../shared/data ({', '.join(sorted({f.split(':')[0] for f in files}))}; {len(files)} files); "
               "model labels not used")
        out[hw] = cls.fit_calibration(entry.spec, ss, source=src)
    return out


def _text(cal: Calibration) -> str:
    d = cal.model_dump(mode="json", exclude_none=True)
    for c in d.get("curves", {}).values():
        c["points"] = [[float(f"{x:.6g}"), float(f"{r:.5g}")] for x, r in c["points"]]
        for k in ("x_min", "x_max"):
            c[k] = float(f"{c[k]:.6g}")
        c["residuals"] = {k: float(f"{v:.5g}") for k, v in c["residuals"].items()}
    head = ("# Written by benchmarks/fit_gpu_calibrations.py from ../shared/data (do not edit by hand).\n"
            "# curves: <kind>.<precision>[.unaligned] -> measured/modelled time ratio vs modelled time (s).\n")
    return head + yaml.safe_dump(d, sort_keys=False, width=120, default_flow_style=None)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--store", type=Path, default=None, help="results store to import into and fit from")
    ap.add_argument("--check", action="store_true", help="compare with the shipped files instead of writing them")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: data folder {args.data} not found", file=sys.stderr)
        return 2
    gp = get_plugins()
    with tempfile.TemporaryDirectory(prefix="graphs-fit-") as tmp:
        with ResultsStore(args.store or Path(tmp) / "fit.sqlite") as st:
            rep = import_public_data(args.data, st, gp, datasets=FIT_DATASETS)
            print(f"imported {rep.measurements} measurements ({rep.runs_added} runs; {rep.runs_present} already present)")
            cals = fit_all(st, gp)
    differ = 0
    for hw, cal in cals.items():
        path = calibration_path(hw)
        text = _text(cal)
        if args.check:
            same = path.exists() and path.read_text() == text
            differ += not same
            print(f"{hw:16s} {'matches' if same else 'DIFFERS'}")
            continue
        if not path.parent.is_dir():
            print(f"{hw:16s} skipped: no device package at {path.parent}")
            continue
        path.write_text(text)
        print(f"{hw:16s} {len(cal.curves):3d} curves -> {path.relative_to(REPO)}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
