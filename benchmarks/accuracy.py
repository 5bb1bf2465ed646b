#!/usr/bin/env python
"""Accuracy tables: the host CPU from its committed measurements (and the GPUs' public-data validation).

For every committed host data set (``mappers_cpu/.../data/measurements``, written by
``benchmarks/measure_host.py``): re-fit the calibration on the models not held out, validate
every model run and kernel, and print

* per model run: measured, estimate, APE, inside the 90 % interval, and the same run's two
  baselines — the **roofline** (engine peaks and measured bandwidth, no efficiency, no overheads)
  and the **priors** (the engine without a calibration: the CPU family's measured priors) —
  with the composition gap γ measured and predicted;
* per set (held-out/fitted × batch): MAPE, max APE, Spearman ρ, coverage, the baselines' MAPE
  and the ratio of each baseline's MAPE to this calibration's;
* per kernel group: MAPE and coverage.

Then runs ``benchmarks/accuracy_gpu.py`` if it exists (GPU validation on public data).

    .venv/bin/python benchmarks/accuracy.py [--json FILE] [--no-kernels]
"""

from __future__ import annotations

import argparse
import json
import math
import runpy
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path, default=None, help="also write every number as JSON")
    ap.add_argument("--no-kernels", action="store_true", help="skip the per-kernel table")
    a = ap.parse_args(argv)

    from rich.console import Console
    from rich.table import Table

    from graphs.plugins import get_plugins
    from graphs_calibrate.validation import validation_tables
    from host_accuracy import committed, reproduce

    con = Console(width=170)
    gp = get_plugins()
    out = {}
    sets = committed()
    if not sets:
        con.print("no committed host measurements (run `make measure-host`)")
    for c in sets:
        cal, rep, report, header = reproduce(c, gp, kernels=not a.no_kernels)
        con.rule(f"host CPU: {c.stem}")
        con.print(f"{header.get('cpu_model')}, {header.get('threads')} thread(s), measured {header.get('date')} to "
                  f"{header.get('measured_until')}, statistic {header.get('statistic')}, 1-min load average at the "
                  f"runs {header.get('load_average_1min_at_runs')}; held out: {', '.join(header.get('holdout') or [])}")
        for t in validation_tables(report):
            con.print(t)
        comp = rep.get("composition")
        if comp:
            t = Table(title="model composition T = (1 + f)·Σ kernels [+ a·kernels + b·weight bytes] + c: forms scored by "
                            "leave-one-model-out over the fitted models (curves refitted without the model)",
                      title_justify="left")
            for col in ("form", "LOMO MAPE", *[f"LOMO {b}" for b in next(iter(comp["forms"].values()))["by_batch"]],
                        "chosen"):
                t.add_column(col, justify="left" if col == "form" else "right")
            for name, v in comp["forms"].items():
                t.add_row(name, f"{v['mape']:.1f}%", *[f"{x:.1f}%" for x in v["by_batch"].values()],
                          "yes" if name == comp["chosen"] else "")
            terms = comp.get("terms") or {}
            lo, med, hi = comp["interval"]
            t.caption = (f"f = {comp['fraction']:.3f}, c = {comp['constant'] * 1e3:.3g} ms"
                         + (f", a = {terms['per_kernel'] * 1e6:.3g} µs per kernel" if "per_kernel" in terms else "")
                         + (f", b = 1 / ({1 / terms['per_weight_byte'] / 1e9:.3g} GB/s) per weight byte"
                            if terms.get("per_weight_byte") else "")
                         + f"; 90 % interval of T / estimate from the LOMO ratios: [{lo:.3f}, {hi:.3f}]")
            con.print(t)
        t = Table(title="ratio of baseline MAPE to calibrated MAPE (higher: the calibration beats it by more)",
                  title_justify="left")
        for col in ("set", "calibrated MAPE", "priors / calibrated", "roofline / calibrated"):
            t.add_column(col, justify="left" if col == "set" else "right")
        summ = report.summary()
        for name, v in summ.items():
            if v.get("n") and v["mape"]:
                t.add_row(name, f"{v['mape']:.1f}%", f"{v['prior_mape'] / v['mape']:.1f}×",
                          f"{v['roofline_mape'] / v['mape']:.1f}×")
        con.print(t)
        out[c.stem] = {"header": header, "calibrate": {k: v for k, v in rep.items() if k != "model_residuals_s"},
                       "summary": summ,
                       "kernels_summary": report.to_dict()["kernels_summary"] if not a.no_kernels else None}
    gpu = Path(__file__).with_name("accuracy_gpu.py")
    if gpu.exists():
        con.rule("GPUs (public data)")
        saved = sys.argv
        try:
            sys.argv = [str(gpu)]
            runpy.run_path(str(gpu), run_name="__main__")
        except SystemExit as e:
            if e.code not in (0, None):
                con.print(f"accuracy_gpu.py exited with {e.code}")
        finally:
            sys.argv = saved
    if a.json:
        a.json.write_text(json.dumps(out, indent=2, default=lambda x: None if isinstance(x, float) and
                                     not math.isfinite(x) else str(x)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
