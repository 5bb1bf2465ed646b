"""Entry point ``frontend-onnx``: registers the ONNX frontend and its op handlers."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_frontends(register: Callable[..., None]) -> None:
    """Register the ONNX frontend."""
    from graphs_frontend_onnx.frontend import OnnxFrontend
    register(OnnxFrontend())


@hookimpl
def graphs_register_op_handlers(register: Callable[..., None]) -> None:
    """Register handlers for ``onnx::<OpType>``."""
    from graphs_frontend_onnx.handlers import HANDLERS
    HANDLERS.register_into(register)
