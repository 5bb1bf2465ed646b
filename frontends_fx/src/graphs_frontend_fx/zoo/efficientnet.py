"""EfficientNet-B0..B3 (Tan & Le 2019), torchvision layout.

MBConv blocks (1x1 expansion, depthwise kxk, squeeze-excitation with SiLU, 1x1 projection)
scaled by width and depth multipliers. Parameter counts match torchvision.
"""

from __future__ import annotations

import math

from torch import Tensor, nn

from graphs_frontend_fx.zoo.mobilenet import SqueezeExcite, conv_bn_act, make_divisible

# expand ratio, kernel, stride, in, out, layers (B0)
STAGES = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
          (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]


class MBConv(nn.Module):
    def __init__(self, expand: int, k: int, stride: int, cin: int, cout: int) -> None:
        super().__init__()
        self.residual = stride == 1 and cin == cout
        hidden = make_divisible(cin * expand)
        layers: list[nn.Module] = [conv_bn_act(cin, hidden, 1, act=nn.SiLU)] if hidden != cin else []
        layers += [conv_bn_act(hidden, hidden, k, stride, hidden, act=nn.SiLU),
                   SqueezeExcite(hidden, max(1, cin // 4), nn.SiLU, nn.Sigmoid),
                   conv_bn_act(hidden, cout, 1, act=None)]
        self.block = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.block(x) if self.residual else self.block(x)


class EfficientNet(nn.Module):
    def __init__(self, width: float, depth: float, num_classes: int = 1000) -> None:
        super().__init__()
        ch = lambda c: make_divisible(c * width)  # noqa: E731
        layers: list[nn.Module] = [conv_bn_act(3, ch(32), 3, 2, act=nn.SiLU)]
        for expand, k, stride, cin, cout, n in STAGES:
            for i in range(int(math.ceil(n * depth))):
                layers.append(MBConv(expand, k, stride if i == 0 else 1, ch(cin) if i == 0 else ch(cout), ch(cout)))
        last = 4 * ch(320)
        layers.append(conv_bn_act(ch(320), last, 1, act=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(last, num_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.pool(self.features(x)).flatten(1))


CONFIGS = {"efficientnet_b0": (1.0, 1.0), "efficientnet_b1": (1.0, 1.1), "efficientnet_b2": (1.1, 1.2),
           "efficientnet_b3": (1.2, 1.4)}


def build(name: str) -> EfficientNet:
    return EfficientNet(*CONFIGS[name])
