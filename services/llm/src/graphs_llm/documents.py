"""The JSON documents graphs-llm prints (``graphs serve|train|serving simulate -f json``); see docs/json.md."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import Field

from graphs.documents import KernelModel, Payload, register_document


class Interval(Payload):
    value: float = Field(ge=0, description="seconds")
    low: float = Field(ge=0)
    high: float = Field(ge=0)
    confidence: str


class ServeDoc(Payload):
    """`graphs serve -f json`: one request batch through prefill and decode (TTFT, TPOT, memory, KV cache)."""

    model: str
    hardware: str
    options: dict[str, Any]
    config: dict[str, Any]
    ttft: Interval
    tpot: Interval
    e2e: Interval
    tokens_per_s: float = Field(ge=0)
    decode_tokens_per_s: float = Field(ge=0)
    memory: dict[str, Any]
    fits: bool
    max_batch: Optional[int]
    kernels: list[KernelModel]
    notes: list[str]


class TrainDoc(Payload):
    """`graphs train -f json`: one training step under data/tensor/pipeline/expert parallelism."""

    model: str
    system: str
    device: str
    parallel: dict[str, Any]
    options: dict[str, Any]
    step_s: float = Field(gt=0)
    low_s: float = Field(gt=0)
    high_s: float = Field(gt=0)
    confidence: str
    breakdown: dict[str, float]
    stages: list[dict[str, Any]]
    tokens_per_s: float = Field(ge=0)
    mfu: Optional[float]
    memory: dict[str, Any]
    fits: Optional[bool]
    comm: dict[str, float]
    notes: list[str]


class SimulateDoc(Payload):
    """`graphs serving simulate -f json`: the scenario and its request-level summary (TTFT/TPOT/E2E percentiles)."""

    scenario: dict[str, Any]
    summary: dict[str, Any]
    vidur_inputs: list[str]


register_document("graphs.serve", 1, ServeDoc)
register_document("graphs.train", 1, TrainDoc)
register_document("graphs.serving.simulate", 1, SimulateDoc)
