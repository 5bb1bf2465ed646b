"""Canonical attributes are declared once per kind (graphs.ops.kinds, docs/ops.md) and every frontend
gives its conv and pool nodes those names, whatever its format calls them."""

from pathlib import Path

import onnx
import pytest
import torch
from onnx import TensorProto, helper

from graphs.frontends import LoadOptions, load_model
from graphs.ops.kinds import KINDS
from graphs.plugins import get_plugins

FIXTURES = Path(__file__).parent / "fixtures" / "tflite"


def conv_nodes(graph):
    ops = get_plugins().ops
    return [n for n in graph.nodes if ops.handlers[n.op_type].kind in ("conv", "conv_transpose")]


def check(node, need=("groups", "stride", "padding", "dilation")):
    declared = KINDS["conv"].attrs
    missing = [a for a in need if a not in node.attrs]
    assert not missing, f"{node.op_type} {node.name}: no canonical {missing} (has {sorted(node.attrs)})"
    for a in ("stride", "dilation"):
        if a in node.attrs:
            v = node.attrs[a]
            assert isinstance(v, tuple) and all(isinstance(x, int) for x in v), (a, v)
    assert isinstance(node.attrs["groups"], int) and set(need) <= set(declared)


def test_kinds_declare_their_attributes():
    assert {"groups", "kernel", "stride", "padding", "dilation", "transposed", "layout"} == set(KINDS["conv"].attrs)
    assert {"kernel", "stride", "padding"} == set(KINDS["max_pool"].attrs)


def test_onnx_conv_uses_canonical_names(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8, 16, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 8, 8])
    w = helper.make_tensor("w", TensorProto.FLOAT, [8, 1, 3, 3], [0.1] * 72)
    node = helper.make_node("Conv", ["x", "w"], ["y"], group=8, strides=[2, 2], pads=[1, 1, 1, 1],
                            dilations=[1, 1], kernel_shape=[3, 3])
    m = helper.make_model(helper.make_graph([node], "g", [x], [y], [w]), opset_imports=[helper.make_opsetid("", 17)])
    p = tmp_path / "dw.onnx"
    onnx.save(m, p)
    (n,) = conv_nodes(load_model(str(p), LoadOptions(), get_plugins()))
    check(n)
    assert n.attrs["stride"] == (2, 2) and n.attrs["padding"] == (1, 1) and n.attrs["groups"] == 8
    assert n.attrs["kernel"] == (3, 3)


def test_tflite_conv_uses_canonical_names():
    g = load_model(str(FIXTURES / "mobilenet_v2_035_96_int8.tflite"), LoadOptions(), get_plugins())
    nodes = conv_nodes(g)
    assert nodes
    for n in nodes:
        check(n, ("groups", "stride", "padding", "kernel", "layout"))


def test_fx_conv_uses_canonical_names(tmp_path):
    p = tmp_path / "m.py"
    p.write_text("import torch\n"
                 "def make():\n"
                 "    return torch.nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=2), (torch.randn(1, 8, 16, 16),)\n")
    (n,) = conv_nodes(load_model(f"{p}:make", LoadOptions(), get_plugins()))
    check(n)
    assert tuple(n.attrs["stride"]) == (2, 2) and n.attrs["groups"] == 2
