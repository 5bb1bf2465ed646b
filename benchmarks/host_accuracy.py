"""The committed host measurements: load them, re-fit the calibration, validate on held-out models.

``data/measurements/<cpu-slug>-t<threads>.jsonl.gz`` (written by ``benchmarks/measure_host.py``)
holds one complete benchmark of a CPU (``full`` + ``models`` suites), and ``….spec.yaml`` the host
spec the estimates used then. :func:`reproduce` fits a calibration on everything except the
held-out models named in the file's header and scores it — deterministic, so the tests can gate
on it and ``benchmarks/accuracy.py`` print it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphs_mappers_cpu.calib import calibration_dir  # the committed data ships with the CPU engine


def measurements_dir() -> Path:
    return calibration_dir().parent / "measurements"


@dataclass
class Committed:
    stem: str
    data: Path
    spec: Path
    shipped_calibration: Path


def committed() -> list[Committed]:
    out = []
    for f in sorted(measurements_dir().glob("*.jsonl.gz")):
        stem = f.name[: -len(".jsonl.gz")]
        out.append(Committed(stem, f, f.with_name(f"{stem}.spec.yaml"), calibration_dir() / f"{stem}.yaml"))
    return out


def reproduce(c: Committed, plugins, holdout: list[str] | None = None, kernels: bool = True) -> tuple[Any, dict, Any, dict]:
    """(calibration, calibrate report, validation Report, header) for one committed data set."""
    from graphs_calibrate.fit import GraphCache, calibrate
    from graphs.measured import load_measurements
    from graphs.store import ResultsStore
    from graphs_calibrate.validation import validate

    with tempfile.TemporaryDirectory(prefix="graphs-accuracy-") as tmp:
        with ResultsStore(Path(tmp) / "s.sqlite") as st:
            header = load_measurements(c.data, st)
            held = holdout if holdout is not None else list(header.get("holdout") or [])
            stat = header.get("statistic", "median")
            graphs = GraphCache(plugins)
            cal, rep = calibrate(st, str(c.spec), plugins, holdout=held, statistic=stat, graphs=graphs,
                                 now=str(header.get("date", ""))[:10] or None)
            report = validate(st, str(c.spec), plugins, calibration=cal, graphs=graphs, kernels=kernels)
    return cal, rep, report, header


def refit(plugins=None) -> list[Path]:
    """Rewrite each shipped host calibration from its committed measurements (no re-measuring).

    Needed when the estimator's priors change: a calibration's curves and overheads are fitted to the
    ratio of measured to *estimated* time, so the same data gives a different file. The fit is the one
    ``graphs calibrate`` runs (same holdout, statistic and date as the data's header)."""
    import yaml

    from graphs.calibration import load_calibration
    from graphs.output import write_output
    from graphs.plugins import get_plugins

    plugins = plugins or get_plugins()
    written = []
    for c in committed():
        cal, _, _, _ = reproduce(c, plugins, kernels=False)
        write_output(yaml.safe_dump(cal.model_dump(mode="json"), sort_keys=False), c.shipped_calibration)
        load_calibration(c.shipped_calibration)   # refuse to leave a broken file
        written.append(c.shipped_calibration)
    return written


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--refit"]:
        sys.exit("usage: python benchmarks/host_accuracy.py --refit   (accuracy tables: benchmarks/accuracy.py)")
    for p in refit():
        print(f"rewrote {p}")
