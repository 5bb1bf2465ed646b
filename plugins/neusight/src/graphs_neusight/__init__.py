"""graphs adapter for NeuSight (entry point ``neusight`` in group ``graphs``), plus recorded peer predictions."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl
from graphs_neusight.adapter import NeuSightAdapter, NeuSightJob
from graphs_neusight.configs import device_config_from_spec, layer_key, write_device_config, write_model_config
from graphs_neusight.output import (OpPrediction, aggregate, csv_result, json_result, read_prediction_csv,
                                    read_prediction_json)
from graphs_neusight.recorded import METHODS, RecordedPredictions, RecordKey

__all__ = ["NeuSightAdapter", "NeuSightJob", "OpPrediction", "RecordedPredictions", "RecordKey", "METHODS",
           "aggregate", "csv_result", "device_config_from_spec", "json_result", "layer_key", "read_prediction_csv",
           "read_prediction_json", "write_device_config", "write_model_config"]


@hookimpl
def graphs_register_tools(register: Callable[..., None]) -> None:
    """Register the NeuSight adapter."""
    register(NeuSightAdapter())
