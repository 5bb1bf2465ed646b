"""``family_params`` of a GPU spec, validated by :class:`GPUParams`.

Every numeric field is a sourced quantity (``{value, unit, source}``), like the rest of a
spec. Fields the engine needs to model how kernels execute:

* ``sm_count`` — streaming multiprocessors enabled on this product (waves are counted in SMs);
* ``fp32_cores_per_sm``, ``tensor_cores_per_sm`` — descriptive, cross-checked against the peaks;
* ``tensor_core_generation`` — e.g. ``"4"`` for Hopper (text with a source); absent = none;
* ``registers_per_sm`` — 32-bit registers per SM; bounds how many CTA tiles fit per SM;
* ``max_ctas_per_sm``, ``max_warps_per_sm``, ``max_threads_per_sm``, ``shared_memory_per_sm``;
* ``l2_partitions`` — how many partitions the L2 is split into. On A100/H100 each partition
  caches for the SMs near it, so a line read by all SMs may live in both; the engine treats
  ``L2 size / l2_partitions`` as the capacity a working set can rely on (see docs/mappers/gpu.md);
* ``memory_latency_cycles`` — one global-memory round trip in core clocks (at ``clock``); each
  wave of CTAs pays it twice (operand prologue, output epilogue). Absent = not modelled;
* ``tma_multicast_ctas`` — CTAs of a thread-block cluster that share one L2 read of the A
  tile through TMA multicast in tensor-core GEMMs (Hopper: 2, CUTLASS's 1x2x1 cluster).
  Absent = 1 (no multicast).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from graphs.hardware.units import Bytes, Count, Text


class GPUParams(BaseModel):
    """What the GPU engine needs beyond the generic spec fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sm_count: Count
    fp32_cores_per_sm: Count
    tensor_cores_per_sm: Count | None = None
    tensor_core_generation: Text | None = None
    compute_capability: Text | None = None
    registers_per_sm: Count
    max_ctas_per_sm: Count
    max_warps_per_sm: Count
    max_threads_per_sm: Count
    shared_memory_per_sm: Bytes
    l2_partitions: Count | None = None
    memory_latency_cycles: Count | None = None
    tma_multicast_ctas: Count | None = None

    @field_validator("sm_count", "fp32_cores_per_sm", "registers_per_sm", "max_ctas_per_sm",
                     "max_warps_per_sm", "max_threads_per_sm")
    @classmethod
    def _positive_int(cls, q: Count) -> Count:
        if q.value < 1 or q.value != int(q.value):
            raise ValueError(f"must be a positive whole number, got {q.value:g}")
        return q

    @property
    def partitions(self) -> int:
        return int(self.l2_partitions.value) if self.l2_partitions else 1
