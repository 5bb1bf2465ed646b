"""nn-Meter adapter: reference-result and stdout parsers, nn-Meter IR writer against the fixture's structure."""

import csv
import json
import stat
from pathlib import Path

import pytest

from graphs.ir import GraphBuilder, TensorSpec
from graphs.ops import HandlerTable, kinds
from graphs.plugins import GraphsPlugins
from graphs.results import ConfidenceLevel
from graphs_tools import DiagnosisStatus, ToolInputError, ToolOutputError
from graphs_nn_meter import (NNMeterAdapter, NNMeterJob, builtin_predictors, parse_reference_text, parse_stdout_text,
                             to_nnmeter_ir)

DATA = (Path(__file__).parents[1] / ".." / "shared" / "data").resolve()
NM = DATA / "tool_outputs" / "nn_meter"
pytestmark = pytest.mark.skipif(not NM.is_dir(), reason=f"shared data not found at {NM}")


def test_reference_results_exact():
    res = NNMeterAdapter().parse(NM / "reference_result.txt")
    with open(NM / "reference_result.txt", newline="") as f:
        raw = [[c.strip() for c in r] for r in csv.reader(f)][1:]
    assert len(res) == len(raw) == 188
    for r, row in zip(res, raw):
        assert r.value == float(row[4]) and r.unit == "ms" and r.provenance.estimator == "nn-meter"
        assert (r.metrics["model"], r.metrics["model_type"], r.metrics["predictor"]) == tuple(row[:3])
        assert r.confidence is ConfidenceLevel.CALIBRATED
    pick = {(r.metrics["model"], r.metrics["predictor"]): r.value for r in res}
    assert pick[("mobilenetv3small_0.json", "cortexA76cpu_tflite21")] == 12.5589
    assert pick[("vgg19_0.json", "myriadvpu_openvino2019r2")] == 238.2123
    assert pick[("densenet_0.onnx", "cortexA76cpu_tflite21")] == 917.2059


def test_stdout_parser_and_errors():
    text = ("(nn-Meter) checking local kernel predictors at /root/.nn_meter/data/predictor/cortexA76cpu_tflite21\n"
            "(nn-Meter) [RESULT] predict latency for mobilenetv3small_0.json: 12.558912 ms\n")
    (p,) = parse_stdout_text(text, predictor="cortexA76cpu_tflite21", version="1.0")
    assert p.model == "mobilenetv3small_0.json" and p.latency_ms == 12.558912
    with pytest.raises(ToolOutputError):
        parse_stdout_text("nothing")
    with pytest.raises(ToolOutputError, match="header"):
        parse_reference_text("a, b\n1, 2\n")


def test_builtin_predictor_list_is_nn_meters():
    names = [p["name"] for p in builtin_predictors()]
    assert names == ["cortexA76cpu_tflite21", "adreno640gpu_tflite21", "adreno630gpu_tflite21",
                     "myriadvpu_openvino2019r2"]


def registry():
    T = HandlerTable()
    for op, kind in [("conv", "conv"), ("bn", "batch_norm"), ("hswish", "hardswish"), ("relu", "relu"),
                     ("pool", "adaptive_avg_pool"), ("add", "add"), ("mul", "mul"), ("hsigmoid", "hardsigmoid")]:
        T.add(f"t::{op}", kind, kinds.default_formula(kind) if kind != "adaptive_avg_pool" else kinds.pool)
    T.add("t::linear", "linear", kinds.linear)
    T.add("t::flatten", "reshape", kinds.view)
    T.add("t::softmax", "softmax", kinds.default_formula("softmax"))
    gp = GraphsPlugins()
    T.register_into(lambda t, k, f: gp._add_op_handlers("test", t, k, f))
    return gp.ops


def mbv3_head(with_softmax=False):
    """MobileNetV3-small's first blocks (conv-bn-hswish, 1x1 conv-bn-relu, depthwise, SE) then a classifier."""
    b = GraphBuilder("mbv3_head", "test")
    b.input("input_im_0", TensorSpec((1, 3, 224, 224)))
    for name, shape in [("w1", (16, 3, 3, 3)), ("w2", (16, 16, 1, 1)), ("w3", (16, 1, 3, 3)), ("wse", (4, 16, 1, 1)),
                        ("bse", (4,)), ("wfc", (10, 16))]:
        b.parameter(name, TensorSpec(shape))
    T = TensorSpec
    b.node("conv1", "t::conv", ["input_im_0", "w1"], [("c1", T((1, 16, 112, 112)))], {"stride": 2, "padding": 1})
    b.node("bn1", "t::bn", ["c1"], [("b1", T((1, 16, 112, 112)))])
    b.node("hs1", "t::hswish", ["b1"], [("h1", T((1, 16, 112, 112)))])
    b.node("conv2", "t::conv", ["h1", "w2"], [("c2", T((1, 16, 112, 112)))])
    b.node("bn2", "t::bn", ["c2"], [("b2", T((1, 16, 112, 112)))])
    b.node("relu2", "t::relu", ["b2"], [("r2", T((1, 16, 112, 112)))])
    b.node("dw", "t::conv", ["r2", "w3"], [("c3", T((1, 16, 56, 56)))], {"stride": 2, "padding": 1, "groups": 16})
    b.node("se_pool", "t::pool", ["c3"], [("sp", T((1, 16, 1, 1)))])
    b.node("se_conv", "t::conv", ["sp", "wse", "bse"], [("sc", T((1, 4, 1, 1)))])
    b.node("se_sig", "t::hsigmoid", ["sc"], [("ss", T((1, 4, 1, 1)))])
    b.node("pool", "t::pool", ["c3"], [("gp", T((1, 16, 1, 1)))])
    b.node("flat", "t::flatten", ["gp"], [("f", T((1, 16)))])
    b.node("fc", "t::linear", ["f", "wfc"], [("y", T((1, 10)))])
    out = "y"
    if with_softmax:
        b.node("sm", "t::softmax", ["y"], [("p", T((1, 10)))])
        out = "p"
    b.output(out)
    return b.build()


def test_ir_has_the_fixture_structure():
    ref = json.loads((NM / "mobilenetv3small_0.nnmeter-ir.json").read_text())
    ir = json.loads(json.dumps(to_nnmeter_ir(mbv3_head(), registry())))     # JSON-serialisable
    ref_attr_keys = {v["attr"]["type"]: set(v["attr"]["attr"]) for v in ref.values()}
    for name, node in ir.items():
        assert set(node) == {"inbounds", "attr", "outbounds"}
        assert set(node["attr"]) == {"name", "type", "output_shape", "attr", "input_shape"}
        assert node["attr"]["name"] == name
        t = node["attr"]["type"]
        assert t in ref_attr_keys, f"{t} is not an op type of the nn-Meter fixture"
        assert set(node["attr"]["attr"]) == ref_attr_keys[t], t
        for i in node["inbounds"]:
            assert name in ir[i]["outbounds"]           # edges are consistent both ways
        for o in node["outbounds"]:
            assert name in ir[o]["inbounds"]
        assert len(node["attr"]["input_shape"]) == len(node["inbounds"])
    # the first block is the fixture's, value for value (up to node names)
    assert ir["input_im_0"]["attr"] == ref["input_im_0"]["attr"]
    conv, ref_conv = ir["conv1"]["attr"], ref["conv1.conv/Conv2D"]["attr"]
    assert (conv["type"], conv["output_shape"], conv["input_shape"], conv["attr"]) == \
           (ref_conv["type"], ref_conv["output_shape"], ref_conv["input_shape"], ref_conv["attr"])
    dw, ref_dw = ir["dw"]["attr"], ref["layer2.2.depconv/depthwise"]["attr"]
    assert (dw["type"], dw["output_shape"], dw["attr"]) == (ref_dw["type"], ref_dw["output_shape"], ref_dw["attr"])
    hs = [ir[n]["attr"]["type"] for n in ("hs1/add", "hs1/Relu6", "hs1/mul", "hs1/mul_1")]
    ref_hs = [ref[f"conv1.hswish.hswish/{n}"]["attr"]["type"] for n in ("add", "Relu6", "mul", "mul_1")]
    assert hs == ref_hs
    assert ir["hs1/mul/y"]["attr"] == {**ref["conv1.hswish.hswish/mul/y"]["attr"], "name": "hs1/mul/y"}
    pool, ref_pool = ir["se_pool"]["attr"], ref["SE/AvgPool"]["attr"]
    assert (pool["type"], pool["attr"]["ksize"], pool["attr"]["padding"]) == ("AvgPool", [112 // 2, 112 // 2], "VALID")
    assert set(pool["attr"]) == set(ref_pool["attr"])
    assert ir["se_conv/BiasAdd"]["inbounds"] == ["se_conv/Conv2D"]
    assert [ir[n]["attr"]["type"] for n in ("se_sig/add", "se_sig/Relu6", "se_sig/mul")] == ["Add", "Relu6", "Mul"]
    assert "se_sig/mul_1" not in ir                                   # hard-sigmoid has no final multiply
    assert ir["fc"]["attr"]["type"] == "MatMul" and ir["fc"]["inbounds"] == ["flat"]
    assert ir["flat"]["attr"]["type"] == "Reshape" and ir["flat"]["attr"]["output_shape"] == [[1, 16]]


def test_ir_rejects_ops_without_predictors():
    with pytest.raises(ToolInputError, match="softmax"):
        to_nnmeter_ir(mbv3_head(with_softmax=True), registry())


def test_run_not_installed_and_stub(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAPHS_NN_METER_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    job = NNMeterJob(mbv3_head(), registry=registry())
    run = NNMeterAdapter().run(job, tmp_path / "a")
    assert run.diagnosis.status is DiagnosisStatus.NOT_INSTALLED
    assert json.loads(run.inputs[0].read_text())["conv1"]["attr"]["type"] == "Conv2D"
    with pytest.raises(ToolInputError, match="no predictor"):
        NNMeterJob(mbv3_head(), predictor="pixel9")
    # a stand-in nn-meter with (fake) predictor pickles in place: the plumbing runs end to end
    data = tmp_path / "nnm-data"
    info = builtin_predictors()[0]
    (data / "predictor" / info["name"]).mkdir(parents=True)
    for k in info["kernel_predictors"]:
        (data / "predictor" / info["name"] / f"{k}.pkl").write_bytes(b"")
    stub = tmp_path / "nn-meter"
    stub.write_text('#!/bin/sh\n[ "$1" = --list-predictors ] && exit 0\n[ "$1" = predict ] && [ "$6" = --nn-meter-ir ] || exit 3\n'
                    'echo "(nn-Meter) [RESULT] predict latency for ${7##*/}: 3.25 ms"\n')
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("GRAPHS_NN_METER_BIN", str(stub))
    monkeypatch.setenv("GRAPHS_NN_METER_DATA", str(data))
    run = NNMeterAdapter().run(job, tmp_path / "b")
    assert run.ok, run.diagnosis
    assert run.commands[0].argv[1:7] == ("predict", "--predictor", "cortexA76cpu_tflite21", "--predictor-version",
                                         "1.0", "--nn-meter-ir")
    assert run.result.value == 3.25 and run.result.metrics["model"] == "mbv3_head.json"
    assert run.result.provenance.hardware == info["name"]
