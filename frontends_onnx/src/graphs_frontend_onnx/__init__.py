"""graphs frontend for ONNX models (``onnx::<OpType>`` op types)."""

from graphs_frontend_onnx.frontend import OnnxFrontend, looks_like_onnx

__all__ = ["OnnxFrontend", "looks_like_onnx"]
__version__ = "0.1.0"
