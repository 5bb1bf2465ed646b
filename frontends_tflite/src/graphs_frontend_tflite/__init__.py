"""graphs frontend for TFLite flatbuffers (``tflite::<BUILTIN>`` op types)."""

from graphs_frontend_tflite.frontend import TFLiteFrontend, looks_like_tflite

__all__ = ["TFLiteFrontend", "looks_like_tflite"]
__version__ = "0.1.0"
