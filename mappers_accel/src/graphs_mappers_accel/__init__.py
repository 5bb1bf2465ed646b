"""graphs accelerator family engine: systolic arrays tiled from the real GEMM shapes, vector
units, on-chip SRAM vs HBM, transferred efficiency priors (see docs/mappers/accel.md).

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr

_EXPORTS = {
    "AccelDevice": ("graphs_mappers_accel.device", "AccelDevice"),
    "AccelMapper": ("graphs_mappers_accel.mapper", "AccelMapper"),
    "AccelParams": ("graphs_mappers_accel.params", "AccelParams"),
    "AccelPriors": ("graphs_mappers_accel.priors", "AccelPriors"),
    "ArrayGeometry": ("graphs_mappers_accel.systolic", "ArrayGeometry"),
    "KernelTiming": ("graphs_mappers_accel.timing", "KernelTiming"),
    "TilePlan": ("graphs_mappers_accel.systolic", "TilePlan"),
    "kernel_timing": ("graphs_mappers_accel.timing", "kernel_timing"),
    "load_priors": ("graphs_mappers_accel.priors", "load_priors"),
    "plan_gemm": ("graphs_mappers_accel.systolic", "plan_gemm"),
    "resolve_device": ("graphs_mappers_accel.device", "resolve_device"),
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
