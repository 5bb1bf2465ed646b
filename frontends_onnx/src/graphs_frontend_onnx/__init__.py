"""graphs frontend for ONNX models (``onnx::<OpType>`` op types).

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "OnnxFrontend": ("graphs_frontend_onnx.frontend", "OnnxFrontend"),
    "looks_like_onnx": ("graphs_frontend_onnx.frontend", "looks_like_onnx"),
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module, attr = _EXPORTS[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
