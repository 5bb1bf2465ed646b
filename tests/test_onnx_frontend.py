"""ONNX frontend on hand-built models: detection, binding, folding, parameters, quantization, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import onnx
import pytest
from onnx import TensorProto as TP
from onnx import helper, numpy_helper

from graphs.errors import FrontendError, GraphsError, UnsupportedOpError
from graphs.estimate import analyze_graph
from graphs.frontends import LoadOptions, load_model, parse_input_shapes
from graphs.plugins import get_plugins

pytest.importorskip("graphs_frontend_onnx")

RNG = np.random.default_rng(0)


def init(name: str, *shape: int, dtype=np.float32) -> onnx.TensorProto:
    return numpy_helper.from_array(RNG.standard_normal(shape).astype(dtype), name)


def model(nodes, inputs, outputs, inits=(), opset=17, domains=()) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    ops = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    return helper.make_model(g, opset_imports=ops, producer_name="test")


def mlp_model(batch="N") -> onnx.ModelProto:
    """x[N,32] -> Gemm(64, W (64,32) transB) -> Relu -> MatMul(W2 (64,16)) -> Add(b2) -> Softmax."""
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["a"]),
        helper.make_node("MatMul", ["a", "w2"], ["m"]),
        helper.make_node("Add", ["m", "b2"], ["z"]),
        helper.make_node("Softmax", ["z"], ["y"], axis=-1),
    ]
    return model(nodes, [helper.make_tensor_value_info("x", TP.FLOAT, [batch, 32])],
                 [helper.make_tensor_value_info("y", TP.FLOAT, [batch, 16])],
                 [init("w1", 64, 32), init("b1", 64), init("w2", 64, 16), init("b2", 16)])


def save(m: onnx.ModelProto, path) -> str:
    onnx.save(m, str(path))
    return str(path)


def load(path, **shapes) -> "object":
    return load_model(str(path), LoadOptions(input_shapes={k.replace("__", ""): v for k, v in shapes.items()}),
                      get_plugins())


def test_mlp_flops_params_and_kinds(tmp_path):
    g = load(save(mlp_model(8), tmp_path / "mlp.onnx"))
    assert g.source == "onnx"
    ops = g.op_types()
    assert ops["onnx::Gemm"] == 1 and ops["onnx::MatMul:linear"] == 1 and ops["onnx::Add:bias"] == 1
    a = analyze_graph(g)
    # independent count: 2·M·N·K per GEMM (bias adds not counted), relu 1/elem, softmax 5/elem
    assert a.flops == 2 * 8 * 64 * 32 + 8 * 64 + 2 * 8 * 16 * 64 + 5 * 8 * 16
    assert g.parameter_bytes == (64 * 32 + 64 + 64 * 16 + 16) * 4
    assert a.kernel_kinds == {"linear": 2, "softmax": 1}


def test_sniff_by_content_not_suffix(tmp_path):
    p = save(mlp_model(2), tmp_path / "weights.bin")
    g = load(p)
    assert g.meta["format"] == "onnx"
    fe = get_plugins().frontends["onnx"]
    head = open(p, "rb").read(64)
    assert fe.sniff(tmp_path / "x", head)
    assert not fe.sniff(tmp_path / "x", b"\x00" * 64)
    assert not fe.sniff(tmp_path / "x", b"hello world, this is not a model")
    assert not get_plugins().frontends["tflite"].sniff(tmp_path / "x", head) if "tflite" in get_plugins().frontends else True


def test_not_a_model_file_is_one_line_error(tmp_path):
    p = tmp_path / "model.onnx"
    p.write_bytes(b"definitely not a protobuf model file" * 10)
    with pytest.raises(GraphsError, match="not a recognised model file"):
        load(p)


@pytest.mark.parametrize("cut", [10, 100, 1000, -5])
def test_truncated_file_is_frontend_error(tmp_path, cut):
    data = mlp_model(2).SerializeToString()
    p = tmp_path / "t.onnx"
    p.write_bytes(data[:cut])
    with pytest.raises(GraphsError) as e:
        load(p)
    assert "\n" not in str(e.value)


def test_dynamic_dims_need_binding(tmp_path):
    p = save(mlp_model("batch"), tmp_path / "dyn.onnx")
    with pytest.raises(FrontendError, match=r"input 'x' has dynamic dims \[batch, 32\]; bind them with "
                                            r"--input-shape x=1x32"):
        load(p)
    g = load(p, x=(4, 32))
    assert g.values["y"].shape == (4, 16)
    g2 = load(p, __=(3, 32))  # bare shape = first input
    assert g2.values["y"].shape == (3, 16)
    with pytest.raises(FrontendError, match="unknown input"):
        load(p, nope=(1, 32))
    with pytest.raises(FrontendError, match="fixed dims"):
        load(p, x=(4, 31))
    with pytest.raises(FrontendError, match="rank"):
        load(p, x=(4, 32, 1))


def test_shared_symbolic_dims_bind_together(tmp_path):
    nodes = [helper.make_node("Add", ["a", "b"], ["c"])]
    m = model(nodes, [helper.make_tensor_value_info("a", TP.FLOAT, ["B", 8]),
                      helper.make_tensor_value_info("b", TP.FLOAT, ["B", 8])],
              [helper.make_tensor_value_info("c", TP.FLOAT, None)])
    g = load(save(m, tmp_path / "s.onnx"), a=(5, 8))
    assert g.values["b"].shape == (5, 8) and g.values["c"].shape == (5, 8)


def test_shape_subgraph_is_folded_and_free(tmp_path):
    """Shape -> Gather -> Unsqueeze -> Concat -> Reshape: the shape ops become constants costing 0."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Gather", ["s", "i0"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus1"], ["shape"], axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w"], ["y"]),
    ]
    inits = [numpy_helper.from_array(np.array(0, dtype=np.int64), "i0"),
             numpy_helper.from_array(np.array([0], dtype=np.int64), "ax0"),
             numpy_helper.from_array(np.array([-1], dtype=np.int64), "minus1"), init("w", 48, 10)]
    m = model(nodes, [helper.make_tensor_value_info("x", TP.FLOAT, ["N", 3, 4, 4])],
              [helper.make_tensor_value_info("y", TP.FLOAT, None)], inits)
    g = load(save(m, tmp_path / "f.onnx"), x=(2, 3, 4, 4))
    kinds = {n.name: get_plugins().ops.handlers[n.op_type].kind for n in g.nodes}
    folded = [n for n in g.nodes if n.attrs.get("folded_op")]
    assert {n.attrs["folded_op"] for n in folded} == {"Shape", "Gather", "Unsqueeze", "Concat"}
    assert all(kinds[n.name] == "shape" for n in folded)
    assert g.values["flat"].shape == (2, 48) and g.values["y"].shape == (2, 10)
    a = analyze_graph(g)
    assert a.flops == 2 * 2 * 10 * 48
    assert a.kernel_kinds == {"linear": 1}
    # the int64 shape operands are constants, never parameters
    assert g.parameters == {"w"} and g.parameter_bytes == 48 * 10 * 4


def test_external_data(tmp_path):
    m = mlp_model(2)
    p = tmp_path / "ext.onnx"
    onnx.save(m, str(p), save_as_external_data=True, all_tensors_to_one_file=True, location="ext.onnx.data",
              size_threshold=0)
    g = load(p)
    assert g.parameter_bytes == (64 * 32 + 64 + 64 * 16 + 16) * 4
    (tmp_path / "ext.onnx.data").write_bytes(b"\0" * 100)  # shorter than declared
    with pytest.raises(FrontendError, match="shorter than declared"):
        load(p)
    (tmp_path / "ext.onnx.data").unlink()
    with pytest.raises(FrontendError, match="not found next to the model"):
        load(p)


def test_initializer_payload_must_match_dims(tmp_path):
    m = mlp_model(2)
    m.graph.initializer[0].raw_data = m.graph.initializer[0].raw_data[:-4]
    with pytest.raises(FrontendError, match="initializer 'w1'"):
        load(save(m, tmp_path / "bad.onnx"))


def test_old_opset_is_converted(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Flatten", ["r"], ["y"])]
    m = model(nodes, [helper.make_tensor_value_info("x", TP.FLOAT, [2, 3, 4])],
              [helper.make_tensor_value_info("y", TP.FLOAT, None)], opset=11)
    g = load(save(m, tmp_path / "old.onnx"))
    assert g.meta["opset"] >= 13 and g.values["y"].shape == (2, 12)


def test_unsupported_custom_op_is_reported_not_zero(tmp_path):
    nodes = [helper.make_node("FooBar", ["x"], ["h"], domain="com.example"),
             helper.make_node("Relu", ["h"], ["y"])]
    m = model(nodes, [helper.make_tensor_value_info("x", TP.FLOAT, [1, 4])],
              [helper.make_tensor_value_info("y", TP.FLOAT, [1, 4])], domains=["com.example"])
    m.graph.value_info.append(helper.make_tensor_value_info("h", TP.FLOAT, [1, 4]))  # declared shape
    g = load(save(m, tmp_path / "c.onnx"))
    assert "onnx::com.example::FooBar" in g.op_types()
    with pytest.raises(UnsupportedOpError, match="onnx::com.example::FooBar"):
        analyze_graph(g)
    # without a declared shape the op is still named, as unsupported
    del m.graph.value_info[:]
    with pytest.raises(UnsupportedOpError, match="onnx::com.example::FooBar"):
        load(save(m, tmp_path / "c2.onnx"))


def test_conv_pool_bn_formulas(tmp_path):
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], strides=[2, 2], group=2),
        helper.make_node("BatchNormalization", ["c", "g", "be", "mu", "var"], ["n"]),
        helper.make_node("Relu", ["n"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[3, 3], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["p"], ["y"]),
    ]
    inits = [init("w", 16, 4, 3, 3), init("b", 16)] + [init(n, 16) for n in ("g", "be", "mu", "var")]
    m = model(nodes, [helper.make_tensor_value_info("x", TP.FLOAT, [1, 8, 32, 32])],
              [helper.make_tensor_value_info("y", TP.FLOAT, None)], inits)
    g = load(save(m, tmp_path / "conv.onnx"))
    costs = get_plugins().ops.costs(g)
    by_type = {n.op_type: costs[n.name] for n in g.nodes}
    assert by_type["onnx::Conv"].flops == 2 * (16 * 16 * 16) * 4 * 9   # 2·numel(out)·(C_in/g)·k²
    assert by_type["onnx::BatchNormalization"].flops == 2 * 16 * 16 * 16
    assert by_type["onnx::MaxPool"].flops == 16 * 7 * 7 * 9
    assert by_type["onnx::GlobalAveragePool"].flops == 16 * 7 * 7
    # BN running statistics are buffers (constants), like the FX frontend's
    assert g.parameters == {"w", "b", "g", "be"} and {"mu", "var"} <= g.constants
    conv = next(n for n in g.nodes if n.op_type == "onnx::Conv")
    assert conv.attrs["groups"] == 2 and conv.attrs["kernel"] == (3, 3)


def test_qdq_and_qlinear_quantization(tmp_path):
    w_q = numpy_helper.from_array(RNG.integers(-127, 127, size=(8, 4, 3, 3)).astype(np.int8), "w_q")
    w_s = numpy_helper.from_array((RNG.random(8) * 0.01 + 0.001).astype(np.float32), "w_s")
    w_z = numpy_helper.from_array(np.zeros(8, dtype=np.int8), "w_z")
    x_s = numpy_helper.from_array(np.array(0.02, dtype=np.float32), "x_s")
    x_z = numpy_helper.from_array(np.array(3, dtype=np.uint8), "x_z")
    y_s = numpy_helper.from_array(np.array(0.05, dtype=np.float32), "y_s")
    y_z = numpy_helper.from_array(np.array(128, dtype=np.uint8), "y_z")
    bias = numpy_helper.from_array(RNG.integers(-100, 100, size=8).astype(np.int32), "bias")
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "x_s", "x_z"], ["xq"]),
        helper.make_node("QLinearConv", ["xq", "x_s", "x_z", "w_q", "w_s", "w_z", "y_s", "y_z", "bias"], ["yq"],
                         pads=[1, 1, 1, 1]),
        helper.make_node("DequantizeLinear", ["yq", "y_s", "y_z"], ["y"]),
    ]
    m = model(nodes, [helper.make_tensor_value_info("x", TP.FLOAT, [1, 4, 8, 8])],
              [helper.make_tensor_value_info("y", TP.FLOAT, None)], [w_q, w_s, w_z, x_s, x_z, y_s, y_z, bias])
    g = load(save(m, tmp_path / "q.onnx"))
    qx = g.values["xq"].quantization
    assert g.values["xq"].dtype == "uint8" and qx.scale == pytest.approx((0.02,)) and qx.zero_point == (3,)
    qw = g.values["w_q"].quantization
    assert qw.per_channel and qw.axis == 0 and len(qw.scale) == 8
    assert g.values["yq"].quantization.zero_point == (128,)
    assert g.parameters == {"w_q", "bias"}  # scales / zero points are constants
    assert g.parameter_bytes == 8 * 4 * 9 + 8 * 4
    conv = next(n for n in g.nodes if n.op_type == "onnx::QLinearConv")
    assert conv.inputs[:3] == ("xq", "w_q", "bias")  # data operands first
    assert get_plugins().ops.costs(g)[conv.name].flops == 2 * (8 * 8 * 8) * 4 * 9


def test_einsum_and_attention_fusion(tmp_path):
    """Q·Kᵀ (MatMul) -> scale -> Softmax -> ·V: one attention kernel after core's fusion."""
    nodes = [
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["q", "kt"], ["s"]),
        helper.make_node("Mul", ["s", "scale"], ["s2"]),
        helper.make_node("Softmax", ["s2"], ["p"], axis=-1),
        helper.make_node("Einsum", ["p", "v"], ["o"], equation="bhqk,bhkd->bhqd"),
    ]
    vi = [helper.make_tensor_value_info(n, TP.FLOAT, [2, 4, 16, 8]) for n in ("q", "k", "v")]
    m = model(nodes, vi, [helper.make_tensor_value_info("o", TP.FLOAT, None)],
              [numpy_helper.from_array(np.array(0.35, dtype=np.float32), "scale")])
    g = load(save(m, tmp_path / "a.onnx"))
    costs = get_plugins().ops.costs(g)
    ein = next(n for n in g.nodes if n.op_type == "onnx::Einsum")
    assert costs[ein.name].flops == 2 * 2 * 4 * 16 * 16 * 8
    assert g.parameters == frozenset()  # a scalar is a constant


def test_hoisted_sdpa_scale(tmp_path):
    """torch's export of SDPA scales Q and Kᵀ by √scale; the frontend moves the scale onto the scores."""
    nodes = [
        helper.make_node("Mul", ["q", "rs"], ["qs"]),
        helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 1, 3, 2]),
        helper.make_node("Mul", ["kt", "rs"], ["ks"]),
        helper.make_node("MatMul", ["qs", "ks"], ["s"]),
        helper.make_node("Softmax", ["s"], ["p"], axis=-1),
        helper.make_node("MatMul", ["p", "v"], ["o"]),
    ]
    vi = [helper.make_tensor_value_info(n, TP.FLOAT, [1, 2, 8, 4]) for n in ("q", "k", "v")]
    m = model(nodes, vi, [helper.make_tensor_value_info("o", TP.FLOAT, None)],
              [numpy_helper.from_array(np.array(0.5 ** 0.5, dtype=np.float32), "rs")])
    g = load(save(m, tmp_path / "sdpa.onnx"))
    muls = [n for n in g.nodes if n.op_type == "onnx::Mul"]
    assert len(muls) == 1 and muls[0].inputs[0] == "s#unscaled" and muls[0].attrs["hoisted_from"]
    a = analyze_graph(g)
    assert a.kernel_kinds == {"attention": 1}


def test_cli_end_to_end(tmp_path, capsys):
    from graphs.cli import main

    p = save(mlp_model("N"), tmp_path / "cli_model.bin")
    hw = sorted(get_plugins().hardware)
    if not hw:
        pytest.skip("no hardware plugin installed")
    assert main(["analyze", p, "--hardware", hw[0], "--input-shape", "x=4x32", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)["results"]
    assert data[0]["metrics"]["model"] == "cli_model"
    assert data[0]["metrics"]["flops"] == 2 * 4 * 64 * 32 + 4 * 64 + 2 * 4 * 16 * 64 + 5 * 4 * 16
    assert main(["analyze", p, "--hardware", hw[0]]) == 2  # unbound dynamic dim: one line, exit 2
    err = capsys.readouterr().err
    assert "dynamic dims" in err and "Traceback" not in err


def test_parse_input_shapes_roundtrip():
    assert parse_input_shapes(["x=1x3x8x8", "2x4"]) == {"x": (1, 3, 8, 8), "": (2, 4)}


def test_every_handler_is_a_known_kind():
    from graphs_frontend_onnx.handlers import HANDLERS

    gp = get_plugins()
    for op_type, kind, _ in HANDLERS.handlers:
        assert op_type.startswith("onnx::") and kind in gp.ops.kinds
        assert gp.ops.handlers[op_type].plugin == "frontend-onnx"
    assert math.isclose(len({t for t, _, _ in HANDLERS.handlers}), len(HANDLERS.handlers))
