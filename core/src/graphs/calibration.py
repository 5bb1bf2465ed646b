"""Calibration files: measured efficiency curves a device distribution can ship.

For a kernel class (a canonical kind such as ``matmul``, or a category such as
``elementwise``) a :class:`Curve` maps the kernel's roofline time on this device, ``x``, to
the measured/roofline ratio ``r(x)``: piecewise-linear in log-log space through ``points``
(sorted by x). Multiplicative residuals of the fit (measured / fitted, 5th/50th/95th
percentiles) give the interval. Inside ``[x_min, x_max]`` an estimate is CALIBRATED; within
a factor ``NEAR`` outside it (the curve held flat at its end) INTERPOLATED; beyond that the
family's prior is used and the estimate is THEORETICAL.

A device distribution ships its calibration with its spec; a user fits their own with
``graphs calibrate --hardware ID`` (:mod:`graphs_calibrate.fit`), which writes
:func:`user_calibration_path` — ``$GRAPHS_CALIBRATION_DIR/<id>.yaml``, else
``~/.local/share/graphs/calibration/<id>.yaml`` (``XDG_DATA_HOME`` honoured). When that file
exists it takes precedence over the shipped one (:meth:`graphs.plugins.GraphsPlugins.mapper_for`);
``graphs analyze --calibration FILE`` names one explicitly.
"""

from __future__ import annotations

import bisect
import math
import os
from pathlib import Path
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from graphs.errors import SpecError
from graphs.hardware.schema import first_error, read_yaml
from graphs.results import ConfidenceLevel

if TYPE_CHECKING:
    from graphs.partition import Kernel

CALIBRATION_SCHEMA_VERSION = 1
NEAR = 4.0  # how far (as a factor) outside the measured range an estimate is INTERPOLATED


class _M(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)   # NaN/inf: refused


class Residuals(_M):
    q05: float = Field(gt=0)
    q50: float = Field(gt=0)
    q95: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> "Residuals":
        if not (self.q05 <= self.q50 <= self.q95):
            raise ValueError("residual quantiles must satisfy q05 <= q50 <= q95")
        return self


class Curve(_M):
    points: tuple[tuple[float, float], ...] = Field(min_length=1, description="(roofline seconds, measured/roofline)")
    residuals: Residuals
    n: int = Field(ge=1, description="measurements fitted")
    x_min: float = Field(gt=0)
    x_max: float = Field(gt=0)
    transferred_from: str | None = Field(None, description="set when this curve was fitted on other devices")

    @field_validator("points")
    @classmethod
    def _sorted_positive(cls, pts: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
        if any(not (math.isfinite(x) and math.isfinite(r)) or x <= 0 or r <= 0 for x, r in pts):
            raise ValueError("curve points must be finite and positive")
        if list(pts) != sorted(pts):
            raise ValueError("curve points must be sorted by x")
        return pts

    def ratio(self, x: float) -> float:
        """r(x), log-log linear between points, flat beyond the ends."""
        xs = [p[0] for p in self.points]
        if x <= xs[0]:
            return self.points[0][1]
        if x >= xs[-1]:
            return self.points[-1][1]
        i = bisect.bisect_right(xs, x)
        (x0, r0), (x1, r1) = self.points[i - 1], self.points[i]
        t = (math.log(x) - math.log(x0)) / (math.log(x1) - math.log(x0))
        return math.exp(math.log(r0) + t * (math.log(r1) - math.log(r0)))

    def confidence(self, x: float) -> ConfidenceLevel | None:
        if self.x_min <= x <= self.x_max:
            return ConfidenceLevel.CALIBRATED
        if self.x_min / NEAR <= x <= self.x_max * NEAR:
            return ConfidenceLevel.INTERPOLATED
        return None


class Overhead(_M):
    value_s: float = Field(ge=0)
    n: int = Field(ge=1)
    source: str


class Calibration(_M):
    schema_version: int = Field(CALIBRATION_SCHEMA_VERSION, ge=1, le=CALIBRATION_SCHEMA_VERSION,
                                description="calibration format version; a newer one is refused")
    device: str
    source: str = Field(description="what was fitted: store/data set, runtime, versions, date")
    runtime: str = ""
    fusion: Literal["none", "default"] = "none"
    transferred_from: str | None = Field(None, description="set when fitted on another (sibling) device")
    curves: dict[str, Curve] = Field(default_factory=dict, description="by canonical kind, else category")
    kernel_overhead: Overhead | None = None
    model_overhead: Overhead | None = None
    model_overhead_fraction: float | None = Field(None, ge=0, description=(
        "per-model overhead proportional to the kernels' time: model = (1 + f) × Σ kernels + model_overhead "
        "(eager kernels run slower inside a model than timed alone: cold caches, allocation)"))
    model_overhead_terms: dict[str, float] | None = Field(None, description=(
        "further per-model overhead, seconds per unit of a feature the family engine computes from a model's "
        "kernels (its ``model_overhead_features``, e.g. per kernel, per weight byte); fitted by graphs calibrate "
        "only when leave-one-model-out error says they help"))
    model_residuals: Residuals | None = Field(None, description=(
        "measured / estimated time of the fitted model runs (leave-one-model-out where the family engine fits "
        "overhead terms): the 90 % interval of a model estimate"))
    conditions: dict[str, Any] = Field(default_factory=dict, description=(
        "what the measurements were taken under (threads, cpu model, torch version ...); a family "
        "engine may refuse a calibration whose conditions differ from the estimate's"))

    @field_validator("model_overhead_terms")
    @classmethod
    def _terms_nonnegative(cls, terms: dict[str, float] | None) -> dict[str, float] | None:
        if terms and any(not (math.isfinite(v) and v >= 0) for v in terms.values()):
            raise ValueError("model_overhead_terms must be finite and non-negative")
        return terms

    def curve_for(self, kind: str, category: str) -> Curve | None:
        return self.curves.get(kind) or self.curves.get(category)

    def dump(self, path: str | Path) -> None:
        skip = {"model_overhead_terms"} if self.model_overhead_terms is None else None   # files without them as before
        Path(path).write_text(yaml.safe_dump(self.model_dump(mode="json", exclude=skip), sort_keys=False))


@dataclass(frozen=True)
class KernelSample:
    """A measured kernel on one device.

    :param timing: ``eager`` — CUDA events around one eager op (the host dispatch floor
        included, as NeuSight, LLMCompass time them); ``kernel`` — the GPU kernel alone
        (VIDUR's profiler, DeepBench's cuBLAS timings).
    """

    kernel: "Kernel"
    seconds: float
    timing: str = "eager"
    source: str = ""


def user_calibration_dir() -> Path:
    env = os.environ.get("GRAPHS_CALIBRATION_DIR")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "graphs" / "calibration"


def user_calibration_path(hw_id: str) -> Path:
    """Where ``graphs calibrate`` writes (and every command looks for) the user's calibration of ``hw_id``."""
    return user_calibration_dir() / f"{hw_id}.yaml"


def find_user_calibration(hw_id: str) -> Calibration | None:
    """The user's calibration of ``hw_id`` if the file exists (SpecError if it is broken)."""
    p = user_calibration_path(hw_id)
    if not p.is_file():
        return None
    cal = load_calibration(p)
    if cal.device != hw_id:      # a file renamed or copied: another device's curves must not apply silently
        raise SpecError(f"{p}: a calibration of {cal.device!r}, found where {hw_id!r}'s belongs (move it to "
                        f"{cal.device}.yaml, or fit {hw_id}'s: graphs calibrate -H {hw_id})")
    return cal


def load_calibration(path: str | Path) -> Calibration:
    p = Path(path)
    data = read_yaml(p, "calibration")
    try:
        return Calibration.model_validate(data)
    except ValidationError as e:
        raise SpecError(f"{p.name}: {first_error(e)}") from None
