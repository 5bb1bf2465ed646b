"""``graphs validate --data DIR`` for the ML.ENERGY Benchmark v3 layout (hook ``graphs_register_datasets``).

A folder is this layout when it holds ``index.json`` (with ``models`` and ``tasks``) and
``models/*.json`` files with ``configurations`` (the folder may also be the parent of such an
``mlenergy/`` folder). Every LLM/VLM configuration is predicted **leave one model out** (its
architecture's rows held out of every fit, see :mod:`graphs_llm.mlenergy_fit`) and scored on
inter-token latency, output tokens/s, average power and energy per token; every configuration
graphs does not model (diffusion, refused architectures, attention data parallelism) is listed
with its reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

ROW_KEYS = ("gpu", "model", "task", "num_gpus", "max_num_seqs", "metric", "measured", "predicted", "low", "high",
            "confidence")
LABELS = {"itl_ms": "ITL ms", "throughput_tok_s": "tokens/s", "avg_power_w": "power W", "energy_per_token_j": "J/token"}


def _root(path: Path) -> Path:
    return path / "mlenergy" if (path / "mlenergy" / "index.json").is_file() else path


def score(root: str | Path, plugins: Any, progress: Any = None) -> dict[str, Any]:
    """The whole report as a dict (``rows``, ``summary``, ``mape``, ``skipped``, ``fit``, ``method``)."""
    from graphs.errors import GraphsError
    from graphs_llm.mlenergy import FeatureBuilder, load
    from graphs_llm.mlenergy_fit import METRICS, fit_all, leave_one_model_out, per_model, summarize

    rows, skips = load(_root(Path(root)))
    fb = FeatureBuilder(plugins)
    feats = []
    for r in rows:
        try:
            feats.append(fb.features(r))
        except GraphsError as e:
            skips.append(_skip(r, str(e)))
    if not feats:
        raise GraphsError(f"{root}: no configuration graphs can model ({len(skips)} skipped)")
    scored = leave_one_model_out(feats, progress)
    out_rows = []
    for s in scored:
        r = s.features.row
        for m in METRICS:
            out_rows.append({"gpu": r.gpu, "model": r.model, "task": r.task, "num_gpus": r.num_gpus,
                             "max_num_seqs": r.max_num_seqs, "metric": m, "measured": r.measured[m],
                             "predicted": s.predicted[m], "low": s.low[m], "high": s.high[m],
                             "confidence": s.confidence})
    summary = summarize(scored)
    final = fit_all(feats, inner=False)
    return {
        "dataset": "mlenergy",
        "method": ("leave one model out: each architecture (with its fine-tunes and quantised releases) predicted "
                   "by fits on the other architectures only; intervals = 2.5th-97.5th percentile of inner "
                   "leave-one-out residuals on the training architectures"),
        "rows": out_rows,
        "summary": summary,
        "mape": {gpu: {m: v[m]["mape"] for m in METRICS} for gpu, v in summary.items()},
        "per_model": per_model(scored),
        "skipped": [s.to_dict() for s in skips],
        "counts": {"configurations": len(rows) + sum(1 for s in skips if s.kind != "llm"),
                   "scored": len(scored), "skipped": len(skips)},
        "fit": {gpu: f.to_dict() for gpu, f in final.gpus.items()},
    }


def _skip(r: Any, reason: str) -> Any:
    from graphs_llm.mlenergy import Skip
    return Skip(r.gpu, r.model, r.task, r.num_gpus, r.max_num_seqs, reason)


class MLEnergyReport:
    """The report as :class:`graphs.labels.LabelledReport`."""

    def __init__(self, data: dict[str, Any], title: str) -> None:
        self.data, self.title = data, title

    def to_dict(self) -> dict[str, Any]:
        return self.data

    def csv_rows(self) -> tuple[Sequence[str], list[list[Any]]]:
        return ROW_KEYS, [[r[k] for k in ROW_KEYS] for r in self.data["rows"]]

    def tables(self) -> list[Any]:
        from rich.table import Table
        t = Table(title=self.title, title_justify="left")
        for c in ("GPU", "metric", "rows", "MAPE", "median APE", "coverage", "baseline MAPE"):
            t.add_column(c, justify="left" if c in ("GPU", "metric") else "right")
        for gpu, per in sorted(self.data["summary"].items()):
            for m, s in per.items():
                t.add_row(gpu, LABELS[m], str(s["n"]), f"{s['mape']:.1f}%", f"{s['median_ape']:.1f}%",
                          f"{s['coverage']:.2f}", f"{s['baseline_mape']:.1f}% ({s['baseline']})")
        reasons: dict[str, int] = {}
        for s in self.data["skipped"]:
            reasons[s["reason"]] = reasons.get(s["reason"], 0) + 1
        k = Table(title=f"skipped: {len(self.data['skipped'])} configurations (every one in JSON with its reason)",
                  title_justify="left")
        k.add_column("configurations", justify="right")
        k.add_column("reason")
        for why, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
            k.add_row(str(n), why)
        return [t, k]


class MLEnergyLabels:
    name = "mlenergy"
    description = ("ML.ENERGY Benchmark v3 layout: index.json + models/<org>__<model>__<task>.json with configurations "
                   "(vLLM serving on H100/B200: ITL, tokens/s, power, energy per token)")
    options = {"leave_one_out": "always on for this reader: every model is predicted from fits on the other models"}

    def sniff(self, root: Path) -> bool:
        from graphs_llm.mlenergy import is_layout
        return is_layout(_root(Path(root)))

    def validate(self, root: Path, plugins: Any, **options: Any) -> MLEnergyReport:
        data = score(root, plugins)
        n = data["counts"]
        return MLEnergyReport(data, f"{root}: {n['scored']} LLM configurations scored leave-one-model-out, "
                                    f"{n['skipped']} skipped")
