"""graphs GPU family engine: tensor cores vs CUDA cores, CTA tiles and waves, L2 residency,
efficiency priors derived from measured kernels (see docs/mappers/gpu.md)."""

from graphs_mappers_gpu.device import CUDA_CORE, TENSOR_CORE, GPUDevice, resolve_device
from graphs_mappers_gpu.mapper import GPUMapper
from graphs_mappers_gpu.options import GPUOptionError, GPUOptions
from graphs_mappers_gpu.params import GPUParams
from graphs_mappers_gpu.priors import PriorTable, group_key, load_priors
from graphs_mappers_gpu.tiling import TileChoice, choose_tiling
from graphs_mappers_gpu.timing import KernelTiming, kernel_timing
from graphs_mappers_gpu.units import Unit, select_unit

__all__ = [
    "CUDA_CORE", "TENSOR_CORE", "GPUDevice", "resolve_device", "GPUMapper", "GPUOptionError", "GPUOptions",
    "GPUParams", "PriorTable", "group_key", "load_priors", "TileChoice", "choose_tiling", "KernelTiming",
    "kernel_timing", "Unit", "select_unit",
]
