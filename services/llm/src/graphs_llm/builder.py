"""IR of one serving-engine iteration of a decoder LLM, built from its :class:`LLMConfig`.

An *iteration* processes, for each scheduled sequence, ``q`` new tokens on top of ``ctx`` tokens
already in its KV cache: a prefill (or a prefill chunk, Sarathi) has ``q > 1``, a decode step
``q = 1``. The builder writes ordinary :class:`graphs.ir.Graph`\\ s with the kernels a serving
engine (vLLM, Sarathi-Serve) runs, named as VIDUR profiles them:

``emb`` → per layer ``input_layernorm, attn_pre_proj, attn_rope, kv_write, attn_prefill /
attn_decode, attn_post_proj, add, post_attention_layernorm, mlp_up_proj, mlp_act, mlp_down_proj,
add_mlp`` → ``final_norm, lm_head, sample``.

Modelled choices (each a parameter):

* **GQA/MQA**: K/V have ``kv_heads`` heads; the decode kernel reads each KV head once for its
  ``heads/kv_heads`` query heads (its GEMM has ``m = group``).
* **Attention implementation** (:class:`AttentionImpl`): fused (FlashAttention for prefill, a
  paged-attention kernel for decode: scores never reach memory; causal prefill computes only
  the lower triangle) or unfused (eager: ``repeat_kv`` copies for GQA, ``QKᵀ`` bmm, causal mask,
  softmax, ``PV`` bmm, scores written to and read from memory).
* **Paged KV cache**: K/V are read in whole blocks of ``block_size`` tokens plus a block table
  (int32 per block); contiguous: exactly the cached tokens.
* **Weight-only quantisation** (:class:`Precision`): int8/int4 weights read at their width plus
  per-group fp16 scales; compute stays at the activation precision.
* **Tensor parallelism** ``tp``: heads, KV heads (replicated when fewer than ``tp``), FFN width
  and vocabulary are split; the graphs' ``meta["comm"]`` lists the all-reduces (after the
  attention output projection and the MLP down projection, Megatron style) and the logits
  all-gather, in bytes per GPU.
* **MoE**: a router, top-k, and ``experts`` gated MLPs each receiving ``ceil(T·k/E)`` tokens
  (balanced routing, as the FX zoo traces it).

The LM head runs on the last token of each sequence only (serving engines gather the
positions they sample from), not on every prompt position as a training forward does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

from graphs.errors import GraphsError
from graphs.ir import DTYPE_BITS, Graph, GraphBuilder, TensorSpec
from graphs_llm.config import LLMConfig

WEIGHT_DTYPES = ("float16", "bfloat16", "float32", "float8_e4m3", "int8", "int4")


@dataclass(frozen=True)
class Precision:
    """Activation, weight and KV-cache dtypes (IR names). ``weight``/``kv`` None: same as ``act``."""

    act: str = "float16"
    weight: str | None = None
    kv: str | None = None
    group_size: int = 128       # weight-only quantisation: one fp16 scale per group of K elements

    def __post_init__(self) -> None:
        for f in ("act", "weight", "kv"):
            v = getattr(self, f)
            if v is not None and v not in DTYPE_BITS:
                raise GraphsError(f"precision: unknown {f} dtype {v!r}")
        if self.weight is not None and self.weight not in WEIGHT_DTYPES:
            raise GraphsError(f"weight dtype {self.weight!r}: expected one of {', '.join(WEIGHT_DTYPES)}")
        if self.group_size < 1:
            raise GraphsError("quantisation group size must be >= 1")

    @property
    def w(self) -> str:
        return self.weight or self.act

    @property
    def kv_dtype(self) -> str:
        return self.kv or self.act

    @property
    def quantized(self) -> bool:
        return self.w in ("int8", "int4")

    def weight_bytes(self, n: int, k: int) -> float:
        """Bytes of an ``n × k`` weight matrix, scales included when quantised."""
        b = n * k * DTYPE_BITS[self.w] / 8
        if self.quantized:
            b += n * math.ceil(k / self.group_size) * DTYPE_BITS[self.act] / 8
        return b


@dataclass(frozen=True)
class AttentionImpl:
    fused: bool = True          # FlashAttention-style (scores stay on chip) vs eager bmm/softmax/bmm
    paged: bool = True          # paged KV cache (vLLM) vs contiguous
    block_size: int = 16        # tokens per KV block (vLLM's default)

    def __post_init__(self) -> None:
        if self.block_size < 1:
            raise GraphsError("KV block size must be >= 1")

    def kv_read(self, tokens: int) -> int:
        """Tokens' worth of K/V a kernel reads for a cache of ``tokens`` tokens."""
        if self.paged:
            return -(-tokens // self.block_size) * self.block_size
        return tokens


@dataclass(frozen=True)
class Chunk:
    """One sequence's share of an iteration: ``q`` new tokens after ``ctx`` cached ones."""

    q: int
    ctx: int = 0

    @property
    def attended(self) -> int:
        """(query, key) pairs under a causal mask: each new token sees the cache and the new tokens before it."""
        return self.q * self.ctx + self.q * (self.q + 1) // 2


class DecoderBuilder:
    """Builds the graphs of one iteration (embedding, one layer, head) for a config."""

    def __init__(self, cfg: LLMConfig, precision: Precision | None = None, attention: AttentionImpl | None = None,
                 tp: int = 1) -> None:
        if tp < 1:
            raise GraphsError("tensor parallel degree must be >= 1")
        if cfg.heads % tp:
            raise GraphsError(f"{cfg.name}: {cfg.heads} attention heads cannot be split {tp} ways")
        self.cfg, self.p, self.attn, self.tp = cfg, precision or Precision(), attention or AttentionImpl(), tp
        self.hq = cfg.heads // tp
        self.hkv = max(1, cfg.kv_heads // tp)           # fewer KV heads than ranks: replicated
        self.d = cfg.head_dim
        self.ffn = -(-cfg.ffn // tp)
        self.vocab = -(-cfg.vocab // tp)
        # vLLM's rotary kernel rotates Q and K in place over whole heads: a partial rotary (Phi-2)
        # moves the same bytes (VIDUR's phi-2 attn_rope times match full heads, not 32 of 80 dims)
        self.rot = cfg.head_dim if cfg.positions == "rotary" else 0

    # --- helpers ----------------------------------------------------------------------------------
    def _spec(self, shape: Iterable[int], dtype: str | None = None) -> TensorSpec:
        return TensorSpec(tuple(int(s) for s in shape), dtype or self.p.act)

    def _linear(self, b: GraphBuilder, name: str, x: str, t: int, n: int, k: int, bias: bool, scope: str,
                weight_dtype: str | None = None) -> str:
        wd = weight_dtype or self.p.w
        w = b.parameter(f"{scope}.{name}.weight", self._spec((n, k), wd))
        ins = [x, w]
        if bias:
            ins.append(b.parameter(f"{scope}.{name}.bias", self._spec((n,))))
        if wd in ("int8", "int4"):
            ins += [""] if not bias else []
            ins.append(b.parameter(f"{scope}.{name}.scales", self._spec((n, math.ceil(k / self.p.group_size)))))
        out = f"{scope}.{name}.out"
        b.node(f"{scope}.{name}", "llm::linear", ins, [(out, self._spec((t, n)))], scope=scope)
        return out

    def _norm(self, b: GraphBuilder, name: str, x: str, t: int, scope: str) -> str:
        c = self.cfg
        ins = [x, b.parameter(f"{scope}.{name}.weight", self._spec((c.dim,)))]
        if c.norm == "layer":
            ins.append(b.parameter(f"{scope}.{name}.bias", self._spec((c.dim,))))
        out = f"{scope}.{name}.out"
        b.node(f"{scope}.{name}", f"llm::{'rms_norm' if c.norm == 'rms' else 'layer_norm'}", ins,
               [(out, self._spec((t, c.dim)))], scope=scope)
        return out

    def _view(self, b: GraphBuilder, name: str, srcs: Sequence[str], shape: Sequence[int], scope: str,
              dtype: str | None = None) -> str:
        out = f"{scope}.{name}"
        b.node(out + ".view", "llm::view", list(srcs), [(out, self._spec(shape, dtype))], scope=scope)
        return out

    # --- attention ----------------------------------------------------------------------------------
    def _cache_input(self, b: GraphBuilder, name: str, spec: TensorSpec) -> str:
        """A tensor read from the KV cache (or its block table): lives in main memory."""
        b.meta.setdefault("streamed_inputs", []).append(name)
        return b.input(name, spec)

    def _attention(self, b: GraphBuilder, q_src: str, prefill: Sequence[Chunk], decode: Sequence[int],
                   scope: str) -> list[str]:
        """Attention nodes reading Q (a view of ``q_src``) and the cache; returns their outputs."""
        outs = []
        kv_dt, d, hq, hkv = self.p.kv_dtype, self.d, self.hq, self.hkv
        if prefill:
            tq = sum(c.q for c in prefill)
            q = self._view(b, "q_prefill", [q_src], (1, hq, tq, d), scope)
            if self.attn.fused:
                kv = sum(self.attn.kv_read(c.ctx + c.q) if c.ctx else c.q for c in prefill)
                ins = [q, self._cache_input(b, f"{scope}.k_prefill", self._spec((1, hkv, kv, d), kv_dt)),
                       self._cache_input(b, f"{scope}.v_prefill", self._spec((1, hkv, kv, d), kv_dt))]
                if self.attn.paged and any(c.ctx for c in prefill):
                    blocks = sum(-(-(c.ctx + c.q) // self.attn.block_size) for c in prefill if c.ctx)
                    ins.append(self._cache_input(b, f"{scope}.block_table_prefill", self._spec((blocks,), "int32")))
                out = f"{scope}.attn_prefill.out"
                b.node(f"{scope}.attn_prefill", "llm::attention", ins, [(out, self._spec((1, hq, tq, d)))],
                       {"heads": hq, "head_dim": d, "attended": sum(c.attended for c in prefill), "causal": True},
                       scope=scope)
                outs.append(out)
            else:
                groups: dict[tuple[int, int], int] = {}
                for c in prefill:
                    groups[(c.q, c.ctx)] = groups.get((c.q, c.ctx), 0) + 1
                for i, ((ql, ctx), n) in enumerate(sorted(groups.items())):
                    outs.append(self._unfused(b, f"attn_prefill{i}", n, ql, ctx + ql, scope, causal=True))
        if decode:
            n = len(decode)
            g = hq // hkv
            if self.attn.fused:
                read = sum(self.attn.kv_read(c + 1) for c in decode)
                mean = -(-read // n)
                q = self._view(b, "q_decode", [q_src], (n, hkv, g, d), scope)
                ins = [q, self._cache_input(b, f"{scope}.k_decode", self._spec((n, hkv, mean, d), kv_dt)),
                       self._cache_input(b, f"{scope}.v_decode", self._spec((n, hkv, mean, d), kv_dt))]
                if self.attn.paged:
                    blocks = sum(-(-(c + 1) // self.attn.block_size) for c in decode)
                    ins.append(self._cache_input(b, f"{scope}.block_table_decode", self._spec((blocks,), "int32")))
                out = f"{scope}.attn_decode.out"
                b.node(f"{scope}.attn_decode", "llm::attention", ins, [(out, self._spec((n, hkv, g, d)))],
                       {"heads": hq, "head_dim": d, "attended": sum(c + 1 for c in decode), "causal": False},
                       scope=scope)
                outs.append(out)
            else:
                mean = -(-sum(c + 1 for c in decode) // n)
                outs.append(self._unfused(b, "attn_decode", n, 1, mean, scope, causal=False))
        return outs

    def _unfused(self, b: GraphBuilder, name: str, n: int, ql: int, kvl: int, scope: str, causal: bool) -> str:
        """Eager attention for ``n`` sequences of ``ql`` queries over ``kvl`` keys (HF ``eager``)."""
        d, hq, hkv, kv_dt = self.d, self.hq, self.hkv, self.p.kv_dtype
        s = f"{scope}.{name}"
        q = b.input(f"{s}.q", self._spec((n * hq, ql, d)))
        k = self._cache_input(b, f"{s}.k", self._spec((n, hkv, kvl, d), kv_dt))
        v = self._cache_input(b, f"{s}.v", self._spec((n, hkv, kvl, d), kv_dt))
        if hkv != hq:   # repeat_kv: K and V expanded to every query head
            kx, vx = f"{s}.k_rep", f"{s}.v_rep"
            b.node(f"{s}.repeat_k", "llm::repeat_kv", [k], [(kx, self._spec((n * hq, kvl, d)))], scope=scope)
            b.node(f"{s}.repeat_v", "llm::repeat_kv", [v], [(vx, self._spec((n * hq, kvl, d)))], scope=scope)
            k, v = kx, vx
        kt = self._view(b, f"{name}.kt", [k], (n * hq, d, kvl), scope)
        scores = f"{s}.scores"
        b.node(f"{s}.qk", "llm::bmm", [q, kt], [(scores, self._spec((n * hq, ql, kvl)))], scope=scope)
        if causal:
            mask = b.input(f"{s}.mask", self._spec((ql, kvl)))
            masked = f"{s}.masked"
            b.node(f"{s}.mask", "llm::mask", [scores, mask], [(masked, self._spec((n * hq, ql, kvl)))], scope=scope)
            scores = masked
        probs = f"{s}.probs"
        b.node(f"{s}.softmax", "llm::softmax", [scores], [(probs, self._spec((n * hq, ql, kvl)))], scope=scope)
        out = f"{s}.out"
        b.node(f"{s}.pv", "llm::bmm", [probs, v], [(out, self._spec((n * hq, ql, d)))], scope=scope)
        return out

    # --- graphs -----------------------------------------------------------------------------------
    def layer(self, prefill: Sequence[Chunk] = (), decode: Sequence[int] = (), *, attention: bool = True,
              scope: str = "layer", tokens: int | None = None) -> Graph:
        """One decoder layer over the iteration's tokens (``attention=False``: its attention output is an input,
        and ``tokens`` may give the token count instead of listing sequences, in memory independent of it)."""
        c = self.cfg
        if tokens is not None and (attention or prefill or decode):
            raise GraphsError("layer(tokens=...) is for the linear part only (attention=False, no sequences)")
        t = tokens if tokens is not None else sum(ch.q for ch in prefill) + len(decode)
        if t < 1:
            raise GraphsError("an iteration needs at least one token")
        b = GraphBuilder(f"{c.name}.{scope}", "graphs_llm")
        x = b.input(f"{scope}.x", self._spec((t, c.dim)))
        h = self._norm(b, "input_layernorm", x, t, scope)
        qkv_n = (self.hq + 2 * self.hkv) * self.d
        qkv = self._linear(b, "attn_pre_proj", h, t, qkv_n, c.dim, c.bias, scope)
        q_src = qkv
        if self.rot:
            qk = self._view(b, "qk_rot", [qkv], (t, (self.hq + self.hkv) * self.rot), scope)
            rot = f"{scope}.attn_rope.out"
            b.node(f"{scope}.attn_rope", "llm::rotary", [qk], [(rot, self._spec((t, (self.hq + self.hkv) * self.rot)))],
                   scope=scope)
            q_src = rot
        kv_new = self._view(b, "kv_new", [qkv], (t, 2 * self.hkv * self.d), scope)
        b.node(f"{scope}.kv_write", "llm::kv_write", [kv_new],
               [(f"{scope}.kv_cache_slots", self._spec((t, 2 * self.hkv * self.d), self.p.kv_dtype))], scope=scope)
        if attention:
            outs = self._attention(b, q_src, prefill, decode, scope)
            attn = self._view(b, "attn_out", outs, (t, self.hq * self.d), scope)
        else:
            attn = b.input(f"{scope}.attn_out", self._spec((t, self.hq * self.d)))
        o = self._linear(b, "attn_post_proj", attn, t, c.dim, self.hq * self.d, c.bias, scope)
        if c.parallel:
            m = self._mlp(b, h, t, scope)
            x1 = f"{scope}.add.out"
            b.node(f"{scope}.add", "llm::add", [x, o], [(x1, self._spec((t, c.dim)))], scope=scope)
            out = f"{scope}.add_mlp.out"
            b.node(f"{scope}.add_mlp", "llm::add", [x1, m], [(out, self._spec((t, c.dim)))], scope=scope)
        else:
            x1 = f"{scope}.add.out"
            b.node(f"{scope}.add", "llm::add", [x, o], [(x1, self._spec((t, c.dim)))], scope=scope)
            h2 = self._norm(b, "post_attention_layernorm", x1, t, scope)
            m = self._mlp(b, h2, t, scope)
            out = f"{scope}.add_mlp.out"
            b.node(f"{scope}.add_mlp", "llm::add", [x1, m], [(out, self._spec((t, c.dim)))], scope=scope)
        b.output(out)
        act = self.p.act
        nbytes = DTYPE_BITS[act] / 8
        comm = [("all_reduce", t * c.dim * nbytes), ("all_reduce", t * c.dim * nbytes)] if self.tp > 1 else []
        b.meta.update({"tokens": t, "comm": comm, "tp": self.tp})
        return b.build()

    def attention_only(self, prefill: Sequence[Chunk] = (), decode: Sequence[int] = (), scope: str = "layer") -> Graph:
        """The attention kernels of one layer alone (what varies with the cache; cached separately)."""
        t = sum(ch.q for ch in prefill) + len(decode)
        if t < 1:
            raise GraphsError("an iteration needs at least one token")
        b = GraphBuilder(f"{self.cfg.name}.{scope}.attention", "graphs_llm")
        q = b.input(f"{scope}.q", self._spec((t, (self.hq + self.hkv) * max(self.rot, self.d))))
        b.output(*self._attention(b, q, prefill, decode, scope))
        return b.build()

    def _mlp(self, b: GraphBuilder, h: str, t: int, scope: str) -> str:
        c = self.cfg
        if c.experts:
            return self._moe(b, h, t, scope)
        return self._dense_mlp(b, h, t, scope, "", c.bias)

    def _dense_mlp(self, b: GraphBuilder, h: str, t: int, scope: str, prefix: str, bias: bool) -> str:
        c = self.cfg
        if c.gated:
            up = self._linear(b, f"{prefix}mlp_up_proj", h, t, 2 * self.ffn, c.dim, bias, scope)
            a = f"{scope}.{prefix}mlp_act.out"
            b.node(f"{scope}.{prefix}mlp_act", "llm::silu_and_mul" if c.act == "silu" else f"llm::{c.act}", [up],
                   [(a, self._spec((t, self.ffn)))], scope=scope)
        else:
            up = self._linear(b, f"{prefix}mlp_up_proj", h, t, self.ffn, c.dim, bias, scope)
            a = f"{scope}.{prefix}mlp_act.out"
            b.node(f"{scope}.{prefix}mlp_act", f"llm::{c.act}", [up], [(a, self._spec((t, self.ffn)))], scope=scope)
        return self._linear(b, f"{prefix}mlp_down_proj", a, t, c.dim, self.ffn, bias, scope)

    def _moe(self, b: GraphBuilder, h: str, t: int, scope: str) -> str:
        c = self.cfg
        logits = self._linear(b, "router", h, t, c.experts, c.dim, False, scope, weight_dtype=self.p.act)
        chosen = f"{scope}.topk.out"
        b.node(f"{scope}.topk", "llm::topk", [logits], [(chosen, self._spec((t, c.top_k)))], scope=scope)
        per = -(-t * c.top_k // c.experts)
        outs = []
        for e in range(c.experts):
            xe = self._view(b, f"expert{e}.in", [h], (per, c.dim), scope)
            outs.append(self._dense_mlp(b, xe, per, scope, f"expert{e}.", False))
        routed = self._view(b, "experts.out", outs, (t * c.top_k, c.dim), scope)
        weighted = f"{scope}.moe_weight.out"
        b.node(f"{scope}.moe_weight", "llm::mul", [routed, chosen], [(weighted, self._spec((t * c.top_k, c.dim)))],
               scope=scope)
        out = f"{scope}.moe_combine.out"
        b.node(f"{scope}.moe_combine", "llm::add", [weighted], [(out, self._spec((t, c.dim)))], scope=scope)
        return out

    def embedding(self, tokens: int) -> Graph:
        c = self.cfg
        b = GraphBuilder(f"{c.name}.embedding", "graphs_llm")
        ids = b.input("input_ids", self._spec((tokens,), "int64"))
        table = b.parameter("embed.weight", self._spec((self.vocab, c.dim)))
        x = "emb.out"
        b.node("emb", "llm::embedding", [table, ids], [(x, self._spec((tokens, c.dim)))], scope="embed")
        if c.positions == "learned":
            pos_ids = b.input("position_ids", self._spec((tokens,), "int64"))
            pt = b.parameter("pos.weight", self._spec((c.max_pos + c.pos_offset, c.dim)))
            b.node("pos_emb", "llm::embedding", [pt, pos_ids], [("pos.out", self._spec((tokens, c.dim)))], scope="embed")
            b.node("emb_add", "llm::add", [x, "pos.out"], [("emb_pos.out", self._spec((tokens, c.dim)))], scope="embed")
            x = "emb_pos.out"
        b.output(x)
        nbytes = DTYPE_BITS[self.p.act] / 8
        b.meta.update({"tokens": tokens, "comm": [("all_reduce", tokens * c.dim * nbytes)] if self.tp > 1 else [],
                       "tp": self.tp})
        return b.build()

    def head(self, tokens: int, sequences: int) -> Graph:
        """Final norm over the iteration's tokens, LM head and greedy sampling for ``sequences`` rows."""
        c = self.cfg
        if sequences < 1 or sequences > tokens:
            raise GraphsError(f"head: {sequences} sampled rows for {tokens} tokens")
        b = GraphBuilder(f"{c.name}.head", "graphs_llm")
        x = b.input("hidden", self._spec((tokens, c.dim)))
        h = self._norm(b, "final_norm", x, tokens, "head")
        last = self._view(b, "last_tokens", [h], (sequences, c.dim), "head")
        # the LM head stays at the activation precision under weight-only quantisation (AWQ/GPTQ practice)
        logits = self._linear(b, "lm_head", last, sequences, self.vocab, c.dim, c.lm_head_bias, "head",
                              weight_dtype=self.p.act)
        b.node("head.sample", "llm::sample", [logits], [("tokens_out", self._spec((sequences,), "int64"))], scope="head")
        b.output("tokens_out")
        nbytes = DTYPE_BITS[self.p.act] / 8
        b.meta.update({"tokens": tokens, "sequences": sequences, "tp": self.tp,
                       "comm": [("all_gather", sequences * self.vocab * self.tp * nbytes)] if self.tp > 1 else []})
        return b.build()

    # --- sizes --------------------------------------------------------------------------------------
    def weight_bytes(self) -> float:
        """Weight bytes per GPU (TP shard), quantised linear layers with their scales."""
        c, p = self.cfg, self.p
        act = DTYPE_BITS[p.act] / 8
        attn = p.weight_bytes((self.hq + 2 * self.hkv) * self.d, c.dim) + p.weight_bytes(c.dim, self.hq * self.d)
        one = p.weight_bytes((2 if c.gated else 1) * self.ffn, c.dim) + p.weight_bytes(c.dim, self.ffn)
        mlp = one * max(c.experts, 1) + (c.dim * c.experts * act if c.experts else 0)
        small = ((self.hq + 2 * self.hkv) * self.d + c.dim + (2 if c.gated else 1) * self.ffn + c.dim) * act if c.bias else 0
        norms = (1 if c.parallel else 2) * c.dim * (2 if c.norm == "layer" else 1) * act
        per_layer = attn + mlp + small + norms
        emb = self.vocab * c.dim * act
        pos = (c.max_pos + c.pos_offset) * c.dim * act if c.positions == "learned" else 0
        head = 0 if c.tied else self.vocab * c.dim * act
        return c.layers * per_layer + emb + pos + head + c.dim * (2 if c.norm == "layer" else 1) * act

    def kv_bytes_per_token(self) -> float:
        """KV-cache bytes one token occupies on one GPU (all layers)."""
        return 2 * self.cfg.layers * self.hkv * self.d * DTYPE_BITS[self.p.kv_dtype] / 8
