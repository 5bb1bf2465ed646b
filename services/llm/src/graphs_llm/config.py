"""A decoder-only LLM described by its architecture numbers (what serving and parallelism need).

:class:`LLMConfig` is read from a traced graph's ``meta["llm"]`` (the FX zoo's decoders put their
config there), from a Hugging Face ``config.json`` mapping, or from a VIDUR profile row
(``n_head, n_kv_head, n_embd, n_expanded_embd, vocab_size, use_gated_mlp``). Grouped-query and
multi-query attention are ``kv_heads < heads`` (``kv_heads == 1``: MQA).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Mapping

from graphs.errors import GraphsError

ACTIVATIONS = ("silu", "gelu", "gelu_tanh", "relu", "quick_gelu")


@dataclass(frozen=True)
class LLMConfig:
    """Architecture of a pre-norm decoder-only transformer.

    :param gated: gated MLP (SwiGLU: gate and up projections, ``act(gate)·up``) vs fc1→act→fc2.
    :param parallel: attention and MLP read the same normed input (Phi-2, GPT-J): one norm per layer.
    :param experts: number of MoE experts (0: dense), ``top_k`` of them per token, each an MLP of width
        ``moe_ffn`` (0: ``ffn``); ``shared_ffn`` > 0 adds a shared expert of that width run for every token;
        ``moe_step``: every ``moe_step``-th layer is MoE, the others dense MLPs of width ``ffn`` (Llama 4).
    :param window: attention window (sliding window or attention chunk) of ``local_layers`` layers; a
        decode step there attends to at most ``window`` cached tokens (0: every layer global).
    :param qk_norm: RMSNorm over each query and key head before RoPE (Qwen3, Gemma 3, Llama 4).
    """

    name: str
    vocab: int
    dim: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    ffn: int
    gated: bool = True
    act: str = "silu"
    norm: str = "rms"
    positions: str = "rotary"
    rotary_dim: int | None = None
    bias: bool = False
    lm_head_bias: bool = False
    tied: bool = False
    parallel: bool = False
    fused_qkv: bool = False
    experts: int = 0
    top_k: int = 2
    max_pos: int = 4096
    pos_offset: int = 0
    moe_ffn: int = 0
    shared_ffn: int = 0
    moe_step: int = 1
    window: int = 0
    local_layers: int = 0
    qk_norm: bool = False

    def __post_init__(self) -> None:
        for k in ("vocab", "dim", "layers", "heads", "kv_heads", "head_dim", "ffn"):
            if int(getattr(self, k)) < 1:
                raise GraphsError(f"LLM config {self.name!r}: {k} must be >= 1 (got {getattr(self, k)})")
        if self.heads % self.kv_heads:
            raise GraphsError(f"LLM config {self.name!r}: heads ({self.heads}) must be a multiple of "
                              f"kv_heads ({self.kv_heads})")
        if self.norm not in ("rms", "layer"):
            raise GraphsError(f"LLM config {self.name!r}: norm must be rms or layer (got {self.norm!r})")
        if self.moe_step < 1 or self.moe_ffn < 0 or self.shared_ffn < 0 or self.window < 0:
            raise GraphsError(f"LLM config {self.name!r}: moe_step must be >= 1; moe_ffn, shared_ffn, window >= 0")
        if not 0 <= self.local_layers <= self.layers or (self.local_layers and not self.window):
            raise GraphsError(f"LLM config {self.name!r}: local_layers must be within 0..layers and need a window")
        if self.act not in ACTIVATIONS:
            raise GraphsError(f"LLM config {self.name!r}: activation {self.act!r} is not one of {', '.join(ACTIVATIONS)}")

    # --- derived sizes ---------------------------------------------------------------------------
    @property
    def q_dim(self) -> int:
        return self.heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.kv_heads * self.head_dim

    @property
    def group(self) -> int:
        """Query heads per KV head (1: MHA; heads: MQA)."""
        return self.heads // self.kv_heads

    @property
    def expert_ffn(self) -> int:
        """Width of one routed expert's MLP."""
        return self.moe_ffn or self.ffn

    @property
    def moe_layers(self) -> int:
        """Layers whose MLP is a mixture of experts (every ``moe_step``-th layer)."""
        return self.layers // self.moe_step if self.experts else 0

    @property
    def dense_layers(self) -> int:
        return self.layers - self.moe_layers

    @property
    def attention_kind(self) -> str:
        return "MHA" if self.kv_heads == self.heads else ("MQA" if self.kv_heads == 1 else f"GQA (group {self.group})")

    def layer_parameters(self) -> int:
        d, b = self.dim, int(self.bias)
        attn = d * (self.q_dim + 2 * self.kv_dim) + self.q_dim * d + b * (self.q_dim + 2 * self.kv_dim + d)
        mlp = self._mlp_parameters(bool(self.experts) and self.moe_step == 1)
        norms = (1 if self.parallel else 2) * d * (2 if self.norm == "layer" else 1)
        return attn + mlp + norms

    def _mlp_parameters(self, moe: bool) -> int:
        d, b = self.dim, int(self.bias)

        def one(f: int) -> int:
            return (3 if self.gated else 2) * d * f + b * ((2 if self.gated else 1) * f + d)
        if not moe:
            return one(self.ffn)
        return one(self.expert_ffn) * self.experts + d * self.experts + (one(self.shared_ffn) if self.shared_ffn else 0)

    def parameters(self) -> int:
        """Parameter count (tied embeddings once), as the zoo's modules have it."""
        emb = self.vocab * self.dim
        pos = (self.max_pos + self.pos_offset) * self.dim if self.positions == "learned" else 0
        final = self.dim * (2 if self.norm == "layer" else 1)
        head = 0 if self.tied else self.vocab * self.dim
        layers = self.layers * self.layer_parameters()
        if self.experts and self.moe_step > 1:   # interleaved dense and MoE layers
            layers += self.moe_layers * (self._mlp_parameters(True) - self._mlp_parameters(False))
        return emb + pos + layers + final + head + (self.vocab if self.lm_head_bias else 0)

    def kv_elements_per_token(self) -> int:
        """K and V elements one token adds to the cache, all layers."""
        return 2 * self.layers * self.kv_dim

    def with_(self, **kw: Any) -> "LLMConfig":
        return replace(self, **kw)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    # --- constructors ----------------------------------------------------------------------------
    @classmethod
    def from_mapping(cls, d: Mapping[str, Any], name: str = "") -> "LLMConfig":
        """From the zoo's decoder config keys or a Hugging Face ``config.json``."""
        g = d.get
        name = name or str(g("name") or g("_name_or_path") or g("model_type") or "llm")
        try:
            if "dim" in d and "layers" in d:   # graphs zoo DecoderConfig
                mlp = str(g("mlp", "gelu_tanh"))
                heads = int(d["heads"])
                head_dim = int(g("head_dim") or int(d["dim"]) // heads)
                return cls(name=name, vocab=int(d["vocab"]), dim=int(d["dim"]), layers=int(d["layers"]), heads=heads,
                           kv_heads=int(g("kv_heads") or heads), head_dim=head_dim, ffn=int(d["ffn"]),
                           gated=mlp == "swiglu", act="silu" if mlp == "swiglu" else mlp,
                           norm=str(g("norm", "layer")), positions=str(g("positions", "learned")),
                           rotary_dim=g("rotary_dim"), bias=bool(g("bias", True)),
                           lm_head_bias=bool(g("lm_head_bias", False)), tied=bool(g("tied", False)),
                           parallel=bool(g("parallel", False)), fused_qkv=bool(g("fused_qkv", False)),
                           experts=int(g("experts", 0) or 0), top_k=int(g("top_k", 2) or 2),
                           max_pos=int(g("max_pos", 2048)), pos_offset=int(g("pos_offset", 0) or 0))
            # Hugging Face names (Llama/Mistral/Mixtral/Qwen2/Phi and GPT-2/OPT families)
            dim = int(g("hidden_size") or g("n_embd") or g("d_model"))
            layers = int(g("num_hidden_layers") or g("n_layer") or g("num_layers"))
            heads = int(g("num_attention_heads") or g("n_head"))
            kv = int(g("num_key_value_heads") or g("multi_query_group_num") or heads)
            ffn = int(g("intermediate_size") or g("n_inner") or g("ffn_dim") or 4 * dim)
            act = str(g("hidden_act") or g("activation_function") or g("activation") or "gelu")
            act = {"gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "swish": "silu"}.get(act, act)
            mt = str(g("model_type", "")).lower()
            gated = mt in ("llama", "mistral", "mixtral", "qwen2", "gemma", "internlm", "qwen") or \
                bool(g("use_gated_mlp", False))
            rms = gated or "rms_norm_eps" in d
            rope = "rope_theta" in d or mt in ("llama", "mistral", "mixtral", "qwen2", "phi", "gemma")
            return cls(name=name, vocab=int(g("vocab_size")), dim=dim, layers=layers, heads=heads, kv_heads=kv,
                       head_dim=int(g("head_dim") or dim // heads), ffn=ffn, gated=gated,
                       act=act if act in ACTIVATIONS else "gelu", norm="rms" if rms else "layer",
                       positions="rotary" if rope else "learned",
                       bias=bool(g("attention_bias", not gated)), tied=bool(g("tie_word_embeddings", not gated)),
                       experts=int(g("num_local_experts", 0) or 0), top_k=int(g("num_experts_per_tok", 2) or 2),
                       max_pos=int(g("max_position_embeddings") or g("n_positions") or 2048))
        except (KeyError, TypeError, ValueError) as e:
            raise GraphsError(f"cannot read an LLM config for {name!r}: missing or bad field ({e})") from None

    @classmethod
    def from_vidur_row(cls, row: Mapping[str, str], name: str) -> "LLMConfig":
        """From a VIDUR ``mlp.csv`` row (layers unknown there: 1; the row describes one layer)."""
        h, kv, e = int(row["n_head"]), int(row["n_kv_head"]), int(row["n_embd"])
        gated = str(row["use_gated_mlp"]).strip().lower() == "true"
        return cls(name=name, vocab=int(row["vocab_size"]), dim=e, layers=1, heads=h, kv_heads=kv, head_dim=e // h,
                   ffn=int(row["n_expanded_embd"]), gated=gated, act="silu" if gated else "gelu",
                   norm="rms" if gated else "layer", positions="rotary", bias=not gated)

    @classmethod
    def from_graph(cls, graph: Any) -> "LLMConfig":
        """From ``graph.meta["llm"]`` (set by the FX zoo's decoders and by ``graphs_meta()`` of a module)."""
        meta = getattr(graph, "meta", {}) or {}
        d = meta.get("llm")
        if not d:
            raise GraphsError(f"{getattr(graph, 'name', 'model')}: no LLM description in the graph (meta 'llm'); "
                              "LLM modes work on zoo decoders (graphs zoo list) or a module with graphs_meta() "
                              "returning {'llm': {...config...}}")
        return cls.from_mapping(d, name=str(meta.get("zoo") or getattr(graph, "name", "")))
