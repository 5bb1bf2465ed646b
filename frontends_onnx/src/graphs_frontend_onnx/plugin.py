"""Entry point ``frontend-onnx``: registers the ONNX frontend and its op handlers."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl

from graphs_frontend_onnx.frontend import OnnxFrontend
from graphs_frontend_onnx.handlers import HANDLERS


@hookimpl
def graphs_register_frontends(register: Callable[..., None]) -> None:
    """Register the ONNX frontend."""
    register(OnnxFrontend())


@hookimpl
def graphs_register_op_handlers(register: Callable[..., None]) -> None:
    """Register handlers for ``onnx::<OpType>``."""
    HANDLERS.register_into(register)
