"""The default tracer: record ATen calls with a ``TorchDispatchMode`` over fake tensors.

This is the mechanism ``make_fx`` is built on (a dispatch mode above ``FakeTensorMode``,
post-autograd, composite-implicit ops decomposed the same way) without building an fx graph
of proxies, which costs about two thirds of ``make_fx``'s time. Every call's outputs are
fake tensors: shape propagation comes for free. Tensors are named by identity; an in-place
op gives its (same) output tensor a new value name, so the IR stays single-assignment.
``tests/test_fx_tracers.py`` checks that both tracers give the same graph.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch.utils import _pytree as pytree
from torch.utils._python_dispatch import TorchDispatchMode

from graphs.errors import FrontendError
from graphs.ir import Graph, GraphBuilder

from graphs_frontend_fx.aten_call import OpInfo, describe_call, op_info, tensor_spec
from graphs_frontend_fx.tracing import Prepared, ScopeHooks, prepare, traced_call

_CIA = torch._C.DispatchKey.CompositeImplicitAutograd
_DETACH = torch.ops.aten.detach.default
_NO_DECOMPOSE = {torch.ops.aten.size.default, torch.ops.aten.stride.default, torch.ops.aten.storage_offset.default}


def _is_composite(func: Any) -> bool:
    if func in _NO_DECOMPOSE or not isinstance(func, torch._ops.OpOverload):
        return False
    try:
        return bool(torch._C._dispatch_has_kernel_for_dispatch_key(func.name(), _CIA))
    except RuntimeError:  # not a dispatcher op (prim::device ...)
        return False


class Recorder(TorchDispatchMode):
    """Records ``(op, args, kwargs, outputs, scope)`` for every ATen call that returns tensors."""

    def __init__(self, hooks: ScopeHooks) -> None:
        super().__init__()
        self.calls: list[tuple[Any, tuple, dict, Any, str]] = []
        self.hooks = hooks
        self._composite: dict[Any, bool] = {}

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        cia = self._composite.get(func)
        if cia is None:
            cia = self._composite[func] = _is_composite(func)
        if cia:  # as make_fx does: trace composite ops through their decomposition
            with self:
                r = func.decompose(*args, **kwargs)
            if r is not NotImplemented:
                return r
        out = func(*args, **kwargs)
        if isinstance(out, torch.Tensor) or (isinstance(out, (tuple, list)) and
                                             any(isinstance(o, torch.Tensor) for o in out)):
            self.calls.append((func, args, kwargs, out, self.hooks.scope))
        return out


def record_module(module: torch.nn.Module, args: Sequence[Any], kwargs: dict[str, Any] | None = None,
                  *, name: str = "model", meta: dict[str, Any] | None = None) -> Graph:
    """Trace ``module(*args, **kwargs)`` (eval, no grad, fake tensors) straight into a Graph."""
    prep = prepare(module, args, dict(kwargs or {}))
    hooks = ScopeHooks(module)
    rec = Recorder(hooks)
    with traced_call(hooks, name):
        with prep.mode, rec:
            out = prep.call(prep.state, prep.tensor_args)
    return _to_graph(prep, rec.calls, out, name, meta or {})


def _is_tensor(x: Any) -> bool:
    return isinstance(x, torch.Tensor)


def _to_graph(prep: Prepared, calls: list, out: Any, name: str, meta: dict[str, Any]) -> Graph:
    b = GraphBuilder(name, "fx")
    value_of: dict[int, str] = {}
    buffer_bytes = 0.0
    for i, (n, t) in enumerate(zip(prep.state_names, prep.state)):
        spec = tensor_spec(t)
        if i < prep.n_parameters:
            b.parameter(n, spec)
        else:
            b.constant(n, spec)
            buffer_bytes += spec.nbytes
        value_of[id(t)] = n
    for n, t in zip(prep.input_names, prep.tensor_args):
        value_of[id(t)] = b.input(n, tensor_spec(t))

    def name_of(t: torch.Tensor) -> str:
        v = value_of.get(id(t))
        if v is None:  # a tensor made outside the trace (closure constant): a constant of the graph
            v = value_of[id(t)] = b.constant(f"const{len(value_of)}", tensor_spec(t))
        return v

    counts: dict[str, int] = {}
    taken = set(value_of.values())
    pending: list[tuple[OpInfo, str, list[str], dict, list[str], list, str]] = []
    for func, args, kwargs, res, scope in calls:
        if func is _DETACH and id(args[0]) in value_of:  # an alias at inference (make_fx drops it too)
            value_of[id(res)] = value_of[id(args[0])]
            continue
        info = op_info(func)
        if info.check_only:
            continue
        inputs, attrs = describe_call(info, args, kwargs, _is_tensor, name_of)
        k = counts.get(info.short, 0)
        node = info.short if k == 0 else f"{info.short}_{k}"
        while node in taken:
            k += 1
            node = f"{info.short}_{k}"
        counts[info.short] = k + 1
        taken.add(node)
        results = [res] if isinstance(res, torch.Tensor) else list(res)
        outs, specs = [], []
        for i, t in enumerate(results):
            if isinstance(t, torch.Tensor):
                vn = node if isinstance(res, torch.Tensor) else f"{node}#{i}"
                value_of[id(t)] = vn
                outs.append(vn)
                specs.append(tensor_spec(t))
            else:
                outs.append("")
                specs.append(None)
        pending.append((info, node, inputs, attrs, outs, specs, scope))

    outputs = [name_of(t) for t in pytree.tree_leaves(out) if isinstance(t, torch.Tensor)]
    if not outputs:
        raise FrontendError(f"{name}: forward returned no tensors")
    live = set(outputs)
    keep = [False] * len(pending)
    for j in range(len(pending) - 1, -1, -1):  # dead-code elimination, as fx's
        info, _, inputs, _, outs, _, _ = pending[j]
        if info.mutates or any(o in live for o in outs):
            keep[j] = True
            live.update(inputs)
    for j, (info, node, inputs, attrs, outs, specs, scope) in enumerate(pending):
        if not keep[j]:
            continue
        outs = [o if (i == 0 or o in live) else "" for i, o in enumerate(outs)]  # unread extra outputs
        while outs and not outs[-1]:
            outs.pop()
        for o, spec in zip(outs, specs):
            if o:
                b.value(o, spec)
        b.node(node, info.op_type, inputs, outs, attrs, scope)
    b.output(*outputs)
    b.meta.update(meta)
    b.meta["buffers"] = len(prep.state) - prep.n_parameters
    b.meta["buffer_bytes"] = buffer_bytes
    return b.build()
