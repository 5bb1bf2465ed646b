"""The JSON documents graphs-sweep prints (``graphs sweep -f json`` summary, ``graphs plan -f json``)."""

from __future__ import annotations

from typing import Any

from graphs.documents import Payload, register_document


class SweepDoc(Payload):
    """`graphs sweep -f json`: what the run did (the rows themselves are in the Parquet file it wrote)."""

    output: str
    points: int
    computed: int
    tasks: int
    executor: str
    elapsed_s: float
    points_per_s: float
    status: dict[str, int]


class PlanDoc(Payload):
    """`graphs plan -f json`: every candidate configuration with latency, cost and energy, the Pareto front."""

    model: str
    mode: str
    workload: dict[str, Any]
    constraints: dict[str, Any]
    constraints_text: list[str]
    candidates: list[dict[str, Any]]
    prices: dict[str, dict[str, Any]]
    notes: list[str]
    refused: list[dict[str, Any]]


register_document("graphs.sweep", 1, SweepDoc)
register_document("graphs.plan", 1, PlanDoc)
