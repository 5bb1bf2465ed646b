"""Estimation results: a value with an interval, a confidence level and provenance.

``ConfidenceLevel`` orders from weakest to strongest: THEORETICAL < INTERPOLATED < CALIBRATED.
A model-level result's confidence is the weakest level among its kernels that carry a
significant share of the time (see :func:`combine_confidence`).
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

if TYPE_CHECKING:
    from graphs.layers import LayerRow


class ConfidenceLevel(enum.IntEnum):
    """How an estimate was obtained (ordered: a higher value is more trustworthy)."""

    THEORETICAL = 0   # specs only
    INTERPOLATED = 1  # inside/near the range of a fit, or transferred from a measured sibling device
    CALIBRATED = 2    # fitted on measurements of this device and op class, within the measured range

    def __str__(self) -> str:
        return self.name


# Kernels below this share of the total time do not pull a model's confidence down.
CONFIDENCE_TIME_SHARE = 0.10


@dataclass(frozen=True)
class Provenance:
    """Where a number came from.

    :param estimator: e.g. ``roofline``, ``calibrated``, ``timeloop``.
    :param mapper: family engine, e.g. ``gpu``.
    :param hardware: hardware id.
    :param calibration: calibration file or data set the coefficients came from.
    :param notes: assumptions a reader should know.
    """

    estimator: str
    mapper: str = ""
    hardware: str = ""
    calibration: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class KernelEstimate:
    """One fused kernel's estimate."""

    name: str
    kind: str                 # dominant canonical kind (the anchor of the fused group)
    category: str
    nodes: tuple[str, ...]    # IR nodes fused into this kernel
    flops: float
    bytes: float
    time_s: float
    low_s: float
    high_s: float
    bound: str                # "compute" | "memory" | "overhead"
    confidence: ConfidenceLevel
    unit: str = ""            # hardware unit it ran on (tensor_core, cuda_core, avx512 ...)
    energy_j: float | None = None
    peak_flops: float | None = None       # the peak (FLOP/s or OP/s) of the unit it ran on: time >= flops / peak
    level: str = ""                       # the memory level its bytes stream from (hbm, l2, dram, link ...)
    level_bandwidth: float | None = None  # that level's bandwidth (B/s): time >= bytes / bandwidth; None: unpublished
    precision: str = ""                   # the precision it computed at (fp16, int8 ...)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready); what is not known is None, never an empty string or zero."""
        d = asdict(self)
        d["confidence"] = self.confidence.name
        for k in ("unit", "level", "precision"):
            d[k] = d[k] or None
        return d


@dataclass(frozen=True, repr=False)
class EstimationResult:
    """A value with its interval, confidence, provenance and per-kernel breakdown."""

    value: float
    unit: str
    low: float
    high: float
    confidence: ConfidenceLevel
    provenance: Provenance
    breakdown: tuple[KernelEstimate, ...] = ()
    metrics: Mapping[str, Any] = field(default_factory=dict)
    layers: tuple["LayerRow", ...] = ()   # the per-layer view, when asked for (graphs analyze --layers)

    def __repr__(self) -> str:
        """Short: what, where, how long, how sure (every field: :meth:`to_dict`)."""
        from graphs.fmt import fmt_si
        m = self.metrics
        where = f"{m['model']} on {m['hardware']}: " if "model" in m and "hardware" in m else ""
        val = (lambda x: fmt_si(x, "s")) if self.unit == "s" else (lambda x: f"{x:.4g} {self.unit}")
        kernels = f", {len(self.breakdown)} kernels" if self.breakdown else ""
        return (f"<EstimationResult {where}{val(self.value)} [{val(self.low)} – {val(self.high)}] "
                f"{self.confidence.name}{kernels}>")

    def __post_init__(self) -> None:
        if not (self.low <= self.value <= self.high):
            raise ValueError(f"interval [{self.low}, {self.high}] does not contain {self.value}")

    @property
    def interval(self) -> tuple[float, float]:
        return (self.low, self.high)

    @property
    def relative_interval(self) -> tuple[float, float]:
        """(low/value − 1, high/value − 1), e.g. (−0.2, +0.35)."""
        if not self.value:
            return (0.0, 0.0)
        return (self.low / self.value - 1.0, self.high / self.value - 1.0)

    def contains(self, measured: float) -> bool:
        return self.low <= measured <= self.high

    def to_dict(self, breakdown: bool = True) -> dict[str, Any]:
        """Plain, JSON-safe data: one result of the ``graphs.analyze`` document (numbers are numbers,
        unknown is None, tuples are lists); ``breakdown=False`` leaves the per-kernel list out."""
        from graphs.output import jsonable
        d: dict[str, Any] = {
            "value": self.value,
            "unit": self.unit,
            "interval": [self.low, self.high],
            "confidence": self.confidence.name,
            "provenance": {**asdict(self.provenance), "calibration": self.provenance.calibration or None},
            "metrics": dict(self.metrics),
        }
        if breakdown:
            d["breakdown"] = [k.to_dict() for k in self.breakdown]
        if self.layers:
            d["layers"] = [x.to_dict() for x in self.layers]
        return jsonable(d)

    def to_json(self, breakdown: bool = True, indent: int | None = 2) -> str:
        """The versioned ``graphs.analyze`` JSON document of this one result — what
        ``graphs analyze MODEL -H ID -f json`` writes (see :func:`graphs.to_json` for several)."""
        from graphs.documents import render
        return render("graphs.analyze", {"results": [self.to_dict(breakdown)]}, indent=indent)

    def to_dataframe(self, what: str = "kernels") -> Any:
        """A pandas DataFrame: one row per kernel of the breakdown (``what="kernels"``), or per row of
        the per-layer view (``what="layers"``, after ``graphs.analyze(..., layers=True)``). Needs pandas."""
        from graphs.frames import result_frame
        return result_frame(self, what)

    def summary(self) -> dict[str, Any]:
        """One flat row: model, hardware, latency and its interval, confidence, FLOPs, bytes, memory,
        energy ... (the columns of ``graphs analyze -f csv`` and more; numbers are numbers, unknown is None)."""
        from graphs.output import jsonable
        m = self.metrics
        return jsonable({
            "model": m.get("model"), "hardware": m.get("hardware"), "hardware_name": m.get("hardware_name"),
            "precision": m.get("precision"), "runtime": m.get("runtime"),
            "latency_s": self.value, "low_s": self.low, "high_s": self.high, "confidence": self.confidence.name,
            "flops": m.get("flops"), "bytes": m.get("bytes"), "parameters": m.get("parameters"),
            "parameter_bytes": m.get("parameter_bytes"), "peak_activation_bytes": m.get("peak_activation_bytes"),
            "memory_bytes": m.get("memory_bytes"), "device_memory_bytes": m.get("device_memory_bytes"),
            "fits": m.get("fits"), "kernels": m.get("kernels"), "estimator": self.provenance.estimator,
            "energy_j": m.get("energy_j"), "achieved_flops_per_s": m.get("achieved_flops_per_s"),
        })


def combine_confidence(parts: Sequence[tuple[ConfidenceLevel, float]], share: float = CONFIDENCE_TIME_SHARE) -> ConfidenceLevel:
    """Weakest level among parts, weighted by time.

    Levels are walked from weakest to strongest; the first whose parts together carry at
    least ``share`` of the total time is the answer. A model that is 95 % CALIBRATED by time
    with a few THEORETICAL odd kernels stays CALIBRATED; one with 30 % THEORETICAL is not.
    """
    total = sum(t for _, t in parts)
    if not parts:
        return ConfidenceLevel.THEORETICAL
    if total <= 0:
        return min(c for c, _ in parts)
    for level in sorted(ConfidenceLevel):
        if sum(t for c, t in parts if c == level) / total >= share:
            return level
    return max(c for c, _ in parts)


def sum_results(results: Iterable[EstimationResult], unit: str, provenance: Provenance) -> EstimationResult:
    """Sum results whose errors are assumed fully correlated (interval ends add)."""
    rs = list(results)
    return EstimationResult(
        value=sum(r.value for r in rs), unit=unit,
        low=sum(r.low for r in rs), high=sum(r.high for r in rs),
        confidence=combine_confidence([(r.confidence, r.value) for r in rs]),
        provenance=provenance,
    )
