#!/usr/bin/env python
"""Measure, calibrate and validate the host CPU, and regenerate the committed data (``make measure-host``).

The one sequence (each step is the plain CLI command, run as a subprocess)::

    graphs benchmark --runner torch-cpu --suite full   --store S
    graphs benchmark --runner torch-cpu --suite models --store S
    graphs calibrate --hardware SPEC --store S --holdout HELD --statistic STAT --output CAL
    graphs validate  --hardware SPEC --store S --calibration CAL

then writes, under ``mappers_cpu/src/graphs_mappers_cpu/data/``:

* ``measurements/<cpu-slug>-t<threads>.jsonl.gz`` — every measurement of the run (runs with
  CPU model, torch/MKL/oneDNN versions, threads, load average; kernels with their IR records),
  :func:`graphs.measured.dump_measurements` format, with a header (date, command, statistic,
  hold-out list, load average before/after);
* ``measurements/<cpu-slug>-t<threads>.spec.yaml`` — the host spec the estimates used (peaks,
  measured bandwidth curve and overheads at that time), so the tests re-fit deterministically;
* ``calibration/<cpu-slug>-t<threads>.yaml`` — the calibration fitted on the non-held-out part,
  shipped with graphs-mappers-cpu (it applies to the same CPU model at the same thread count).

Threads: ``--threads N`` (sets ``GRAPHS_CPU_THREADS``), default all usable physical cores.
Use ``--statistic min`` on a machine shared with other processes (the fastest repeat is the
undisturbed time); ``median`` (default) on a quiet one. ``--wait-quiet S`` waits up to S
seconds for the CPUs to be ≥ 90 % idle first. ``--store`` keeps the raw store elsewhere
(default: a temporary file). ``--suites models`` measures only the models; ``--skip-measure`` reuses a store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "mappers_cpu" / "src" / "graphs_mappers_cpu" / "data"
# whole zoo models never fitted: a CNN sibling, a mobile CNN, a ViT and a text encoder; then (chosen for
# diversity before they were measured, graphs_mappers_cpu.runner.HOST_EXTRA_MODELS) a small CNN with
# channel shuffle, a transformer decoder, an EfficientNet variant and a T5 encoder
HOLDOUT = ("resnet34", "mobilenet_v3_large", "deit-tiny", "distilbert-base",
           "shufflenet_v2_x1_0", "opt-125m", "efficientnet_b1", "t5-small-encoder")


def graphs_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("graphs")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "graphs.cli"]


def run(args: list[str], env: dict[str, str]) -> None:
    print("$ graphs " + " ".join(args), flush=True)
    r = subprocess.run(graphs_cmd() + args, env=env)
    if r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}): graphs {' '.join(args)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--statistic", choices=("median", "min"), default="median")
    ap.add_argument("--holdout", default=",".join(HOLDOUT))
    ap.add_argument("--store", type=Path, default=None)
    ap.add_argument("--skip-measure", action="store_true", help="calibrate/validate/write from an existing --store")
    ap.add_argument("--suites", default="full,models")
    ap.add_argument("--wait-quiet", type=float, default=0.0, metavar="S")
    ap.add_argument("--no-write", action="store_true", help="do not touch the committed data")
    a = ap.parse_args(argv)

    env = dict(os.environ)
    if a.threads:
        env["GRAPHS_CPU_THREADS"] = str(a.threads)
    os.environ.update(env)
    if a.wait_quiet:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from derive_cpu_priors import wait_quiet
        print(f"CPU idle before start: {wait_quiet(a.wait_quiet):.0%}", flush=True)

    from graphs.calibration import load_calibration
    from graphs.measured import dump_measurements
    from graphs.store import ResultsStore
    from graphs_mappers_cpu.calib import cpu_slug
    from graphs_mappers_cpu.plugin import host_spec_dict

    tmp = Path(tempfile.mkdtemp(prefix="graphs-measure-host-"))
    store = a.store or tmp / "host.sqlite"
    spec = host_spec_dict()
    p = spec["family_params"]
    threads = int(p["threads"]["value"])
    stem = f"{cpu_slug(p['cpu_model'], p.get('signature'))}-t{threads}"
    import yaml
    spec_file = tmp / f"{stem}.spec.yaml"
    spec_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    load0 = os.getloadavg()
    t0 = time.time()
    if not a.skip_measure:
        for suite in a.suites.split(","):
            run(["benchmark", "--runner", "torch-cpu", "--suite", suite, "--store", str(store)], env)
    load1 = os.getloadavg()
    cal_file = tmp / f"{stem}.yaml"
    run(["calibrate", "--hardware", str(spec_file), "--store", str(store), "--holdout", a.holdout,
         "--statistic", a.statistic, "--output", str(cal_file)], env)
    run(["validate", "--hardware", str(spec_file), "--store", str(store), "--calibration", str(cal_file)], env)
    if a.no_write:
        print(f"not written (--no-write); files in {tmp}")
        return 0
    (DATA / "measurements").mkdir(parents=True, exist_ok=True)
    (DATA / "calibration").mkdir(parents=True, exist_ok=True)
    with ResultsStore(store) as st:   # when and under what load the runs were measured (from the store itself)
        runs = [r for _, r in st.runs(device="host")]
        t_first, t_last = st._db.execute("SELECT MIN(created), MAX(created) FROM runs WHERE device='host'").fetchone()
    loads = [r.host.get("load_average")[0] for r in runs if r.host.get("load_average")]
    iso = lambda t: dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(timespec="seconds")  # noqa: E731
    header = {"cpu_model": p["cpu_model"], "signature": p.get("signature"), "threads": threads,
              "date": iso(t_first) if t_first else None, "measured_until": iso(t_last) if t_last else None,
              "statistic": a.statistic, "holdout": a.holdout.split(","), "suites": a.suites.split(","),
              "runs": len(runs), "load_average_1min_at_runs": [min(loads), max(loads)] if loads else None,
              "script": "benchmarks/measure_host.py",
              "command": "python benchmarks/measure_host.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    if not a.skip_measure:
        header.update({"load_average_before": list(load0), "load_average_after": list(load1),
                       "wall_s": round(time.time() - t0)})
    with ResultsStore(store) as st:
        n = dump_measurements(st, DATA / "measurements" / f"{stem}.jsonl.gz", device="host", header=header)
    shutil.copy(spec_file, DATA / "measurements" / f"{stem}.spec.yaml")
    load_calibration(cal_file)  # refuse to ship a broken file
    shutil.copy(cal_file, DATA / "calibration" / f"{stem}.yaml")
    print(f"wrote {n} measurements, the spec and the calibration for {stem} under {DATA}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
