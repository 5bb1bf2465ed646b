"""The modelled GPU time of one kernel, before the efficiency prior and overheads.

* Matrix kernels with a GEMM shape: tiled compute on the selected unit (see
  :mod:`graphs_mappers_gpu.tiling`), overlapped with the kernel's memory traffic; fused
  epilogue FLOPs run on CUDA cores; a split-K reduction adds its own pass over memory.
  ``t = max(t_tiles + t_epilogue, t_memory) + t_splitk``.
* Everything else (and matrix kernels without a GEMM shape, or with N or K below 8 such as
  depthwise convolutions, which cuDNN runs as direct, memory-bound kernels):
  ``t = max(flops / peak(unit, precision), bytes / bandwidth(level))``.

This function is shared by :class:`graphs_mappers_gpu.GPUMapper` and by
``benchmarks/derive_gpu_priors.py``, so the priors are ratios to exactly this model.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphs.ir import DTYPE_BITS
from graphs.partition import Kernel

from graphs_mappers_gpu.device import CUDA_CORE, GPUDevice
from graphs_mappers_gpu.memory import MemoryRate, memory_rate
from graphs_mappers_gpu.options import GPUOptions
from graphs_mappers_gpu.tiling import TileChoice, choose_tiling
from graphs_mappers_gpu.units import MMA_MIN_DIM, Unit, select_unit


@dataclass(frozen=True)
class KernelTiming:
    seconds: float
    bound: str                 # "compute" or "memory"
    unit: Unit
    memory: MemoryRate
    t_compute: float
    t_memory: float
    tiling: TileChoice | None = None


def _vector_peak(device: GPUDevice, precision: str) -> float:
    return device.peak(CUDA_CORE, precision) or device.peak(CUDA_CORE, "fp32")


def kernel_timing(kernel: Kernel, precision: str, device: GPUDevice, options: GPUOptions,
                  memo: dict | None = None, unit: Unit | None = None) -> KernelTiming:
    """Model ``kernel`` at ``precision`` on ``device`` (seconds, bound, unit, level, tiling); ``memo``: a
    dict the caller keeps for one device, holding the tilings already chosen (the same GEMM on the same
    unit at the same peak and element size gets the same tiling: a sweep over precisions or models
    asks for many GEMMs again); ``unit``: ``select_unit(kernel, precision, device, options)`` when the
    caller already has it."""
    if unit is None:
        unit = select_unit(kernel, precision, device, options)
    mem = memory_rate(kernel.bytes, device)
    t_mem = kernel.bytes / mem.bandwidth if mem.bandwidth else 0.0
    g = kernel.gemm
    tiled = (kernel.category.is_matrix and g is not None and kernel.matrix_flops > 0 and g.flops > 0
             and min(g.n, g.k) >= MMA_MIN_DIM)
    if tiled and unit.peak > 0:
        assert g is not None
        elem = 4.0 if unit.precision == "tf32" else DTYPE_BITS.get(kernel.dtype, 32) / 8
        key = (g, unit.name, unit.peak, elem, mem.bandwidth, id(device))
        tiling = memo.get(key) if memo is not None else None
        if tiling is None:
            tiling = choose_tiling(g, unit.name, unit.peak, elem, device, mem.bandwidth)
            if memo is not None:
                if len(memo) > 100_000:
                    memo.clear()
                memo[key] = tiling
        scale = kernel.matrix_flops / g.flops          # attention: QKᵀ and PV share one tiling
        vec = kernel.vector_flops / _vector_peak(device, precision) if kernel.vector_flops > 0 else 0.0
        t_c = tiling.t_compute * scale + vec
        t_red = tiling.t_reduce_bytes / mem.bandwidth if mem.bandwidth else 0.0
        return KernelTiming(max(t_c, t_mem) + t_red, "compute" if t_c >= t_mem else "memory", unit, mem,
                            t_c, t_mem, tiling)
    t_c = kernel.flops / unit.peak if unit.peak and kernel.flops else 0.0
    return KernelTiming(max(t_c, t_mem), "compute" if t_c >= t_mem else "memory", unit, mem, t_c, t_mem)
