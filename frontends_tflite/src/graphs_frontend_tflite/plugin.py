"""Entry point ``frontend-tflite``: registers the TFLite frontend and its op handlers."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl

from graphs_frontend_tflite.frontend import TFLiteFrontend
from graphs_frontend_tflite.handlers import HANDLERS


@hookimpl
def graphs_register_frontends(register: Callable[..., None]) -> None:
    """Register the TFLite frontend."""
    register(TFLiteFrontend())


@hookimpl
def graphs_register_op_handlers(register: Callable[..., None]) -> None:
    """Register handlers for ``tflite::<BUILTIN>``."""
    HANDLERS.register_into(register)
