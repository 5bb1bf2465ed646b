"""VIDUR's profiles (``../shared/data/vidur``) as rows graphs can estimate.

* ``compute/<gpu>/<org>/<model>/mlp.csv`` — per-operator GPU kernel times (ms, fp16) of one
  decoder layer's non-attention ops over ``num_tokens`` and ``num_tensor_parallel_workers``.
  :func:`op_kernel` builds each op as IR with :class:`graphs_llm.builder.DecoderBuilder` (the
  same graphs the serving model uses) and returns its kernel.
* ``network/<cluster>/{all_reduce,send_recv}.csv`` — NCCL kernel times (ms) by ``size``
  (bytes: VIDUR's profiler records ``size * 2`` for its fp16 buffers), ``num_workers`` and
  ``devices_per_node``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from graphs.errors import GraphsError
from graphs_llm.builder import DecoderBuilder, Precision
from graphs_llm.config import LLMConfig
from graphs.partition import Kernel

OPS = ("emb", "input_layernorm", "attn_pre_proj", "attn_rope", "attn_post_proj", "post_attention_layernorm",
       "mlp_up_proj", "mlp_act", "mlp_down_proj", "add")
# op -> kind of operator, for reporting MAPE "per operator kind"
OP_KIND = {"emb": "embedding", "input_layernorm": "norm", "post_attention_layernorm": "norm",
           "attn_pre_proj": "linear", "attn_post_proj": "linear", "mlp_up_proj": "linear", "mlp_down_proj": "linear",
           "attn_rope": "rotary", "mlp_act": "activation", "add": "add"}
GPU_HARDWARE = {"a100": "a100-sxm4-80gb", "a40": "a40"}


@dataclass(frozen=True)
class OpRow:
    gpu: str
    model: str
    op: str
    num_tokens: int
    tp: int
    seconds: float          # median kernel time
    config: LLMConfig


def compute_rows(root: str | Path, gpu: str) -> Iterator[OpRow]:
    base = Path(root) / "vidur" / "compute" / gpu
    files = sorted(base.glob("*/*/mlp.csv"))
    if not files:
        raise GraphsError(f"no VIDUR profiles under {base}")
    for f in files:
        model = f"{f.parent.parent.name}/{f.parent.name}"
        with f.open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                cfg = LLMConfig.from_vidur_row(r, model)
                if model == "microsoft/phi-2":       # parallel attention/MLP block (one norm, two residual adds)
                    cfg = cfg.with_(parallel=True)
                t, p = int(r["num_tokens"]), int(r["num_tensor_parallel_workers"])
                for op in OPS:
                    v = r.get(f"time_stats.{op}.median")
                    if v:
                        yield OpRow(gpu, model, op, t, p, float(v) * 1e-3, cfg)


@lru_cache(maxsize=4096)
def _layer_kernels(cfg: LLMConfig, tokens: int, tp: int) -> dict[str, Kernel]:
    from graphs_llm.ops import REGISTRY
    from graphs.partition import partition
    b = DecoderBuilder(cfg, Precision(act="float16"), tp=tp)
    out = {}
    for g in (b.layer(decode=[0] * tokens, attention=False), b.embedding(tokens)):
        for k in partition(g, REGISTRY, "none"):
            out[k.nodes[0].split(".", 1)[-1]] = k
    return out


def op_kernels(row: OpRow) -> list[Kernel]:
    """The kernel(s) one VIDUR op times, from the builder's IR of the profiled layer.

    VIDUR's ``add`` of a parallel-block model (Phi-2: ``x + attn(h) + mlp(h)``) times both residual adds.
    """
    ks = _layer_kernels(row.config, row.num_tokens, row.tp)
    names = {"emb": ["emb"], "add": ["add", "add_mlp"] if row.config.parallel else ["add"]}.get(row.op, [row.op])
    missing = [n for n in names if n not in ks]
    if missing:
        raise GraphsError(f"VIDUR op {row.op!r} has no kernel in the builder's layer (have {', '.join(ks)})")
    return [ks[n] for n in names]


def op_kernel(row: OpRow) -> Kernel:
    """The (first) kernel of one VIDUR op."""
    return op_kernels(row)[0]
