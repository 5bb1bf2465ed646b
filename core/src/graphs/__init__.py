"""graphs: estimate how fast, memory-hungry and power-hungry a neural network is on hardware.

The Python API mirrors the command line (docs/api.md)::

    import graphs
    r = graphs.analyze("resnet18", "h100", batch=8)      # graphs analyze resnet18 -H h100 --batch 8
    rs = graphs.analyze("resnet18", ["h100", "l4"])      # a list, one result per device
    graphs.load("model.onnx")                             # the model as a graphs Graph
    graphs.hardware.list(), graphs.hardware.get("h100")   # graphs hardware list / show
    graphs.zoo.list(), graphs.plugins.list()              # graphs zoo list / graphs plugins list
    r.to_dict(), r.to_json(), r.to_dataframe(), graphs.to_dataframe(rs)

Names are imported on first use (``import graphs`` and ``graphs --version`` import nothing else).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "analyze": "graphs.api", "load": "graphs.api", "to_dataframe": "graphs.api", "to_json": "graphs.api",
    "hookimpl": "graphs.hookspecs", "hookspec": "graphs.hookspecs",
    "ConfidenceLevel": "graphs.results", "EstimationResult": "graphs.results", "KernelEstimate": "graphs.results",
    "Provenance": "graphs.results",
    "Graph": "graphs.ir", "Node": "graphs.ir", "TensorSpec": "graphs.ir", "Quantization": "graphs.ir",
    "GraphBuilder": "graphs.ir",
    "GraphsError": "graphs.errors", "UnknownModelError": "graphs.errors", "UnknownHardwareError": "graphs.errors",
    "FrontendError": "graphs.errors",
}
#: submodules that are part of the API (``graphs.hardware.list()``, ``graphs.zoo.list()``, ``graphs.plugins.list()``)
_SUBMODULES = ("hardware", "plugins", "zoo")
__all__ = [*sorted(_EXPORTS), *_SUBMODULES, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"graphs.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, *(n for n in globals() if n.startswith("__"))})
