"""``family_params`` of an edge (NPU + host CPU) spec, validated by :class:`EdgeParams`.

Every numeric field is a sourced quantity; lists of supported ops carry a ``source`` (the
vendor's operator table).

* ``npu_unit`` — the ``compute`` unit with the NPU's dense peaks (default ``npu``);
* ``npu_memory`` — name of the memory level the NPU streams from (its on-chip SRAM, or the
  SoC DRAM it shares); without a bandwidth there NPU kernels are compute-bound;
* ``sram`` — name of the on-chip memory level that caches the model's parameters (Edge TPU: 8 MB):
  parameters that do not fit are streamed from the host over ``link`` on every inference;
* ``npu_clock`` — nominal NPU clock, the reference the power modes scale from;
* ``npu_ops`` — the supported-op list (:class:`OpRule`); ``partitioning`` — ``per_kernel``
  (each unsupported kernel falls back alone) or ``first_unsupported`` (Edge TPU compiler: the
  first unsupported op and everything after it run on the CPU);
* ``host`` — the SoC's (or host board's) CPU that runs the fallback kernels (:class:`HostCPU`);
* ``link`` — how tensors move between NPU and CPU memory (:class:`Link`);
* ``power_modes`` — named modes (:class:`PowerMode`) and ``default_mode``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from graphs.hardware.schema import PRECISIONS
from graphs.hardware.units import Bandwidth, Count, Duration, Frequency, Power, Text


class _M(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OpRule(_M):
    """Canonical kinds the NPU runs, under constraints."""

    kinds: tuple[str, ...]
    dtypes: tuple[str, ...] = ("int8", "uint8")
    max_kernel: Count | None = None          # largest spatial filter side (conv)
    depthwise: bool = True                   # grouped/depthwise convolutions allowed
    source: str

    @field_validator("source")
    @classmethod
    def _has_source(cls, s: str) -> str:
        if not s.strip():
            raise ValueError("every op rule needs a source")
        return s


class HostCPU(_M):
    """The CPU that runs fallback kernels: ``cores × clock × 2·(simd_bits/32)·fma_units`` FP32 FLOP/s."""

    name: Text
    cores: Count
    clock: Frequency
    simd_bits: Count | None = None           # vector width (NEON 128); absent: scalar FPU
    fma_units: Count | None = None           # vector FMA pipes per core; absent: 1


class Link(_M):
    """NPU <-> CPU memory transfers: ``latency + bytes / bandwidth`` each way."""

    bandwidth: Bandwidth
    latency: Duration | None = None
    shared_memory: bool = False              # NPU and CPU share the SoC DRAM (no copy over a bus)


class PowerMode(_M):
    """A named operating point: NPU (and optionally CPU) clock, and its power where published."""

    npu_clock: Frequency
    cpu_clock: Frequency | None = None
    power: Power | None = None
    description: str = ""


class EdgeParams(_M):
    npu_unit: str = "npu"
    npu_memory: str | None = None
    sram: str | None = None          # memory level whose size caches the model's parameters on chip
    npu_clock: Frequency | None = None
    npu_ops: tuple[OpRule, ...]
    partitioning: Literal["per_kernel", "first_unsupported"] = "per_kernel"
    partitioning_source: str = ""
    host: HostCPU
    link: Link
    power_modes: dict[str, PowerMode] = {}
    default_mode: str | None = None

    @model_validator(mode="after")
    def _modes(self) -> "EdgeParams":
        if self.power_modes and self.npu_clock is None:
            raise ValueError("power_modes need npu_clock (the nominal clock they scale from)")
        if self.default_mode is not None and self.default_mode not in self.power_modes:
            raise ValueError(f"default_mode {self.default_mode!r} is not one of the power_modes")
        if self.partitioning != "per_kernel" and not self.partitioning_source.strip():
            raise ValueError("partitioning other than per_kernel needs partitioning_source")
        for r in self.npu_ops:
            bad = [d for d in r.dtypes if d not in ("int8", "uint8", "int16", "float16", "bfloat16", "float32", "int4")]
            if bad:
                raise ValueError(f"op rule dtypes: unknown dtype {bad[0]!r}")
        return self


__all__ = ["EdgeParams", "HostCPU", "Link", "OpRule", "PowerMode", "PRECISIONS"]
