"""Suites: the workload × hardware rows every estimator is run on.

* ``measured`` — every NeuSight whole-model *inference* label (``labels/<GPU>/<model>-inf-<seq>-<batch>.json``,
  no option suffix) under ``<data>/neusight``: ground truth measured on the GPU (FP32, TF32 off), not
  fitted by any estimator here (graphs' calibrations use single-kernel benchmarks only).
* ``core`` — the survey's core workloads: ResNet-50, BERT-base and Llama-2-7B on H100 and A100 (SXM4
  80GB), batch 1, fp16 by default. No ground truth ships for these rows; a results store that holds
  whole-model measurements of them (``graphs benchmark`` on a lent GPU) is joined when given.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

from graphs_compare.model import Row
from graphs.errors import GraphsError

SUITES = ("measured", "core", "llm", "accel", "gpu", "collectives")
CATEGORIES = ("llm", "accel", "gpu", "collectives")   # `--suite all` runs these, one table each
# (zoo name, family, batch, seq) of the survey's core workloads
CORE_WORKLOADS = (("resnet50", "cnn", 1, None), ("bert-base", "transformer", 1, 128), ("llama2-7b", "decoder", 1, 512))
CORE_HARDWARE = ("h100", "a100-sxm4-80gb")
CORE_PRECISION = "fp16"
# Hugging Face ids / configs of the core transformers, for tools that take them (NeuSight, VIDUR)
HF_IDS = {"llama2-7b": "meta-llama/Llama-2-7b-hf", "bert-base": "bert-base-uncased"}
LLAMA2_7B_HF = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
                "intermediate_size": 11008, "num_attention_heads": 32, "num_key_value_heads": 32,
                "num_hidden_layers": 32, "vocab_size": 32000, "max_position_embeddings": 4096,
                "rms_norm_eps": 1e-5, "hidden_act": "silu"}
BERT_BASE_HF = {"architectures": ["BertLMHeadModel"], "model_type": "bert", "hidden_size": 768,
                "intermediate_size": 3072, "num_attention_heads": 12, "num_hidden_layers": 12, "vocab_size": 30522,
                "max_position_embeddings": 512, "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12,
                "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "pad_token_id": 0}

HF_CONFIGS = {"llama2-7b": LLAMA2_7B_HF, "bert-base": BERT_BASE_HF}


@dataclass
class Suite:
    name: str
    description: str
    rows: list[Row]
    data_root: Path | None = None          # the NeuSight-layout folder (measured)
    skipped: list[dict[str, str]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def row(self, key: str) -> Row:
        return next(r for r in self.rows if r.key == key)


def default_data_root() -> Path:
    """``$GRAPHS_DATA`` or ``../shared/data`` next to the repository (as tests and benchmarks read it)."""
    env = os.environ.get("GRAPHS_DATA", "").strip()
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent.parent / "shared" / "data"
        if (parent / "core").is_dir() and cand.is_dir():
            return cand
    return Path.cwd().parent / "shared" / "data"


def _family(model: str) -> str:
    m = model.lower()
    return "transformer" if m.startswith("bert") else "decoder"


def measured_suite(data: str | Path | None = None, plugins=None, gpus: Sequence[str] | None = None) -> Suite:
    """Rows from NeuSight's inference labels (see module docstring)."""
    from graphs_datasets.devices import map_device_configs
    from graphs_datasets.labels import ModelLabel, label_files

    base = Path(data) if data is not None else default_data_root()
    root = base / "neusight" if (base / "neusight").is_dir() else base
    if not (root / "labels").is_dir():
        raise GraphsError(f"{root}: no labels/ folder (the measured suite needs NeuSight's labels; set --data or "
                          "GRAPHS_DATA to the folder holding neusight/)")
    if plugins is None:
        from graphs.plugins import get_plugins
        plugins = get_plugins()
    device_map = map_device_configs(root / "device_configs", plugins)
    rows: list[Row] = []
    skipped: list[dict[str, str]] = []
    for folder in sorted(p for p in (root / "labels").iterdir() if p.is_dir()):
        if gpus is not None and folder.name not in gpus:
            continue
        if folder.name not in device_map:
            raise GraphsError(f"labels/{folder.name} has no device config (expected device_configs/{folder.name}.json)")
        for jf in label_files(folder):
            try:
                lab = ModelLabel.read(jf)
            except GraphsError as e:
                skipped.append({"label": f"{folder.name}/{jf.name}", "why": str(e)})
                continue
            k = lab.key
            rows.append(Row(
                key=f"{folder.name}/{k.tag}", model=k.model, hardware=device_map[folder.name], device_name=folder.name,
                family=_family(k.model), mode=k.mode, seq=k.seq, batch=k.batch, option=k.option, precision="fp32",
                measured_s=lab.fw_s, truth=f"neusight/labels/{folder.name}/{jf.name} (fw_latency, CUDA events)",
                independent=True,
                extra={"num_layer": lab.num_layer, "has_ops_csv": jf.with_suffix(".csv").is_file()}))
    if not rows:
        raise GraphsError(f"{root}/labels: no inference labels" + (f" for {', '.join(gpus)}" if gpus else ""))
    return Suite("measured", "NeuSight whole-model inference labels (FP32, TF32 off; measured on the GPU)", rows,
                 root, skipped=skipped, settings={"data": str(root), "gpus": sorted({r.device_name for r in rows}),
                                 "models": sorted({r.model for r in rows})})


def core_suite(plugins=None, store: str | Path | None = None, precision: str = CORE_PRECISION,
               hardware: Sequence[str] = CORE_HARDWARE) -> Suite:
    """The survey's core workloads (see module docstring); ground truth only from a results store."""
    if plugins is None:
        from graphs.plugins import get_plugins
        plugins = get_plugins()
    rows = []
    for hw in hardware:
        hw_id = plugins.hardware_entry(hw).spec.id
        for model, fam, batch, seq in CORE_WORKLOADS:
            rows.append(Row(key=f"{hw_id}/{model}-{precision}-b{batch}" + (f"-s{seq}" if seq else ""), model=model,
                            hardware=hw_id, device_name=hw_id, family=fam, seq=seq, batch=batch, precision=precision,
                            hf_id=HF_IDS.get(model), hf_config=HF_CONFIGS.get(model)))
    suite = Suite("core", f"survey core workloads on {', '.join(hardware)} ({precision}, batch 1): predictions only "
                          "unless a results store has measurements of them", rows,
                  settings={"precision": precision, "hardware": list(hardware), "store": str(store) if store else None})
    if store is not None:
        suite.rows = [_join_store(r, store) for r in suite.rows]
    return suite


def _join_store(row: Row, store: str | Path) -> Row:
    """The row with the store's whole-model measurement of (model, batch, seq, precision) on its device, if any."""
    from graphs.store import ResultsStore

    with ResultsStore(store, readonly=True) as st:
        for sm in st.query(level="model", device=row.hardware):
            sh = sm.m.shapes or {}
            if sh.get("builder") != "zoo" or sh.get("model") != row.model or int(sh.get("batch", 1)) != row.batch:
                continue
            if row.seq is not None and sh.get("seq_len") not in (None, row.seq):
                continue
            if sm.m.precision and sm.m.precision != row.precision:
                continue
            return replace(row, measured_s=sm.m.median_s, truth=f"results store {store}: run {sm.run_id} "
                                                                 f"({sm.run.runtime}, {sm.run.source})",
                           independent=sm.run.source == "measured")
    return row
