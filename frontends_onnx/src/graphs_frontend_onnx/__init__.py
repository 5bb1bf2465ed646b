"""graphs frontend for ONNX models (``onnx::<OpType>`` op types).

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr


__version__ = "0.1.0"

_EXPORTS = {
    "OnnxFrontend": ("graphs_frontend_onnx.frontend", "OnnxFrontend"),
    "looks_like_onnx": ("graphs_frontend_onnx.frontend", "looks_like_onnx"),
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
