"""Accuracy of the collective model on ``../shared/data`` (the training-step model's accuracy is in
:mod:`graphs_llm.training_accuracy`).

**Collectives** (sizes ≥ 1 MB scored):

* *size hold-out* — per measured configuration (cluster, collective, workers, GPUs per node),
  α and β are fitted (:func:`fit_alpha_beta`, the configuration's step count and traffic factor)
  on every other size and the remaining sizes are predicted (VIDUR: even/odd size index;
  DeepBench: leave one size out, it has six sizes ≥ 1 MB per configuration);
* *worker-count transfer* (VIDUR ``a100_dgx`` all-reduce) — the intra-node link (α, β) fitted on
  2 and 8 GPUs of one node predicts 4 GPUs; the inter-node link fitted on 2 nodes of 1 GPU
  predicts 4, 8 and 16 GPUs over 2 nodes through the hierarchical formula;
* *spec only* — the same VIDUR single-node configurations predicted from the ``hgx-a100-8gpu``
  system spec (NVLink bandwidth, NCCL's latencies and A100 bus-bandwidth cap), nothing fitted.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from graphs_distributed.collectives import CollectiveModel, Link, fit_alpha_beta
from graphs.errors import GraphsError

MIN_BYTES = 1_000_000


def _steps_traffic(coll: str, p: int) -> tuple[float, float]:
    if coll == "all_reduce":
        return 2 * (p - 1), 2 * (p - 1) / p
    return 1.0, 1.0       # send_recv


@dataclass
class CollectiveSample:
    source: str           # cluster / DeepBench machine
    collective: str
    nbytes: float
    workers: int
    per_node: int
    seconds: float
    algorithm: str = ""

    @property
    def config(self) -> tuple:
        return (self.source, self.collective, self.workers, self.per_node)


def deepbench_allreduce(root: str | Path) -> list[CollectiveSample]:
    """DeepBench's all-reduce tables (``train__DeepBench_*/Results*.csv``, FP32 floats)."""
    out = []
    for f in sorted((Path(root) / "deepbench").glob("train__DeepBench_*/Results*.csv")):
        with f.open(newline="", encoding="utf-8", errors="replace") as fh:
            rows = list(csv.reader(fh))
        start = next((i for i, r in enumerate(rows) if r and r[0].strip().lower().startswith("all-reduce")), None)
        if start is None:
            continue
        machine = f.parent.name.removeprefix("train__DeepBench_")
        for r in rows[start + 1:]:
            if len(r) < 7 or not r[2].strip():
                break
            try:
                floats, workers = float(r[2]), int(float(r[3]))
                nodes = int(float(r[4])) if r[4].strip() else 1
            except ValueError:
                break
            if not r[6].strip():
                continue
            ms = float(r[6])
            # KNL rows count nodes (one process each) in the workers column
            per_node = 1 if "KNL" in machine else max(1, workers // nodes)
            out.append(CollectiveSample(machine, "all_reduce", floats * 4, workers, per_node, ms * 1e-3,
                                        r[9].strip() if len(r) > 9 else ""))
    return out


def vidur_collectives(root: str | Path) -> list[CollectiveSample]:
    return [CollectiveSample(r.cluster, r.collective, r.nbytes, r.workers, r.per_node, r.seconds)
            for r in network_rows(root)]


@dataclass
class CollectiveAccuracy:
    rows: list[dict[str, Any]] = field(default_factory=list)     # one per configuration

    def mape(self, source_prefix: str = "") -> float:
        apes = [a for r in self.rows if r["source"].startswith(source_prefix) for a in r["apes"]]
        return 100 * float(np.mean(apes)) if apes else math.nan

    def n(self, source_prefix: str = "") -> int:
        return sum(len(r["apes"]) for r in self.rows if r["source"].startswith(source_prefix))


def _predict(a: float, beta: float, s: CollectiveSample) -> float:
    steps, traffic = _steps_traffic(s.collective, s.workers)
    return steps * a + traffic * s.nbytes / beta


def size_holdout(samples: list[CollectiveSample], scheme: str) -> CollectiveAccuracy:
    """Fit α, β per configuration on some sizes, score the others (``alternate`` or ``loo``)."""
    groups: dict[tuple, list[CollectiveSample]] = {}
    for s in samples:
        groups.setdefault(s.config, []).append(s)
    acc = CollectiveAccuracy()
    for cfg, ss in sorted(groups.items()):
        ss = sorted((s for s in ss if s.nbytes >= MIN_BYTES), key=lambda s: s.nbytes)
        if len(ss) < 3:
            continue
        steps, traffic = _steps_traffic(ss[0].collective, ss[0].workers)
        apes, fits = [], []
        if scheme == "alternate":
            train, test = ss[0::2], ss[1::2]
            a, beta = fit_alpha_beta([(s.nbytes, s.seconds) for s in train], steps, traffic)
            fits.append((a, beta))
            apes = [abs(_predict(a, beta, s) - s.seconds) / s.seconds for s in test]
        else:
            for i, s in enumerate(ss):
                train = ss[:i] + ss[i + 1:]
                a, beta = fit_alpha_beta([(t.nbytes, t.seconds) for t in train], steps, traffic)
                fits.append((a, beta))
                apes.append(abs(_predict(a, beta, s) - s.seconds) / s.seconds)
        acc.rows.append({"source": cfg[0], "collective": cfg[1], "workers": cfg[2], "per_node": cfg[3],
                         "n": len(apes), "apes": apes, "mape": 100 * float(np.mean(apes)),
                         "alpha_us": 1e6 * float(np.median([f[0] for f in fits])),
                         "busbw_gbs": float(np.median([f[1] for f in fits])) / 1e9})
    return acc


def _fit_link(ss: list[CollectiveSample], p: int) -> Link:
    steps, traffic = _steps_traffic("all_reduce", p)
    a, beta = fit_alpha_beta([(s.nbytes, s.seconds) for s in ss], steps, traffic)
    return Link(beta=beta, alpha=a)


def worker_transfer(samples: list[CollectiveSample], cluster: str = "a100_dgx") -> CollectiveAccuracy:
    """VIDUR a100_dgx all-reduce: links fitted on some worker counts predict the others (see module doc)."""
    ar = [s for s in samples if s.source == cluster and s.collective == "all_reduce" and s.nbytes >= MIN_BYTES]
    by = {}
    for s in ar:
        by.setdefault((s.workers, s.per_node), []).append(s)
    if not all(k in by for k in ((2, 2), (8, 8), (2, 1))):
        raise GraphsError(f"{cluster}: the transfer experiment needs 2x2, 8x8 and 2x1 all-reduce rows")
    # intra-node: one (α, β) shared by 2 and 8 GPUs (least squares over both), predicts 4 GPUs
    pts, A = [], []
    for p in (2, 8):
        for s in by[(p, p)]:
            steps, traffic = _steps_traffic("all_reduce", p)
            A.append([steps / s.seconds, traffic * s.nbytes / s.seconds])
            pts.append(1.0)
    coef, *_ = np.linalg.lstsq(np.array(A), np.array(pts), rcond=None)
    intra = Link(beta=1.0 / coef[1], alpha=max(coef[0], 0.0), name="fitted intra")
    inter = _fit_link(by[(2, 1)], 2)
    model = CollectiveModel(intra, inter, node_size=8)
    acc = CollectiveAccuracy()
    for key, ss in sorted(by.items()):
        if key in ((2, 2), (8, 8), (2, 1)):
            continue
        p, g = key
        apes = [abs(model.time("all_reduce", s.nbytes, p, g) - s.seconds) / s.seconds for s in ss]
        acc.rows.append({"source": cluster, "collective": "all_reduce", "workers": p, "per_node": g, "n": len(apes),
                         "apes": apes, "mape": 100 * float(np.mean(apes)), "alpha_us": math.nan, "busbw_gbs": math.nan})
    acc.rows.append({"source": "_fit", "collective": "intra (2,8 GPUs)", "workers": 0, "per_node": 0, "n": 0, "apes": [],
                     "mape": math.nan, "alpha_us": intra.alpha * 1e6, "busbw_gbs": intra.beta / 1e9})
    acc.rows.append({"source": "_fit", "collective": "inter (2 nodes x 1)", "workers": 0, "per_node": 0, "n": 0,
                     "apes": [], "mape": math.nan, "alpha_us": inter.alpha * 1e6, "busbw_gbs": inter.beta / 1e9})
    return acc


def spec_only(samples: list[CollectiveSample], system: Any, cluster: str = "a100_dgx") -> CollectiveAccuracy:
    """Single-node VIDUR configurations of ``cluster`` predicted from a system spec (nothing fitted)."""
    cm = CollectiveModel.for_system(system)
    acc = CollectiveAccuracy()
    by = {}
    for s in samples:
        if s.source == cluster and s.workers == s.per_node and s.nbytes >= MIN_BYTES:
            by.setdefault((s.collective, s.workers), []).append(s)
    for (coll, p), ss in sorted(by.items()):
        apes = [abs(cm.time(coll, s.nbytes, p, p) - s.seconds) / s.seconds for s in ss]
        acc.rows.append({"source": cluster, "collective": coll, "workers": p, "per_node": p, "n": len(apes),
                         "apes": apes, "mape": 100 * float(np.mean(apes)), "alpha_us": math.nan, "busbw_gbs": math.nan})
    return acc




@dataclass(frozen=True)
class CollectiveRow:
    cluster: str
    collective: str
    nbytes: int
    workers: int
    per_node: int
    seconds: float


def network_rows(root: str | Path) -> Iterator[CollectiveRow]:
    base = Path(root) / "vidur" / "network"
    for f in sorted(base.glob("*/*.csv")):
        with f.open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                coll = r.get("collective") or f.stem
                try:
                    yield CollectiveRow(f.parent.name, coll, int(float(r["size"])), int(r["num_workers"]),
                                        int(r["devices_per_node"]), float(r[f"time_stats.{coll}.median"]) * 1e-3)
                except (KeyError, ValueError):
                    continue
