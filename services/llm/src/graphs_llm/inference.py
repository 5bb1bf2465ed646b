"""LLM inference phases: prefill (time to first token) and decode (time per output token), with memory.

``analyze_serve`` answers, for ``batch`` requests of ``prompt_len`` tokens generating ``gen_len``
tokens each, run together:

* **Prefill / TTFT** — the model traced at the prompt length (the frontend's graph, every kernel
  estimated by the family engine), with two serving-engine adjustments stated in the notes:
  a fused causal attention computes only the lower triangle (FLOPs × (S+1)/2S), and logits are
  computed for the last position of each sequence only (the trace's LM head over all positions is
  replaced by the builder's). ``prefill_source="builder"`` uses the iteration builder instead;
  both are reported so they can be compared.
* **Decode / TPOT** — ``gen_len − 1`` decode steps (the first token comes out of the prefill, as in
  VIDUR), step ``i`` attending to ``prompt_len + i`` cached tokens; the builder's graphs, so the
  linear layers run with ``M = batch`` (memory-bound: weights streamed once per step) and
  attention reads the KV cache (GQA: ``kv_heads`` heads; paged: whole blocks). TPOT is the mean
  step time: the exact integral of the growing cache over the steps.
* **E2E** = TTFT + Σ decode steps; **tokens/s** = batch · gen_len / E2E (and decode-only
  batch / TPOT).
* **Memory** per GPU: weights (quantised bytes with scales), KV cache per token and for the batch
  (paged: whole blocks, internal fragmentation reported; contiguous: ``max_seq_len`` reserved per
  sequence), activations (peak live bytes of the largest prefill layer or the head), and whether
  it fits, with the largest batch that would.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from graphs.errors import GraphsError
from graphs.hardware.schema import PRECISION_DTYPE
from graphs.ir import Graph
from graphs_llm.builder import AttentionImpl, Chunk, Precision
from graphs_llm.config import LLMConfig
from graphs_llm.cost import LLMCostModel
from graphs_llm.ops import REGISTRY
from graphs_llm.timing import total
from graphs.results import ConfidenceLevel, combine_confidence

WEIGHT_ONLY = {"int8": "int8", "int4": "int4", "fp16": None, "bf16": None, "none": None}


@dataclass(frozen=True)
class ServeOptions:
    prompt_len: int = 512
    gen_len: int = 128
    batch: int = 1
    precision: str = "fp16"
    weight_dtype: str | None = None     # int8 / int4: weight-only quantisation
    kv_dtype: str | None = None         # e.g. fp8 KV cache; default = precision
    fused_attention: bool = True
    paged_kv: bool = True
    block_size: int = 16
    max_seq_len: int | None = None      # contiguous KV: reserved per sequence (default prompt + gen)
    gpu_memory_utilization: float = 0.9 # share of device memory a serving engine may use (vLLM's default)
    runtime: str = "graph"
    prefill_source: str = "trace"       # trace | builder
    tp: int = 1

    def __post_init__(self) -> None:
        for k in ("prompt_len", "gen_len", "batch", "block_size", "tp"):
            if getattr(self, k) < 1:
                raise GraphsError(f"--{k.replace('_', '-')} must be >= 1")
        if self.precision not in PRECISION_DTYPE or PRECISION_DTYPE[self.precision] not in (
                "float16", "bfloat16", "float32", "float8_e4m3"):
            raise GraphsError(f"serve mode: --precision {self.precision!r} must be a float precision (fp16, bf16, fp32, fp8)")
        if self.weight_dtype is not None and self.weight_dtype not in ("int8", "int4"):
            raise GraphsError(f"--weight-dtype {self.weight_dtype!r}: expected int8 or int4 (weight-only quantisation)")
        if not 0 < self.gpu_memory_utilization <= 1:
            raise GraphsError("--gpu-memory-utilization must be in (0, 1]")
        if self.prefill_source not in ("trace", "builder"):
            raise GraphsError("prefill source must be trace or builder")

    def llm_precision(self) -> Precision:
        act = PRECISION_DTYPE[self.precision]
        kv = PRECISION_DTYPE.get(self.kv_dtype, self.kv_dtype) if self.kv_dtype else None
        return Precision(act=act, weight=self.weight_dtype, kv=kv)

    def attention(self) -> AttentionImpl:
        return AttentionImpl(fused=self.fused_attention, paged=self.paged_kv, block_size=self.block_size)


@dataclass
class Phase:
    value: float
    low: float
    high: float
    confidence: str


@dataclass
class ServeReport:
    model: str
    hardware: str
    options: ServeOptions
    config: dict
    ttft: Phase
    tpot: Phase
    e2e: Phase
    tokens_per_s: float
    decode_tokens_per_s: float
    prefill_builder_s: float
    memory: dict
    fits: bool | None
    max_batch: int | None
    kernels: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["options"] = asdict(self.options)
        return d


def quantize_linear_weights(graph: Graph, registry: Any, dtype: str) -> Graph:
    """Weight-only quantisation of a traced graph: 2-D weights read by matrix ops become ``dtype``;
    embeddings and the output projection (a weight read by a node writing a graph output, or tied to
    an embedding) keep their precision."""
    from graphs.ir import TensorSpec
    outs = set(graph.outputs)
    keep, quant = set(), set()
    for n in graph.nodes:
        cat = registry.kinds[registry.handlers[n.op_type].kind].category
        params = [v for v in n.inputs if v in graph.parameters]
        if cat.value == "embedding" or any(o in outs for o in n.outputs):
            keep.update(params)
        elif cat.is_matrix:
            quant.update(p for p in params if graph.values[p].rank == 2)
    values = dict(graph.values)
    for p in quant - keep:
        values[p] = TensorSpec(values[p].shape, dtype)
    return replace(graph, values=values)


def prefill_from_trace(graph: Graph, model: LLMCostModel, opts: ServeOptions, plugins: Any):
    """Kernel estimates of the traced prefill with the serving adjustments (see module docstring)."""
    from graphs.partition import FusionPolicy, partition
    from graphs.passes import with_float_dtype

    g = with_float_dtype(graph, PRECISION_DTYPE[opts.precision])
    ops = plugins.ops
    if opts.weight_dtype:
        g = quantize_linear_weights(g, ops, opts.weight_dtype)
    kernels = partition(g, ops, FusionPolicy.named(model.fusion))
    producers = {o: n for n in g.nodes for o in n.outputs}
    head_nodes = set()
    for o in g.outputs:                       # through views (reshape of the logits) to the LM head
        n = producers.get(o)
        while n is not None and ops.kinds[ops.handlers[n.op_type].kind].category.value == "view" and n.inputs:
            n = producers.get(n.inputs[0])
        if n is not None:
            head_nodes.add(n.name)
    out, dropped = [], []
    b = opts.batch
    for k in kernels:
        if head_nodes & set(k.nodes) and k.category.is_matrix:
            dropped.append(k.nodes[0])    # LM head over every position: replaced below
            continue
        if k.kind == "attention" and k.gemm is not None:
            s = k.gemm.m
            if opts.fused_attention:
                f = (s + 1) / (2 * s)     # causal: the masked upper triangle is skipped
                k = replace(k, flops=k.flops - k.matrix_flops * (1 - f), matrix_flops=k.matrix_flops * f)
            else:
                out.extend(model.timer.kernels(model.builder.attention_only([Chunk(s, 0)] * b, ())))
                continue
        out.append(k)
    t = b * opts.prompt_len
    head = model.builder.head(t, b)
    head_kernels = [k for k in model.timer.kernels(head) if k.kind in ("linear", "argmax")]
    from graphs_llm.timing import streamed_nodes
    scope = {n.name: n.scope for n in g.nodes}
    streamed = streamed_nodes(g)
    ests = [replace(e, name=f"{scope.get(k.nodes[0]) or k.nodes[0]}:{k.kind}") if k.nodes else e
            for k, e in ((k, model.timer(k, any(n in streamed for n in k.nodes))) for k in out)]
    ests += [replace(model.timer(k, True), name=f"lm_head (last positions):{k.kind}") for k in head_kernels]
    return ests, [scope.get(n) or n for n in dropped]


def analyze_serve(graph: Graph | None, mapper: Any, opts: ServeOptions, plugins: Any = None,
                  cfg: LLMConfig | None = None, comm: Any = None) -> ServeReport:
    """Prefill, decode and memory of ``batch`` requests on one device (or one TP group, ``comm`` given)."""
    cfg = cfg or LLMConfig.from_graph(graph)
    if opts.prompt_len + opts.gen_len > cfg.max_pos:
        raise GraphsError(f"{cfg.name}: prompt + generated tokens ({opts.prompt_len + opts.gen_len}) exceed the "
                          f"model's {cfg.max_pos} positions")
    model = LLMCostModel(cfg, mapper, precision=opts.llm_precision(), attention=opts.attention(), tp=opts.tp,
                         runtime=opts.runtime, comm=comm)
    b, p, n = opts.batch, opts.prompt_len, opts.gen_len
    notes: list[str] = []
    # prefill
    builder_pre = model.iteration(prefill=[Chunk(p, 0)] * b)
    if opts.prefill_source == "trace" and graph is not None and opts.tp == 1:
        ests, dropped = prefill_from_trace(graph, model, opts, plugins)
        v, lo, hi, conf = total(ests)
        notes.append("TTFT: the traced model at the prompt length; fused causal attention computes the lower "
                     "triangle only; logits for the last position of each sequence (LM head of the trace "
                     f"replaced: {', '.join(dropped) or 'none found'})")
        pre_kernels = ests
    else:
        v, lo, hi, conf = builder_pre.value, builder_pre.low, builder_pre.high, builder_pre.confidence
        pre_kernels = model.iteration_kernels(prefill=[Chunk(p, 0)] * b)
        notes.append("TTFT: the iteration builder's prefill graph (no trace" + (", tensor parallel" if opts.tp > 1 else "")
                     + ")")
    ttft = Phase(v, lo, hi, conf.name)
    # decode: steps after the first token, cache growing by one each step
    steps = [model.iteration(decode=[p + i] * b) for i in range(n - 1)]
    if steps:
        dv = sum(s.value for s in steps)
        tpot = Phase(dv / len(steps), sum(s.low for s in steps) / len(steps), sum(s.high for s in steps) / len(steps),
                     combine_confidence([(s.confidence, s.value) for s in steps]).name)
    else:
        dv, tpot = 0.0, Phase(0.0, 0.0, 0.0, ConfidenceLevel.THEORETICAL.name)
    e2e = Phase(ttft.value + dv, ttft.low + tpot.low * len(steps), ttft.high + tpot.high * len(steps),
                min(ConfidenceLevel[ttft.confidence], ConfidenceLevel[tpot.confidence]).name)
    # memory
    bld = model.builder
    weights = bld.weight_bytes()
    per_tok = bld.kv_bytes_per_token()
    used_tokens = b * (p + n)
    if opts.paged_kv:
        alloc_tokens = b * math.ceil((p + n) / opts.block_size) * opts.block_size
    else:
        alloc_tokens = b * (opts.max_seq_len or (p + n))
        if opts.max_seq_len is not None and opts.max_seq_len < p + n:
            raise GraphsError(f"--max-seq-len {opts.max_seq_len} is shorter than prompt + generated tokens ({p + n})")
    from graphs.passes import peak_activation_bytes
    t = b * p
    act = max(peak_activation_bytes(bld.layer([Chunk(p, 0)] * b), REGISTRY),
              peak_activation_bytes(bld.head(t, b), REGISTRY))
    capacity = mapper.spec.memory_bytes
    total_b = weights + alloc_tokens * per_tok + act
    usable = capacity * opts.gpu_memory_utilization if capacity else None
    fits = (total_b <= usable) if usable else None
    per_seq = (math.ceil((p + n) / opts.block_size) * opts.block_size if opts.paged_kv
               else (opts.max_seq_len or (p + n))) * per_tok
    max_batch = None
    if usable:
        # activations grow with the batch: solve weights + B·(kv per seq + act per seq) <= usable
        per_seq_all = per_seq + act / b
        max_batch = max(0, int((usable - weights) // per_seq_all))
    memory = {
        "weights_bytes": weights, "kv_bytes_per_token": per_tok, "kv_used_bytes": used_tokens * per_tok,
        "kv_allocated_bytes": alloc_tokens * per_tok,
        "kv_fragmentation": 1 - used_tokens / alloc_tokens if alloc_tokens else 0.0,
        "activation_bytes": act, "total_bytes": total_b, "device_bytes": capacity, "usable_bytes": usable,
        "kv_layout": f"paged (block {opts.block_size})" if opts.paged_kv else f"contiguous ({opts.max_seq_len or p + n} per sequence)",
    }
    if opts.weight_dtype:
        notes.append(f"weights {opts.weight_dtype} (weight-only, group {opts.llm_precision().group_size} fp16 scales); "
                     "compute and activations stay at " + opts.precision + "; embeddings and LM head unquantised")
    notes.append(f"runtime {opts.runtime}: " + ("kernel times back to back (CUDA graphs; as VIDUR profiles)"
                                                if opts.runtime == "graph" else "eager PyTorch per-kernel overheads"))
    notes.append(f"attention: {'fused (FlashAttention / paged decode kernel)' if opts.fused_attention else 'unfused (bmm, softmax, bmm; scores in memory)'}; "
                 f"{cfg.attention_kind}, {cfg.kv_heads} KV heads")
    tokens = b * n
    return ServeReport(
        model=cfg.name, hardware=mapper.spec.id, options=opts, config=cfg.to_dict(), ttft=ttft, tpot=tpot, e2e=e2e,
        tokens_per_s=tokens / e2e.value if e2e.value else 0.0,
        decode_tokens_per_s=b / tpot.value if tpot.value else 0.0,
        prefill_builder_s=builder_pre.value, memory=memory, fits=fits, max_batch=max_batch,
        kernels=[k.to_dict() for k in sorted(pre_kernels, key=lambda k: -k.time_s)[:12]], notes=notes)
