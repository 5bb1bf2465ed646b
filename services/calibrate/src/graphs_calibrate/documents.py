"""The JSON documents graphs-calibrate prints (``graphs benchmark --export|calibrate|validate -f json``)."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import Field

from graphs.documents import Payload, register_document


class ExportDoc(Payload):
    """`graphs benchmark --export -f json`: every stored measurement, one object per kernel or model run."""

    measurements: list[dict[str, Any]]


class CalibrateDoc(Payload):
    """`graphs calibrate -f json`: what was fitted (kernels, model runs, held-out models, curves, overheads)."""

    device: str
    written: str
    kernels: int = Field(ge=0)
    kernels_held_out: int = Field(ge=0)
    kernels_fitted: int = Field(ge=0)
    model_runs: int = Field(ge=0)
    model_runs_fitted: int = Field(ge=0)
    holdout: list[str]
    curves: dict[str, int]
    kernel_overhead_s: Optional[float]
    model_overhead_s: Optional[float]
    model_overhead_fraction: Optional[float]


class TransferDoc(Payload):
    """`graphs calibrate --transfer -f json`: the own-plus-transferred calibration written for a device."""

    device: str
    written: str
    description: str
    curves: int = Field(ge=0)
    transferred_curves: int = Field(ge=0)


class ValidateDoc(Payload):
    """`graphs validate -H ID -f json`: estimates against the store's measurements, per model and kernel."""

    device: str
    calibration: Optional[str]
    conditions: dict[str, Any]
    summary: dict[str, Any]
    kernels_summary: dict[str, Any]
    models: list[dict[str, Any]]
    kernels: list[dict[str, Any]]
    skipped: list[str]


class ValidateDataDoc(Payload):
    """`graphs validate --data DIR -f json`: every labelled row scored by the reader that knows DIR's layout."""

    reader: str
    rows: list[dict[str, Any]]
    skipped: list[Any]


register_document("graphs.benchmark.export", 1, ExportDoc)
register_document("graphs.calibrate", 1, CalibrateDoc)
register_document("graphs.calibrate.transfer", 1, TransferDoc)
register_document("graphs.validate", 1, ValidateDoc)
register_document("graphs.validate.data", 1, ValidateDataDoc)
