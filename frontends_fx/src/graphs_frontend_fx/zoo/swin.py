"""Swin Transformer (Liu et al. 2021), torchvision ``swin_t``/``swin_s`` layout.

Shifted-window attention over 7x7 windows with a learned relative-position bias; the bias
(plus the shift mask) goes into ``scaled_dot_product_attention`` as its ``attn_mask``, so each
block has one attention op. Patch merging concatenates 2x2 neighbours, normalises and
projects. Parameter counts match torchvision.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphs_frontend_fx.zoo._layers import MLP


def relative_position_index(w: int) -> Tensor:
    coords = torch.stack(torch.meshgrid(torch.arange(w), torch.arange(w), indexing="ij")).flatten(1)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0) + (w - 1)
    return (rel[:, :, 0] * (2 * w - 1) + rel[:, :, 1]).flatten()


class WindowAttention(nn.Module):
    def __init__(self, dim: int, heads: int, window: int, shift: int) -> None:
        super().__init__()
        self.heads, self.window, self.shift = heads, window, shift
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        with torch.device("cpu"):  # a constant index table, computed from the window size
            index = relative_position_index(window)
        self.register_buffer("relative_position_index", index, persistent=False)

    def _shift_mask(self, ph: int, pw: int, shift: int, device: torch.device) -> Tensor:
        w = self.window
        label = torch.zeros((ph, pw), device=device)
        bounds = ((0, -w), (-w, -shift), (-shift, None))
        count = 0
        for h0, h1 in bounds:
            for w0, w1 in bounds:
                label[h0:h1, w0:w1] = count
                count += 1
        label = label.view(ph // w, w, pw // w, w).permute(0, 2, 1, 3).reshape(-1, w * w)
        diff = label.unsqueeze(1) - label.unsqueeze(2)
        return diff.masked_fill(diff != 0, -100.0).masked_fill(diff == 0, 0.0)  # (windows, N, N)

    def forward(self, x: Tensor) -> Tensor:
        b, h, w_, c = x.shape
        ws = self.window
        x = F.pad(x, (0, 0, 0, (ws - w_ % ws) % ws, 0, (ws - h % ws) % ws))
        ph, pw = x.shape[1], x.shape[2]
        shift = 0 if ws >= ph else self.shift
        if shift:
            x = torch.roll(x, shifts=(-shift, -shift), dims=(1, 2))
        nw = (ph // ws) * (pw // ws)
        x = x.view(b, ph // ws, ws, pw // ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(b * nw, ws * ws, c)
        q, k, v = self.qkv(x).reshape(b * nw, ws * ws, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        n = ws * ws
        bias = self.relative_position_bias_table[self.relative_position_index].view(n, n, -1).permute(2, 0, 1)
        mask = bias.unsqueeze(0).expand(b * nw, -1, -1, -1)
        if shift:
            shifted = self._shift_mask(ph, pw, shift, x.device)
            mask = (mask.view(b, nw, self.heads, n, n) + shifted[None, :, None]).view(b * nw, self.heads, n, n)
        x = F.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2).reshape(b * nw, n, c)
        x = self.proj(x)
        x = x.view(b, ph // ws, pw // ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(b, ph, pw, c)
        if shift:
            x = torch.roll(x, shifts=(shift, shift), dims=(1, 2))
        return x[:, :h, :w_, :].contiguous()


class SwinBlock(nn.Module):
    def __init__(self, dim: int, heads: int, window: int, shift: int) -> None:
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim), WindowAttention(dim, heads, window, shift)
        self.norm2, self.mlp = nn.LayerNorm(dim), MLP(dim, 4 * dim, "gelu")

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchMerging(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm, self.reduction = nn.LayerNorm(4 * dim), nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], -1)
        return self.reduction(self.norm(x))


class Swin(nn.Module):
    def __init__(self, depths: list[int], heads: list[int], dim: int = 96, window: int = 7,
                 num_classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, dim, 4, 4)]
        self.patch_norm = nn.LayerNorm(dim)
        for i, (d, h) in enumerate(zip(depths, heads)):
            layers.append(nn.Sequential(*[SwinBlock(dim, h, window, 0 if j % 2 == 0 else window // 2) for j in range(d)]))
            if i + 1 < len(depths):
                layers.append(PatchMerging(dim))
                dim *= 2
        self.stages = nn.Sequential(*layers[1:])
        self.patch_embed = layers[0]
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.patch_norm(self.patch_embed(x).permute(0, 2, 3, 1))
        x = self.norm(self.stages(x))
        return self.head(x.mean(dim=(1, 2)))


CONFIGS = {"swin_t": ([2, 2, 6, 2], [3, 6, 12, 24]), "swin_s": ([2, 2, 18, 2], [3, 6, 12, 24])}


def build(name: str) -> Swin:
    return Swin(*CONFIGS[name])
