"""Per-node decisions: role-qualified op types, normalised attrs, quantization, parameters."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import onnx

from graphs.ir import Quantization, TensorSpec

from graphs_frontend_onnx.folding import _static_value, _Walk
from graphs_frontend_onnx.handlers import NS

# input slots that carry shapes, axes, indices or quantization parameters, not data
META_SLOTS: Mapping[str, frozenset[int]] = {k: frozenset(v) for k, v in {
    "Reshape": {1}, "Expand": {1}, "Tile": {1}, "Slice": {1, 2, 3, 4}, "Squeeze": {1}, "Unsqueeze": {1},
    "Pad": {1, 2, 3}, "Split": {1}, "Resize": {1, 2, 3}, "Upsample": {1}, "TopK": {1}, "OneHot": {1, 2},
    "ConstantOfShape": {0}, "Range": {0, 1, 2}, "CumSum": {1}, "Trilu": {1}, "Clip": {1, 2},
    "Dropout": {1, 2}, "ReduceSum": {1}, "ReduceMean": {1}, "ReduceMax": {1}, "ReduceMin": {1},
    "ReduceProd": {1}, "ReduceL1": {1}, "ReduceL2": {1}, "ReduceLogSum": {1}, "ReduceLogSumExp": {1},
    "ReduceSumSquare": {1}, "QuantizeLinear": {1, 2}, "DequantizeLinear": {1, 2},
    "QLinearConv": {1, 2, 4, 5, 6, 7}, "QLinearMatMul": {1, 2, 4, 5, 6, 7}, "MatMulInteger": {2, 3},
    "ConvInteger": {2, 3}, "RandomNormalLike": {0}, "RandomUniformLike": {0}, "EyeLike": {0},
}.items()}


# data operands that are buffers, not parameters, in PyTorch (the FX frontend's constants)
BUFFER_SLOTS: Mapping[str, frozenset[int]] = {"BatchNormalization": frozenset({3, 4})}


# quantized ops: inputs reordered so data operands come first, as conv/matmul formulas expect
REORDER = {
    "QLinearConv": (0, 3, 8, 1, 2, 4, 5, 6, 7),
    "QLinearMatMul": (0, 3, 1, 2, 4, 5, 6, 7),
}


INDEX_DTYPES = {"int64", "bool"}


# --- roles, attributes, quantization --------------------------------------------------------
WEIGHT_PATH_OPS = {"Transpose", "Reshape", "Identity", "Cast", "Squeeze", "Unsqueeze", "Flatten",
                   "DequantizeLinear"}


def _weight_source(v: str, w: _Walk) -> str | None:
    """The initializer ``v`` is a view/cast/dequantization of, if any (a weight operand)."""
    for _ in range(8):
        if v in w.init:
            return v
        p = w.producer.get(v)
        if p is None or p.op_type not in WEIGHT_PATH_OPS or not p.input:
            return None
        v = p.input[0]
    return None


def _role(n: onnx.NodeProto, w: _Walk) -> str:
    """Role-qualified op type: a MatMul on a 2-D weight is a linear layer, a Gather on a 2-D
    weight an embedding, an Add of a 1-D weight right after a linear layer its bias."""
    op = n.op_type
    if op == "Expand" and n.output and n.output[0] in w.created:
        return op + ":fill"  # zeros_like(x) / full_like(x): a fill, as aten::zeros_like
    if op in ("MatMul", "MatMulInteger", "QLinearMatMul"):
        b = n.input[3] if op == "QLinearMatMul" and len(n.input) > 3 else (n.input[1] if len(n.input) > 1 else "")
        src = _weight_source(b, w) if b else None
        if src is not None and w.specs[src].rank == 2 and b in w.specs and w.specs[b].rank == 2:
            return op + ":linear"
    if op == "Gather" and n.input:
        src = _weight_source(n.input[0], w)
        axis = 0
        for a in n.attribute:
            if a.name == "axis":
                axis = a.i
        if src is not None and w.specs[src].rank == 2 and axis == 0 and w.specs[src].dtype not in INDEX_DTYPES:
            return op + ":embedding"
        idx = _static_value(n.input[1], w) if len(n.input) > 1 else None
        if idx is not None and np.asarray(idx).ndim == 0:
            return op + ":select"  # x[:, i]: a view in PyTorch (aten::select)
    if op == "Add" and len(n.input) == 2 and n.output:
        for j in (0, 1):
            bias, act = n.input[j], n.input[1 - j]
            src = _weight_source(bias, w)
            out = w.specs.get(act)
            if src is None or out is None or w.specs[bias].rank != 1 or not out.rank \
                    or w.specs[bias].numel != out.shape[-1]:
                continue
            p = w.producer.get(act)
            if p is not None and w.readers.get(act, 0) == 1 and (
                    (p.op_type == "MatMul" and _role(p, w) == "MatMul:linear")
                    or (p.op_type == "Gemm" and len([x for x in p.input if x]) == 2)):
                return op + ":bias"
    return op


def _normalise(n: onnx.NodeProto, attrs: dict[str, Any], w: _Walk) -> dict[str, Any]:
    """Add the canonical attributes of the node's kind (docs/ops.md): groups, kernel, stride, padding,
    dilation, transposed — ONNX spells them group, kernel_shape, strides, pads (begins then ends),
    dilations (the raw ONNX attributes stay too)."""
    op = n.op_type
    out = dict(attrs)
    if op in ("Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "MaxPool", "AveragePool", "LpPool"):
        _spatial(attrs, out)
    if op in ("Conv", "ConvTranspose", "ConvInteger", "QLinearConv"):
        out["groups"] = int(attrs.get("group", 1) or 1)
        wname = n.input[3] if op == "QLinearConv" and len(n.input) > 3 else (n.input[1] if len(n.input) > 1 else "")
        ws = w.specs.get(wname)
        if "kernel_shape" in attrs:
            out["kernel"] = tuple(attrs["kernel_shape"])
        elif ws is not None:
            out["kernel"] = tuple(ws.shape[2:])
        out["transposed"] = op == "ConvTranspose"
    elif op in ("MaxPool", "AveragePool", "LpPool") and "kernel_shape" in attrs:
        out["kernel"] = tuple(attrs["kernel_shape"])
    return out


def _spatial(attrs: dict[str, Any], out: dict[str, Any]) -> None:
    """stride / padding / dilation from ONNX's strides / pads / dilations (or auto_pad)."""
    if attrs.get("strides"):
        out["stride"] = tuple(int(s) for s in attrs["strides"])
    if attrs.get("dilations"):
        out["dilation"] = tuple(int(d) for d in attrs["dilations"])
    pads = attrs.get("pads")
    if pads:
        half = len(pads) // 2
        out["padding"] = tuple(int(p) for p in pads[:half])
    elif str(attrs.get("auto_pad", "NOTSET")).upper() in ("SAME_UPPER", "SAME_LOWER"):
        out["padding"] = "same"
    elif str(attrs.get("auto_pad", "NOTSET")).upper() == "VALID":
        out["padding"] = "valid"


def _quant_from(scale: str, zp: str, axis: int, rank: int, w: _Walk) -> Quantization | None:
    s = _static_value(scale, w) if scale else None
    if s is None:
        return None
    z = _static_value(zp, w) if zp else None
    scales = tuple(float(x) for x in np.asarray(s, dtype=np.float64).reshape(-1))
    zps = tuple(int(x) for x in np.asarray(z).reshape(-1)) if z is not None else (0,) * len(scales)
    per_channel = len(scales) > 1
    ax = (axis + rank if axis < 0 else axis) if per_channel else None
    return Quantization(scales, zps, ax)


def _annotate_quant(n: onnx.NodeProto, w: _Walk) -> None:
    op, ins = n.op_type, list(n.input) + [""] * 9
    axis = 1
    for a in n.attribute:
        if a.name == "axis":
            axis = int(a.i)

    def put(value: str, scale: str, zp: str, ax: int = 1) -> None:
        spec = w.specs.get(value)
        if not value or spec is None or spec.is_float:
            return
        q = _quant_from(scale, zp, ax, spec.rank, w)
        if q is not None:
            w.quant[value] = q

    if op == "QuantizeLinear" and n.output:
        put(n.output[0], ins[1], ins[2], axis)
    elif op == "DequantizeLinear":
        put(ins[0], ins[1], ins[2], axis)
    elif op == "QLinearConv":
        put(ins[0], ins[1], ins[2]); put(ins[3], ins[4], ins[5], 0); put(n.output[0], ins[6], ins[7])
    elif op == "QLinearMatMul":
        put(ins[0], ins[1], ins[2]); put(ins[3], ins[4], ins[5], -1); put(n.output[0], ins[6], ins[7])


def _with_quant(spec: TensorSpec, q: Quantization | None) -> TensorSpec:
    return spec if q is None else TensorSpec(spec.shape, spec.dtype, q)


def _parameters(emitted: list[tuple[Any, ...]], w: _Walk) -> set[str]:
    """Initializers read as data (not shapes/indices/scales/scalars) by a real op."""
    params: set[str] = set()
    for name, op_type, ins, outs, attrs, scope in emitted:
        if op_type == NS + "Constant" or op_type == NS + "Shape":
            continue
        onnx_op = op_type[len(NS):].split(":")[0]
        if "::" in onnx_op:
            meta: frozenset[int] = frozenset()
        else:
            meta = META_SLOTS.get(onnx_op, frozenset()) | BUFFER_SLOTS.get(onnx_op, frozenset())
        orig = attrs.get("onnx_inputs", ins)
        for j, v in enumerate(orig):
            if not v or v not in w.init or j in meta:
                continue
            spec = w.specs[v]
            if spec.dtype in INDEX_DTYPES:
                continue
            if spec.numel <= 1 and not (onnx_op == "PRelu" and j == 1):
                continue
            params.add(v)
    return params
