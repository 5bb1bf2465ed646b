"""Physical quantities with units and a mandatory source.

Every number in a hardware spec is a :class:`Quantity`: ``{value, unit, source}``. Each
field accepts the units of one dimension only, so a bandwidth written in TFLOP/s fails
validation with the field's path.
"""

from __future__ import annotations

from typing import ClassVar

import math
import sys

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from graphs.fmt import fmt_si  # noqa: F401  (re-exported)

_THROUGHPUT = {"FLOP/s": 1.0, "GFLOP/s": 1e9, "TFLOP/s": 1e12, "PFLOP/s": 1e15,
               "OP/s": 1.0, "GOP/s": 1e9, "TOP/s": 1e12, "POP/s": 1e15, "GOPS": 1e9, "TOPS": 1e12}
_BANDWIDTH = {"B/s": 1.0, "KB/s": 1e3, "MB/s": 1e6, "GB/s": 1e9, "TB/s": 1e12,
              "GiB/s": 2.0**30, "MiB/s": 2.0**20, "TiB/s": 2.0**40, "Gbit/s": 1e9 / 8, "Gb/s": 1e9 / 8}
_BYTES = {"B": 1.0, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
          "KiB": 2.0**10, "MiB": 2.0**20, "GiB": 2.0**30, "TiB": 2.0**40}
_FREQUENCY = {"Hz": 1.0, "kHz": 1e3, "MHz": 1e6, "GHz": 1e9}
_POWER = {"W": 1.0, "mW": 1e-3, "kW": 1e3}
_DURATION = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
_ENERGY = {"J": 1.0, "mJ": 1e-3, "uJ": 1e-6, "nJ": 1e-9, "pJ": 1e-12}
_COUNT = {"": 1.0, "count": 1.0}
_LENGTH = {"nm": 1.0}


class Quantity(BaseModel):
    """A number with its unit and where it comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    units: ClassVar[dict[str, float]] = {}
    dimension: ClassVar[str] = "quantity"
    positive: ClassVar[bool] = False       # rates, sizes, clocks, power: zero would make work free

    value: float
    unit: str = ""
    source: str

    @field_validator("unit")
    @classmethod
    def _known_unit(cls, u: str) -> str:
        if cls.units and u not in cls.units:
            raise ValueError(f"{u!r} is not a {cls.dimension} unit (expected one of {', '.join(repr(k) for k in cls.units)})")
        return u

    @field_validator("source")
    @classmethod
    def _has_source(cls, s: str) -> str:
        if not s or not s.strip():
            raise ValueError("every number needs a source")
        if s.strip().upper().startswith("TODO"):
            raise ValueError(f"source is still a placeholder ({s.strip()!r}): cite the document")
        return s.strip()

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if v != v or v in (float("inf"), float("-inf")) or v < 0:
            raise ValueError(f"{v} is not a finite non-negative number")
        if v and v < sys.float_info.min:
            raise ValueError(f"{v} is a denormal number, not a physical {cls.dimension}")
        if cls.positive and v == 0:
            raise ValueError(f"a {cls.dimension} of 0 is not physical (it would make work free or "
                             "divide by zero); leave the field out if it is unknown")
        return v

    @model_validator(mode="after")
    def _si_in_range(self) -> "Quantity":
        si = self.si
        if not math.isfinite(si):
            raise ValueError(f"{self.value:g} {self.unit} overflows to {si} in SI units")
        if si and abs(si) < sys.float_info.min:
            raise ValueError(f"{self.value:g} {self.unit} underflows to a denormal in SI units")
        return self

    @property
    def si(self) -> float:
        """Value in SI base units (FLOP/s, B/s, B, Hz, W, s, J)."""
        return self.value * self.units.get(self.unit, 1.0)

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}".strip()


class Throughput(Quantity):
    positive = True
    units = _THROUGHPUT
    dimension = "throughput"


class Bandwidth(Quantity):
    positive = True
    units = _BANDWIDTH
    dimension = "bandwidth"


class Bytes(Quantity):
    positive = True
    units = _BYTES
    dimension = "size"


class Frequency(Quantity):
    positive = True
    units = _FREQUENCY
    dimension = "frequency"


class Power(Quantity):
    positive = True
    units = _POWER
    dimension = "power"


class Duration(Quantity):
    units = _DURATION
    dimension = "duration"


class Energy(Quantity):
    units = _ENERGY
    dimension = "energy"


class Count(Quantity):
    units = _COUNT
    dimension = "count"


class Length(Quantity):
    units = _LENGTH
    dimension = "length"


class Text(BaseModel):
    """A non-numeric fact with its source (process node, release date ...)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    value: str
    source: str


