"""The Stable Diffusion 1.x denoising UNet (diffusers ``UNet2DConditionModel`` layout).

ResNet blocks with GroupNorm/SiLU and a projected timestep embedding; spatial transformers
(self-attention, cross-attention to the 77x768 text context, GEGLU feed-forward) in the first
three down blocks, the mid block and the last three up blocks; nearest-upsample + conv.
One forward = one denoising step on a 64x64x4 latent (a 512x512 image). 859.5M parameters.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphs_frontend_fx.zoo._layers import Attention


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, temb: int = 1280) -> None:
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(32, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2, self.conv2 = nn.GroupNorm(32, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x: Tensor, temb: Tensor) -> Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.shortcut is None else self.shortcut(x)) + h


class GEGLU(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.proj = nn.Linear(dim, 2 * hidden)

    def forward(self, x: Tensor) -> Tensor:
        x, gate = self.proj(x).chunk(2, dim=-1)
        return x * F.gelu(gate)


class TransformerBlock(nn.Module):
    def __init__(self, dim: int, heads: int, context: int) -> None:
        super().__init__()
        self.norm1, self.attn1 = nn.LayerNorm(dim), Attention(dim, heads, bias=False, out_bias=True)
        self.norm2, self.attn2 = nn.LayerNorm(dim), Attention(dim, heads, bias=False, out_bias=True, kv_dim=context)
        self.norm3 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(GEGLU(dim, 4 * dim), nn.Linear(4 * dim, dim))

    def forward(self, x: Tensor, context: Tensor) -> Tensor:
        x = x + self.attn1(self.norm1(x))
        x = x + self.attn2(self.norm2(x), context=context)
        return x + self.ff(self.norm3(x))


class SpatialTransformer(nn.Module):
    def __init__(self, channels: int, heads: int = 8, context: int = 768) -> None:
        super().__init__()
        self.norm = nn.GroupNorm(32, channels, eps=1e-6)
        self.proj_in, self.proj_out = nn.Conv2d(channels, channels, 1), nn.Conv2d(channels, channels, 1)
        self.block = TransformerBlock(channels, heads, context)

    def forward(self, x: Tensor, context: Tensor) -> Tensor:
        b, c, h, w = x.shape
        y = self.proj_in(self.norm(x)).permute(0, 2, 3, 1).reshape(b, h * w, c)
        y = self.block(y, context).reshape(b, h, w, c).permute(0, 3, 1, 2)
        return x + self.proj_out(y)


class Stage(nn.Module):
    """ResBlocks, each optionally followed by a SpatialTransformer."""

    def __init__(self, ins: list[int], cout: int, attention: bool) -> None:
        super().__init__()
        self.resnets = nn.ModuleList(ResBlock(c, cout) for c in ins)
        self.attentions = nn.ModuleList(SpatialTransformer(cout) for _ in ins) if attention else None

    def step(self, i: int, x: Tensor, temb: Tensor, context: Tensor) -> Tensor:
        x = self.resnets[i](x, temb)
        return self.attentions[i](x, context) if self.attentions is not None else x


class UNet2DCondition(nn.Module):
    def __init__(self, channels: tuple[int, ...] = (320, 640, 1280, 1280), attention: tuple[bool, ...] = (True, True, True, False),
                 layers: int = 2, latent: int = 4, context: int = 768) -> None:
        super().__init__()
        self.base = channels[0]
        temb = 4 * channels[0]
        self.conv_in = nn.Conv2d(latent, channels[0], 3, padding=1)
        self.time_linear_1, self.time_linear_2 = nn.Linear(channels[0], temb), nn.Linear(temb, temb)
        self.down, self.downsamplers = nn.ModuleList(), nn.ModuleList()
        skips = [channels[0]]
        cin = channels[0]
        for i, (c, attn) in enumerate(zip(channels, attention)):
            self.down.append(Stage([cin] + [c] * (layers - 1), c, attn))
            skips += [c] * layers
            last = i + 1 == len(channels)
            self.downsamplers.append(nn.Identity() if last else nn.Conv2d(c, c, 3, 2, 1))
            if not last:
                skips.append(c)
            cin = c
        self.mid = Stage([cin, cin], cin, False)  # resnet, attention, resnet
        self.mid_attention = SpatialTransformer(cin)
        self.up, self.upsamplers = nn.ModuleList(), nn.ModuleList()
        prev = cin
        for i, (c, attn) in enumerate(zip(reversed(channels), reversed(attention))):
            ins = [(prev if j == 0 else c) + skips.pop() for j in range(layers + 1)]
            self.up.append(Stage(ins, c, attn))
            last = i + 1 == len(channels)
            self.upsamplers.append(nn.Identity() if last else nn.Conv2d(c, c, 3, padding=1))
            prev = c
        self.norm_out, self.conv_out = nn.GroupNorm(32, channels[0]), nn.Conv2d(channels[0], latent, 3, padding=1)

    def time_embedding(self, t: Tensor) -> Tensor:
        half = self.base // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
        args = t.float()[:, None] * freqs[None]
        emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
        return self.time_linear_2(F.silu(self.time_linear_1(emb)))

    def forward(self, sample: Tensor, timestep: Tensor, context: Tensor) -> Tensor:
        temb = self.time_embedding(timestep)
        x = self.conv_in(sample)
        skips = [x]
        for stage, down in zip(self.down, self.downsamplers):
            for i in range(len(stage.resnets)):
                x = stage.step(i, x, temb, context)
                skips.append(x)
            if not isinstance(down, nn.Identity):
                x = down(x)
                skips.append(x)
        x = self.mid_attention(self.mid.resnets[0](x, temb), context)
        x = self.mid.resnets[1](x, temb)
        for stage, up in zip(self.up, self.upsamplers):
            for i in range(len(stage.resnets)):
                x = stage.step(i, torch.cat([x, skips.pop()], dim=1), temb, context)
            if not isinstance(up, nn.Identity):
                x = up(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.norm_out(x)))


def build(name: str) -> UNet2DCondition:
    if name != "sd-unet":
        raise KeyError(name)
    return UNet2DCondition()
