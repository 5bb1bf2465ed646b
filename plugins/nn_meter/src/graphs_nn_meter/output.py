"""Parsers of nn-Meter latency predictions.

* ``reference_result.txt`` (nn-Meter's published reference predictions): a CSV with header
  ``model_name, model_type, predictor, predictor_version, latency`` (ms);
* ``nn-meter predict`` standard output: ``[RESULT] predict latency for <file>: <ms> ms``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from graphs.results import ConfidenceLevel, EstimationResult
from graphs_tools import ToolOutputError, point_result

_RESULT = re.compile(r"\[RESULT\] predict latency for (?P<model>.+?): (?P<ms>[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?) ms")
HEADER = ("model_name", "model_type", "predictor", "predictor_version", "latency")


@dataclass(frozen=True)
class Prediction:
    model: str
    model_type: str
    predictor: str
    predictor_version: str
    latency_ms: float

    def to_result(self, source: str = "") -> EstimationResult:
        return point_result(
            self.latency_ms, "ms", estimator="nn-meter", hardware=self.predictor, source=source,
            notes=(f"nn-Meter predictor {self.predictor} v{self.predictor_version} (kernel-level random forests "
                   "fitted on measurements of that device)",),
            metrics={"model": self.model, "model_type": self.model_type, "predictor": self.predictor,
                     "predictor_version": self.predictor_version, "latency_ms": self.latency_ms},
            confidence=ConfidenceLevel.CALIBRATED)


def parse_reference_text(text: str, source: str = "<text>") -> list[Prediction]:
    rows = list(csv.reader(line for line in text.splitlines() if line.strip()))
    if not rows or tuple(c.strip() for c in rows[0]) != HEADER:
        raise ToolOutputError(f"{source}: expected header {', '.join(HEADER)}")
    out = []
    for i, r in enumerate(rows[1:], start=2):
        if len(r) != len(HEADER):
            raise ToolOutputError(f"{source}:{i}: expected {len(HEADER)} columns, got {len(r)}")
        model, mtype, pred, ver, lat = (c.strip() for c in r)
        try:
            out.append(Prediction(model, mtype, pred, ver, float(lat)))
        except ValueError:
            raise ToolOutputError(f"{source}:{i}: latency {lat!r} is not a number") from None
    return out


def parse_stdout_text(text: str, *, predictor: str = "", version: str = "", source: str = "<stdout>"
                      ) -> list[Prediction]:
    found = [Prediction(m["model"], "nn-meter-ir", predictor, version, float(m["ms"])) for m in _RESULT.finditer(text)]
    if not found:
        raise ToolOutputError(f"{source}: no '[RESULT] predict latency for <model>: <ms> ms' line")
    return found


def parse_file(path: str | Path, **kw: str) -> list[Prediction]:
    p = Path(path)
    if not p.exists():
        raise ToolOutputError(f"{p}: nn-Meter output not found")
    text = p.read_text(encoding="utf-8", errors="replace")
    if text.lstrip().startswith("model_name"):
        return parse_reference_text(text, str(p))
    return parse_stdout_text(text, source=str(p), **kw)
