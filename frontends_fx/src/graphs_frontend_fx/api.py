"""The public entry point: an ``nn.Module`` plus example inputs -> a :class:`graphs.ir.Graph`."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from graphs.errors import FrontendError
from graphs.ir import Graph

TRACERS = {
    "dispatch": "TorchDispatchMode recorder over fake CPU tensors (post-autograd ATen ops)",
    "make_fx": "torch.fx make_fx over fake CPU tensors (post-autograd ATen ops)",
}


def graph_from_module(module: torch.nn.Module, args: Sequence[Any] | torch.Tensor = (),
                      kwargs: dict[str, Any] | None = None, *, name: str = "model",
                      meta: dict[str, Any] | None = None, tracer: str = "dispatch") -> Graph:
    """Trace ``module(*args, **kwargs)`` (eval mode, no grad, no weights touched) into a Graph.

    ``args`` may be one tensor or a sequence; tensors may live on any device (meta included):
    only their shapes, strides and dtypes are used. Parameters become ``Graph.parameters``;
    buffers become ``Graph.constants`` (``meta["buffer_bytes"]``, not in the parameter bytes).
    ``tracer`` is ``dispatch`` (default, fast) or ``make_fx`` (torch's fx tracer; same graph).
    """
    if isinstance(args, torch.Tensor):
        args = (args,)
    info = {"tracer": TRACERS.get(tracer, tracer), "torch": str(torch.__version__),
            # module path -> class name, for the per-layer view (graphs analyze --layers)
            "module_types": {n: type(m).__name__ for n, m in module.named_modules()},
            **(meta or {})}
    if tracer == "dispatch":
        from graphs_frontend_fx.recorder import record_module
        return record_module(module, tuple(args), kwargs, name=name, meta=info)
    if tracer == "make_fx":
        from graphs_frontend_fx.fx_trace import fx_module_to_graph
        return fx_module_to_graph(module, tuple(args), kwargs, name=name, meta=info)
    raise FrontendError(f"unknown tracer {tracer!r} (expected one of {', '.join(TRACERS)})")
