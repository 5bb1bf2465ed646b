"""Run-time options of the GPU engine (not properties of the hardware).

* ``tf32_matmul`` — let FP32 matmul/linear/attention run on tensor cores at TF32. PyTorch's
  default is **off** (``torch.backends.cuda.matmul.allow_tf32 = False`` since 1.12).
* ``tf32_conv`` — let FP32 convolutions run at TF32. PyTorch's default is **on**
  (``torch.backends.cudnn.allow_tf32 = True``).
* ``fraction`` — run on a slice of the GPU (MIG instance or an SM-limited context): SMs, peak
  rates, memory bandwidth, L2 and memory capacity all scale by ``fraction`` (a MIG 3g.40gb
  slice of an H100 is about 3/7 of the SMs and 4/8 of the memory: give the smaller share for a
  lower bound).
* ``sm_count`` — use this many SMs (compute scales with it; bandwidth does not), e.g. to model
  a green context or ``CUDA_MPS_ACTIVE_THREAD_PERCENTAGE``.
* ``power_limit_w`` — a configured board power limit (``nvidia-smi -pl``) below the spec's TDP:
  the power model caps average power there and lowers the clock when it binds (docs/energy.md).

From the environment (the CLI builds mappers without options): ``GRAPHS_GPU_TF32_MATMUL``,
``GRAPHS_GPU_TF32_CONV`` (``1``/``0``), ``GRAPHS_GPU_FRACTION`` (0 < f <= 1),
``GRAPHS_GPU_SM_COUNT`` (an integer), ``GRAPHS_GPU_POWER_LIMIT`` (watts).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from graphs.errors import GraphsError


class GPUOptionError(GraphsError):
    """A GPU engine option that cannot be used."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class GPUOptions:
    tf32_matmul: bool = False
    tf32_conv: bool = True
    fraction: float = 1.0
    sm_count: int | None = None
    power_limit_w: float | None = None

    def __post_init__(self) -> None:
        if self.power_limit_w is not None and not (self.power_limit_w > 0 and self.power_limit_w < float("inf")):
            raise GPUOptionError(f"GPU power limit must be a positive number of watts, got {self.power_limit_w}")
        if not (0.0 < self.fraction <= 1.0):
            raise GPUOptionError(f"GPU fraction must be in (0, 1], got {self.fraction}")
        if self.sm_count is not None and self.sm_count < 1:
            raise GPUOptionError(f"GPU sm_count must be a positive integer, got {self.sm_count}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "GPUOptions":
        env = os.environ if env is None else env
        kw: dict = {}
        for name, key in (("tf32_matmul", "GRAPHS_GPU_TF32_MATMUL"), ("tf32_conv", "GRAPHS_GPU_TF32_CONV")):
            raw = env.get(key)
            if raw is None or raw == "":
                continue
            if raw.lower() in _TRUE:
                kw[name] = True
            elif raw.lower() in _FALSE:
                kw[name] = False
            else:
                raise GPUOptionError(f"{key}={raw!r}: expected 1 or 0")
        for var, field, convert, expected in (
                ("GRAPHS_GPU_FRACTION", "fraction", float, "a number in (0, 1]"),
                ("GRAPHS_GPU_SM_COUNT", "sm_count", int, "a positive integer"),
                ("GRAPHS_GPU_POWER_LIMIT", "power_limit_w", float, "watts (a positive number)")):
            raw = env.get(var)
            if raw:
                try:
                    kw[field] = convert(raw)
                except ValueError:
                    raise GPUOptionError(f"{var}={raw!r}: expected {expected}") from None
        return cls(**kw)
