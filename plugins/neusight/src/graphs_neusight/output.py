"""Parser of NeuSight predictions: the whole-model ``.json`` and the per-operator ``.csv``.

``<tag>.json``: ``{num_layer, e2e_latency, fw_latency, bwall_latency, bw_latency, acc_latency}``
in ms. ``<tag>.csv``: one row per torch.fx node of the traced model (embeddings, *one*
transformer layer, head) with ``fw/bw/acc/bwall/e2e_latency`` in ms. NeuSight's aggregator
replicates the layer rows ``num_layer`` times (:func:`aggregate`), which reproduces the
``.json`` from the ``.csv`` — a kernel→model composition check.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphs.results import ConfidenceLevel, EstimationResult, KernelEstimate
from graphs_tools import ToolOutputError, point_result

JSON_KEYS = ("num_layer", "e2e_latency", "fw_latency", "bwall_latency")
LATENCY_COLS = ("fw_latency", "bw_latency", "acc_latency", "bwall_latency", "e2e_latency")
# (first row, last row) of the replicated layer in NeuSight's aggregator, by model family
LAYER_SPAN = {
    "bert": (("bert_encoder_layer_0_attention_self_query",), "bert_encoder_layer_0_output_layer_norm"),
    "gpt": (("transformer_h_0_ln_1_grad", "transformer_h_0_ln_1"), "add_15"),
    "opt": (("model_decoder_layers_0_self_attn_layer_norm",), "view_11"),
    "llama": (("model_encoder_layers_0_self_attn_layer_norm",), "add_8"),
}


@dataclass(frozen=True)
class OpPrediction:
    """One row of a NeuSight per-op prediction CSV (latencies in ms)."""

    name: str
    op: str
    fw_latency: float
    bw_latency: float
    acc_latency: float
    bwall_latency: float
    e2e_latency: float
    input_shapes: str = ""
    output_shape: str = ""


def read_prediction_json(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ToolOutputError(f"{p}: cannot read NeuSight prediction ({e})") from None
    missing = [k for k in JSON_KEYS if k not in d]
    if missing:
        raise ToolOutputError(f"{p}: not a NeuSight prediction (missing {', '.join(missing)})")
    return d


def read_prediction_csv(path: str | Path) -> list[OpPrediction]:
    p = Path(path)
    if not p.exists():
        raise ToolOutputError(f"{p}: NeuSight per-op prediction not found")
    with open(p, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        cols = reader.fieldnames or []
        missing = [c for c in ("Name", "OpName", *LATENCY_COLS) if c not in cols]
        if missing:
            raise ToolOutputError(f"{p}: not a NeuSight per-op prediction (missing {', '.join(missing)})")
        return [OpPrediction(r["Name"], r["OpName"], *(float(r[c]) for c in LATENCY_COLS),
                             r.get("InputShapes", ""), r.get("OutputShape", "")) for r in reader]


def layer_span(rows: list[OpPrediction], model_name: str) -> tuple[int, int] | None:
    """``[start, end)`` rows of the one traced layer, as NeuSight's ``replicate_layer`` finds them."""
    names = [r.name for r in rows]
    for family, (starts, last) in LAYER_SPAN.items():
        if family in model_name.lower():
            start = next((names.index(s) for s in starts if s in names), None)
            if start is None or last not in names:
                raise ToolOutputError(f"{model_name}: layer rows {starts[-1]!r}..{last!r} not found in the CSV")
            return start, names.index(last) + 1
    return None  # switch transformers and unknown families: the trace is the whole model


def aggregate(rows: list[OpPrediction], model_name: str, num_layer: int) -> dict[str, float]:
    """Model latencies (ms) = prologue + num_layer × layer + epilogue (NeuSight's non-distributed aggregator)."""
    span = layer_span(rows, model_name) if num_layer else None
    seq = rows if span is None else rows[:span[0]] + rows[span[0]:span[1]] * num_layer + rows[span[1]:]
    return {c: sum(getattr(r, c) for r in seq) for c in LATENCY_COLS}


def model_name_of(path: str | Path) -> str:
    """``gpt2_large-inf-1024-4.prediction.csv`` → ``gpt2_large`` (NeuSight tags are name-mode-seq-batch[-opt])."""
    return Path(path).name.split("-")[0]


def json_result(path: str | Path, *, estimator: str = "neusight", hardware: str = "",
                confidence: ConfidenceLevel = ConfidenceLevel.INTERPOLATED, notes: tuple[str, ...] = ()
                ) -> EstimationResult:
    d = read_prediction_json(path)
    metrics = {k: d[k] for k in d}
    metrics["latency_ms"] = d["e2e_latency"]
    return point_result(d["e2e_latency"], "ms", estimator=estimator, hardware=hardware, source=str(path),
                        notes=notes, metrics=metrics, confidence=confidence)


def csv_result(path: str | Path, *, num_layer: int | None = None, hardware: str = "") -> EstimationResult:
    """Per-op prediction as a result: value = NeuSight's aggregate (needs ``num_layer``, read from the sibling
    ``.json`` when not given); one breakdown entry per op row of the traced layer set."""
    p = Path(path)
    rows = read_prediction_csv(p)
    if num_layer is None:
        sib = p.with_suffix(".json")
        if not sib.exists():
            raise ToolOutputError(f"{p}: num_layer not given and no sibling {sib.name} to read it from")
        num_layer = int(read_prediction_json(sib)["num_layer"])
    agg = aggregate(rows, model_name_of(p), num_layer)
    breakdown = tuple(KernelEstimate(
        name=r.name, kind=r.op, category="neusight-op", nodes=(r.name,), flops=0.0, bytes=0.0,
        time_s=r.e2e_latency * 1e-3, low_s=r.e2e_latency * 1e-3, high_s=r.e2e_latency * 1e-3, bound="unknown",
        confidence=ConfidenceLevel.INTERPOLATED) for r in rows)
    metrics = {"rows": len(rows), "num_layer": num_layer, "aggregate_ms": agg,
               "trace_sum_e2e_ms": sum(r.e2e_latency for r in rows), "layer_rows": layer_span(rows, model_name_of(p))}
    return point_result(agg["e2e_latency"], "ms", estimator="neusight", hardware=hardware, source=str(p),
                        notes=("value = prologue + num_layer x layer + epilogue of the per-op rows",),
                        metrics=metrics, confidence=ConfidenceLevel.INTERPOLATED, breakdown=breakdown)


def parse(path: str | Path) -> EstimationResult:
    p = Path(path)
    if p.suffix == ".json":
        return json_result(p)
    if p.suffix == ".csv":
        return csv_result(p)
    raise ToolOutputError(f"{p}: expected a NeuSight .json or .csv prediction")
