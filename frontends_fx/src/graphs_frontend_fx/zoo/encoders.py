"""Encoder-only transformers: BERT, RoBERTa, DistilBERT, ALBERT, the T5 encoder, the Whisper encoder.

BERT-style models are post-norm (``x = LN(x + sublayer(x))``); T5 and Whisper are pre-norm.
The traced forward encodes ``seq_len`` tokens (default 128) with no padding mask.
Parameter counts match the Hugging Face base models (``BertModel`` etc., pooler included
where the model has one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphs_frontend_fx.zoo._layers import MLP, Attention


@dataclass(frozen=True)
class EncoderConfig:
    vocab: int = 30522
    dim: int = 768
    layers: int = 12
    heads: int = 12
    ffn: int = 3072
    max_pos: int = 512
    type_vocab: int = 2          # 0: no token-type embedding (DistilBERT)
    pooler: bool = True
    roberta_positions: bool = False  # positions counted from padding_idx + 1 over non-pad tokens
    embed_dim: int | None = None     # ALBERT's factorised embedding size
    shared_layers: bool = False      # ALBERT: one layer applied ``layers`` times
    eps: float = 1e-12


class PostNormLayer(nn.Module):
    def __init__(self, c: EncoderConfig) -> None:
        super().__init__()
        self.attn = Attention(c.dim, c.heads)
        self.norm1 = nn.LayerNorm(c.dim, eps=c.eps)
        self.mlp = MLP(c.dim, c.ffn, "gelu")
        self.norm2 = nn.LayerNorm(c.dim, eps=c.eps)

    def forward(self, x: Tensor) -> Tensor:
        x = self.norm1(x + self.attn(x))
        return self.norm2(x + self.mlp(x))


class BertEncoder(nn.Module):
    """BERT / RoBERTa / DistilBERT / ALBERT (embeddings, post-norm layers, optional pooler)."""

    PAD = 1  # RoBERTa's padding index

    def __init__(self, c: EncoderConfig) -> None:
        super().__init__()
        self.c = c
        e = c.embed_dim or c.dim
        self.word = nn.Embedding(c.vocab, e)
        self.position = nn.Embedding(c.max_pos, e)
        self.token_type = nn.Embedding(c.type_vocab, e) if c.type_vocab else None
        self.embed_norm = nn.LayerNorm(e, eps=c.eps)
        self.project = nn.Linear(e, c.dim) if c.embed_dim else None
        self.register_buffer("position_ids", torch.arange(c.max_pos)[None, :], persistent=False)
        n = 1 if c.shared_layers else c.layers
        self.layers = nn.ModuleList(PostNormLayer(c) for _ in range(n))
        self.pooler = nn.Linear(c.dim, c.dim) if c.pooler else None

    def forward(self, input_ids: Tensor) -> Tensor:
        t = input_ids.shape[1]
        if self.c.roberta_positions:
            mask = input_ids.ne(self.PAD).int()
            pos = (torch.cumsum(mask, dim=1).type_as(mask) * mask).long() + self.PAD
        else:
            pos = self.position_ids[:, :t]
        x = self.word(input_ids) + self.position(pos)
        if self.token_type is not None:
            x = x + self.token_type(torch.zeros_like(input_ids))
        x = self.embed_norm(x)
        if self.project is not None:
            x = self.project(x)
        for i in range(self.c.layers):
            x = self.layers[0 if self.c.shared_layers else i](x)
        if self.pooler is None:
            return x
        return torch.tanh(self.pooler(x[:, 0]))


class T5LayerNorm(nn.Module):
    """RMS norm without bias or mean subtraction, as T5 writes it."""

    def __init__(self, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(dim)), eps

    def forward(self, x: Tensor) -> Tensor:
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class T5Encoder(nn.Module):
    """T5 encoder stack: shared embedding, relative position bias (first layer's, reused), ReLU FFN."""

    def __init__(self, vocab: int = 32128, dim: int = 768, layers: int = 12, heads: int = 12, ffn: int = 3072,
                 buckets: int = 32, max_distance: int = 128) -> None:
        super().__init__()
        self.heads, self.buckets, self.max_distance = heads, buckets, max_distance
        self.embed = nn.Embedding(vocab, dim)
        self.relative_bias = nn.Embedding(buckets, heads)
        self.norms1 = nn.ModuleList(T5LayerNorm(dim) for _ in range(layers))
        self.attns = nn.ModuleList(Attention(dim, heads, bias=False, scale=1.0) for _ in range(layers))
        self.norms2 = nn.ModuleList(T5LayerNorm(dim) for _ in range(layers))
        self.mlps = nn.ModuleList(MLP(dim, ffn, "relu", bias=False) for _ in range(layers))
        self.final_norm = T5LayerNorm(dim)

    def position_bias(self, t: int, device: torch.device) -> Tensor:
        ctx = torch.arange(t, device=device)[:, None]
        mem = torch.arange(t, device=device)[None, :]
        rel = mem - ctx
        half = self.buckets // 2
        bucket = (rel > 0).long() * half
        rel = rel.abs()
        exact = half // 2
        large = exact + (torch.log(rel.float() / exact) / math.log(self.max_distance / exact) * (half - exact)).long()
        large = torch.minimum(large, torch.full_like(large, half - 1))
        bucket = bucket + torch.where(rel < exact, rel, large)
        return self.relative_bias(bucket).permute(2, 0, 1).unsqueeze(0)  # (1, heads, t, t)

    def forward(self, input_ids: Tensor) -> Tensor:
        x = self.embed(input_ids)
        bias = self.position_bias(input_ids.shape[1], input_ids.device)
        for n1, attn, n2, mlp in zip(self.norms1, self.attns, self.norms2, self.mlps):
            x = x + attn(n1(x), mask=bias)
            x = x + mlp(n2(x))
        return self.final_norm(x)


class PreNormLayer(nn.Module):
    def __init__(self, dim: int, heads: int, ffn: int, act: str = "gelu", k_bias: bool | None = None) -> None:
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim), Attention(dim, heads, k_bias=k_bias)
        self.norm2, self.mlp = nn.LayerNorm(dim), MLP(dim, ffn, act)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class WhisperEncoder(nn.Module):
    """Whisper audio encoder: two 1-D convolutions (the second strided) over log-mel frames, then
    sinusoidal positions and pre-norm transformer layers (K projection without bias)."""

    def __init__(self, dim: int, layers: int, heads: int, mels: int = 80, max_frames: int = 1500) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(mels, dim, 3, padding=1)
        self.conv2 = nn.Conv1d(dim, dim, 3, stride=2, padding=1)
        self.positions = nn.Embedding(max_frames, dim)
        self.positions.weight.requires_grad_(False)
        self.layers = nn.ModuleList(PreNormLayer(dim, heads, 4 * dim, k_bias=False) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor) -> Tensor:
        x = F.gelu(self.conv2(F.gelu(self.conv1(x)))).transpose(1, 2)
        x = x + self.positions.weight[: x.shape[1]]
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)


BERT = EncoderConfig()
CONFIGS: dict[str, EncoderConfig] = {
    "bert-base": BERT,
    "bert-large": replace(BERT, dim=1024, layers=24, heads=16, ffn=4096),
    "roberta-base": replace(BERT, vocab=50265, max_pos=514, type_vocab=1, roberta_positions=True, eps=1e-5),
    "roberta-large": replace(BERT, vocab=50265, max_pos=514, type_vocab=1, roberta_positions=True, eps=1e-5,
                             dim=1024, layers=24, heads=16, ffn=4096),
    "distilbert-base": replace(BERT, layers=6, type_vocab=0, pooler=False),
    "albert-base-v2": replace(BERT, vocab=30000, embed_dim=128, shared_layers=True),
}
WHISPER = {"whisper-tiny-encoder": (384, 4, 6), "whisper-base-encoder": (512, 6, 8),
           "whisper-small-encoder": (768, 12, 12)}
T5 = {"t5-small-encoder": dict(dim=512, layers=6, heads=8, ffn=2048), "t5-base-encoder": {}}


def build(name: str) -> nn.Module:
    if name in CONFIGS:
        return BertEncoder(CONFIGS[name])
    if name in WHISPER:
        dim, layers, heads = WHISPER[name]
        return WhisperEncoder(dim, layers, heads)
    if name in T5:
        return T5Encoder(**T5[name])
    raise KeyError(name)
