"""graphs: estimate how fast, memory-hungry and power-hungry a neural network is on hardware."""

from graphs.hookspecs import hookimpl, hookspec
from graphs.results import ConfidenceLevel, EstimationResult, KernelEstimate, Provenance
from graphs.ir import Graph, Node, TensorSpec, Quantization, GraphBuilder

__version__ = "0.1.0"

__all__ = [
    "hookimpl", "hookspec", "ConfidenceLevel", "EstimationResult", "KernelEstimate", "Provenance",
    "Graph", "Node", "TensorSpec", "Quantization", "GraphBuilder", "__version__",
]
