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

WEIGHT_DTYPES = ("float16", "bfloat16", "float32", "float8_e4m3", "int8", "int4", "mxfp4")
WEIGHT_SCOPES = ("all", "mlp", "experts")
MX_BLOCK = 32            # OCP Microscaling: 32 elements share one 8-bit (E8M0) scale
MX_ELEMENT_DTYPE = "uint4"   # the IR has no FP4 type; an MXFP4 element is stored in 4 bits like this


@dataclass(frozen=True)
class Precision:
    """Activation, weight and KV-cache dtypes (IR names). ``weight``/``kv`` None: same as ``act``.

    ``weight`` applies to the linear layers named by ``scope``: ``all`` (attention and MLP), ``mlp`` (dense
    and expert MLPs) or ``experts`` (routed experts only); the others keep ``act``. Embeddings, the LM
    head and the MoE router always stay at ``act``. ``float8_e4m3`` weights run W8A8 (the activation is
    quantised per token inside the producing kernel, the GEMM runs at the FP8 rate: vLLM's FP8 path);
    ``int8``/``int4`` are weight-only with one ``act`` scale per ``group_size`` weights; ``mxfp4`` is
    weight-only OCP MXFP4 (4-bit elements, one 8-bit scale per 32), dequantised in registers.
    """

    act: str = "float16"
    weight: str | None = None
    kv: str | None = None
    group_size: int = 128       # weight-only quantisation: one fp16 scale per group of K elements
    scope: str = "all"

    def __post_init__(self) -> None:
        for f in ("act", "weight", "kv"):
            v = getattr(self, f)
            if v is not None and v not in DTYPE_BITS and not (f == "weight" and v == "mxfp4"):
                raise GraphsError(f"precision: unknown {f} dtype {v!r}")
        if self.weight is not None and self.weight not in WEIGHT_DTYPES:
            raise GraphsError(f"weight dtype {self.weight!r}: expected one of {', '.join(WEIGHT_DTYPES)}")
        if self.group_size < 1:
            raise GraphsError("quantisation group size must be >= 1")
        if self.scope not in WEIGHT_SCOPES:
            raise GraphsError(f"weight scope {self.scope!r}: expected one of {', '.join(WEIGHT_SCOPES)}")

    @property
    def w(self) -> str:
        return self.weight or self.act

    @property
    def kv_dtype(self) -> str:
        return self.kv or self.act

    @property
    def quantized(self) -> bool:
        return self.w in ("int8", "int4", "mxfp4")

    def weight_of(self, part: str) -> str:
        """Weight dtype of a linear layer in ``part`` (``attention``, ``mlp``, ``expert``)."""
        covered = {"all": ("attention", "mlp", "expert"), "mlp": ("mlp", "expert"), "experts": ("expert",)}
        return self.w if part in covered[self.scope] else self.act

    def weight_bytes(self, n: int, k: int, dtype: str | None = None) -> float:
        """Bytes of an ``n × k`` weight matrix of ``dtype`` (default: the quantised one), scales included."""
        w = dtype or self.w
        if w == "mxfp4":
            return n * k * DTYPE_BITS[MX_ELEMENT_DTYPE] / 8 + n * math.ceil(k / MX_BLOCK)
        b = n * k * DTYPE_BITS[w] / 8
        if w in ("int8", "int4"):
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


ROUTINGS = ("balanced", "random")


def experts_touched(tokens: int, experts: int, top_k: int) -> float:
    """Expected number of distinct experts ``tokens`` tokens route to when each picks ``top_k`` of ``experts``
    uniformly at random: ``E·(1 − (1 − k/E)^T)`` (every expert once ``T·k`` is large)."""
    if experts <= 0:
        return 0.0
    return experts * (1.0 - (1.0 - min(top_k, experts) / experts) ** max(tokens, 0))


class DecoderBuilder:
    """Builds the graphs of one iteration (embedding, one layer, head) for a config.

    ``ep`` > 1 splits the routed experts over ``ep`` ranks (vLLM ``--enable-expert-parallel``: every
    rank sees every token, runs its own experts, and the MoE output is summed by the same all-reduce
    as tensor parallelism). ``routing``: ``balanced`` builds every expert as its own MLP of
    ``ceil(T·k/E)`` tokens (the FX zoo's trace); ``random`` builds one grouped-GEMM kernel per
    projection over the experts ``T`` tokens are expected to touch (:func:`experts_touched`), as
    vLLM's fused-MoE kernels run — only the touched experts' weights are read.
    """

    def __init__(self, cfg: LLMConfig, precision: Precision | None = None, attention: AttentionImpl | None = None,
                 tp: int = 1, ep: int = 1, routing: str = "balanced") -> None:
        if tp < 1 or ep < 1:
            raise GraphsError("tensor and expert parallel degrees must be >= 1")
        if cfg.heads % tp:
            raise GraphsError(f"{cfg.name}: {cfg.heads} attention heads cannot be split {tp} ways")
        if ep > 1 and (not cfg.experts or cfg.experts % ep):
            raise GraphsError(f"{cfg.name}: {cfg.experts} experts cannot be split over {ep} expert-parallel ranks")
        if routing not in ROUTINGS:
            raise GraphsError(f"MoE routing {routing!r}: expected one of {', '.join(ROUTINGS)}")
        self.cfg, self.p, self.attn, self.tp = cfg, precision or Precision(), attention or AttentionImpl(), tp
        self.ep, self.routing = ep, routing
        self.hq = cfg.heads // tp
        self.hkv = max(1, cfg.kv_heads // tp)           # fewer KV heads than ranks: replicated
        self.d = cfg.head_dim
        self.ffn = -(-cfg.ffn // tp)
        self.vocab = -(-cfg.vocab // tp)
        # vLLM's rotary kernel rotates Q and K in place over whole heads: a partial rotary (Phi-2)
        # moves the same bytes (VIDUR's phi-2 attn_rope times match full heads, not 32 of 80 dims)
        self.rot = cfg.head_dim if cfg.positions == "rotary" else 0

        self.local_ep = cfg.experts // ep if cfg.experts else 0
        self.expert_ffn = -(-cfg.expert_ffn // (tp if ep == 1 else 1))   # EP: experts whole; TP-only: split
        self.shared_ffn = -(-cfg.shared_ffn // tp) if cfg.shared_ffn else 0

    # --- helpers ----------------------------------------------------------------------------------
    def _spec(self, shape: Iterable[int], dtype: str | None = None) -> TensorSpec:
        return TensorSpec(tuple(int(s) for s in shape), dtype or self.p.act)

    def _weight_inputs(self, b: GraphBuilder, name: str, x: str, x_shape: tuple[int, ...], shape: tuple[int, ...],
                       wd: str, scope: str, bias_n: int = 0) -> list[str]:
        """[x, weight, (bias), (scales)] of a linear layer on ``x`` (``x_shape``) whose weight has ``shape``
        (…, n, k) and dtype ``wd``."""
        n, k = shape[-2], shape[-1]
        lead = shape[:-2]
        if wd == "float8_e4m3":   # W8A8: the activation enters the GEMM as FP8 (quantised by its producer)
            x = self._view(b, f"{name}.x_fp8", [x], x_shape, scope, dtype="float8_e4m3")
        w_dtype = MX_ELEMENT_DTYPE if wd == "mxfp4" else wd
        ins = [x, b.parameter(f"{scope}.{name}.weight", self._spec(shape, w_dtype))]
        if bias_n:
            ins.append(b.parameter(f"{scope}.{name}.bias", self._spec((*lead, bias_n))))
        if wd in ("int8", "int4"):
            ins += [""] if not bias_n else []
            ins.append(b.parameter(f"{scope}.{name}.scales", self._spec((*lead, n, math.ceil(k / self.p.group_size)))))
        elif wd == "mxfp4":
            ins += [""] if not bias_n else []
            ins.append(b.parameter(f"{scope}.{name}.scales", self._spec((*lead, n, math.ceil(k / MX_BLOCK)), "uint8")))
        return ins

    def _linear(self, b: GraphBuilder, name: str, x: str, t: int, n: int, k: int, bias: bool, scope: str,
                weight_dtype: str | None = None, part: str = "attention") -> str:
        wd = weight_dtype or self.p.weight_of(part)
        ins = self._weight_inputs(b, name, x, (t, k), (n, k), wd, scope, bias_n=n if bias else 0)
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
                   scope: str, window: int = 0) -> list[str]:
        """Attention nodes reading Q (a view of ``q_src``) and the cache; returns their outputs. ``window`` > 0:
        a local (sliding-window or chunked) layer, whose queries see at most ``window`` cached tokens."""
        if window:
            prefill = [Chunk(ch.q, min(ch.ctx, window)) for ch in prefill]
            decode = [min(c_, window) for c_ in decode]
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
              scope: str = "layer", tokens: int | None = None, moe: bool | None = None, local: bool = False) -> Graph:
        """One decoder layer over the iteration's tokens (``attention=False``: its attention output is an input,
        and ``tokens`` may give the token count instead of listing sequences, in memory independent of it).
        ``moe``: an MoE layer (default: whether the config has experts); ``local``: a sliding-window layer."""
        c = self.cfg
        if tokens is not None and (attention or prefill or decode):
            raise GraphsError("layer(tokens=...) is for the linear part only (attention=False, no sequences)")
        t = tokens if tokens is not None else sum(ch.q for ch in prefill) + len(decode)
        if t < 1:
            raise GraphsError("an iteration needs at least one token")
        moe = bool(c.experts) if moe is None else moe
        if moe and not c.experts:
            raise GraphsError(f"{c.name}: an MoE layer needs experts in the config")
        b = GraphBuilder(f"{c.name}.{scope}", "graphs_llm")
        x = b.input(f"{scope}.x", self._spec((t, c.dim)))
        h = self._norm(b, "input_layernorm", x, t, scope)
        qkv_n = (self.hq + 2 * self.hkv) * self.d
        qkv = self._linear(b, "attn_pre_proj", h, t, qkv_n, c.dim, c.bias, scope)
        q_src = qkv
        if c.qk_norm:   # per-head RMSNorm of Q and K (one fused kernel over both)
            qk = self._view(b, "qk_norm_in", [qkv], (t * (self.hq + self.hkv), self.d), scope)
            w = b.parameter(f"{scope}.qk_norm.weight", self._spec((self.d,)))
            q_src = f"{scope}.qk_norm.out"
            b.node(f"{scope}.qk_norm", "llm::rms_norm", [qk, w],
                   [(q_src, self._spec((t * (self.hq + self.hkv), self.d)))], scope=scope)
        if self.rot:
            qk = self._view(b, "qk_rot", [q_src], (t, (self.hq + self.hkv) * self.rot), scope)
            rot = f"{scope}.attn_rope.out"
            b.node(f"{scope}.attn_rope", "llm::rotary", [qk], [(rot, self._spec((t, (self.hq + self.hkv) * self.rot)))],
                   scope=scope)
            q_src = rot
        kv_new = self._view(b, "kv_new", [qkv], (t, 2 * self.hkv * self.d), scope)
        b.node(f"{scope}.kv_write", "llm::kv_write", [kv_new],
               [(f"{scope}.kv_cache_slots", self._spec((t, 2 * self.hkv * self.d), self.p.kv_dtype))], scope=scope)
        if attention:
            outs = self._attention(b, q_src, prefill, decode, scope, c.window if local else 0)
            attn = self._view(b, "attn_out", outs, (t, self.hq * self.d), scope)
        else:
            attn = b.input(f"{scope}.attn_out", self._spec((t, self.hq * self.d)))
        o = self._linear(b, "attn_post_proj", attn, t, c.dim, self.hq * self.d, c.bias, scope)
        if c.parallel:
            m = self._mlp(b, h, t, scope, moe)
            x1 = f"{scope}.add.out"
            b.node(f"{scope}.add", "llm::add", [x, o], [(x1, self._spec((t, c.dim)))], scope=scope)
            out = f"{scope}.add_mlp.out"
            b.node(f"{scope}.add_mlp", "llm::add", [x1, m], [(out, self._spec((t, c.dim)))], scope=scope)
        else:
            x1 = f"{scope}.add.out"
            b.node(f"{scope}.add", "llm::add", [x, o], [(x1, self._spec((t, c.dim)))], scope=scope)
            h2 = self._norm(b, "post_attention_layernorm", x1, t, scope)
            m = self._mlp(b, h2, t, scope, moe)
            out = f"{scope}.add_mlp.out"
            b.node(f"{scope}.add_mlp", "llm::add", [x1, m], [(out, self._spec((t, c.dim)))], scope=scope)
        b.output(out)
        act = self.p.act
        nbytes = DTYPE_BITS[act] / 8
        ranks = max(self.tp, self.ep)
        comm = [("all_reduce", t * c.dim * nbytes), ("all_reduce", t * c.dim * nbytes)] if ranks > 1 else []
        b.meta.update({"tokens": t, "comm": comm, "tp": self.tp, "ep": self.ep, "moe": moe})
        return b.build()

    def attention_only(self, prefill: Sequence[Chunk] = (), decode: Sequence[int] = (), scope: str = "layer",
                       local: bool = False) -> Graph:
        """The attention kernels of one layer alone (what varies with the cache; cached separately)."""
        t = sum(ch.q for ch in prefill) + len(decode)
        if t < 1:
            raise GraphsError("an iteration needs at least one token")
        b = GraphBuilder(f"{self.cfg.name}.{scope}.attention", "graphs_llm")
        q = b.input(f"{scope}.q", self._spec((t, (self.hq + self.hkv) * max(self.rot, self.d))))
        b.output(*self._attention(b, q, prefill, decode, scope, self.cfg.window if local else 0))
        return b.build()

    def _mlp(self, b: GraphBuilder, h: str, t: int, scope: str, moe: bool) -> str:
        c = self.cfg
        if moe:
            return self._moe(b, h, t, scope)
        return self._dense_mlp(b, h, t, scope, "", c.bias, self.ffn, "mlp")

    def _act(self, b: GraphBuilder, name: str, up: str, t: int, f: int, scope: str, lead: tuple[int, ...] = ()) -> str:
        c = self.cfg
        a = f"{scope}.{name}.out"
        op = ("llm::silu_and_mul" if c.act == "silu" else f"llm::{c.act}") if c.gated else f"llm::{c.act}"
        b.node(f"{scope}.{name}", op, [up], [(a, self._spec((*lead, t, f)))], scope=scope)
        return a

    def _dense_mlp(self, b: GraphBuilder, h: str, t: int, scope: str, prefix: str, bias: bool, f: int,
                   part: str) -> str:
        c = self.cfg
        up = self._linear(b, f"{prefix}mlp_up_proj", h, t, (2 if c.gated else 1) * f, c.dim, bias, scope, part=part)
        a = self._act(b, f"{prefix}mlp_act", up, t, f, scope)
        return self._linear(b, f"{prefix}mlp_down_proj", a, t, c.dim, f, bias, scope, part=part)

    def _moe(self, b: GraphBuilder, h: str, t: int, scope: str) -> str:
        c = self.cfg
        logits = self._linear(b, "router", h, t, c.experts, c.dim, False, scope, weight_dtype=self.p.act)
        chosen = f"{scope}.topk.out"
        b.node(f"{scope}.topk", "llm::topk", [logits], [(chosen, self._spec((t, c.top_k)))], scope=scope)
        f = self.expert_ffn
        if self.routing == "balanced":
            per = -(-t * c.top_k // c.experts)
            outs = []
            for e in range(self.local_ep):
                xe = self._view(b, f"expert{e}.in", [h], (per, c.dim), scope)
                outs.append(self._dense_mlp(b, xe, per, scope, f"expert{e}.", c.bias, f, "expert"))
            routed = self._view(b, "experts.out", outs, (t * c.top_k, c.dim), scope)
        else:
            routed = self._grouped_experts(b, h, t, scope, f)
        weighted = f"{scope}.moe_weight.out"
        b.node(f"{scope}.moe_weight", "llm::mul", [routed, chosen], [(weighted, self._spec((t * c.top_k, c.dim)))],
               scope=scope)
        out = f"{scope}.moe_combine.out"
        b.node(f"{scope}.moe_combine", "llm::add", [weighted], [(out, self._spec((t, c.dim)))], scope=scope)
        if self.shared_ffn:
            sh = self._dense_mlp(b, h, t, scope, "shared_expert.", False, self.shared_ffn, "mlp")
            total = f"{scope}.moe_shared_add.out"
            b.node(f"{scope}.moe_shared_add", "llm::add", [out, sh], [(total, self._spec((t, c.dim)))], scope=scope)
            out = total
        return out

    def _grouped_experts(self, b: GraphBuilder, h: str, t: int, scope: str, f: int) -> str:
        """The routed experts of this rank as grouped GEMMs (vLLM fused MoE): ``n_e`` experts touched, each
        with the same share of the ``T·k`` routed tokens; only their weights are read."""
        c = self.cfg
        touched = experts_touched(t, c.experts, c.top_k) * self.local_ep / c.experts
        n_e = max(1, min(self.local_ep, round(touched)))
        routed_here = t * c.top_k * self.local_ep / c.experts      # this rank's share of the routed tokens
        per = max(1, math.ceil(routed_here / n_e))
        wd = self.p.weight_of("expert")
        xe = self._view(b, "experts.in", [h], (n_e, per, c.dim), scope)
        up_n = (2 if c.gated else 1) * f
        ins = self._weight_inputs(b, "experts_up_proj", xe, (n_e, per, c.dim), (n_e, up_n, c.dim), wd, scope,
                                  bias_n=up_n if c.bias else 0)
        up = f"{scope}.experts_up_proj.out"
        b.node(f"{scope}.experts_up_proj", "llm::grouped_linear", ins, [(up, self._spec((n_e, per, up_n)))],
               {"experts": n_e}, scope=scope)
        a = self._act(b, "experts_act", up, per, f, scope, lead=(n_e,))
        ins = self._weight_inputs(b, "experts_down_proj", a, (n_e, per, f), (n_e, c.dim, f), wd, scope,
                                  bias_n=c.dim if c.bias else 0)
        down = f"{scope}.experts_down_proj.out"
        b.node(f"{scope}.experts_down_proj", "llm::grouped_linear", ins, [(down, self._spec((n_e, per, c.dim)))],
               {"experts": n_e}, scope=scope)
        return self._view(b, "experts.out", [down], (t * c.top_k, c.dim), scope)

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
        """Weight bytes per GPU (TP shard; EP: this rank's experts), quantised layers with their scales."""
        c, p = self.cfg, self.p
        act = DTYPE_BITS[p.act] / 8
        wa = p.weight_of("attention")
        attn = p.weight_bytes((self.hq + 2 * self.hkv) * self.d, c.dim, wa) + p.weight_bytes(c.dim, self.hq * self.d, wa)
        g = 2 if c.gated else 1

        def mlp_bytes(f: int, part: str) -> float:
            w = p.weight_of(part)
            return p.weight_bytes(g * f, c.dim, w) + p.weight_bytes(c.dim, f, w) + ((g * f + c.dim) * act if c.bias else 0)
        dense = mlp_bytes(self.ffn, "mlp")
        moe = 0.0
        if c.experts:
            moe = mlp_bytes(self.expert_ffn, "expert") * self.local_ep + c.dim * c.experts * act
            if self.shared_ffn:
                moe += mlp_bytes(self.shared_ffn, "mlp")
        small = ((self.hq + 2 * self.hkv) * self.d + c.dim) * act if c.bias else 0
        norms = (1 if c.parallel else 2) * c.dim * (2 if c.norm == "layer" else 1) * act + (2 * self.d * act if c.qk_norm else 0)
        layers = c.layers * (attn + small + norms) + c.moe_layers * moe + c.dense_layers * dense
        emb = self.vocab * c.dim * act
        pos = (c.max_pos + c.pos_offset) * c.dim * act if c.positions == "learned" else 0
        head = 0 if c.tied else self.vocab * c.dim * act
        return layers + emb + pos + head + c.dim * (2 if c.norm == "layer" else 1) * act

    def kv_bytes_per_token(self) -> float:
        """KV-cache bytes one token occupies on one GPU (all layers)."""
        return 2 * self.cfg.layers * self.hkv * self.d * DTYPE_BITS[self.p.kv_dtype] / 8
