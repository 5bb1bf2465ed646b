"""graphs adapter for NeuSight (entry point ``neusight`` in group ``graphs``), plus recorded peer predictions.

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr

_EXPORTS = {
    "METHODS": ("graphs_neusight.recorded", "METHODS"),
    "NeuSightAdapter": ("graphs_neusight.adapter", "NeuSightAdapter"),
    "NeuSightJob": ("graphs_neusight.adapter", "NeuSightJob"),
    "OpPrediction": ("graphs_neusight.output", "OpPrediction"),
    "RecordKey": ("graphs_neusight.recorded", "RecordKey"),
    "RecordedPredictions": ("graphs_neusight.recorded", "RecordedPredictions"),
    "aggregate": ("graphs_neusight.output", "aggregate"),
    "csv_result": ("graphs_neusight.output", "csv_result"),
    "device_config_from_spec": ("graphs_neusight.configs", "device_config_from_spec"),
    "json_result": ("graphs_neusight.output", "json_result"),
    "layer_key": ("graphs_neusight.configs", "layer_key"),
    "read_prediction_csv": ("graphs_neusight.output", "read_prediction_csv"),
    "read_prediction_json": ("graphs_neusight.output", "read_prediction_json"),
    "write_device_config": ("graphs_neusight.configs", "write_device_config"),
    "write_model_config": ("graphs_neusight.configs", "write_model_config"),
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
