"""graphs IR → nn-Meter IR (the JSON graph ``nn-meter predict --nn-meter-ir`` reads).

Format (``tool_outputs/nn_meter/mobilenetv3small_0.nnmeter-ir.json``)::

    {node_name: {"inbounds": [...], "outbounds": [...],
                 "attr": {"name", "type", "output_shape": [[...]], "input_shape": [[...]], "attr": {...}}}}

Op types and attributes follow nn-Meter's TensorFlow converter (the one its predictors were
built with): NHWC shapes, ``Conv2D`` / ``DepthwiseConv2dNative`` with ``kernel_shape``,
``weight_shape`` (kh, kw, cin, cout|multiplier), ``strides``, ``dilations``, ``padding``
(``SAME``/``VALID``) and ``pads``; ``FusedBatchNorm``; ``Relu``/``Relu6``/``Sigmoid``;
hard-swish / hard-sigmoid expanded into ``Add(3)→Relu6→Mul(1/6)[→Mul]`` as TF graphs have them
(nn-Meter's fusion rules look for that pattern); pooling as ``AvgPool``/``MaxPool`` with
``ksize``; ``MatMul`` (+ ``BiasAdd``); ``Reshape``, ``ConcatV2``, ``Mean``.

Kinds with no nn-Meter kernel (attention, layer norm, softmax, embeddings, RNNs ...) raise
:class:`~graphs_tools.ToolInputError` listing them: nn-Meter predicts CNNs on edge devices,
and that scope mismatch is reported rather than guessed around.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from graphs.ir import Graph, Node
from graphs.ops.registry import Category, OpRegistry
from graphs_tools import ToolInputError, conv_geometry

HSWISH_SCALE = 0.16666999459266663   # the constant TF's hard-swish graph holds (as in the fixture)
ELEMENTWISE = {"add": "Add", "mul": "Mul", "sub": "Sub", "relu": "Relu", "relu6": "Relu6", "sigmoid": "Sigmoid",
               "tanh": "Tanh", "maximum": "Maximum"}
IDENTITY_KINDS = {"dropout", "identity", "contiguous", "copy", "cast"}


def nhwc(shape: tuple[int, ...]) -> list[int]:
    """NCHW → NHWC for rank-4 (and NCW → NWC for rank-3) shapes; others unchanged."""
    s = list(shape)
    return [s[0], *s[2:], s[1]] if len(s) in (3, 4) else s


class _Builder:
    def __init__(self, graph: Graph) -> None:
        self.g = graph
        self.nodes: dict[str, dict[str, Any]] = {}
        self.producer: dict[str, str] = {}     # graph value -> IR node name producing it
        self.n_const = 0

    def add(self, name: str, typ: str, inputs: list[str | None], out_shape: list[int] | None,
            attrs: dict[str, Any] | None = None, in_shapes: list[list[int]] | None = None) -> str:
        if name in self.nodes:
            raise ToolInputError(f"duplicate nn-Meter node name {name!r}")
        inb = [i for i in inputs if i]
        self.nodes[name] = {"inbounds": inb, "attr": {
            "name": name, "type": typ, "output_shape": [out_shape if out_shape is not None else []],
            "attr": attrs or {}, "input_shape": in_shapes if in_shapes is not None else
            [self.nodes[i]["attr"]["output_shape"][0] for i in inb]}, "outbounds": []}
        for i in inb:
            self.nodes[i]["outbounds"].append(name)
        return name

    def const(self, name: str, value: float) -> str:
        return self.add(name, "Const", [], [], {"tensor_shape": [], "constant": [value]}, [])

    def src(self, value: str) -> str | None:
        return self.producer.get(value)

    def shape(self, value: str) -> list[int]:
        spec = self.g.spec(value)
        if spec is None:
            raise ToolInputError(f"value {value!r} has no shape")
        return nhwc(spec.shape)


def to_nnmeter_ir(graph: Graph, registry: OpRegistry) -> dict[str, dict[str, Any]]:
    """The nn-Meter IR dict of ``graph`` (weights are folded into ops, as nn-Meter does)."""
    registry.check(graph)
    b = _Builder(graph)
    for v in graph.inputs:
        b.producer[v] = b.add(v, "Placeholder", [], b.shape(v), {"shape": b.shape(v)}, [])
    unsupported: dict[str, int] = {}
    for node in graph.nodes:
        kind = registry.handlers[node.op_type].kind
        cat = registry.kinds[kind].category
        try:
            out = _emit(b, node, kind, cat)
        except _Unsupported:
            unsupported[kind] = unsupported.get(kind, 0) + 1
            continue
        for o in node.outputs:
            b.producer[o] = out
    if unsupported:
        listed = ", ".join(f"{k} (x{n})" for k, n in sorted(unsupported.items()))
        raise ToolInputError(f"{graph.name}: op kinds nn-Meter has no kernel predictor for: {listed}")
    return b.nodes


class _Unsupported(Exception):
    pass


def _act(b: _Builder, node: Node) -> list[str]:
    """Activation (non-parameter, produced or graph-input) inputs of a node."""
    return [v for v in node.inputs if v and v in b.producer]


def _emit(b: _Builder, node: Node, kind: str, cat: Category) -> str:
    name = node.name
    out_v = node.outputs[0]
    out_shape = b.shape(out_v)
    ins = _act(b, node)
    if cat is Category.VIEW:
        if kind in ("reshape",) and len(out_shape) != len(b.shape(ins[0])):
            return b.add(name, "Reshape", [b.src(ins[0])], out_shape, {"shape": out_shape})
        return b.src(ins[0]) if ins else _raise()   # pure aliases vanish, as in a frozen TF graph
    if kind in IDENTITY_KINDS:
        return b.src(ins[0]) if ins else _raise()
    if kind == "conv":
        g = conv_geometry(b.g, node)
        same = g.q == -(-g.h // g.stride[0]) and g.p == -(-g.w // g.stride[1])
        pads = [0, 0, 0, 0] if same or g.pad == (0, 0) else [g.pad[0], g.pad[0], g.pad[1], g.pad[1]]
        attrs = {"padding": "SAME" if same else "VALID", "strides": list(g.stride), "data_format": "NHWC",
                 "dilations": list(g.dilation), "kernel_shape": [g.kh, g.kw], "pads": pads}
        if g.groups == 1:
            typ, attrs["weight_shape"] = "Conv2D", [g.kh, g.kw, g.c_in, g.c_out]
        elif g.depthwise:
            typ, attrs["weight_shape"] = "DepthwiseConv2dNative", [g.kh, g.kw, g.c_in, g.c_out // g.c_in]
        else:
            raise _Unsupported
        conv = b.add(f"{name}/{typ}" if len(node.inputs) > 2 and node.inputs[2] else name, typ,
                     [b.src(ins[0])], out_shape, attrs)
        if len(node.inputs) > 2 and node.inputs[2]:
            return b.add(f"{name}/BiasAdd", "BiasAdd", [conv], out_shape, {"data_format": "NHWC"})
        return conv
    if kind in ("linear", "matmul") and cat is Category.MATMUL:
        if len(b.shape(ins[0])) != 2 or (kind == "matmul" and len(ins) != 1):
            raise _Unsupported   # batched / activation×activation products: not an nn-Meter fc kernel
        mm = b.add(f"{name}/MatMul" if len(node.inputs) > 2 and node.inputs[2] else name, "MatMul",
                   [b.src(ins[0])], out_shape, {})
        if len(node.inputs) > 2 and node.inputs[2]:
            return b.add(f"{name}/BiasAdd", "BiasAdd", [mm], out_shape, {"data_format": "NHWC"})
        return mm
    if kind in ("batch_norm", "scale_shift"):
        return b.add(name, "FusedBatchNorm", [b.src(ins[0])], out_shape, {"data_format": "NHWC"})
    if kind in ("hardswish", "hardsigmoid"):
        x = b.src(ins[0])
        c3 = b.const(f"{name}/add/y", 3.0)
        add = b.add(f"{name}/add", "Add", [x, c3], out_shape, {}, [out_shape, []])
        r6 = b.add(f"{name}/Relu6", "Relu6", [add], out_shape, {})
        c6 = b.const(f"{name}/mul/y", HSWISH_SCALE)
        mul = b.add(f"{name}/mul", "Mul", [r6, c6], out_shape, {}, [out_shape, []])
        if kind == "hardsigmoid":
            return mul
        return b.add(f"{name}/mul_1", "Mul", [x, mul], out_shape, {})
    if kind == "silu":
        x = b.src(ins[0])
        sig = b.add(f"{name}/Sigmoid", "Sigmoid", [x], out_shape, {})
        return b.add(f"{name}/mul", "Mul", [x, sig], out_shape, {})
    if kind in ELEMENTWISE:
        srcs, shapes = [], []
        for i, v in enumerate(v for v in node.inputs if v):
            if v in b.producer:
                srcs.append(b.src(v))
                shapes.append(b.shape(v))
            elif b.g.spec(v) is not None:   # a parameter / constant tensor: a Const node (values not needed)
                shape = b.shape(v) if b.g.spec(v).rank else []
                srcs.append(b.add(f"{name}/y{i}", "Const", [], shape, {"tensor_shape": shape, "constant": []}, []))
                shapes.append(shape)
        if kind in ("add", "mul", "sub", "maximum") and len(srcs) == 1:   # x op scalar attribute
            scalar = node.attrs.get("other", node.attrs.get("scalar"))
            if scalar is None:
                raise _Unsupported
            srcs.append(b.const(f"{name}/y", float(scalar)))
            shapes.append([])
        return b.add(name, ELEMENTWISE[kind], srcs, out_shape, {}, shapes)
    if kind in ("avg_pool", "max_pool", "adaptive_avg_pool", "adaptive_max_pool"):
        xs = b.shape(ins[0])
        if kind.startswith("adaptive"):
            if out_shape[1:3] != [1, 1]:
                raise _Unsupported
            ksize, strides, padding = xs[1:3], [1, 1], "VALID"
        else:
            k = node.attrs.get("kernel") or node.attrs.get("kernel_size")
            ksize = [int(k), int(k)] if isinstance(k, (int, float)) else [int(x) for x in k] if k else xs[1:3]
            s = node.attrs.get("stride") or node.attrs.get("strides") or ksize
            strides = [int(s), int(s)] if isinstance(s, (int, float)) else [int(x) for x in s]
            padding = "SAME" if out_shape[1] == -(-xs[1] // strides[0]) and ksize[0] > 1 else "VALID"
        typ = "AvgPool" if "avg" in kind else "MaxPool"
        return b.add(name, typ, [b.src(ins[0])], out_shape,
                     {"strides": strides, "ksize": ksize, "padding": padding, "data_format": "NHWC",
                      "pads": [0, 0, 0, 0]})
    if kind == "mean":
        return b.add(name, "Mean", [b.src(ins[0])], out_shape, {"reduction_indices": [1, 2]})
    if kind in ("concat", "stack"):
        return b.add(name, "ConcatV2", [b.src(v) for v in ins], out_shape, {"axis": -1})
    raise _Unsupported


def _raise() -> str:
    raise _Unsupported


def write_ir(path: str | Path, ir: dict[str, Any]) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(ir, indent=1) + "\n", encoding="utf-8")
    return p
