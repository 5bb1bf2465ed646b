"""Category suites: the rows graphs and its peers are compared on, one suite per kind of question.

* ``llm`` — LLM serving, decode: ML.ENERGY Benchmark v3 ``lm-arena-chat`` rows measured with vLLM on
  H100 SXM (``mlenergy/models/*.json``) for the dense bf16 decoders whose published architectures
  are below. Ground truth: the **median inter-token latency** (time between two output tokens of
  a sequence = one decode step of the running batch). The step each estimator is given: batch =
  the realised ``avg_batch_size`` (rounded), tensor parallel as served, KV context per sequence =
  :data:`PROMPT_TOKENS` (an assumption: the data set publishes output lengths, not prompt
  lengths) + half the mean output length. Nothing here was fitted on these rows.
* ``accel`` — accelerator layers: conv and GEMM layers on one systolic array of each accel
  device with a published array geometry (TPU v4: 128×128; Gaudi 3 MME: 256×256), weight
  stationary. Cycles and utilization side by side; **no ground truth** (no measurement of one
  array exists in the shared data), so nothing is ranked.
* ``collectives`` — all-reduce: VIDUR's measured NCCL all-reduce on A100 SXM DGX nodes
  (``vidur/network/a100_dgx/all_reduce.csv``; one size per octave, 1–64 MiB; 2–8 GPUs in a node and
  2–16 GPUs over two nodes), each row predicted from graphs' ``hgx-a100-8gpu`` system spec.
* ``gpu`` — GPU models: the ``measured`` suite (NeuSight labels) under its category name.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from graphs.errors import GraphsError
from graphs_compare.model import Row
from graphs_compare.suites import Suite, default_data_root

PROMPT_TOKENS = 512
LLM_TASK = "lm-arena-chat"
LLM_GPUS = {"H100": "h100"}       # ML.ENERGY gpu_model -> graphs hardware id (B200: no graphs device)

# Published architectures (Hugging Face config.json of each model; numbers copied, source per entry)
LLM_MODELS: dict[str, dict[str, Any]] = {
    "Qwen/Qwen3-8B": {
        "source": "https://huggingface.co/Qwen/Qwen3-8B/blob/main/config.json",
        "config": {"model_type": "qwen3", "hidden_size": 4096, "intermediate_size": 12288, "num_hidden_layers": 36,
                   "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 151936,
                   "max_position_embeddings": 40960, "tie_word_embeddings": False, "hidden_act": "silu",
                   "rms_norm_eps": 1e-6, "rope_theta": 1000000, "use_gated_mlp": True, "attention_bias": False}},
    "Qwen/Qwen3-14B": {
        "source": "https://huggingface.co/Qwen/Qwen3-14B/blob/main/config.json",
        "config": {"model_type": "qwen3", "hidden_size": 5120, "intermediate_size": 17408, "num_hidden_layers": 40,
                   "num_attention_heads": 40, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 151936,
                   "max_position_embeddings": 40960, "tie_word_embeddings": False, "hidden_act": "silu",
                   "rms_norm_eps": 1e-6, "rope_theta": 1000000, "use_gated_mlp": True, "attention_bias": False}},
    "meta-llama/Llama-3.1-70B-Instruct": {
        "source": "https://huggingface.co/meta-llama/Llama-3.1-70B-Instruct/blob/main/config.json",
        "config": {"model_type": "llama", "hidden_size": 8192, "intermediate_size": 28672, "num_hidden_layers": 80,
                   "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 128256,
                   "max_position_embeddings": 131072, "tie_word_embeddings": False, "hidden_act": "silu",
                   "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "attention_bias": False}},
    "meta-llama/Llama-3.3-70B-Instruct": {
        "source": "https://huggingface.co/meta-llama/Llama-3.3-70B-Instruct/blob/main/config.json",
        "config": {"model_type": "llama", "hidden_size": 8192, "intermediate_size": 28672, "num_hidden_layers": 80,
                   "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 128256,
                   "max_position_embeddings": 131072, "tie_word_embeddings": False, "hidden_act": "silu",
                   "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "attention_bias": False}},
}

# accel: layers (ResNet-50 convolutions, BERT-base and Llama-2-7B GEMMs) x devices with a published array
ACCEL_LAYERS: tuple[dict[str, Any], ...] = (
    {"name": "resnet50_layer1_conv3x3", "kind": "conv", "h": 56, "w": 56, "kh": 3, "kw": 3, "c_in": 64, "c_out": 64,
     "stride": 1, "pad": 1},
    {"name": "resnet50_layer2_conv3x3", "kind": "conv", "h": 28, "w": 28, "kh": 3, "kw": 3, "c_in": 128, "c_out": 128,
     "stride": 1, "pad": 1},
    {"name": "resnet50_layer3_conv1x1", "kind": "conv", "h": 14, "w": 14, "kh": 1, "kw": 1, "c_in": 1024,
     "c_out": 256, "stride": 1, "pad": 0},
    {"name": "bert_base_ffn1_s128", "kind": "gemm", "m": 128, "n": 3072, "k": 768},
    {"name": "llama2_7b_qkv_decode_b16", "kind": "gemm", "m": 16, "n": 4096, "k": 4096},
)
ACCEL_DEVICES = ("tpu-v4", "gaudi3")

COLLECTIVE_CLUSTER = "a100_dgx"          # VIDUR's network profile
COLLECTIVE_SYSTEM = "hgx-a100-8gpu"      # graphs' system spec of that cluster (A100 SXM4 80GB, NVSwitch, HDR IB)
MIN_BYTES = 1_000_000
COLLECTIVE_SIZES = tuple(2 ** k for k in range(20, 27))     # 1 MiB ... 64 MiB, one per octave
DEEPBENCH_NOTE = ("DeepBench all-reduce rows (P100/1080 Ti/Titan X/M40 servers, Xeon Phi KNL) are left out: graphs has "
                  "no system spec for those machines, so no estimator here would predict them")


def _slug(s: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", s.lower()).strip("-")


# --- llm ----------------------------------------------------------------------------------------------
def llm_suite(data: str | Path | None = None, plugins: Any = None, prompt_tokens: int = PROMPT_TOKENS) -> Suite:
    base = Path(data) if data is not None else default_data_root()
    root = base / "mlenergy" if (base / "mlenergy").is_dir() else base
    if not (root / "models").is_dir():
        raise GraphsError(f"{root}: no models/ folder (the llm suite reads ML.ENERGY's data; set --data or GRAPHS_DATA "
                          "to the folder holding mlenergy/)")
    rows: list[Row] = []
    skipped: list[dict[str, str]] = []
    for model_id, info in LLM_MODELS.items():
        f = root / "models" / f"{model_id.replace('/', '__')}__{LLM_TASK}.json"
        if not f.is_file():
            skipped.append({"label": f.name, "why": "not in this copy of the data"})
            continue
        doc = json.loads(f.read_text(encoding="utf-8"))
        if str(doc.get("weight_precision", "bfloat16")) != "bfloat16":
            skipped.append({"label": f.name, "why": f"weights {doc.get('weight_precision')}"})
            continue
        short = _slug(model_id.split("/", 1)[1])
        for c in doc.get("configurations", []):
            hw = LLM_GPUS.get(str(c.get("gpu_model")))
            itl = c.get("median_itl_ms")
            if hw is None or not isinstance(itl, (int, float)) or itl <= 0:
                if hw is None:
                    skipped.append({"label": f"{f.name}:{c.get('gpu_model')}x{c.get('num_gpus')}",
                                    "why": f"no graphs device for {c.get('gpu_model')}"})
                continue
            par = c.get("parallelization") or {}
            tp = int(par.get("tensor_parallel", 1) or 1)
            if int(par.get("data_parallel", 1) or 1) != 1 or int(par.get("expert_parallel", 1) or 1) != 1:
                skipped.append({"label": f"{f.name}:{c.get('max_num_seqs')}", "why": "data/expert parallel"})
                continue
            batch = max(1, int(round(float(c["avg_batch_size"]))))
            out_len = float(c.get("avg_output_len") or 0.0)
            ctx = prompt_tokens + int(round(out_len / 2))
            rows.append(Row(
                key=f"{hw}/{short}-tp{tp}-seqs{c.get('max_num_seqs')}", model=short, hardware=hw,
                device_name=f"{c.get('gpu_model')} x{c.get('num_gpus')}", family="decoder", mode="decode", seq=ctx,
                batch=batch, precision="bf16", measured_s=float(itl) * 1e-3,
                truth=f"mlenergy/models/{f.name}: median ITL (vLLM, {c.get('gpu_model')} x{c.get('num_gpus')}, "
                      f"max_num_seqs {c.get('max_num_seqs')})",
                independent=True, hf_id=model_id, hf_config=info["config"],
                extra={"phase": "decode", "tp": tp, "max_num_seqs": c.get("max_num_seqs"),
                       "avg_batch_size": c.get("avg_batch_size"), "avg_output_len": out_len,
                       "prompt_tokens_assumed": prompt_tokens, "p90_itl_s": (c.get("p90_itl_ms") or math.nan) * 1e-3,
                       "config_source": info["source"]}))
    if not rows:
        raise GraphsError(f"{root}: no ML.ENERGY rows for the llm suite's models on a graphs device")
    return Suite("llm", f"LLM decode on H100 (ML.ENERGY v3 {LLM_TASK}, vLLM, bf16): median inter-token latency; "
                        f"KV context = {prompt_tokens} prompt tokens (assumed) + half the mean output", rows, None,
                 skipped=skipped, settings={"data": str(root), "task": LLM_TASK, "prompt_tokens_assumed": prompt_tokens,
                                            "models": sorted({r.hf_id for r in rows}), "ground_truth": "median_itl_ms"})


# --- accel ---------------------------------------------------------------------------------------------
def accel_suite(plugins: Any = None, devices: tuple[str, ...] = ACCEL_DEVICES) -> Suite:
    if plugins is None:
        from graphs.plugins import get_plugins
        plugins = get_plugins()
    rows: list[Row] = []
    skipped: list[dict[str, str]] = []
    for dev in devices:
        try:
            spec = plugins.hardware_entry(dev).spec
        except GraphsError as e:
            skipped.append({"label": dev, "why": str(e)})
            continue
        fp = spec.family_params or {}
        if "array_rows" not in fp or "array_cols" not in fp:
            skipped.append({"label": dev, "why": "no array_rows/array_cols in its spec"})
            continue
        r_, c_ = (int(float(fp[k]["value"] if isinstance(fp[k], dict) else fp[k])) for k in ("array_rows", "array_cols"))
        for lay in ACCEL_LAYERS:
            rows.append(Row(key=f"{spec.id}/{lay['name']}", model=lay["name"], hardware=spec.id,
                            device_name=f"{spec.id} (one {r_}x{c_} array)", family="cnn" if lay["kind"] == "conv" else "gemm",
                            mode="layer", batch=1, precision="bf16",
                            extra={"layer": dict(lay), "array": {"rows": r_, "cols": c_}, "dataflow": "ws"}))
    if not rows:
        raise GraphsError("no accel device with a published array geometry is installed")
    return Suite("accel", "conv/GEMM layers on one systolic array of each accel device (weight stationary): cycles "
                          "and utilization side by side — no ground truth", rows, None, skipped=skipped,
                 settings={"devices": list(devices), "layers": [lay["name"] for lay in ACCEL_LAYERS],
                           "ground_truth": None})


# --- collectives -------------------------------------------------------------------------------------------
def collectives_suite(data: str | Path | None = None, plugins: Any = None) -> Suite:
    from graphs_distributed.accuracy import network_rows

    base = Path(data) if data is not None else default_data_root()
    rows: list[Row] = []
    seen: set[str] = set()
    for r in network_rows(base):
        if r.cluster != COLLECTIVE_CLUSTER or r.collective != "all_reduce" or r.nbytes not in COLLECTIVE_SIZES \
                or r.workers < 2:
            continue
        key = f"{r.cluster}/all_reduce-{r.nbytes}B-{r.workers}gpu-{r.per_node}pn"
        if key in seen:      # a repeated measurement of the same configuration: the first is kept
            continue
        seen.add(key)
        rows.append(Row(key=f"{r.cluster}/all_reduce-{r.nbytes}B-{r.workers}gpu-{r.per_node}pn", model="all_reduce",
                        hardware="a100-sxm4-80gb", device_name=r.cluster, family="collective", mode="all_reduce",
                        batch=1, precision="fp16", measured_s=r.seconds,
                        truth=f"vidur/network/{r.cluster}/all_reduce.csv (NCCL, median)", independent=True,
                        extra={"collective": "all_reduce", "bytes": r.nbytes, "ranks": r.workers,
                               "per_node": r.per_node, "system": COLLECTIVE_SYSTEM}))
    if not rows:
        raise GraphsError(f"{base}: no VIDUR {COLLECTIVE_CLUSTER} all-reduce rows (vidur/network/)")
    return Suite("collectives", f"NCCL all-reduce on A100 SXM DGX nodes (VIDUR {COLLECTIVE_CLUSTER}, 1–64 MiB), "
                                f"predicted from the {COLLECTIVE_SYSTEM} system spec", rows, None,
                 skipped=[{"label": "deepbench", "why": DEEPBENCH_NOTE}],
                 settings={"data": str(base), "cluster": COLLECTIVE_CLUSTER, "system": COLLECTIVE_SYSTEM,
                           "sizes": list(COLLECTIVE_SIZES), "ground_truth": "time_stats.all_reduce.median"})
