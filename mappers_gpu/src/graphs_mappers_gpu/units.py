"""Which execution unit runs a kernel, at which precision.

* Matrix kernels (matmul, linear, conv, attention, recurrent) at fp16/bf16/fp8/int8/fp64/tf32
  run on **tensor cores** when the device has a tensor-core peak at that precision
  (fp8 falls back to fp16 tensor cores on GPUs without FP8, e.g. A100).
* Matrix kernels at fp32 run on **CUDA cores** (FP32 FMA) unless TF32 is allowed for that
  kind of kernel: ``tf32_conv`` for convolutions (PyTorch default on), ``tf32_matmul`` for the
  others (PyTorch default off). Then they run on tensor cores at TF32. A device whose matrix
  unit has an FP32 peak of its own (AMD CDNA Matrix Cores: rocBLAS runs FP32 GEMMs with
  MFMA FP32 instructions, no TF32 involved) runs them there at FP32.
* Matrix kernels whose GEMM is too thin for an MMA instruction (N or K below 8, e.g. a
  depthwise convolution with one output channel per group) run on CUDA cores.
* Everything else (elementwise, norms, softmax, reductions, pooling, copies) runs on CUDA
  cores at its precision (fp16/bf16 CUDA-core peaks where the spec lists them, else fp32).
"""

from __future__ import annotations

from dataclasses import dataclass

from graphs.ops.registry import Category
from graphs.partition import Kernel

from graphs_mappers_gpu.device import CUDA_CORE, TENSOR_CORE, GPUDevice
from graphs_mappers_gpu.options import GPUOptions

MMA_MIN_DIM = 8  # smallest M/N/K extent of an mma.sync / wgmma instruction shape (PTX ISA)

# precision -> what to try next when the device has no unit for it
_FALLBACK = {"fp8": "fp16", "int4": "int8", "tf32": "fp32", "bf16": "fp32", "fp16": "fp32", "int8": "fp32"}


@dataclass(frozen=True)
class Unit:
    """The unit (``tensor_core`` / ``cuda_core``), its precision and its peak (FLOP/s)."""

    name: str
    precision: str
    peak: float


def _thin(kernel: Kernel) -> bool:
    g = kernel.gemm
    return g is not None and (g.n < MMA_MIN_DIM or g.k < MMA_MIN_DIM)


def tensor_core_precision(kernel: Kernel, precision: str, options: GPUOptions) -> str | None:
    """Precision the tensor cores would use for ``kernel``, or None if it stays on CUDA cores."""
    if not kernel.category.is_matrix or not kernel.matrix_flops or _thin(kernel):
        return None
    if precision == "tf32":          # asked for explicitly (--precision tf32): TF32 whatever the PyTorch flags
        return "tf32"
    if precision == "fp32":
        allowed = options.tf32_conv if kernel.category is Category.CONV else options.tf32_matmul
        return "tf32" if allowed else None
    return precision


def select_unit(kernel: Kernel, precision: str, device: GPUDevice, options: GPUOptions) -> Unit:
    """Pick the unit and precision that run ``kernel`` (see module docstring)."""
    tc = tensor_core_precision(kernel, precision, options)
    if precision == "fp32" and device.peak(TENSOR_CORE, "fp32") > 0 and kernel.category.is_matrix \
            and kernel.matrix_flops and not _thin(kernel):
        return Unit(TENSOR_CORE, "fp32", device.peak(TENSOR_CORE, "fp32"))  # FP32 matrix cores (AMD CDNA)
    p = tc
    while p is not None:
        peak = device.peak(TENSOR_CORE, p)
        if peak > 0:
            return Unit(TENSOR_CORE, p, peak)
        nxt = _FALLBACK.get(p)
        p = nxt if nxt not in (None, "fp32") else None
    p = "fp32" if precision == "tf32" else precision
    while p is not None:
        peak = device.peak(CUDA_CORE, p)
        if peak > 0:
            return Unit(CUDA_CORE, p, peak)
        p = _FALLBACK.get(p)
    return Unit(CUDA_CORE, "fp32", device.peak(CUDA_CORE, "fp32"))
