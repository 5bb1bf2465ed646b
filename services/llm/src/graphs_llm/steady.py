"""Steady-state continuous batching (vLLM) on one replica: the decode step at the realised batch.

A saturated vLLM server (every sequence slot busy, as in a closed-loop benchmark) runs decode
steps of ``B`` sequences (the realised average batch), each attending to its own cache, plus the
prefill of the requests that replace finished ones. :class:`ServingStep` builds those iterations
with :class:`graphs_llm.builder.DecoderBuilder` for one GPU of the replica and times every kernel
with the family engine (``graph`` runtime: CUDA graphs, kernel time only), adding the collectives:

* **tensor parallelism** ``tp``: heads, KV heads, FFN and vocabulary split; two all-reduces per layer;
* **expert parallelism** ``ep`` (vLLM ``--enable-expert-parallel`` with TP attention): every rank runs
  attention on its head shard for all tokens and its ``E/ep`` experts on the tokens routed to them;
  the MoE output is summed by the layer's all-reduce;
* per-layer variety: MoE and dense layers (``moe_step``), sliding-window / chunked-attention layers
  (``local_layers`` attend to at most ``window`` cached tokens), QK-norm.

It returns, per GPU: kernel time, collective time, FLOPs, bytes and the activity of each unit
(:class:`graphs.power.Activity`) — what the power model needs. No fitting happens here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

from graphs.power import Activity, kernel_activity
from graphs.results import ConfidenceLevel, combine_confidence
from graphs_llm.builder import AttentionImpl, Chunk, DecoderBuilder, Precision
from graphs_llm.config import LLMConfig
from graphs_llm.timing import KernelTimer, streamed_nodes

CommFn = Callable[[str, float, int], float]


@dataclass(frozen=True)
class Deployment:
    """How a replica is spread over its GPUs (vLLM semantics, see docs/llm_serving.md)."""

    gpus: int = 1
    tp: int = 1          # attention / dense layers split this many ways
    ep: int = 1          # routed experts split this many ways (1: experts tensor-parallel with tp)

    @property
    def ranks(self) -> int:
        return max(self.tp, self.ep)


@dataclass(frozen=True)
class StepCost:
    """One iteration on one GPU of the replica."""

    kernel_s: float
    low_s: float
    high_s: float
    comm_s: float
    flops: float
    bytes: float
    activity: Activity
    compute_bound_s: float
    confidence: ConfidenceLevel
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def time_s(self) -> float:
        return self.kernel_s + self.comm_s

    def scaled(self, k: float) -> "StepCost":
        return replace(self, kernel_s=self.kernel_s * k, low_s=self.low_s * k, high_s=self.high_s * k,
                       comm_s=self.comm_s * k, flops=self.flops * k, bytes=self.bytes * k,
                       activity=self.activity.scaled(k), compute_bound_s=self.compute_bound_s * k,
                       parts={n: v * k for n, v in self.parts.items()})

    def __add__(self, o: "StepCost") -> "StepCost":
        parts = dict(self.parts)
        for n, v in o.parts.items():
            parts[n] = parts.get(n, 0.0) + v
        return StepCost(self.kernel_s + o.kernel_s, self.low_s + o.low_s, self.high_s + o.high_s,
                        self.comm_s + o.comm_s, self.flops + o.flops, self.bytes + o.bytes,
                        self.activity + o.activity, self.compute_bound_s + o.compute_bound_s,
                        combine_confidence([(self.confidence, self.kernel_s), (o.confidence, o.kernel_s)]), parts)


ZERO = StepCost(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, Activity(), 0.0, ConfidenceLevel.CALIBRATED)


KERNEL_CLASSES = ("k_linear", "k_experts", "k_attention", "k_other")


def kernel_class(kernel: Any) -> str:
    """Which kind of serving kernel: dense projections, routed-expert GEMMs (and their activation),
    attention over the cache, or the rest (norms, rotary, residual adds, routing, sampling...)."""
    if any("experts_" in n for n in kernel.nodes):
        return "k_experts"
    if kernel.kind == "attention":
        return "k_attention"
    if kernel.kind == "linear":
        return "k_linear"
    return "k_other"


class ServingStep:
    """Decode and prefill iterations of ``cfg`` on one GPU of a replica deployed as ``dep``."""

    def __init__(self, cfg: LLMConfig, mapper: Any, dep: Deployment, precision: Precision | None = None,
                 comm: CommFn | None = None, runtime: str = "graph") -> None:
        self.cfg, self.dep, self.comm = cfg, dep, comm
        self.builder = DecoderBuilder(cfg, precision, AttentionImpl(), tp=dep.tp, ep=dep.ep, routing="random")
        self.timer = KernelTimer(mapper, runtime)
        self.mapper = mapper
        self._cache: dict[tuple, StepCost] = {}

    # --- one graph ----------------------------------------------------------------------------------
    def _cost(self, key: tuple, build: Callable[[], Any], name: str) -> StepCost:
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        g = build()
        streamed = streamed_nodes(g)
        kernels = self.timer.kernels(g)
        ks = [self.timer(k, any(n in streamed for n in k.nodes)) for k in kernels]
        act = Activity()
        bound = 0.0
        for k, e in zip(kernels, ks):
            act = act + kernel_activity(self.mapper, k, streamed=any(n in streamed for n in k.nodes))
            if e.bound == "compute":
                bound += e.time_s
        comm = 0.0
        if self.comm is not None and self.dep.ranks > 1:
            comm = sum(self.comm(c, nb, self.dep.ranks) for c, nb in g.meta.get("comm", ()))
        t = sum(e.time_s for e in ks)
        parts = {name: t, "comm": comm, "kernels": float(len(ks))}
        for k, e in zip(kernels, ks):
            cls = kernel_class(k)
            parts[cls] = parts.get(cls, 0.0) + e.time_s
        cost = StepCost(t, sum(e.low_s for e in ks), sum(e.high_s for e in ks), comm, sum(e.flops for e in ks),
                        sum(e.bytes for e in ks), act + Activity(link_s=comm), bound,
                        combine_confidence([(e.confidence, e.time_s) for e in ks]), parts)
        self._cache[key] = cost
        return cost

    # --- iterations ---------------------------------------------------------------------------------
    def _layers(self, tokens: int, prefill: tuple[Chunk, ...], decode: tuple[int, ...]) -> StepCost:
        """Every decoder layer of one iteration: linear parts by layer kind, attention by window kind."""
        c, b = self.cfg, self.builder
        total = ZERO
        for moe, n in ((True, c.moe_layers), (False, c.dense_layers)):
            if n:
                part = self._cost(("lin", tokens, moe), lambda m=moe: b.layer(attention=False, tokens=tokens, moe=m),
                                  "moe_layers" if moe else "dense_layers")
                total = total + part.scaled(n)
        for local, n in ((True, c.local_layers), (False, c.layers - c.local_layers)):
            if n:
                part = self._cost(("attn", prefill, decode, local),
                                  lambda lo=local: b.attention_only(prefill, decode, local=lo),
                                  "attention_local" if local else "attention")
                total = total + part.scaled(n)
        return total

    def decode(self, batch: int, context: int) -> StepCost:
        """One decode step of ``batch`` sequences with ``context`` cached tokens each (per GPU)."""
        batch, context = max(1, int(batch)), max(0, int(context))
        dec = (context,) * batch
        emb = self._cost(("emb", batch), lambda: self.builder.embedding(batch), "embedding")
        head = self._cost(("head", batch), lambda: self.builder.head(batch, batch), "head")
        return emb + self._layers(batch, (), dec) + head

    def prefill(self, tokens: int, context: int = 0) -> StepCost:
        """A prefill chunk of ``tokens`` new tokens of one sequence after ``context`` cached ones (per GPU),
        without its sampled row (the chunk is merged into a decode step)."""
        tokens = max(1, int(tokens))
        emb = self._cost(("emb", tokens), lambda: self.builder.embedding(tokens), "embedding")
        return emb + self._layers(tokens, (Chunk(tokens, max(0, int(context))),), ())

    def weight_bytes(self) -> float:
        return self.builder.weight_bytes()

    def kv_bytes_per_token(self) -> float:
        return self.builder.kv_bytes_per_token()
