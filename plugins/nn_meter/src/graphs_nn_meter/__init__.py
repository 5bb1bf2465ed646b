"""graphs adapter for nn-Meter (entry point ``nn-meter`` in group ``graphs``)."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl
from graphs_nn_meter.adapter import NNMeterAdapter, NNMeterJob, builtin_predictors, data_folder
from graphs_nn_meter.ir import nhwc, to_nnmeter_ir, write_ir
from graphs_nn_meter.output import Prediction, parse_file, parse_reference_text, parse_stdout_text

__all__ = ["NNMeterAdapter", "NNMeterJob", "Prediction", "builtin_predictors", "data_folder", "nhwc",
           "parse_file", "parse_reference_text", "parse_stdout_text", "to_nnmeter_ir", "write_ir"]


@hookimpl
def graphs_register_tools(register: Callable[..., None]) -> None:
    """Register the nn-Meter adapter."""
    register(NNMeterAdapter())
