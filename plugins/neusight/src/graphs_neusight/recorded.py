"""Recorded results: published whole-model predictions replayed as EstimationResults.

The NeuSight artifact ships, per GPU, the predictions of four methods for the models it
measured (``neusight/peer_predictions/<GPU>/<method>/<tag>.json``, same format as a NeuSight
``.json`` output) and the measurements themselves (``neusight/labels/<GPU>/<tag>.json``). This
module indexes them by :class:`RecordKey` so a harness can compare graphs against those methods
on exactly the published rows without running any tool.

Methods (folder → estimator name): ``neusight`` → ``neusight``, ``habitat`` → ``habitat``,
``roofline`` → ``roofline``, ``micro`` → ``li-et-al`` (Li et al.'s micro-benchmark based
model, "Li et al." in ``peer_summary``).

Decision: this lives in ``graphs-neusight`` (not core) because the file layout and format are
NeuSight's; a generic harness only needs :meth:`RecordedPredictions.get` / ``items``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from graphs.errors import GraphsError
from graphs.results import ConfidenceLevel, EstimationResult
from graphs_neusight.output import json_result, read_prediction_json

METHODS = {"neusight": "neusight", "habitat": "habitat", "roofline": "roofline", "micro": "li-et-al"}
METHOD_CONFIDENCE = {"roofline": ConfidenceLevel.THEORETICAL}   # others: models fitted on other GPUs' measurements
_TAG = re.compile(r"^(?P<model>[A-Za-z0-9_]+)-(?P<mode>inf|train)-(?P<seq>\d+)-(?P<batch>\d+)(?:-(?P<option>[\w]+))?$")


@dataclass(frozen=True, order=True)
class RecordKey:
    """One published configuration: GPU folder name, model config name, mode, sequence length, batch, option."""

    gpu: str
    model: str
    mode: str
    seq: int
    batch: int
    option: str = ""    # "", "fusion", "dp4", "tp4", "pp4_1"

    @classmethod
    def from_tag(cls, gpu: str, tag: str) -> "RecordKey":
        m = _TAG.match(tag)
        if not m:
            raise ValueError(f"not a NeuSight tag: {tag!r} (expected model-mode-seq-batch[-option])")
        return cls(gpu, m["model"], m["mode"], int(m["seq"]), int(m["batch"]), m["option"] or "")

    @property
    def tag(self) -> str:
        base = f"{self.model}-{self.mode}-{self.seq}-{self.batch}"
        return f"{base}-{self.option}" if self.option else base


class RecordedPredictions:
    """Index of ``peer_predictions`` (and ``labels``) under a NeuSight data root."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        pred = self.root / "peer_predictions"
        if not pred.is_dir():
            raise GraphsError(f"{self.root}: no peer_predictions folder (expected the NeuSight artifact layout)")
        self._files: dict[tuple[str, RecordKey], Path] = {}
        for f in sorted(pred.glob("*/*/*.json")):
            method = f.parent.name
            if method not in METHODS:
                continue
            self._files[(METHODS[method], RecordKey.from_tag(f.parent.parent.name, f.stem))] = f
        self._labels: dict[RecordKey, Path] = {}
        for f in sorted((self.root / "labels").glob("*/*.json")):
            try:
                self._labels[RecordKey.from_tag(f.parent.name, f.stem)] = f
            except ValueError:
                continue

    # --- queries ---------------------------------------------------------------------------------
    @property
    def methods(self) -> list[str]:
        return sorted({m for m, _ in self._files})

    def keys(self, method: str | None = None) -> list[RecordKey]:
        return sorted({k for m, k in self._files if method is None or m == method})

    def __len__(self) -> int:
        return len(self._files)

    def path(self, method: str, key: RecordKey) -> Path:
        try:
            return self._files[(method, key)]
        except KeyError:
            known = ", ".join(self.methods)
            raise GraphsError(f"no recorded {method!r} prediction for {key.gpu}/{key.tag} (methods: {known})") from None

    def get(self, method: str, key: RecordKey) -> EstimationResult:
        """The published prediction as an EstimationResult (ms; ``metrics`` holds every field of the file)."""
        p = self.path(method, key)
        r = json_result(p, estimator=method, hardware=key.gpu,
                        confidence=METHOD_CONFIDENCE.get(method, ConfidenceLevel.INTERPOLATED),
                        notes=(f"recorded: {method} prediction published in the NeuSight artifact, replayed",))
        r.metrics.update({"recorded": True, "method": method, "key": key.tag, "gpu": key.gpu})
        return r

    def items(self, method: str | None = None) -> Iterator[tuple[str, RecordKey, EstimationResult]]:
        for (m, k) in sorted(self._files, key=lambda t: (t[0], t[1])):
            if method is None or m == method:
                yield m, k, self.get(m, k)

    def measured_ms(self, key: RecordKey) -> float | None:
        """The measured end-to-end latency (ms) of the same configuration, if ``labels`` has it."""
        p = self._labels.get(key)
        return float(read_prediction_json(p)["e2e_latency"]) if p else None
