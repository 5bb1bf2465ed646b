"""CTA tiles, split-K and wave quantization of a GEMM on a GPU.

A GEMM ``batch × (M×K)·(K×N)`` runs as CTAs that each own a ``tm × tn`` output tile (and, with
split-K, a ``K/s`` slice of the reduction). CTAs are spread round-robin over the SMs, so the
busiest SM runs ``ceil(CTAs / SMs)`` tiles one after another (CTAs resident together share
the SM's math units, so co-residency does not change this bound). The compute time is

    t_compute = ceil(CTAs / SMs) × t_tile + waves × 2 × memory_latency   # + prologue/epilogue
    t_tile    = max(2·tm·tn·(K/s) / (peak / SMs),                         # math
                    (tm/c + tn)·(K/s)·elem_bytes / (L2_bw / SMs))         # operands from L2

``c`` is the number of CTAs sharing each A-tile read through TMA multicast (2 for Hopper
tensor-core GEMMs, 1 otherwise). A *wave* is as many CTAs as fit on all SMs at once
(co-resident CTAs per SM bounded by accumulator registers: ``registers_per_sm / 2 / (tm·tn)``,
at most ``max_ctas_per_sm``); co-resident CTAs hide each other's latency. So a problem that
needs SMs+1 tiles takes two tile-times, small tiles pay for re-reading operands (less reuse),
and short-K problems pay the memory latency that a long K-loop would amortize. Split-K adds a
pass over ``s`` fp32 partial results.

**Tile heuristic.** Like cuBLAS's heuristics, pick the candidate (tile, split) with the
smallest modelled time; ties go to the larger tile (fewer CTAs). Candidates:

* CUDA-core SGEMM tiles: the tiles of the cuBLAS ``*_sgemm_<tm>x<tn>_*`` kernels recorded in
  NeuSight's measurements (128×128, 128×64, 64×128, 128×32, 32×128, 64×64, 64×32, 32×64, 32×32);
* tensor-core tiles: CUTLASS's default threadblock shapes (256×128, 128×256, 128×128, 128×64,
  64×128, 64×64);
* split-K ``s`` in 1, 2, 4, 8, 16, only while the tiles alone leave SMs idle and every slice
  keeps at least ``MIN_K_PER_SPLIT`` of K.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from graphs.partition import GemmShape

from graphs_mappers_gpu.device import TENSOR_CORE, GPUDevice

CUDA_CORE_TILES: tuple[tuple[int, int], ...] = (
    (128, 128), (128, 64), (64, 128), (128, 32), (32, 128), (64, 64), (64, 32), (32, 64), (32, 32))
TENSOR_CORE_TILES: tuple[tuple[int, int], ...] = (
    (256, 128), (128, 256), (128, 128), (128, 64), (64, 128), (64, 64))
SPLIT_K = (1, 2, 4, 8, 16)
MIN_K_PER_SPLIT = 128
ACCUMULATOR_SHARE = 0.5  # accumulators may use at most half the register file (co-resident CTAs)
LATENCIES_PER_WAVE = 2   # a wave waits for its first operands and for its last stores


@dataclass(frozen=True)
class TileChoice:
    """The chosen tiling and what it costs."""

    tm: int
    tn: int
    split_k: int
    ctas: int
    waves: int            # ceil(CTAs / (SMs × co-resident CTAs per SM)), for reports
    rounds: int           # tiles run one after another on the busiest SM
    t_tile: float         # seconds per tile on one SM
    t_compute: float      # rounds × t_tile + waves × 2 × memory latency
    t_reduce_bytes: float  # extra split-K traffic (bytes)
    sms: int              # SMs the CTAs were spread over

    @property
    def tile(self) -> str:
        return f"{self.tm}x{self.tn}" + (f"/splitk{self.split_k}" if self.split_k > 1 else "")

    def efficiency(self, g: GemmShape) -> float:
        """Useful FLOPs / FLOPs the SMs spend in tiles (tile and wave quantization together)."""
        occupied = 2.0 * self.tm * self.tn * math.ceil(g.k / self.split_k) * self.rounds * self.sms
        return g.flops / occupied if occupied else 0.0


def tiles_for(unit_name: str) -> Sequence[tuple[int, int]]:
    return TENSOR_CORE_TILES if unit_name == TENSOR_CORE else CUDA_CORE_TILES


def co_resident(tm: int, tn: int, device: GPUDevice) -> int:
    """CTAs of this tile that fit on one SM by accumulator registers (1 … max_ctas_per_sm)."""
    return max(1, min(device.max_ctas_per_sm, int(device.registers_per_sm * ACCUMULATOR_SHARE) // (tm * tn)))


def evaluate(g: GemmShape, tm: int, tn: int, s: int, peak: float, elem_bytes: float, device: GPUDevice,
             multicast: int = 1) -> TileChoice:
    """Cost of one (tile, split) candidate for ``g`` at ``peak`` FLOP/s (whole device).

    ``multicast`` CTAs share each A-tile read (TMA multicast in a thread-block cluster).
    """
    sms = device.sm_count
    ctas = g.batch * math.ceil(g.m / tm) * math.ceil(g.n / tn) * s
    k_slice = math.ceil(g.k / s)
    t_math = 2.0 * tm * tn * k_slice / (peak / sms)
    t_feed = (tm / multicast + tn) * k_slice * elem_bytes / (device.l2_bandwidth / sms) if device.l2_bandwidth else 0.0
    t_tile = max(t_math, t_feed)
    rounds = math.ceil(ctas / sms)
    waves = math.ceil(ctas / (sms * co_resident(tm, tn, device)))
    reduce_bytes = 2.0 * 4.0 * s * g.m * g.n * g.batch if s > 1 else 0.0
    t_compute = rounds * t_tile + waves * LATENCIES_PER_WAVE * device.memory_latency_s
    return TileChoice(tm, tn, s, ctas, waves, rounds, t_tile, t_compute, reduce_bytes, sms)


def choose_tiling(g: GemmShape, unit_name: str, peak: float, elem_bytes: float, device: GPUDevice,
                  reduce_bandwidth: float, tiles: Sequence[tuple[int, int]] | None = None) -> TileChoice:
    """The candidate with the least ``t_compute + split-K reduction`` (ties: larger tile).

    Each candidate's time is :func:`evaluate`'s, computed inline (the same arithmetic, in the same
    order: this runs for every matrix kernel of every estimate); only the winner is built."""
    if peak <= 0:
        raise ValueError("choose_tiling needs a positive peak")
    best_key: tuple[int, int, int] | None = None
    best_t = math.inf
    multicast = device.tma_multicast if unit_name == TENSOR_CORE else 1
    sms = device.sm_count
    per_sm_peak = peak / sms
    l2_per_sm = device.l2_bandwidth / sms if device.l2_bandwidth else 0.0
    latency = LATENCIES_PER_WAVE * device.memory_latency_s
    ceil = math.ceil
    m, n, k, batch = g.m, g.n, g.k, g.batch
    for tm, tn in (tiles if tiles is not None else tiles_for(unit_name)):
        base = batch * ceil(m / tm) * ceil(n / tn)
        resident = sms * co_resident(tm, tn, device)
        for s in SPLIT_K:
            if s > 1 and (base >= sms or k / s < MIN_K_PER_SPLIT):
                break
            ctas = base * s
            k_slice = ceil(k / s)
            t_math = 2.0 * tm * tn * k_slice / per_sm_peak
            t_feed = (tm / multicast + tn) * k_slice * elem_bytes / l2_per_sm if l2_per_sm else 0.0
            t_compute = ceil(ctas / sms) * max(t_math, t_feed) + ceil(ctas / resident) * latency
            reduce_bytes = 2.0 * 4.0 * s * m * n * batch if s > 1 else 0.0
            t = t_compute + (reduce_bytes / reduce_bandwidth if reduce_bandwidth else 0.0)
            if t < best_t * (1 - 1e-9):
                best_key, best_t = (tm, tn, s), t
    assert best_key is not None
    return evaluate(g, *best_key, peak, elem_bytes, device, multicast)
