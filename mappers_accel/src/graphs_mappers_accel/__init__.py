"""graphs accelerator family engine: systolic arrays tiled from the real GEMM shapes, vector
units, on-chip SRAM vs HBM, transferred efficiency priors (see docs/mappers/accel.md)."""

from graphs_mappers_accel.device import AccelDevice, resolve_device
from graphs_mappers_accel.mapper import AccelMapper
from graphs_mappers_accel.params import AccelParams
from graphs_mappers_accel.priors import AccelPriors, load_priors
from graphs_mappers_accel.systolic import ArrayGeometry, TilePlan, plan_gemm
from graphs_mappers_accel.timing import KernelTiming, kernel_timing

__all__ = [
    "AccelDevice", "resolve_device", "AccelMapper", "AccelParams", "AccelPriors", "load_priors",
    "ArrayGeometry", "TilePlan", "plan_gemm", "KernelTiming", "kernel_timing",
]
