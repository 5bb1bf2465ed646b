"""Measured ops as :class:`graphs.partition.Kernel`\\ s, costed with core's own op formulas.

Data sets record an op by name and shapes (``bmm B,M,N,K``, ``ln B,H``, a torch.fx node with
its input and output shapes). These builders turn such a record into the kernel that eager
PyTorch runs for it, with FLOPs and bytes from :mod:`graphs.ops.kinds` — exactly as they are
counted for a traced model — so a family engine can model it and a calibration can be
fitted to, or checked against, the measurement.
"""

from __future__ import annotations

import math
from typing import Sequence

from graphs.ir import DTYPE_BITS, Node, TensorSpec
from graphs.ops import kinds
from graphs.ops.registry import OpCost, OpView
from graphs.partition import GemmShape, Kernel

# NeuSight kernel-set op names -> canonical kinds
ELEMENTWISE_BINARY = {"add": "add", "mul": "mul", "div": "div", "pow": "pow", "sub": "sub"}
ELEMENTWISE_UNARY = {"addu": "add", "mulu": "mul", "divu": "div", "powu": "pow", "relu": "relu",
                     "gelu": "gelu", "tanh": "tanh"}


def make_kernel(name: str, kind: str, ins: Sequence[TensorSpec], outs: Sequence[TensorSpec],
                gemm: GemmShape | None = None, attrs: dict | None = None) -> Kernel:
    """One kernel anchored on one op of canonical ``kind`` (its category from the kind registry)."""
    info = kinds.KINDS[kind]
    cat = info.category
    node = Node(name, f"dataset::{kind}", tuple(f"i{i}" for i in range(len(ins))), ("o",), attrs or {})
    cost: OpCost = kinds.default_formula(kind)(OpView.of(node, list(ins), list(outs)))
    return Kernel(name=name, nodes=(name,), kind=kind, category=cat, flops=cost.flops,
                  matrix_flops=cost.flops if cat.is_matrix else 0.0, bytes_read=cost.bytes_read,
                  bytes_written=cost.bytes_written, dtype=outs[0].dtype, gemm=gemm, attrs=dict(attrs or {}))


def gemm_kernel(b: int, m: int, n: int, k: int, dtype: str = "float32", linear: bool = False,
                bias: bool = True) -> Kernel:
    """bmm ``(B,M,K)@(B,K,N)``, or linear ``x(B,M,K)·W(N,K)ᵀ (+ bias(N))``."""
    if linear:
        ins = [TensorSpec((b, m, k), dtype), TensorSpec((n, k), dtype)] + ([TensorSpec((n,), dtype)] if bias else [])
        return make_kernel("linear", "linear", ins, [TensorSpec((b, m, n), dtype)], GemmShape(b * m, n, k))
    ins = [TensorSpec((b, m, k), dtype), TensorSpec((b, k, n), dtype)]
    return make_kernel("bmm", "matmul", ins, [TensorSpec((b, m, n), dtype)], GemmShape(m, n, k, b))


def conv_kernel(b: int, cin: int, cout: int, ks: int, size: int, stride: int, pad: int,
                dtype: str = "float32") -> Kernel | None:
    """A square 2-D convolution (NeuSight's conv set); None if the output would be empty."""
    if size + 2 * pad - ks < 0:
        return None
    out = (size + 2 * pad - ks) // stride + 1
    ins = [TensorSpec((b, cin, size, size), dtype), TensorSpec((cout, cin, ks, ks), dtype), TensorSpec((cout,), dtype)]
    return make_kernel("conv", "conv", ins, [TensorSpec((b, cout, out, out), dtype)],
                       GemmShape(b * out * out, cout, cin * ks * ks), {"groups": 1})


def rowwise_kernel(kind: str, shape: Sequence[int], dtype: str = "float32") -> Kernel:
    """``layer_norm`` (with affine weights) or ``softmax`` over the last dimension of ``shape``."""
    x = TensorSpec(tuple(shape), dtype)
    if kind in ("layer_norm", "rms_norm"):
        g = TensorSpec((shape[-1],), dtype)
        return make_kernel(kind, kind, [x, g, g], [x])
    return make_kernel(kind, kind, [x], [x])


def elementwise_kernel(kind: str, in_shapes: Sequence[Sequence[int]], out_shape: Sequence[int],
                       dtype: str = "float32", in_dtypes: Sequence[str] | None = None) -> Kernel:
    """An elementwise op reading ``in_shapes`` (broadcast) and writing ``out_shape``."""
    dts = list(in_dtypes) if in_dtypes is not None else [dtype] * len(in_shapes)
    ins = [TensorSpec(tuple(s), d) for s, d in zip(in_shapes, dts)]
    return make_kernel(kind, kind, ins, [TensorSpec(tuple(out_shape), dtype)])


def vector_kernel(op: str, b: int, h: int, dtype: str = "float32") -> Kernel:
    """NeuSight's vector ops on a ``(B, H)`` tensor: add/mul/div/pow (two tensors), addu ... (tensor and scalar), ln, softmax."""
    if op in ELEMENTWISE_BINARY:
        return elementwise_kernel(ELEMENTWISE_BINARY[op], [(b, h), (b, h)], (b, h), dtype)
    if op in ELEMENTWISE_UNARY:
        return elementwise_kernel(ELEMENTWISE_UNARY[op], [(b, h)], (b, h), dtype)
    if op == "ln":
        return rowwise_kernel("layer_norm", (b, h), dtype)
    if op == "softmax":
        return rowwise_kernel("softmax", (b, h), dtype)
    raise KeyError(f"unknown vector op {op!r}")


def embedding_kernel(index_shape: Sequence[int], out_shape: Sequence[int], dtype: str = "float32",
                     index_dtype: str = "int64") -> Kernel:
    """A row gather: reads the selected table rows and the indices, writes the output."""
    table = TensorSpec((1, out_shape[-1]), dtype)  # only the gathered rows are read
    return make_kernel("embedding", "embedding", [table, TensorSpec(tuple(index_shape), index_dtype)],
                       [TensorSpec(tuple(out_shape), dtype)])


def copy_kernel(shape: Sequence[int], dtype: str = "float32", in_dtype: str | None = None,
                kind: str = "copy") -> Kernel:
    """A materialising copy (``contiguous``, a dtype cast, a strided ``reshape``)."""
    return make_kernel(kind, kind, [TensorSpec(tuple(shape), in_dtype or dtype)], [TensorSpec(tuple(shape), dtype)])


def fill_kernel(shape: Sequence[int], dtype: str = "float32") -> Kernel:
    """Writes a new tensor (``ones``, ``full``, ``arange``) without reading one."""
    return make_kernel("fill", "fill", [], [TensorSpec(tuple(shape), dtype)])


def numel(shape: Sequence[int]) -> int:
    return math.prod(int(d) for d in shape)


def known_dtype(name: str) -> str | None:
    """``torch.float32`` / ``float32`` -> ``float32`` if graphs knows it, else None."""
    d = name.strip().removeprefix("torch.")
    return d if d in DTYPE_BITS else None


__all__ = ["make_kernel", "gemm_kernel", "conv_kernel", "rowwise_kernel", "elementwise_kernel", "vector_kernel",
           "embedding_kernel", "copy_kernel", "fill_kernel", "numel", "known_dtype"]
