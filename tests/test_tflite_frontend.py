"""TFLite frontend: real converter fixtures (TensorFlow 2.21) and hand-built flatbuffers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from graphs.errors import FrontendError, GraphsError, UnsupportedOpError
from graphs.estimate import analyze_graph
from graphs.frontends import LoadOptions, load_model
from graphs.plugins import get_plugins

pytest.importorskip("graphs_frontend_tflite")
sys.path.insert(0, str(Path(__file__).parent))
import tflite_build  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "tflite"
FILES = sorted(FIXTURES.glob("*.tflite"))
MATRIX_KINDS = {"conv", "linear", "matmul", "conv_transpose", "attention", "einsum"}


def load(path, **shapes):
    return load_model(str(path), LoadOptions(input_shapes=shapes), get_plugins())


def reference(path: Path) -> dict:
    return json.loads((path.parent / (path.name.rsplit("_", 1)[0] + ".json")).read_text())


def test_fixtures_exist():
    names = {p.name for p in FILES}
    for model in ("mobilenet_v2_035_96", "efficientnet_lite0_w025_96", "bert_tiny_l2_h64_s32"):
        assert {f"{model}_float32.tflite", f"{model}_int8.tflite"} <= names
    assert sum(p.stat().st_size for p in FIXTURES.iterdir()) < 8 * 2**20


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_fixture_flops_and_params_match_keras_count(path):
    g = load(path)
    ref = reference(path)
    gp = get_plugins()
    costs = gp.ops.costs(g)
    matrix = sum(c.flops for n in g.nodes for c in [costs[n.name]]
                 if gp.ops.handlers[n.op_type].kind in MATRIX_KINDS)
    assert matrix == ref["matrix_flops"]                     # exact: 2 per multiply-add
    assert g.parameter_count == ref["expected_tflite_params"]  # Keras params, BN folded into conv biases
    a = analyze_graph(g)
    assert ref["matrix_flops"] <= a.flops <= 1.10 * ref["matrix_flops"]
    assert not gp.ops.unsupported(g)


@pytest.mark.parametrize("path", [p for p in FILES if "int8" in p.name], ids=lambda p: p.stem)
def test_int8_fixtures_carry_quantization(path):
    g = load(path)
    quantized = [v for v in g.values.values() if v.dtype in ("int8", "uint8", "int16")]
    assert quantized and all(v.quantization is not None for v in quantized)
    convs = [n for n in g.nodes if n.op_type in ("tflite::CONV_2D", "tflite::DEPTHWISE_CONV_2D",
                                                 "tflite::FULLY_CONNECTED")]
    assert convs
    for n in convs:
        w = g.values[n.inputs[1]]
        assert w.dtype == "int8" and n.inputs[1] in g.parameters
        if n.op_type == "tflite::CONV_2D":
            assert w.quantization.per_channel and w.quantization.axis == 0
            assert len(w.quantization.scale) == w.shape[0]
        if n.op_type == "tflite::DEPTHWISE_CONV_2D":
            assert w.quantization.axis == 3 and len(w.quantization.scale) == w.shape[3]
        if len(n.inputs) > 2 and n.inputs[2]:
            assert g.values[n.inputs[2]].dtype == "int32"  # quantized bias
    if "bert" not in path.name:  # full-integer I/O
        assert g.values[g.inputs[0]].dtype == "int8"


def test_node_attrs_for_npu_mappers():
    g = load(FIXTURES / "mobilenet_v2_035_96_int8.tflite")
    conv = next(n for n in g.nodes if n.op_type == "tflite::CONV_2D")
    assert conv.attrs["builtin"] == "CONV_2D" and conv.attrs["builtin_code"] == 3
    assert conv.attrs["version"] >= 1 and conv.attrs["fused_activation"] == "RELU6"
    assert conv.attrs["stride_h"] == 2 and conv.attrs["kernel"] == (3, 3)
    assert conv.attrs["stride"] == (2, 2) and conv.attrs["padding"] == "same"     # canonical names (docs/ops.md)
    act = next(n for n in g.nodes if n.attrs.get("fused_into") == conv.name)
    assert act.op_type == "tflite::RELU6" and act.inputs == (conv.outputs[0],)
    dw = next(n for n in g.nodes if n.op_type == "tflite::DEPTHWISE_CONV_2D")
    assert dw.attrs["groups"] == g.values[dw.inputs[0]].shape[3]


def test_fused_activation_fuses_back_into_one_kernel():
    a = analyze_graph(load(FIXTURES / "mobilenet_v2_035_96_float32.tflite"))
    assert a.kernel_kinds == {"conv": 52, "linear": 1, "mean": 1}


def test_bert_attention_fuses():
    a = analyze_graph(load(FIXTURES / "bert_tiny_l2_h64_s32_float32.tflite"))
    assert a.kernel_kinds["attention"] == 2 and a.kernel_kinds["embedding"] == 1


def test_hand_built_flatbuffer(tmp_path):
    p = tmp_path / "hand.bin"                 # suffix means nothing: detected by TFL3
    p.write_bytes(tflite_build.mlp(2))
    g = load(p)
    assert g.source == "tflite" and g.parameters == {"w", "b"} and g.parameter_bytes == (16 * 8 + 16) * 4
    assert analyze_graph(g).flops == 2 * 2 * 16 * 8 + 3 * 2 * 16  # FC + fused RELU + RELU + ADD


def test_custom_op_is_reported(tmp_path):
    p = tmp_path / "custom.tflite"
    p.write_bytes(tflite_build.mlp(1, custom=True))
    g = load(p)
    assert "tflite::custom::MyOp" in g.op_types()
    with pytest.raises(UnsupportedOpError, match="tflite::custom::MyOp"):
        analyze_graph(g)


def test_dynamic_batch_rebinding(tmp_path):
    p = tmp_path / "dyn.tflite"
    p.write_bytes(tflite_build.mlp(1, dynamic=True))
    assert load(p).values["y"].shape == (1, 16)
    g = load(p, x=(6, 8))
    assert g.values["y"].shape == (6, 16) and g.values["h"].shape == (6, 16)
    with pytest.raises(FrontendError, match="only a dynamic batch"):
        load(p, x=(6, 9))
    with pytest.raises(FrontendError, match="unknown input"):
        load(p, nope=(1, 8))
    q = tmp_path / "static.tflite"
    q.write_bytes(tflite_build.mlp(1))
    with pytest.raises(FrontendError, match="only a dynamic batch"):
        load(q, x=(2, 8))


def test_bad_references_are_errors(tmp_path):
    m = tflite_build.Model([tflite_build.T("x", (1, 4)), tflite_build.T("y", (1, 4))],
                           [tflite_build.Op(19, [0], [7])], [0], [1])
    p = tmp_path / "bad.tflite"
    p.write_bytes(tflite_build.build(m))
    with pytest.raises(FrontendError, match="refers to tensor 7"):
        load(p)
    # a buffer shorter than the tensor it backs
    m = tflite_build.Model([tflite_build.T("x", (1, 4)), tflite_build.T("w", (4, 4), data=b"\0" * 12),
                            tflite_build.T("y", (1, 4))], [tflite_build.Op(9, [0, 1], [2])], [0], [2])
    p.write_bytes(tflite_build.build(m))
    with pytest.raises(FrontendError, match="buffer holds 12 bytes"):
        load(p)


@pytest.mark.parametrize("cut", [8, 64, 1000, 50000])
def test_truncated_fixture_is_one_line_error(tmp_path, cut):
    data = (FIXTURES / "bert_tiny_l2_h64_s32_int8.tflite").read_bytes()
    p = tmp_path / "trunc.tflite"
    p.write_bytes(data[:cut])
    with pytest.raises(GraphsError) as e:
        load(p)
    assert "\n" not in str(e.value)


def test_cli_end_to_end(capsys):
    from graphs.cli import main

    hw = sorted(get_plugins().hardware)
    if not hw:
        pytest.skip("no hardware plugin installed")
    path = FIXTURES / "efficientnet_lite0_w025_96_int8.tflite"
    assert main(["analyze", str(path), "--hardware", hw[0], "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)["results"]
    assert data[0]["metrics"]["model"] == path.stem
    assert data[0]["metrics"]["flops"] == analyze_graph(load(path)).flops
    assert data[0]["metrics"]["precision"] == "int8"


def test_every_handler_is_a_known_kind():
    from graphs_frontend_tflite.handlers import HANDLERS

    gp = get_plugins()
    for op_type, kind, _ in HANDLERS.handlers:
        assert op_type.startswith("tflite::") and kind in gp.ops.kinds
        assert gp.ops.handlers[op_type].plugin == "frontend-tflite"
