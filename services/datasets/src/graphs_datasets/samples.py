"""Measured kernels as fitting samples, read from a results store or a public-data folder.

Only **single-kernel benchmarks** (store level ``kernel``) are samples: the per-op rows of
model labels (level ``layer``) and whole-model labels (level ``model``) are what a calibration
is validated on, so they are never fitted.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Iterable

from graphs.errors import GraphsError
from graphs.calibration import KernelSample  # noqa: F401  (re-exported: the sample type lives in core)
from graphs.store import ResultsStore


def samples_from_store(store: ResultsStore, devices: Iterable[str] | None = None,
                       datasets: Iterable[str] | None = None) -> dict[str, list[KernelSample]]:
    """Device id -> its kernel-level samples (optionally only some devices / ``imported:<dataset>`` sources)."""
    from graphs_datasets.public import stored_kernel

    want = set(devices) if devices is not None else None
    srcs = {f"imported:{d}" for d in datasets} if datasets is not None else None
    out: dict[str, list[KernelSample]] = defaultdict(list)
    for sm in store.query(level="kernel"):
        if want is not None and sm.run.device not in want:
            continue
        if srcs is not None and sm.run.source not in srcs:
            continue
        k = stored_kernel(sm.m)
        if k is None:
            continue
        out[sm.run.device].append(KernelSample(k, sm.m.median_s, str(sm.m.params.get("timing", "eager")),
                                               sm.run.notes))
    return dict(out)


def samples_from(fit_from, plugins=None, datasets: Iterable[str] | None = None) -> tuple[dict[str, list[KernelSample]], str]:
    """Samples by device from a ResultsStore, a store file (``.sqlite``/``.db``) or a public-data folder.

    Returns (samples, a one-line description of where they came from).
    """
    if isinstance(fit_from, ResultsStore):
        return samples_from_store(fit_from, datasets=datasets), f"results store {fit_from.path}"
    p = Path(fit_from)
    if p.is_file():
        with ResultsStore(p, readonly=True) as st:
            return samples_from_store(st, datasets=datasets), f"results store {p}"
    if p.is_dir():
        from graphs_datasets.public import DATASETS, import_public_data

        with tempfile.TemporaryDirectory(prefix="graphs-fit-") as tmp:
            with ResultsStore(Path(tmp) / "fit.sqlite") as st:
                import_public_data(p, st, plugins, datasets=tuple(datasets or DATASETS))
                return samples_from_store(st), f"kernel measurements imported from {p}"
    raise GraphsError(f"fit_from {fit_from!s}: neither a results store nor a data folder")
