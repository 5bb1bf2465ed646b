"""Options of the edge engine: power mode and what to do with float models.

* ``power_mode`` — a name from the spec's ``family_params.power_modes`` (else the spec's
  ``default_mode``, else the peaks as published). Environment: ``GRAPHS_EDGE_POWER_MODE``.
* ``quantize`` — ``assume`` (default): a float graph is taken to be post-training quantized
  to int8 before deployment, as every NPU toolchain requires (edgetpu_compiler, Hailo Dataflow
  Compiler, RKNN-Toolkit2, nncase, NeuroPilot); its kernels run on the NPU at int8 and move
  int8 bytes, and the estimate's notes say so. ``fallback``: float kernels are what they are —
  unsupported on an int8-only NPU, so they run on the CPU. Environment: ``GRAPHS_EDGE_QUANTIZE``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from graphs.errors import GraphsError

QUANTIZE = ("assume", "fallback")


@dataclass(frozen=True)
class EdgeOptions:
    power_mode: str | None = None
    quantize: str = "assume"

    def __post_init__(self) -> None:
        if self.quantize not in QUANTIZE:
            raise GraphsError(f"edge quantize option {self.quantize!r}: expected one of {', '.join(QUANTIZE)}")

    @classmethod
    def from_env(cls) -> "EdgeOptions":
        return cls(power_mode=os.environ.get("GRAPHS_EDGE_POWER_MODE") or None,
                   quantize=os.environ.get("GRAPHS_EDGE_QUANTIZE", "assume") or "assume")
