"""What the comparison harness works on: suite rows, one estimator's outcome per row, its run and scores."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Mapping

FAILURE_CLASSES = {
    "F1": "build/install",
    "F2": "runtime",
    "F3": "silent inaccuracy (> 50 % off a known baseline)",
    "F4": "scope mismatch (the estimator cannot express the workload)",
}


@dataclass(frozen=True)
class Row:
    """One workload × hardware configuration of a suite, with its ground truth when there is one.

    :param key: unique id, e.g. ``Tesla_T4/bert_large-inf-512-8``.
    :param model: model name as the data set spells it (``bert_large``) or a zoo name (``bert-base``).
    :param hardware: installed hardware id (``t4``).
    :param device_name: the data set's device name (NeuSight's GPU folder), else the hardware id.
    :param family: ``transformer`` | ``decoder`` | ``cnn``.
    :param measured_s: measured latency (s), ``None`` without ground truth.
    :param independent: the measurement was taken on real hardware and not fitted by any estimator here.
    :param hf_id: the model's Hugging Face id where the suite knows it; ``hf_config`` its config.json.
    """

    key: str
    model: str
    hardware: str
    device_name: str
    family: str
    mode: str = "inf"
    seq: int | None = None
    batch: int = 1
    option: str = ""
    precision: str = "fp32"
    measured_s: float | None = None
    truth: str = ""                    # where the measurement comes from
    independent: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
    hf_id: str | None = None                 # the Hugging Face model id, for tools that take one (VIDUR)
    hf_config: Mapping[str, Any] | None = None   # its config.json, for tools that build from it (NeuSight)

    @property
    def tag(self) -> str:
        base = f"{self.model}-{self.mode}-{self.seq}-{self.batch}"
        return f"{base}-{self.option}" if self.option else base


@dataclass
class Outcome:
    """One estimator on one row: a prediction, or a failure class with its reason (F3 is added at scoring)."""

    row: str
    predicted_s: float | None = None
    failure: str | None = None          # F1 | F2 | F4 (F3 set by the scorer)
    reason: str = ""
    kernels_s: float | None = None      # Σ of the estimator's own kernel-level predictions (composed)
    gamma_measured: float | None = None
    gamma_predicted: float | None = None
    kernel_mape: float | None = None    # its kernel-level error on this row, when measured per op
    metrics: dict[str, Any] = field(default_factory=dict)   # what else it reported (cycles, utilization ...)
    cached: bool = False                # replayed from the tool-run cache (same inputs, same tool version)

    @property
    def ok(self) -> bool:
        return self.predicted_s is not None


@dataclass
class EstimatorRun:
    """An estimator's outcomes on a suite plus the evidence gathered for D2–D5."""

    name: str
    kind: str                             # graphs | recorded | tool
    description: str
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    ttfp_s: float | None = None           # time to first prediction
    ttfp_how: str = "n/a"
    status: str = "ok"                    # ok, or the tool's DiagnosisStatus value
    status_reason: str = ""
    fix: str = ""
    composition: dict[str, Any] = field(default_factory=dict)    # D2 evidence
    held_out: dict[str, Any] = field(default_factory=dict)       # D3 evidence
    deployment: dict[str, Any] = field(default_factory=dict)     # D4 evidence (facts + checks)
    extension: dict[str, Any] = field(default_factory=dict)      # D5 evidence (facts + checks)
    reference: dict[str, Any] = field(default_factory=dict)      # grades carried from another suite
    notes: list[str] = field(default_factory=list)
    wall_s: float | None = None           # what this estimator took in this comparison (tool runs, cache hits ...)

    def predictions(self) -> dict[str, float]:
        return {k: o.predicted_s for k, o in self.outcomes.items() if o.predicted_s is not None}


@dataclass(frozen=True)
class Grade:
    """A 0–3 score and the evidence it was computed from."""

    score: int
    evidence: str


@dataclass
class Scorecard:
    """An estimator's scores, metrics and failure summary on a suite."""

    estimator: str
    kind: str
    grades: dict[str, Grade]
    composite: dict[str, float]           # weighting name -> S
    metrics: dict[str, Any]
    failures: dict[str, int]              # class -> number of rows
    failure_reasons: dict[str, str]       # class -> one representative reason
    ttfp_s: float | None
    ttfp_how: str
    wall_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["grades"] = {k: {"score": g.score, "evidence": g.evidence} for k, g in self.grades.items()}
        return d
