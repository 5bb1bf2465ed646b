"""Decoder-only language models: GPT-2, OPT, Llama 2/3, Mistral, Phi-2, Mixtral (MoE).

One configurable pre-norm decoder covers them all. The traced forward is a *prefill* of
``seq_len`` tokens (default 512) returning logits for every position, as a Hugging Face
``forward`` does; no KV cache. Parameter counts match the published checkpoints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch
from torch import Tensor, nn

from graphs_frontend_fx.zoo._layers import MLP, Attention, GatedMLP, MoE, Rotary, norm


@dataclass(frozen=True)
class DecoderConfig:
    vocab: int
    dim: int
    layers: int
    heads: int
    ffn: int
    kv_heads: int | None = None
    head_dim: int | None = None
    norm: str = "layer"          # layer | rms
    mlp: str = "gelu_tanh"       # an activation name, or "swiglu"
    positions: str = "learned"   # learned | rotary
    max_pos: int = 2048
    pos_offset: int = 0          # OPT's learned positions start at 2
    rotary_dim: int | None = None
    rope_theta: float = 10000.0
    bias: bool = True            # biases in attention and MLP projections
    lm_head_bias: bool = False
    tied: bool = False
    fused_qkv: bool = False
    parallel: bool = False       # Phi-2 / GPT-J: attention and MLP read the same normed input
    experts: int = 0
    top_k: int = 2
    eps: float = 1e-5


class DecoderLayer(nn.Module):
    def __init__(self, c: DecoderConfig) -> None:
        super().__init__()
        self.norm1 = norm(c.norm, c.dim, c.eps)
        self.attn = Attention(c.dim, c.heads, c.kv_heads, c.head_dim, bias=c.bias, fused_qkv=c.fused_qkv)
        self.norm2 = None if c.parallel else norm(c.norm, c.dim, c.eps)
        if c.experts:
            self.mlp: nn.Module = MoE(c.dim, c.ffn, c.experts, c.top_k)
        elif c.mlp == "swiglu":
            self.mlp = GatedMLP(c.dim, c.ffn, "silu", c.bias)
        else:
            self.mlp = MLP(c.dim, c.ffn, c.mlp, c.bias)

    def forward(self, x: Tensor, rope: tuple[Tensor, Tensor] | None) -> Tensor:
        h = self.norm1(x)
        if self.norm2 is None:
            return x + self.attn(h, rope=rope, causal=True) + self.mlp(h)
        x = x + self.attn(h, rope=rope, causal=True)
        return x + self.mlp(self.norm2(x))


class Decoder(nn.Module):
    def __init__(self, c: DecoderConfig) -> None:
        super().__init__()
        self.c = c
        self.embed = nn.Embedding(c.vocab, c.dim)
        self.pos = nn.Embedding(c.max_pos + c.pos_offset, c.dim) if c.positions == "learned" else None
        head_dim = c.head_dim or c.dim // c.heads
        self.rotary = Rotary(c.rotary_dim or head_dim, c.rope_theta) if c.positions == "rotary" else None
        self.layers = nn.ModuleList(DecoderLayer(c) for _ in range(c.layers))
        self.norm = norm(c.norm, c.dim, c.eps)
        self.lm_head = nn.Linear(c.dim, c.vocab, bias=c.lm_head_bias)
        if c.tied:
            self.lm_head.weight = self.embed.weight

    def graphs_meta(self) -> dict:
        """Architecture numbers for graphs' LLM modes (``graphs_llm.LLMConfig.from_graph``)."""
        return {"llm": asdict(self.c)}

    def forward(self, input_ids: Tensor) -> Tensor:
        t = input_ids.shape[1]
        x = self.embed(input_ids)
        if self.pos is not None:
            x = x + self.pos(torch.arange(self.c.pos_offset, t + self.c.pos_offset, device=input_ids.device))
        rope = self.rotary(t, input_ids.device) if self.rotary is not None else None
        for layer in self.layers:
            x = layer(x, rope)
        return self.lm_head(self.norm(x))


GPT2 = DecoderConfig(vocab=50257, dim=768, layers=12, heads=12, ffn=3072, max_pos=1024, tied=True, fused_qkv=True)
OPT = DecoderConfig(vocab=50272, dim=768, layers=12, heads=12, ffn=3072, mlp="relu", max_pos=2048, pos_offset=2,
                    tied=True)
LLAMA2_7B = DecoderConfig(vocab=32000, dim=4096, layers=32, heads=32, ffn=11008, norm="rms", mlp="swiglu",
                          positions="rotary", max_pos=4096, bias=False, eps=1e-5)
LLAMA3_8B = DecoderConfig(vocab=128256, dim=4096, layers=32, heads=32, kv_heads=8, ffn=14336, norm="rms",
                          mlp="swiglu", positions="rotary", max_pos=8192, rope_theta=500000.0, bias=False)
MISTRAL_7B = DecoderConfig(vocab=32000, dim=4096, layers=32, heads=32, kv_heads=8, ffn=14336, norm="rms",
                           mlp="swiglu", positions="rotary", max_pos=32768, bias=False)
PHI2 = DecoderConfig(vocab=51200, dim=2560, layers=32, heads=32, ffn=10240, positions="rotary", rotary_dim=32,
                     max_pos=2048, parallel=True, lm_head_bias=True)


def _cfg(base: DecoderConfig, **kw: object) -> DecoderConfig:
    return replace(base, **kw)


CONFIGS: dict[str, DecoderConfig] = {
    "gpt2": GPT2,
    "gpt2-medium": _cfg(GPT2, dim=1024, layers=24, heads=16, ffn=4096),
    "gpt2-large": _cfg(GPT2, dim=1280, layers=36, heads=20, ffn=5120),
    "gpt2-xl": _cfg(GPT2, dim=1600, layers=48, heads=25, ffn=6400),
    "opt-125m": OPT,
    "opt-1.3b": _cfg(OPT, dim=2048, layers=24, heads=32, ffn=8192),
    "opt-6.7b": _cfg(OPT, dim=4096, layers=32, heads=32, ffn=16384),
    "llama2-7b": LLAMA2_7B,
    "llama2-13b": _cfg(LLAMA2_7B, dim=5120, layers=40, heads=40, ffn=13824),
    "llama3-8b": LLAMA3_8B,
    "mistral-7b": MISTRAL_7B,
    "phi-2": PHI2,
    "tinyllama-1.1b": _cfg(LLAMA2_7B, dim=2048, layers=22, heads=32, kv_heads=4, ffn=5632),
    "mixtral-8x7b": _cfg(MISTRAL_7B, experts=8, top_k=2),
}


def build(name: str) -> Decoder:
    return Decoder(CONFIGS[name])
