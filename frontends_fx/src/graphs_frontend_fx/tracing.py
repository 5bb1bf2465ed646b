"""What both tracers share: fake state, input names, module scope, one-line errors.

Parameters and buffers are re-created as fake *CPU* tensors (meta-backed: no memory) and
passed in explicitly through ``torch.func.functional_call``, so each is a named input of
the trace and no weight is ever allocated. Fake CPU tensors (rather than plain meta tensors)
make the dispatcher choose the kernels a CPU run would choose, e.g. the fused
``_scaled_dot_product_flash_attention_for_cpu`` instead of the decomposed math path.
"""

from __future__ import annotations

import inspect
import logging
import traceback
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

import torch
import torch._dynamo  # noqa: F401  (fake tensors and functional_call import it on first use: pay it at import)
import torch._subclasses.fake_tensor  # noqa: F401
from torch.utils import _pytree as pytree

from graphs.errors import FrontendError


@dataclass
class Prepared:
    """A module's call made traceable: fake state and fake inputs, with their names.

    :param state_names: parameter FQNs then buffer FQNs (deduplicated: tied weights once).
    """

    module: torch.nn.Module
    mode: Any
    state_names: list[str]
    state: list[torch.Tensor]
    n_parameters: int
    tensor_args: list[torch.Tensor]
    input_names: list[str]
    flat: list[Any]
    tree: Any
    tensor_pos: list[int]

    def call(self, state: Sequence[torch.Tensor], tensors: Sequence[torch.Tensor]) -> Any:
        """Run the module functionally with ``state`` as its parameters/buffers and ``tensors`` as inputs."""
        leaves = list(self.flat)
        for i, t in zip(self.tensor_pos, tensors):
            leaves[i] = t
        a, kw = pytree.tree_unflatten(leaves, self.tree)
        return torch.func.functional_call(self.module, dict(zip(self.state_names, state)), a, kw,
                                          tie_weights=True, strict=False)


def _fake_like(t: torch.Tensor, mode: Any) -> torch.Tensor:
    """A fake CPU tensor with ``t``'s shape, strides and dtype (no data, nothing allocated)."""
    with mode:
        return torch.empty_strided(tuple(t.shape), tuple(t.stride()), dtype=t.dtype, device="cpu")


def input_names(module: torch.nn.Module, args: Sequence[Any], kwargs: dict[str, Any]) -> list[str]:
    """Names for the tensor leaves of ``(args, kwargs)``: forward's parameter names (``x``, ``x.0`` ...)."""
    try:
        params = [p for p in inspect.signature(module.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names: list[str] = []
    items = [(params[i].name if i < len(params) else f"input{i}", a) for i, a in enumerate(args)]
    items += list(kwargs.items())
    for base, a in items:
        if isinstance(a, torch.Tensor):
            names.append(base)
        else:
            leaves = [x for x in pytree.tree_leaves(a) if isinstance(x, torch.Tensor)]
            names.extend(f"{base}.{i}" for i in range(len(leaves)))
    return names


def prepare(module: torch.nn.Module, args: Sequence[Any], kwargs: dict[str, Any]) -> Prepared:
    """Fake copies of the module's parameters, buffers and tensor inputs (shapes/strides/dtypes only)."""
    module.eval()
    mode = torch._subclasses.fake_tensor.FakeTensorMode(allow_non_fake_inputs=True)
    params = list(module.named_parameters(remove_duplicate=True))
    buffers = list(module.named_buffers(remove_duplicate=True))
    state = [_fake_like(t, mode) for _, t in params + buffers]
    flat, tree = pytree.tree_flatten((tuple(args), dict(kwargs)))
    pos = [i for i, x in enumerate(flat) if isinstance(x, torch.Tensor)]
    return Prepared(module, mode, [n for n, _ in params + buffers], state, len(params),
                    [_fake_like(flat[i], mode) for i in pos], input_names(module, args, kwargs), flat, tree, pos)


class ScopeHooks:
    """Global module hooks that keep the path of the module currently running (``scope``)."""

    def __init__(self, module: torch.nn.Module, on_change: Any = None) -> None:
        self.names = {id(m): (n, type(m).__name__) for n, m in module.named_modules(remove_duplicate=False)}
        self.stack: list[tuple[str, str]] = []
        self.scope = ""
        self.on_change = on_change
        self.handles: list[Any] = []

    def _set(self) -> None:
        self.scope = self.stack[-1][0] if self.stack else ""
        if self.on_change is not None:
            self.on_change(self.scope)

    def pre(self, mod: torch.nn.Module, args: Any) -> None:
        entry = self.names.get(id(mod))
        if entry is not None:
            self.stack.append(entry)
            self._set()

    def post(self, mod: torch.nn.Module, args: Any, out: Any) -> None:
        if id(mod) in self.names and self.stack:
            self.stack.pop()
            self._set()

    def __enter__(self) -> "ScopeHooks":
        reg = torch.nn.modules.module
        self.handles = [reg.register_module_forward_pre_hook(self.pre), reg.register_module_forward_hook(self.post)]
        return self

    def __exit__(self, *exc: Any) -> None:
        for h in self.handles:
            h.remove()

    def where(self) -> str:
        if not self.stack:
            return "the top-level forward"
        name, cls = self.stack[-1]
        return f"module {name!r} ({cls})" if name else f"the top-level forward ({cls})"


def _failing_op(exc: BaseException) -> str:
    """The innermost ATen op found in the traceback's frames (``func`` locals), if any."""
    found = ""
    for frame, _ in traceback.walk_tb(exc.__traceback__):
        f = frame.f_locals.get("func")
        if isinstance(f, torch._ops.OpOverload):
            found = f"aten op {f.name()}"
    return found


@contextmanager
def traced_call(hooks: ScopeHooks, name: str) -> Iterator[None]:
    """No grad, module hooks on, MHA fast path off; any failure becomes one FrontendError line
    naming the model, the module being run and the ATen op that failed."""
    fake_log = logging.getLogger("torch._subclasses.fake_tensor")  # it logs each failing op's traceback
    try:
        with ExitStack() as stack:
            if not fake_log.isEnabledFor(logging.DEBUG):
                previous = fake_log.level
                fake_log.setLevel(logging.CRITICAL)
                stack.callback(fake_log.setLevel, previous)
            stack.enter_context(torch.no_grad())
            stack.enter_context(hooks)
            if hasattr(torch.backends, "mha"):  # keep nn.MultiheadAttention's fused fast path out
                prev = torch.backends.mha.get_fastpath_enabled()
                torch.backends.mha.set_fastpath_enabled(False)
                stack.callback(torch.backends.mha.set_fastpath_enabled, prev)
            yield
    except FrontendError:
        raise
    except Exception as e:
        op = _failing_op(e)
        msg = " ".join(str(e).split()) or type(e).__name__
        if len(msg) > 240:
            msg = msg[:240] + "..."
        where = hooks.where() + (f", {op}" if op else "")
        raise FrontendError(f"{name}: tracing failed in {where}: {type(e).__name__}: {msg}") from e
