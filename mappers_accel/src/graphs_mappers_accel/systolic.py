"""Tiling a GEMM onto weight-stationary systolic arrays, from the real operand shapes.

An array of ``rows × cols`` processing elements holds one stationary tile of the weights
(``rows`` of the contraction dimension K by ``cols`` of the output dimension N) and streams
the rows of the other operand (M) through it, as TPU MXUs (``bf16[8,128] @ bf16[128,128]``
every 8 cycles) and Trainium/Inferentia Tensor Engines (``stationary[K≤128, 128]``,
``moving[K≤128, ≤512]``) do. A GEMM ``batch × (M×K)·(K×N)`` therefore needs

    passes = batch · ⌈K / rows⌉ · ⌈N / cols⌉

tile-passes; a K or N one element past a multiple of the array costs a whole extra pass of
mostly padding. Each pass streams M (padded to ``granularity``) rows and cannot be shorter
than loading the next stationary tile (when it is not hidden behind the stream) or the
instruction's minimum; the skewed pipeline fills and drains once (``rows + cols`` cycles).
Passes are spread over the arrays; when there are fewer passes than arrays, M is split so
every array gets work. Lower precisions that the array runs faster (int8 on TPU v5e) scale
the streaming cycles by ``rate`` (MACs per PE per cycle).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from graphs.partition import GemmShape


@dataclass(frozen=True)
class ArrayGeometry:
    """Plain numbers of the matrix arrays."""

    units: int                 # arrays working in parallel
    rows: int                  # contraction depth per pass (K)
    cols: int                  # output columns per pass (N)
    clock_hz: float
    granularity: int = 1       # M is padded to a multiple of this
    weight_load_cycles: float = 0.0
    min_pass_cycles: float = 0.0
    max_stream_rows: int = 0   # 0: unlimited rows per pass

    @property
    def peak_macs_per_cycle(self) -> int:
        return self.units * self.rows * self.cols


@dataclass(frozen=True)
class TilePlan:
    """How one GEMM maps onto the arrays."""

    passes: int                # tile-passes in total (batch · K-blocks · N-blocks · M-chunks)
    passes_per_unit: int       # on the busiest array
    rows_per_pass: int         # M rows streamed per pass (padded)
    cycles_per_pass: float
    fill_cycles: float
    seconds: float
    utilization: float         # useful MACs / (array MACs available over ``seconds``)

    @property
    def label(self) -> str:
        return f"{self.passes}p/{self.passes_per_unit}u x{self.rows_per_pass}r"


def plan_gemm(g: GemmShape, a: ArrayGeometry, rate: float = 1.0) -> TilePlan:
    """Tile ``g`` onto ``a``; ``rate`` = MACs per PE per cycle at the kernel's precision."""
    m, n, k, batch = max(g.m, 1), max(g.n, 1), max(g.k, 1), max(g.batch, 1)
    k_blocks, n_blocks = math.ceil(k / a.rows), math.ceil(n / a.cols)
    m_pad = math.ceil(m / a.granularity) * a.granularity
    chunk = a.max_stream_rows or m_pad
    m_chunks = math.ceil(m_pad / chunk)
    tiles = batch * k_blocks * n_blocks * m_chunks
    # fewer passes than arrays: split the streamed rows so every array has work
    split = 1
    if tiles < a.units:
        split = max(1, min(a.units // tiles, math.ceil(m_pad / m_chunks / a.granularity)))
    rows = math.ceil(m_pad / m_chunks / split / a.granularity) * a.granularity
    passes = tiles * split
    per_unit = math.ceil(passes / a.units)
    cycles = max(rows / rate, a.weight_load_cycles, a.min_pass_cycles)
    fill = float(a.rows + a.cols)
    seconds = (per_unit * cycles + fill) / a.clock_hz
    useful = float(m) * n * k * batch
    avail = a.peak_macs_per_cycle * rate * seconds * a.clock_hz
    return TilePlan(passes, per_unit, rows, cycles, fill, seconds, useful / avail if avail else 0.0)
