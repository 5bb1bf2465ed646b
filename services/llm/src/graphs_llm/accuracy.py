"""Per-operator accuracy against VIDUR's profiles, holding out whole models.

For each GPU (``a100`` = A100 80GB, ``a40``) and each model, a calibration of the family engine is
fitted (``type(mapper).fit_calibration``: the family's own protocol, for the GPU engine
``graphs_mappers_gpu.calibrate``) on the kernel times of the **other** models only, and the
held-out model's ops are predicted with it in the ``graph`` runtime (kernel times, as VIDUR
measures them). Every op is built as IR by the iteration builder (:func:`graphs_llm.vidur.op_kernel`).

Baselines in the same run: ``roofline`` (``max(FLOPs/peak, bytes/bandwidth)`` with the spec's peaks:
no efficiency, no overhead) and ``prior`` (the family engine without a device calibration, i.e.
spec + efficiency priors + the graph-runtime kernel floor). The GPU engine's ``matmul.tensor_core``
prior was itself derived from VIDUR's A100 linear layers of all models (see docs/mappers/gpu.md),
so the ``prior`` column for linear layers on the A100 is not a held-out number.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from graphs.errors import GraphsError
from graphs_llm.timing import KernelTimer
from graphs_llm.vidur import GPU_HARDWARE, OP_KIND, OpRow, compute_rows, op_kernels


@dataclass
class OpAccuracy:
    gpu: str
    hardware: str
    rows: int = 0
    # kind -> {"graphs": [ape...], "roofline": [...], "prior": [...]}
    ape: dict[str, dict[str, list[float]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    by_model: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    folds: list[str] = field(default_factory=list)

    def mape(self, kind: str, method: str = "graphs") -> float:
        v = self.ape.get(kind, {}).get(method, [])
        return 100.0 * float(np.mean(v)) if v else math.nan

    def table(self) -> list[dict[str, Any]]:
        out = []
        for kind in sorted(self.ape):
            n = len(self.ape[kind]["graphs"])
            out.append({"kind": kind, "n": n, "graphs_mape": self.mape(kind), "roofline_mape": self.mape(kind, "roofline"),
                        "prior_mape": self.mape(kind, "prior"),
                        "graphs_p90_ape": 100.0 * float(np.percentile(self.ape[kind]["graphs"], 90)) if n else math.nan})
        allv = [x for k in self.ape for x in self.ape[k]["graphs"]]
        out.append({"kind": "all", "n": len(allv), "graphs_mape": 100 * float(np.mean(allv)) if allv else math.nan,
                    "roofline_mape": 100 * float(np.mean([x for k in self.ape for x in self.ape[k]["roofline"]])),
                    "prior_mape": 100 * float(np.mean([x for k in self.ape for x in self.ape[k]["prior"]])),
                    "graphs_p90_ape": 100 * float(np.percentile(allv, 90)) if allv else math.nan})
        return out


def vidur_op_accuracy(root: str | Path, gpu: str, plugins: Any, *, held_out: Iterable[str] | None = None,
                      tokens_every: int = 1) -> OpAccuracy:
    """Leave-one-model-out (or only the ``held_out`` models) per-operator accuracy on one VIDUR GPU.

    ``tokens_every`` > 1 keeps every n-th ``num_tokens`` value (a faster subset for tests).
    """
    from graphs.calibration import KernelSample

    hw = GPU_HARDWARE.get(gpu)
    if hw is None:
        raise GraphsError(f"VIDUR GPU {gpu!r} has no graphs device (known: {', '.join(GPU_HARDWARE)})")
    entry = plugins.hardware_entry(hw)
    mapper_cls, _ = plugins.mappers[entry.spec.family]
    if not mapper_cls.can_fit():
        raise GraphsError(f"family {entry.spec.family!r} cannot fit calibrations")
    rows: list[OpRow] = list(compute_rows(root, gpu))
    if tokens_every > 1:
        keep = sorted({r.num_tokens for r in rows})[::tokens_every]
        keep_set = set(keep)
        rows = [r for r in rows if r.num_tokens in keep_set]
    kernels = [op_kernels(r) for r in rows]
    models = sorted({r.model for r in rows})
    folds = list(held_out) if held_out is not None else models
    unknown = set(folds) - set(models)
    if unknown:
        raise GraphsError(f"held-out model(s) not in VIDUR's {gpu} data: {', '.join(sorted(unknown))}")
    acc = OpAccuracy(gpu, entry.spec.id, folds=folds)
    base = mapper_cls(entry.spec, None)
    t_prior = KernelTimer(base, "graph")
    t_roof = KernelTimer(base, "roofline")
    for held in folds:
        # an op timed as several kernels (Phi-2's two adds) is fitted through its first, at its share of the time
        samples = [KernelSample(ks[0], r.seconds / len(ks), "kernel", r.model) for r, ks in zip(rows, kernels)
                   if r.model != held]
        cal = mapper_cls.fit_calibration(entry.spec, samples, f"VIDUR {gpu} kernels without {held}")
        timer = KernelTimer(mapper_cls(entry.spec, cal), "graph")
        for r, ks in zip(rows, kernels):
            if r.model != held:
                continue
            kind = OP_KIND[r.op]
            for method, tm in (("graphs", timer), ("roofline", t_roof), ("prior", t_prior)):
                ape = abs(sum(tm(k).time_s for k in ks) - r.seconds) / r.seconds
                acc.ape[kind][method].append(ape)
                if method == "graphs":
                    acc.by_model[held].append(ape)
            acc.rows += 1
    return acc


def fit_vidur_calibration(root: str | Path, gpu: str, plugins: Any) -> Any:
    """A kernel-time calibration of the VIDUR GPU from every model (for the serving model's graph runtime)."""
    from graphs.calibration import KernelSample
    entry = plugins.hardware_entry(GPU_HARDWARE[gpu])
    mapper_cls, _ = plugins.mappers[entry.spec.family]
    rows = list(compute_rows(root, gpu))
    samples = [KernelSample(ks[0], r.seconds / len(ks), "kernel", r.model) for r in rows for ks in [op_kernels(r)]]
    return mapper_cls.fit_calibration(entry.spec, samples, f"benchmarks/accuracy_llm.py: VIDUR {gpu} kernel times, "
                                                              f"{len({r.model for r in rows})} models")
