"""How one ATen call becomes an IR node: op type, tensor inputs and attributes.

Shared by both tracers (the dispatch recorder and ``make_fx``). Conventions:

* op type = ``<namespace>::<op name>`` with the overload dropped (``aten.add.Tensor`` and
  ``aten.add.Scalar`` are both ``aten::add``); the overload is kept in ``attrs["overload"]``
  when it is not ``default``. No handler needs it to cost a node.
* tensor arguments become inputs in schema order: an absent optional tensor (``bias=None``)
  keeps its slot as ``""`` (trailing ones are dropped); a ``Tensor[]`` argument is spliced in
  and its length kept as ``<arg>_count``. Every other argument becomes an attribute named as
  in the ATen schema, defaults filled in (``stride``, ``padding``, ``groups``,
  ``transposed`` ...). Pooling ops also get ``kernel`` (the window, one entry per spatial dim).
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from graphs.errors import FrontendError
from graphs.ir import TensorSpec

_DTYPES: dict[torch.dtype, str] = {
    torch.float64: "float64", torch.float32: "float32", torch.float16: "float16", torch.bfloat16: "bfloat16",
    torch.int64: "int64", torch.int32: "int32", torch.int16: "int16", torch.int8: "int8", torch.uint8: "uint8",
    torch.bool: "bool", torch.complex64: "complex64", torch.complex128: "complex128",
}
for _t, _n in (("float8_e4m3fn", "float8_e4m3"), ("float8_e5m2", "float8_e5m2")):
    if hasattr(torch, _t):
        _DTYPES[getattr(torch, _t)] = _n

# Ops that only check things at trace time: they compute nothing and write nothing.
CHECK_ONLY = frozenset({"_assert_async", "_assert_scalar", "_assert_tensor_metadata", "sym_constrain_range",
                        "sym_constrain_range_for_size", "_print"})


def dtype_name(dtype: torch.dtype) -> str:
    try:
        return _DTYPES[dtype]
    except KeyError:
        raise FrontendError(f"tensor dtype {dtype} is not supported by graphs") from None


def tensor_spec(t: torch.Tensor) -> TensorSpec:
    return TensorSpec(tuple(int(d) for d in t.shape), dtype_name(t.dtype))


def attr_value(v: Any) -> Any:
    """A frozen, printable attribute value (dtypes by their graphs name, other objects as str)."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)):
        return tuple(attr_value(x) for x in v)
    if isinstance(v, torch.dtype):
        return _DTYPES.get(v, str(v))
    return str(v)


def _pool_kernel(attrs: dict[str, Any], spatial: int) -> None:
    k = attrs.get("kernel_size")
    if k is None:
        return
    k = tuple(k) if isinstance(k, (tuple, list)) else (k,)
    if len(k) == 1 and spatial > 1:
        k = k * spatial
    attrs["kernel"] = k
    if not attrs.get("stride"):
        attrs["stride"] = k


ATTR_NORMALISERS: dict[str, Callable[[dict[str, Any]], None]] = {
    f"{p}_pool{n}d{s}": (lambda a, n=n: _pool_kernel(a, n))
    for p in ("max", "avg") for n in (1, 2, 3) for s in ("", "_with_indices")
}


class OpInfo:
    """What the IR needs from one OpOverload, computed once per overload."""

    __slots__ = ("op_type", "short", "overload", "arg_names", "defaults", "tensor_slots", "mutates", "check_only")

    def __init__(self, target: Any) -> None:
        if isinstance(target, torch._ops.OpOverload):
            self.short = target.overloadpacket.__name__
            self.op_type = f"{target.namespace}::{self.short}"
            self.overload = target._overloadname
            self.arg_names = tuple(a.name for a in target._schema.arguments)
            self.defaults = tuple(a.default_value if a.has_default_value() else None for a in target._schema.arguments)
            self.tensor_slots = tuple(str(a.type) in ("Tensor", "Optional[Tensor]") for a in target._schema.arguments)
            self.mutates = bool(target._schema.is_mutable)
        else:  # python callables / higher-order ops: the registry reports them as unsupported
            self.short = getattr(target, "__name__", None) or str(target)
            self.op_type, self.overload, self.arg_names, self.mutates = f"python::{self.short}", "", (), False
            self.defaults = self.tensor_slots = ()
        self.check_only = self.short in CHECK_ONLY


_INFO: dict[Any, OpInfo] = {}


def op_info(target: Any) -> OpInfo:
    info = _INFO.get(target)
    if info is None:
        info = _INFO[target] = OpInfo(target)
    return info


def describe_call(info: OpInfo, args: tuple, kwargs: dict[str, Any], is_tensor: Callable[[Any], bool],
                  name_of: Callable[[Any], str]) -> tuple[list[str], dict[str, Any]]:
    """Inputs (value names, schema order) and attributes of one call."""
    names = info.arg_names
    values = list(args) + list(info.defaults[len(args):])
    for i, an in enumerate(names):
        if an in kwargs:
            values[i] = kwargs[an]
    inputs: list[str] = []
    attrs: dict[str, Any] = {}
    slots = info.tensor_slots
    for i, v in enumerate(values):
        an = names[i] if i < len(names) else f"arg{i}"
        if is_tensor(v):
            inputs.append(name_of(v))
        elif i < len(slots) and slots[i]:  # an absent tensor keeps its slot as ""; a python scalar is an attr
            inputs.append("")
            if v is not None:
                attrs[an] = attr_value(v)
        elif isinstance(v, (list, tuple)) and any(is_tensor(x) for x in v):
            inputs.extend(name_of(x) if is_tensor(x) else "" for x in v)
            attrs[f"{an}_count"] = len(v)
        elif i < len(names) or v is not None:
            attrs[an] = attr_value(v)
    while inputs and not inputs[-1]:
        inputs.pop()
    if info.overload and info.overload != "default":
        attrs["overload"] = info.overload
    norm = ATTR_NORMALISERS.get(info.short)
    if norm is not None:
        norm(attrs)
    return inputs, attrs
