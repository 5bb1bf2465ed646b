"""Inception-v3 (Szegedy et al. 2016), torchvision layout without the auxiliary head (it only
runs in training); 299x299 input. Parameter count: torchvision's minus AuxLogits."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class BasicConv2d(nn.Sequential):
    def __init__(self, cin: int, cout: int, k: int | tuple[int, int], stride: int = 1,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__(nn.Conv2d(cin, cout, k, stride, padding, bias=False), nn.BatchNorm2d(cout, eps=0.001),
                         nn.ReLU(inplace=True))


def _pool_branch(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.AvgPool2d(3, 1, 1), BasicConv2d(cin, cout, 1))


class Branches(nn.Module):
    """Run each branch on the input and concatenate along channels."""

    def __init__(self, *branches: nn.Module) -> None:
        super().__init__()
        self.branches = nn.ModuleList(branches)

    def forward(self, x: Tensor) -> Tensor:
        return torch.cat([b(x) for b in self.branches], 1)


class Split(nn.Module):
    """stem -> (left, right) concatenated: the 1x3 / 3x1 pairs of InceptionE."""

    def __init__(self, stem: nn.Module, left: nn.Module, right: nn.Module) -> None:
        super().__init__()
        self.stem, self.left, self.right = stem, left, right

    def forward(self, x: Tensor) -> Tensor:
        y = self.stem(x)
        return torch.cat([self.left(y), self.right(y)], 1)


def inception_a(cin: int, pool: int) -> Branches:
    return Branches(BasicConv2d(cin, 64, 1),
                    nn.Sequential(BasicConv2d(cin, 48, 1), BasicConv2d(48, 64, 5, padding=2)),
                    nn.Sequential(BasicConv2d(cin, 64, 1), BasicConv2d(64, 96, 3, padding=1),
                                  BasicConv2d(96, 96, 3, padding=1)),
                    _pool_branch(cin, pool))


def inception_b(cin: int) -> Branches:
    return Branches(BasicConv2d(cin, 384, 3, 2),
                    nn.Sequential(BasicConv2d(cin, 64, 1), BasicConv2d(64, 96, 3, padding=1), BasicConv2d(96, 96, 3, 2)),
                    nn.MaxPool2d(3, 2))


def inception_c(cin: int, c7: int) -> Branches:
    return Branches(BasicConv2d(cin, 192, 1),
                    nn.Sequential(BasicConv2d(cin, c7, 1), BasicConv2d(c7, c7, (1, 7), padding=(0, 3)),
                                  BasicConv2d(c7, 192, (7, 1), padding=(3, 0))),
                    nn.Sequential(BasicConv2d(cin, c7, 1), BasicConv2d(c7, c7, (7, 1), padding=(3, 0)),
                                  BasicConv2d(c7, c7, (1, 7), padding=(0, 3)), BasicConv2d(c7, c7, (7, 1), padding=(3, 0)),
                                  BasicConv2d(c7, 192, (1, 7), padding=(0, 3))),
                    _pool_branch(cin, 192))


def inception_d(cin: int) -> Branches:
    return Branches(nn.Sequential(BasicConv2d(cin, 192, 1), BasicConv2d(192, 320, 3, 2)),
                    nn.Sequential(BasicConv2d(cin, 192, 1), BasicConv2d(192, 192, (1, 7), padding=(0, 3)),
                                  BasicConv2d(192, 192, (7, 1), padding=(3, 0)), BasicConv2d(192, 192, 3, 2)),
                    nn.MaxPool2d(3, 2))


def inception_e(cin: int) -> Branches:
    def pair(c: int) -> tuple[nn.Module, nn.Module]:
        return BasicConv2d(c, 384, (1, 3), padding=(0, 1)), BasicConv2d(c, 384, (3, 1), padding=(1, 0))

    return Branches(BasicConv2d(cin, 320, 1),
                    Split(BasicConv2d(cin, 384, 1), *pair(384)),
                    Split(nn.Sequential(BasicConv2d(cin, 448, 1), BasicConv2d(448, 384, 3, padding=1)), *pair(384)),
                    _pool_branch(cin, 192))


class InceptionV3(nn.Module):
    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.features = nn.Sequential(
            BasicConv2d(3, 32, 3, 2), BasicConv2d(32, 32, 3), BasicConv2d(32, 64, 3, padding=1), nn.MaxPool2d(3, 2),
            BasicConv2d(64, 80, 1), BasicConv2d(80, 192, 3), nn.MaxPool2d(3, 2),
            inception_a(192, 32), inception_a(256, 64), inception_a(288, 64), inception_b(288),
            inception_c(768, 128), inception_c(768, 160), inception_c(768, 160), inception_c(768, 192),
            inception_d(768), inception_e(1280), inception_e(2048))
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(F.adaptive_avg_pool2d(self.features(x), 1).flatten(1))


def build(name: str) -> InceptionV3:
    if name != "inception_v3":
        raise KeyError(name)
    return InceptionV3()
