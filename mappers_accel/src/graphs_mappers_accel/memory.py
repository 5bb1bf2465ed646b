"""On-chip SRAM versus HBM: how many bytes a kernel moves to and from main memory.

Accelerators stage operands in a software-managed on-chip SRAM (TPU VMEM/CMEM, Trainium
SBUF, Gaudi SRAM, Cloud AI 100 VTCM) before the arrays touch them. The engine takes the
spec's largest on-chip level (any level before main memory with a size) as that SRAM:

* **fits** — the kernel's operands and result together fit in the SRAM: every external byte
  crosses HBM exactly once (``kernel.bytes``);
* **spills** (GEMMs only) — the weights are split into chunks of half the SRAM (the other half
  double-buffers the streamed rows); the streamed operand is read once per chunk:

      traffic = weights + output + activations · ⌈weights / (SRAM / 2)⌉

Non-GEMM kernels stream: one pass over their bytes, whatever the SRAM size. An SRAM level
with a published bandwidth also bounds the time the arrays spend reading their operands
(every pass re-reads its streamed rows and its stationary tile from SRAM).
Residency across kernels (a result kept in SRAM for the next kernel) is not modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from graphs.hardware.schema import HardwareSpec
from graphs.partition import Kernel


@dataclass(frozen=True)
class Sram:
    name: str
    bytes: float
    bandwidth: float           # B/s, 0 if not published


@dataclass(frozen=True)
class Traffic:
    bytes: float               # main-memory bytes
    fits: bool                 # working set fits the SRAM (or no SRAM to spill from)
    note: str = ""


def on_chip_sram(spec: HardwareSpec) -> Sram | None:
    """The largest sized level before main memory, if the spec lists one."""
    levels = [lv for lv in spec.memory[:-1] if lv.size is not None]
    if not levels:
        return None
    lv = max(levels, key=lambda x: x.size.si)
    return Sram(lv.name, lv.size.si, lv.bandwidth.si if lv.bandwidth else 0.0)


def gemm_operand_bytes(kernel: Kernel, itemsize: float) -> tuple[float, float, float]:
    """(streamed operand, stationary weights, output) bytes of a matrix kernel's GEMM."""
    g = kernel.gemm
    assert g is not None
    a = g.batch * g.m * g.k * itemsize
    b = g.batch * g.k * g.n * itemsize
    c = g.batch * g.m * g.n * itemsize
    return a, b, c


def main_memory_traffic(kernel: Kernel, sram: Sram | None, itemsize: float) -> Traffic:
    """Bytes ``kernel`` moves through main memory given the on-chip SRAM."""
    if sram is None or kernel.gemm is None or kernel.bytes <= sram.bytes:
        return Traffic(kernel.bytes, True)
    a, b, c = gemm_operand_bytes(kernel, itemsize)
    chunks = math.ceil(b / (sram.bytes / 2))
    extra = a * (chunks - 1)
    return Traffic(kernel.bytes + extra, False, f"spills {sram.name}: streamed operand read {chunks}x")
