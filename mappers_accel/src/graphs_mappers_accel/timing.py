"""Modelled time of one kernel on an accelerator, before the efficiency prior and overhead.

* matrix kernels with a GEMM shape: the tile plan on the arrays (:mod:`systolic`) at the
  precision the arrays run; epilogue FLOPs (fused activations, norms) on the vector unit,
  overlapped with the arrays (TPU and NeuronCore engines run concurrently);
* other kernels: FLOPs on the vector unit;
* memory: main-memory traffic given the on-chip SRAM (:mod:`memory`) at HBM bandwidth, and
  operand reads from SRAM at its bandwidth where published;

    t = max(t_arrays, t_vector, t_hbm, t_sram)
"""

from __future__ import annotations

from dataclasses import dataclass

from graphs.ir import DTYPE_BITS
from graphs.hardware.schema import PRECISION_DTYPE
from graphs.partition import Kernel

from graphs_mappers_accel.device import AccelDevice
from graphs_mappers_accel.memory import Traffic, main_memory_traffic
from graphs_mappers_accel.systolic import TilePlan, plan_gemm


@dataclass(frozen=True)
class KernelTiming:
    seconds: float
    bound: str                 # compute | memory
    unit: str                  # e.g. "matrix:bf16 4p/1u x128r", "vector:fp32"
    precision: str             # precision the kernel ran at
    plan: TilePlan | None
    traffic: Traffic


def _itemsize(precision: str) -> float:
    return DTYPE_BITS[PRECISION_DTYPE[precision]] / 8


def kernel_timing(kernel: Kernel, precision: str, dev: AccelDevice) -> KernelTiming:
    on_arrays = kernel.category.is_matrix and kernel.matrix_flops > 0
    plan = None
    if on_arrays:
        p = dev.matrix_precision(precision)
        peak = dev.matrix_peaks[p]
        if dev.geometry is not None and kernel.gemm is not None:
            plan = plan_gemm(kernel.gemm, dev.geometry, dev.rate(p))
            t_arrays = plan.seconds
        else:
            t_arrays = kernel.matrix_flops / peak
        t_vec = dev.vector_seconds(kernel.vector_flops, precision)
        t_comp = max(t_arrays, t_vec)
        unit = f"matrix:{p}" + (f" {plan.label}" if plan else "")
    else:
        p = dev.vector_precision(precision)
        t_comp = dev.vector_seconds(kernel.flops, precision)
        unit = f"vector:{p}"
    traffic = main_memory_traffic(kernel, dev.sram, _itemsize(p if p in PRECISION_DTYPE else "fp32"))
    t_hbm = traffic.bytes / dev.hbm_bandwidth
    t_sram = 0.0
    if plan is not None and dev.sram is not None and dev.sram.bandwidth and kernel.gemm is not None:
        g, geo = kernel.gemm, dev.geometry
        size = _itemsize(p)
        streamed = plan.passes * plan.rows_per_pass * geo.rows * size      # moving rows, every pass
        stationary = plan.passes * geo.rows * geo.cols * size              # one weight tile per pass
        t_sram = (streamed + stationary + g.batch * g.m * g.n * size) / dev.sram.bandwidth
    t_mem = max(t_hbm, t_sram)
    if t_comp >= t_mem:
        return KernelTiming(t_comp, "compute", unit, p, plan, traffic)
    return KernelTiming(t_mem, "memory", unit, p, plan, traffic)
