"""graphs: estimate how fast, memory-hungry and power-hungry a neural network is on hardware.

Names are imported on first use (``graphs --version`` imports nothing else).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "hookimpl": "graphs.hookspecs", "hookspec": "graphs.hookspecs",
    "ConfidenceLevel": "graphs.results", "EstimationResult": "graphs.results", "KernelEstimate": "graphs.results",
    "Provenance": "graphs.results",
    "Graph": "graphs.ir", "Node": "graphs.ir", "TensorSpec": "graphs.ir", "Quantization": "graphs.ir",
    "GraphBuilder": "graphs.ir",
}
__all__ = [*sorted(_EXPORTS), "__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
