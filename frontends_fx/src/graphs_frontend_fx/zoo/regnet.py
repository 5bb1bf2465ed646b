"""RegNetX / RegNetY (Radosavovic et al. 2020), torchvision layout.

Stage widths and depths come from the quantised linear rule (w_0, w_a, w_m, depth); blocks
are grouped-conv bottlenecks, with squeeze-excitation in RegNetY. Counts match torchvision.
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from graphs_frontend_fx.zoo.mobilenet import SqueezeExcite, conv_bn_act, make_divisible


def stage_plan(depth: int, w_0: float, w_a: float, w_m: float, group_width: int) -> list[tuple[int, int, int]]:
    """[(width, blocks, group width)] per stage, as torchvision's BlockParams.from_init_params."""
    widths = [round(w_0 * w_m ** round(math.log((i * w_a + w_0) / w_0) / math.log(w_m)) / 8) * 8 for i in range(depth)]
    splits = [w != wp for w, wp in zip(widths + [0], [0] + widths)]
    stage_widths = [w for w, t in zip(widths, splits[:-1]) if t]
    ends = [d for d, t in enumerate(splits) if t]
    stage_depths = [b - a for a, b in zip(ends, ends[1:])]
    plan = []
    for w, d in zip(stage_widths, stage_depths):
        g = min(group_width, w)
        w = make_divisible(w, g)  # width divisible by the group width
        plan.append((w, d, g))
    return plan


class Bottleneck(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, group_width: int, se_ratio: float) -> None:
        super().__init__()
        self.proj = conv_bn_act(cin, cout, 1, stride, act=None) if cin != cout or stride != 1 else None
        layers: list[nn.Module] = [conv_bn_act(cin, cout, 1, act=nn.ReLU),
                                   conv_bn_act(cout, cout, 3, stride, cout // group_width, act=nn.ReLU)]
        if se_ratio:
            layers.append(SqueezeExcite(cout, int(round(se_ratio * cin)), nn.ReLU, nn.Sigmoid))
        layers.append(conv_bn_act(cout, cout, 1, act=None))
        self.f = nn.Sequential(*layers)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.act((x if self.proj is None else self.proj(x)) + self.f(x))


class RegNet(nn.Module):
    def __init__(self, depth: int, w_0: float, w_a: float, w_m: float, group_width: int, se_ratio: float = 0.0,
                 num_classes: int = 1000) -> None:
        super().__init__()
        layers: list[nn.Module] = [conv_bn_act(3, 32, 3, 2, act=nn.ReLU)]
        cin = 32
        for w, d, g in stage_plan(depth, w_0, w_a, w_m, group_width):
            layers.append(nn.Sequential(*[Bottleneck(cin if i == 0 else w, w, 2 if i == 0 else 1, g, se_ratio)
                                          for i in range(d)]))
            cin = w
        self.trunk = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.pool(self.trunk(x)).flatten(1))


CONFIGS = {
    "regnet_x_400mf": dict(depth=22, w_0=24, w_a=24.48, w_m=2.54, group_width=16),
    "regnet_y_400mf": dict(depth=16, w_0=48, w_a=27.89, w_m=2.09, group_width=8, se_ratio=0.25),
    "regnet_y_1_6gf": dict(depth=27, w_0=48, w_a=20.71, w_m=2.65, group_width=24, se_ratio=0.25),
}


def build(name: str) -> RegNet:
    return RegNet(**CONFIGS[name])
