"""The JSON documents ``graphs compare`` prints (the comparison, and the per-row table written beside ``-o``)."""

from __future__ import annotations

from typing import Any

from graphs.documents import Payload, register_document


class ComparisonModel(Payload):
    suite: dict[str, Any]
    weights: dict[str, list[float]]
    scorecards: list[dict[str, Any]]
    sensitivity: dict[str, Any]
    notes: list[str]
    wall_s: float
    ranked: list[str]


class CompareDoc(Payload):
    """`graphs compare -f json`: one comparison per suite (scorecards, rubric grades, sensitivity, rows)."""

    comparisons: list[ComparisonModel]


class CompareRowsDoc(Payload):
    """`graphs compare -o FILE` (beside FILE, as FILE.rows.json): every row, every estimator's prediction."""

    suite: str
    columns: list[str]
    rows: list[dict[str, Any]]


register_document("graphs.compare", 1, CompareDoc)
register_document("graphs.compare.rows", 1, CompareRowsDoc)
