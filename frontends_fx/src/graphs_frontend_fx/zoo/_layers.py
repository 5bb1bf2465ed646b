"""Transformer building blocks shared by the zoo's encoders, decoders and vision transformers.

Attention always goes through ``F.scaled_dot_product_attention`` so the traced graph holds
one attention op per layer (grouped-query attention via ``enable_gqa``: no K/V copies).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Attention(nn.Module):
    """Multi-head (or grouped-query) self/cross attention with optional rotary embedding.

    :param fused_qkv: one projection for Q, K and V (GPT-2, ViT) instead of three (BERT, Llama).
    :param rotary_dim: how many leading dims of each head get rotary embedding (0: none).
    :param scale: softmax scale; None means 1/sqrt(head_dim).
    """

    def __init__(self, dim: int, heads: int, kv_heads: int | None = None, head_dim: int | None = None,
                 bias: bool = True, out_bias: bool | None = None, fused_qkv: bool = False, kv_dim: int | None = None,
                 k_bias: bool | None = None, scale: float | None = None) -> None:
        super().__init__()
        self.heads, self.kv_heads = heads, kv_heads or heads
        self.head_dim = head_dim or dim // heads
        self.scale = scale
        q_out, kv_out = self.heads * self.head_dim, self.kv_heads * self.head_dim
        self.fused = fused_qkv
        if fused_qkv:
            self.qkv = nn.Linear(dim, q_out + 2 * kv_out, bias=bias)
        else:
            src = kv_dim or dim
            self.q = nn.Linear(dim, q_out, bias=bias)
            self.k = nn.Linear(src, kv_out, bias=bias if k_bias is None else k_bias)
            self.v = nn.Linear(src, kv_out, bias=bias)
        self.o = nn.Linear(q_out, dim, bias=bias if out_bias is None else out_bias)

    def forward(self, x: Tensor, context: Tensor | None = None, rope: tuple[Tensor, Tensor] | None = None,
                mask: Tensor | None = None, causal: bool = False) -> Tensor:
        b, t, _ = x.shape
        if self.fused:
            q, k, v = self.qkv(x).split([self.heads * self.head_dim] + [self.kv_heads * self.head_dim] * 2, -1)
        else:
            src = x if context is None else context
            q, k, v = self.q(x), self.k(src), self.v(src)
        q = q.view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = k.view(b, -1, self.kv_heads, self.head_dim).transpose(1, 2)
        v = v.view(b, -1, self.kv_heads, self.head_dim).transpose(1, 2)
        if rope is not None:
            q, k = apply_rotary(q, rope), apply_rotary(k, rope)
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal and mask is None,
                                           scale=self.scale, enable_gqa=self.kv_heads != self.heads)
        return self.o(o.transpose(1, 2).reshape(b, t, self.heads * self.head_dim))


class Rotary(nn.Module):
    """Rotary position embedding tables (cos, sin) for positions 0..t-1, as in Llama/GPT-NeoX."""

    def __init__(self, rotary_dim: int, theta: float = 10000.0) -> None:
        super().__init__()
        inv = 1.0 / (theta ** (torch.arange(0, rotary_dim, 2, dtype=torch.float32) / rotary_dim))
        self.register_buffer("inv_freq", inv, persistent=False)

    def forward(self, t: int, device: torch.device) -> tuple[Tensor, Tensor]:
        pos = torch.arange(t, device=device, dtype=torch.float32)
        freqs = pos[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()


def apply_rotary(x: Tensor, rope: tuple[Tensor, Tensor]) -> Tensor:
    """Rotate the first ``cos.shape[-1]`` dims of each head; pass the rest through (partial rotary)."""
    cos, sin = rope
    rd = cos.shape[-1]
    rot, rest = (x, None) if rd == x.shape[-1] else (x[..., :rd], x[..., rd:])
    half = rd // 2
    rotated = torch.cat((-rot[..., half:], rot[..., :half]), dim=-1)
    out = rot * cos + rotated * sin
    return out if rest is None else torch.cat((out, rest), dim=-1)


ACTIVATIONS = {
    "gelu": lambda: nn.GELU(), "gelu_tanh": lambda: nn.GELU(approximate="tanh"), "relu": lambda: nn.ReLU(),
    "silu": lambda: nn.SiLU(), "quick_gelu": lambda: QuickGELU(),
}


class QuickGELU(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        return x * torch.sigmoid(1.702 * x)


class MLP(nn.Module):
    """fc1 -> activation -> fc2 (BERT, GPT-2, ViT, OPT, Phi)."""

    def __init__(self, dim: int, hidden: int, act: str = "gelu", bias: bool = True) -> None:
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(dim, hidden, bias=bias), ACTIVATIONS[act](), nn.Linear(hidden, dim, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


class GatedMLP(nn.Module):
    """down(act(gate(x)) * up(x)): SwiGLU (Llama, Mistral) or GeGLU (Gemma, T5 v1.1)."""

    def __init__(self, dim: int, hidden: int, act: str = "silu", bias: bool = False) -> None:
        super().__init__()
        self.gate, self.up = nn.Linear(dim, hidden, bias=bias), nn.Linear(dim, hidden, bias=bias)
        self.down, self.act = nn.Linear(hidden, dim, bias=bias), ACTIVATIONS[act]()

    def forward(self, x: Tensor) -> Tensor:
        return self.down(self.act(self.gate(x)) * self.up(x))


class MoE(nn.Module):
    """Top-k mixture of gated-MLP experts (Mixtral) under *balanced* routing.

    Real routing is data-dependent; a static trace assumes every expert receives exactly
    ``tokens·k/experts`` tokens (rounded up), which gives the true FLOPs of top-k routing
    when the load is balanced. Tokens are gathered by expert, run through their expert and
    scattered back weighted by the renormalised router probabilities.
    """

    def __init__(self, dim: int, hidden: int, experts: int, top_k: int) -> None:
        super().__init__()
        self.router = nn.Linear(dim, experts, bias=False)
        self.experts = nn.ModuleList(GatedMLP(dim, hidden) for _ in range(experts))
        self.top_k = top_k

    def forward(self, x: Tensor) -> Tensor:
        shape = x.shape
        x = x.reshape(-1, shape[-1])
        probs = torch.softmax(self.router(x), dim=-1)
        weight, chosen = torch.topk(probs, self.top_k, dim=-1)
        weight = weight / weight.sum(dim=-1, keepdim=True)
        order = torch.argsort(chosen.reshape(-1))
        token = order // self.top_k
        routed = x.index_select(0, token)
        cap = math.ceil(routed.shape[0] / len(self.experts))
        outs = [expert(chunk) for expert, chunk in zip(self.experts, routed.split(cap))]
        y = torch.cat(outs) * weight.reshape(-1).index_select(0, order)[:, None]
        return torch.zeros_like(x).index_add(0, token, y).reshape(shape)


def norm(kind: str, dim: int, eps: float = 1e-5) -> nn.Module:
    return nn.RMSNorm(dim, eps=eps) if kind == "rms" else nn.LayerNorm(dim, eps=eps)
