"""graphs-frontend-fx: PyTorch models into graphs' IR via torch.fx, ATen op handlers, and the zoo.

Importing this package (which every ``graphs`` command does to collect plugins) does not
import torch: tracing code is imported on first use.
"""

from __future__ import annotations

from typing import Any, Callable

from graphs import hookimpl

__all__ = ["graph_from_module"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "graph_from_module":
        from graphs_frontend_fx.api import graph_from_module
        return graph_from_module
    raise AttributeError(name)


@hookimpl
def graphs_register_frontends(register: Callable[..., None]) -> None:
    """Register the ``fx`` frontend (``file.py:factory`` references)."""
    from graphs_frontend_fx.frontend import FxFrontend
    register(FxFrontend())


@hookimpl
def graphs_register_op_handlers(register: Callable[..., None]) -> None:
    """Register a handler for every ATen op the tracer emits."""
    from graphs_frontend_fx.aten_handlers import ATEN
    ATEN.register_into(register)


@hookimpl
def graphs_register_models(register: Callable[..., None]) -> None:
    """Register the zoo (built on the meta device from configs, never from weights)."""
    from graphs_frontend_fx.zoo import SPECS
    for s in SPECS:
        register(s.entry())
