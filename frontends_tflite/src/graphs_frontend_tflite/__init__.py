"""graphs frontend for TFLite flatbuffers (``tflite::<BUILTIN>`` op types).

Names are imported on first use, so importing this package (which collecting plugins does) stays cheap.
"""

from __future__ import annotations

from graphs.lazy import lazy_getattr


__version__ = "0.1.0"

_EXPORTS = {
    "TFLiteFrontend": ("graphs_frontend_tflite.frontend", "TFLiteFrontend"),
    "looks_like_tflite": ("graphs_frontend_tflite.frontend", "looks_like_tflite"),
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_getattr(__name__, _EXPORTS)
