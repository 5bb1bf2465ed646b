"""Entry point ``frontend-tflite``: registers the TFLite frontend and its op handlers (imported on use)."""

from __future__ import annotations

from typing import Callable

from graphs import hookimpl


@hookimpl
def graphs_register_frontends(register: Callable[..., None]) -> None:
    """Register the TFLite frontend."""
    from graphs_frontend_tflite.frontend import TFLiteFrontend
    register(TFLiteFrontend())


@hookimpl
def graphs_register_op_handlers(register: Callable[..., None]) -> None:
    """Register handlers for ``tflite::<BUILTIN>``."""
    from graphs_frontend_tflite.handlers import HANDLERS
    HANDLERS.register_into(register)
