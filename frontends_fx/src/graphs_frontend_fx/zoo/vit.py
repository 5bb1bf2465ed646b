"""Vision Transformer (Dosovitskiy et al. 2020) and DeiT (Touvron et al. 2021).

Patchify with a strided convolution, prepend a class token, add learned positions, pre-norm
encoder layers with a fused QKV projection, final norm, linear head on the class token.
Parameter counts match torchvision's ``vit_*`` and timm's ``deit_*`` (non-distilled).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from graphs_frontend_fx.zoo._layers import MLP, Attention


class ViTLayer(nn.Module):
    def __init__(self, dim: int, heads: int, ffn: int, eps: float) -> None:
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim, eps=eps), Attention(dim, heads, fused_qkv=True)
        self.norm2, self.mlp = nn.LayerNorm(dim, eps=eps), MLP(dim, ffn, "gelu")

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    def __init__(self, dim: int, layers: int, heads: int, ffn: int, patch: int = 16, image: int = 224,
                 num_classes: int = 1000, eps: float = 1e-6) -> None:
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, patch, patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, (image // patch) ** 2 + 1, dim))
        self.layers = nn.ModuleList(ViTLayer(dim, heads, ffn, eps) for _ in range(layers))
        self.norm = nn.LayerNorm(dim, eps=eps)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x)[:, 0])


CONFIGS: dict[str, dict] = {
    "vit-b16": dict(dim=768, layers=12, heads=12, ffn=3072),
    "vit-b32": dict(dim=768, layers=12, heads=12, ffn=3072, patch=32),
    "vit-l16": dict(dim=1024, layers=24, heads=16, ffn=4096),
    "deit-tiny": dict(dim=192, layers=12, heads=3, ffn=768),
    "deit-small": dict(dim=384, layers=12, heads=6, ffn=1536),
}


def build(name: str) -> ViT:
    return ViT(**CONFIGS[name])
