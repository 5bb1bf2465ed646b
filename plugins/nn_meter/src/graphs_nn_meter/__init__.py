"""graphs adapter for nn-Meter (entry point ``nn-meter`` in group ``graphs``).

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr

_EXPORTS = {
    "NNMeterAdapter": ("graphs_nn_meter.adapter", "NNMeterAdapter"),
    "NNMeterJob": ("graphs_nn_meter.adapter", "NNMeterJob"),
    "Prediction": ("graphs_nn_meter.output", "Prediction"),
    "builtin_predictors": ("graphs_nn_meter.adapter", "builtin_predictors"),
    "data_folder": ("graphs_nn_meter.adapter", "data_folder"),
    "find_predictor": ("graphs_nn_meter.adapter", "find_predictor"),
    "known_predictors": ("graphs_nn_meter.adapter", "known_predictors"),
    "missing_files": ("graphs_nn_meter.adapter", "missing_files"),
    "nhwc": ("graphs_nn_meter.ir", "nhwc"),
    "parse_file": ("graphs_nn_meter.output", "parse_file"),
    "parse_reference_text": ("graphs_nn_meter.output", "parse_reference_text"),
    "parse_stdout_text": ("graphs_nn_meter.output", "parse_stdout_text"),
    "to_nnmeter_ir": ("graphs_nn_meter.ir", "to_nnmeter_ir"),
    "write_ir": ("graphs_nn_meter.ir", "write_ir"),
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
