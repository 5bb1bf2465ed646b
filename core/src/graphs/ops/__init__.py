"""Operator registry: canonical op kinds (with FLOP/byte/memory formulas) and the handlers
that map each namespaced op type (``aten::convolution``, ``onnx::Conv`` ...) onto one kind."""

from graphs.ops.registry import (
    Category,
    KindInfo,
    OpCost,
    OpView,
    OpHandler,
    OpRegistry,
    op_handler,
    HandlerTable,
)
from graphs.ops import kinds

__all__ = ["Category", "KindInfo", "OpCost", "OpView", "OpHandler", "OpRegistry", "op_handler", "HandlerTable", "kinds"]
