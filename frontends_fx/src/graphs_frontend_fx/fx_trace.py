"""The reference tracer: ``make_fx`` on fake tensors, then fx graph -> IR.

Slower than :mod:`graphs_frontend_fx.recorder` (it builds an fx graph of proxies first) but
it is torch's own tracer, so the tests use it to check the recorder op for op. Module scope
reaches the fx nodes through ``torch.fx.traceback``'s current meta (``custom`` field).
"""

from __future__ import annotations

import operator
from contextlib import ExitStack
from typing import Any, Sequence

import torch
import torch.fx.traceback as fx_traceback
from torch.fx import Node as FxNode
from torch.fx.experimental.proxy_tensor import make_fx

from graphs.errors import FrontendError
from graphs.ir import Graph, GraphBuilder

from graphs_frontend_fx.aten_call import describe_call, op_info, tensor_spec
from graphs_frontend_fx.tracing import ScopeHooks, prepare, traced_call

SCOPE_KEY = "graphs_scope"


def _set_scope(scope: str) -> None:
    fx_traceback.get_current_meta()["custom"] = {SCOPE_KEY: scope}


def trace_fx(module: torch.nn.Module, args: Sequence[Any], kwargs: dict[str, Any] | None = None,
             *, name: str = "model") -> torch.fx.GraphModule:
    """``make_fx`` of ``module(*args, **kwargs)``: placeholders are parameters, buffers, then inputs."""
    prep = prepare(module, args, dict(kwargs or {}))
    hooks = ScopeHooks(module, _set_scope)
    with traced_call(hooks, name), ExitStack() as stack:
        stack.enter_context(fx_traceback.preserve_node_meta())
        stack.enter_context(prep.mode)  # factory calls (arange, zeros ...) inside forward become fake too
        gm = make_fx(lambda state, *t: prep.call(state, t), tracing_mode="real")(prep.state, *prep.tensor_args)
    gm.graph.eliminate_dead_code()
    gm.graphs_prepared = prep  # type: ignore[attr-defined]
    return gm


def fx_module_to_graph(module: torch.nn.Module, args: Sequence[Any], kwargs: dict[str, Any] | None = None,
                       *, name: str = "model", meta: dict[str, Any] | None = None) -> Graph:
    """Trace with ``make_fx`` and convert the fx graph into a Graph (same conventions as the recorder)."""
    gm = trace_fx(module, args, kwargs, name=name)
    prep = gm.graphs_prepared  # type: ignore[attr-defined]
    b = GraphBuilder(name, "fx")
    names: dict[FxNode, str] = {}
    multi: dict[FxNode, list[str]] = {}
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    labels = prep.state_names + prep.input_names
    if len(placeholders) != len(labels):
        raise FrontendError(f"{name}: traced graph has {len(placeholders)} inputs, expected {len(labels)}")
    buffer_bytes = 0.0
    for i, (ph, label) in enumerate(zip(placeholders, labels)):
        spec = tensor_spec(ph.meta["val"])
        if i < prep.n_parameters:
            names[ph] = b.parameter(label, spec)
        elif i < len(prep.state_names):
            names[ph] = b.constant(label, spec)
            buffer_bytes += spec.nbytes
        else:
            names[ph] = b.input(label, spec)
    used: dict[FxNode, set[int]] = {}
    for n in gm.graph.nodes:
        if n.op == "call_function" and n.target is operator.getitem:
            used.setdefault(n.args[0], set()).add(int(n.args[1]))
    for n in gm.graph.nodes:
        if n.op == "get_attr":  # tensor constants created inside forward
            names[n] = b.constant(f"const:{n.target}", tensor_spec(getattr(gm, n.target)))
        elif n.op == "output":
            b.output(*[names[x] for x in torch.utils._pytree.tree_leaves(n.args[0]) if isinstance(x, FxNode)])
        elif n.op == "call_function" and n.target is operator.getitem:
            names[n] = multi[n.args[0]][n.args[1]]
        elif n.op == "call_function":
            info = op_info(n.target)
            if info.check_only:
                continue
            inputs, attrs = describe_call(info, n.args, n.kwargs, lambda v: isinstance(v, FxNode), names.__getitem__)
            val = n.meta.get("val")
            outs: list[str] = []
            if isinstance(val, torch.Tensor):
                names[n] = b.value(n.name, tensor_spec(val))
                outs.append(n.name)
            elif isinstance(val, (tuple, list)):
                keep = used.get(n, set())
                vals = [b.value(f"{n.name}#{i}", tensor_spec(t)) if isinstance(t, torch.Tensor) and (i == 0 or i in keep)
                        else "" for i, t in enumerate(val)]
                multi[n] = vals
                outs = list(vals)
                while outs and not outs[-1]:
                    outs.pop()
            elif val is not None:
                raise FrontendError(f"{name}: node {n.name} ({info.op_type}) returns a {type(val).__name__}, "
                                    "not a tensor (data-dependent code cannot be estimated)")
            scope = (n.meta.get("custom") or {}).get(SCOPE_KEY, "")
            b.node(n.name, info.op_type, inputs, outs, attrs, scope)
    b.meta.update(meta or {})
    b.meta["buffers"] = len(prep.state_names) - prep.n_parameters
    b.meta["buffer_bytes"] = buffer_bytes
    return b.build()
