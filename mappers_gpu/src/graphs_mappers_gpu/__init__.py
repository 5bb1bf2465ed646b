"""graphs GPU family engine: tensor cores vs CUDA cores, CTA tiles and waves, L2 residency,
efficiency priors derived from measured kernels (see docs/mappers/gpu.md).

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr

_EXPORTS = {
    "CUDA_CORE": ("graphs_mappers_gpu.device", "CUDA_CORE"),
    "GPUDevice": ("graphs_mappers_gpu.device", "GPUDevice"),
    "GPUMapper": ("graphs_mappers_gpu.mapper", "GPUMapper"),
    "GPUOptionError": ("graphs_mappers_gpu.options", "GPUOptionError"),
    "GPUOptions": ("graphs_mappers_gpu.options", "GPUOptions"),
    "GPUParams": ("graphs_mappers_gpu.params", "GPUParams"),
    "KernelTiming": ("graphs_mappers_gpu.timing", "KernelTiming"),
    "PriorTable": ("graphs_mappers_gpu.priors", "PriorTable"),
    "TENSOR_CORE": ("graphs_mappers_gpu.device", "TENSOR_CORE"),
    "TileChoice": ("graphs_mappers_gpu.tiling", "TileChoice"),
    "Unit": ("graphs_mappers_gpu.units", "Unit"),
    "choose_tiling": ("graphs_mappers_gpu.tiling", "choose_tiling"),
    "group_key": ("graphs_mappers_gpu.priors", "group_key"),
    "kernel_timing": ("graphs_mappers_gpu.timing", "kernel_timing"),
    "load_priors": ("graphs_mappers_gpu.priors", "load_priors"),
    "resolve_device": ("graphs_mappers_gpu.device", "resolve_device"),
    "select_unit": ("graphs_mappers_gpu.units", "select_unit"),
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
