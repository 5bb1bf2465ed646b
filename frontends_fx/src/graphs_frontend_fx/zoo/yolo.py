"""A YOLOv5-style detector (Ultralytics v6+ layout): CSP-Darknet backbone with C3 blocks and
SPPF, PANet neck with upsample + concat, three 1x1 detection heads (80 classes, 3 anchors).

The traced forward stops at the sigmoid of the raw head outputs: box decoding and NMS are
data-dependent post-processing and are not part of the estimate. Widths and depths scale
like yolov5n/s/m; 640x640 input by default.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def _div8(c: float) -> int:
    return int(math.ceil(c / 8) * 8)


class Conv(nn.Module):
    """Conv (no bias) + BN + SiLU, 'same' padding."""

    def __init__(self, cin: int, cout: int, k: int = 1, s: int = 1, p: int | None = None) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, s, k // 2 if p is None else p, bias=False)
        self.bn, self.act = nn.BatchNorm2d(cout, eps=0.001, momentum=0.03), nn.SiLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    def __init__(self, c: int, shortcut: bool = True) -> None:
        super().__init__()
        self.cv1, self.cv2, self.add = Conv(c, c, 1), Conv(c, c, 3), shortcut

    def forward(self, x: Tensor) -> Tensor:
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3(nn.Module):
    def __init__(self, cin: int, cout: int, n: int = 1, shortcut: bool = True) -> None:
        super().__init__()
        h = cout // 2
        self.cv1, self.cv2, self.cv3 = Conv(cin, h, 1), Conv(cin, h, 1), Conv(2 * h, cout, 1)
        self.m = nn.Sequential(*[Bottleneck(h, shortcut) for _ in range(n)])

    def forward(self, x: Tensor) -> Tensor:
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))


class SPPF(nn.Module):
    def __init__(self, cin: int, cout: int, k: int = 5) -> None:
        super().__init__()
        h = cin // 2
        self.cv1, self.cv2, self.m = Conv(cin, h, 1), Conv(4 * h, cout, 1), nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x: Tensor) -> Tensor:
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


class YOLOv5(nn.Module):
    def __init__(self, width: float, depth: float, classes: int = 80, anchors: int = 3) -> None:
        super().__init__()
        c = lambda v: _div8(v * width)  # noqa: E731
        n = lambda v: max(round(v * depth), 1)  # noqa: E731
        self.b0, self.b1, self.b2 = Conv(3, c(64), 6, 2, 2), Conv(c(64), c(128), 3, 2), C3(c(128), c(128), n(3))
        self.b3, self.b4 = Conv(c(128), c(256), 3, 2), C3(c(256), c(256), n(6))
        self.b5, self.b6 = Conv(c(256), c(512), 3, 2), C3(c(512), c(512), n(9))
        self.b7, self.b8, self.b9 = Conv(c(512), c(1024), 3, 2), C3(c(1024), c(1024), n(3)), SPPF(c(1024), c(1024))
        self.h10, self.h13 = Conv(c(1024), c(512), 1), C3(c(1024), c(512), n(3), False)
        self.h14, self.h17 = Conv(c(512), c(256), 1), C3(c(512), c(256), n(3), False)
        self.h18, self.h20 = Conv(c(256), c(256), 3, 2), C3(c(512), c(512), n(3), False)
        self.h21, self.h23 = Conv(c(512), c(512), 3, 2), C3(c(1024), c(1024), n(3), False)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.detect = nn.ModuleList(nn.Conv2d(ch, anchors * (classes + 5), 1) for ch in (c(256), c(512), c(1024)))
        self.anchors, self.outputs = anchors, classes + 5

    def forward(self, x: Tensor) -> Tensor:
        p4 = self.b4(self.b3(self.b2(self.b1(self.b0(x)))))
        p6 = self.b6(self.b5(p4))
        h10 = self.h10(self.b9(self.b8(self.b7(p6))))
        h14 = self.h14(self.h13(torch.cat((self.up(h10), p6), 1)))
        p3 = self.h17(torch.cat((self.up(h14), p4), 1))
        p4_out = self.h20(torch.cat((self.h18(p3), h14), 1))
        p5 = self.h23(torch.cat((self.h21(p4_out), h10), 1))
        outs = []
        for head, f in zip(self.detect, (p3, p4_out, p5)):
            y = head(f)
            b, _, h, w = y.shape
            y = y.view(b, self.anchors, self.outputs, h, w).permute(0, 1, 3, 4, 2).sigmoid()
            outs.append(y.reshape(b, -1, self.outputs))
        return torch.cat(outs, 1)


CONFIGS = {"yolov5n": (0.25, 0.33), "yolov5s": (0.5, 0.33), "yolov5m": (0.75, 0.67)}


def build(name: str) -> YOLOv5:
    return YOLOv5(*CONFIGS[name])
