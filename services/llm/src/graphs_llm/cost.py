"""Time of one serving iteration (any mix of prefill chunks and decode steps), from kernel estimates.

    t_iter = t_emb(T) + L · (t_layer(T) + t_attn(prefill, decode) + t_comm(T)) + t_head(T, S)

``T`` is the number of tokens in the iteration, ``S`` the sequences sampled from (decodes plus
prefills that finish in it), ``L`` the layers. ``t_layer`` (projections, norms, activation,
residual adds, KV write) depends on ``T`` only; attention on each sequence's (new tokens, cached
tokens); ``t_comm`` are the tensor-parallel all-reduces from :class:`CollectiveModel` (or a
callable). Each part is the sum of the family engine's kernel estimates (:class:`KernelTimer`)
for the builder's graphs, memoised, so asking again costs a dictionary lookup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from graphs_llm.builder import AttentionImpl, Chunk, DecoderBuilder, Precision
from graphs_llm.config import LLMConfig
from graphs_llm.timing import KernelTimer, total
from graphs.results import ConfidenceLevel, KernelEstimate, combine_confidence

CommFn = Callable[[str, float, int], float]   # (collective, bytes, ranks) -> seconds


@dataclass(frozen=True)
class Part:
    value: float
    low: float
    high: float
    confidence: ConfidenceLevel
    kernels: tuple[KernelEstimate, ...] = ()

    @classmethod
    def of(cls, kernels: Sequence[KernelEstimate]) -> "Part":
        v, lo, hi, c = total(kernels)
        return cls(v, lo, hi, c, tuple(kernels))

    def scaled(self, k: float) -> "Part":
        return Part(self.value * k, self.low * k, self.high * k, self.confidence, self.kernels)


@dataclass(frozen=True)
class IterationEstimate:
    value: float
    low: float
    high: float
    confidence: ConfidenceLevel
    tokens: int
    sequences: int
    parts: dict[str, float] = field(default_factory=dict)


class LLMCostModel:
    """Iteration times of ``cfg`` on one mapper (one GPU of a tensor-parallel group of ``tp``)."""

    def __init__(self, cfg: LLMConfig, mapper: Any, *, precision: Precision | None = None,
                 attention: AttentionImpl | None = None, tp: int = 1, runtime: str = "graph",
                 fusion: str = "none", comm: CommFn | None = None) -> None:
        self.cfg = cfg
        self.builder = DecoderBuilder(cfg, precision, attention, tp)
        self.timer = KernelTimer(mapper, runtime)
        self.fusion, self.tp, self.comm = fusion, tp, comm
        self._cache: dict[tuple, Part] = {}

    @property
    def mapper(self) -> Any:
        return self.timer.mapper

    def _memo(self, key: tuple, build: Callable[[], Any]) -> Part:
        p = self._cache.get(key)
        if p is None:
            g = build()
            parts = self.timer.graph(g, self.fusion)
            comm = sum(self.comm(c, b, self.tp) for c, b in g.meta.get("comm", ())) if self.comm and self.tp > 1 else 0.0
            p = Part.of(parts)
            if comm:
                p = Part(p.value + comm, p.low + comm, p.high + comm, p.confidence, p.kernels)
            self._cache[key] = p
        return p

    # --- parts (one layer where it says so) ------------------------------------------------------
    def embedding(self, tokens: int) -> Part:
        return self._memo(("emb", tokens), lambda: self.builder.embedding(tokens))

    def layer_linear(self, tokens: int) -> Part:
        """One layer without attention (its TP all-reduces included)."""
        return self._memo(("lin", tokens), lambda: self.builder.layer(attention=False, tokens=tokens))

    def attention(self, prefill: Sequence[Chunk] = (), decode: Sequence[int] = ()) -> Part:
        """One layer's attention kernels."""
        pre, dec = tuple(prefill), tuple(decode)
        return self._memo(("attn", pre, dec), lambda: self.builder.attention_only(pre, dec))

    def decode_attention(self, n: int, mean_ctx: int) -> Part:
        """One layer's decode attention for ``n`` sequences with ``mean_ctx`` cached tokens each."""
        return self._memo(("dec", n, mean_ctx), lambda: self.builder.attention_only((), [mean_ctx] * n))

    def prefill_attention(self, q: int, ctx: int) -> Part:
        return self._memo(("pre", q, ctx), lambda: self.builder.attention_only((Chunk(q, ctx),), ()))

    def head(self, tokens: int, sequences: int) -> Part:
        return self._memo(("head", tokens, sequences), lambda: self.builder.head(tokens, sequences))

    def head_tokens(self, tokens: int) -> Part:
        """The part of the head that runs over every token of the iteration (final norm)."""
        key = ("head_t", tokens)
        if key not in self._cache:
            ks = [k for k in self.timer.graph(self.builder.head(tokens, 1), self.fusion) if k.category == "norm"]
            self._cache[key] = Part.of(ks)
        return self._cache[key]

    def head_rows(self, sequences: int) -> Part:
        """The part of the head that runs per sampled row (LM head, sampling, logits all-gather)."""
        key = ("head_s", sequences)
        if key not in self._cache:
            g = self.builder.head(sequences, sequences)
            ks = [k for k in self.timer.graph(g, self.fusion) if k.category != "norm"]
            p = Part.of(ks)
            comm = sum(self.comm(c, b, self.tp) for c, b in g.meta.get("comm", ())) if self.comm and self.tp > 1 else 0.0
            self._cache[key] = Part(p.value + comm, p.low + comm, p.high + comm, p.confidence, p.kernels)
        return self._cache[key]

    # --- an iteration -------------------------------------------------------------------------------
    def iteration(self, prefill: Sequence[Chunk] = (), decode: Sequence[int] = (), sampled: int | None = None
                  ) -> IterationEstimate:
        """``prefill`` chunks (q new tokens on ctx cached), ``decode`` cached lengths; ``sampled`` rows
        (default: every decode plus every prefill chunk)."""
        t = sum(c.q for c in prefill) + len(decode)
        s = sampled if sampled is not None else len(prefill) + len(decode)
        L = self.cfg.layers
        emb, lin, head = self.embedding(t), self.layer_linear(t), self.head(t, max(1, s))
        attn = self.attention(prefill, decode)
        parts = [emb, lin.scaled(L), attn.scaled(L), head]
        conf = combine_confidence([(p.confidence, p.value) for p in parts])
        return IterationEstimate(sum(p.value for p in parts), sum(p.low for p in parts), sum(p.high for p in parts),
                                 conf, t, s, {"embedding": emb.value, "layers": lin.value * L,
                                              "attention": attn.value * L, "head": head.value})

    def iteration_kernels(self, prefill: Sequence[Chunk] = (), decode: Sequence[int] = (),
                          sampled: int | None = None) -> list[KernelEstimate]:
        """The iteration's kernels; per-layer kernels once, their times × layers (names say so)."""
        from dataclasses import replace
        t = sum(c.q for c in prefill) + len(decode)
        s = sampled if sampled is not None else len(prefill) + len(decode)
        L = self.cfg.layers
        out = list(self.embedding(t).kernels)
        for k in self.layer_linear(t).kernels + self.attention(prefill, decode).kernels:
            out.append(replace(k, name=f"{L}x {k.nodes[0] if k.nodes else k.name}", time_s=k.time_s * L,
                               low_s=k.low_s * L, high_s=k.high_s * L, flops=k.flops * L, bytes=k.bytes * L))
        out += list(self.head(t, max(1, s)).kernels)
        return out
