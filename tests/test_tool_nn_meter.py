"""nn-Meter adapter: reference-result and stdout parsers, nn-Meter IR writer against the fixture's structure."""

import csv
import json
import stat
import sys
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


FIX = Path(__file__).parent / "fixtures" / "tool_runs" / "nn-meter"
# feature-vector lengths nn-Meter's kernel predictors take (nn_meter/predictor/prediction/extract_feature.py)
TOY_FEATURES = {"conv-bn-relu": 7, "dwconv-bn-relu": 7, "fc": 4, "global-avgpool": 2, "hswish": 2, "relu": 2,
                "se": 2, "split": 2, "add": 3, "addrelu": 3, "maxpool": 5, "avgpool": 5, "bn": 2, "bnrelu": 2,
                "channelshuffle": 2, "concat": 6}


def standin_python(tmp_path: Path, out_json: Path, sklearn: str = "1.9.1") -> Path:
    """A stand-in for nn-Meter's interpreter: answers the doctor's probes and, run as the driver, writes a recorded
    real driver output (tests the adapter's wiring with what the tool really printed, not the tool)."""
    py = tmp_path / "python-nn-meter"
    py.write_text(f"""#!{sys.executable}
import shutil, sys
if sys.argv[1] == "-c":
    print("found" if "find_spec" in sys.argv[2] else {sklearn!r}); print("2.0"); print("3.11.7"); sys.exit(0)
shutil.copy({str(out_json)!r}, sys.argv[3])
""")
    py.chmod(py.stat().st_mode | stat.S_IXUSR)
    return py


def register(home: Path, pkg: Path, name: str, kernels, hardware: str | None = None) -> None:
    """What `nn-meter register --predictor meta.yaml` leaves: the entry appended to ~/.nn_meter/config/predictors.yaml."""
    import yaml
    cfg = home / ".nn_meter" / "config"
    cfg.mkdir(parents=True, exist_ok=True)
    f = cfg / "predictors.yaml"
    entries = yaml.safe_load(f.read_text()) if f.is_file() else list(builtin_predictors())
    e = {"name": name, "version": 1.0, "category": "cpu", "package_location": str(pkg), "kernel_predictors": list(kernels)}
    if hardware:
        e["hardware"] = hardware
    f.write_text(yaml.safe_dump(entries + [e]))


def test_run_not_installed_then_any_registered_predictor(tmp_path, monkeypatch):
    monkeypatch.delenv("GRAPHS_NN_METER_BIN", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    job = NNMeterJob(mbv3_head(), registry=registry())
    run = NNMeterAdapter().run(job, tmp_path / "a")
    assert run.diagnosis.status is DiagnosisStatus.NOT_INSTALLED and "graphs tools install nn-meter" in run.diagnosis.fix
    assert json.loads(run.inputs[0].read_text())["conv1"]["attr"]["type"] == "Conv2D"
    with pytest.raises(ToolInputError, match="no predictor"):
        NNMeterJob(mbv3_head(), predictor="pixel9")
    # installed, but only the built-in predictors (not downloaded here): missing data, each one named
    monkeypatch.setenv("GRAPHS_NN_METER_PYTHON", str(standin_python(tmp_path, FIX / "out-full.json")))
    d = NNMeterAdapter().doctor()
    assert d.status is DiagnosisStatus.MISSING_DATA and "cortexA76cpu_tflite21" in d.reason and "register" in d.fix
    # downloaded built-in pickles with a scikit-learn >= 1.3: refused for those pickles only
    data = tmp_path / "nnm-data"
    info = builtin_predictors()[0]
    (data / "predictor" / info["name"]).mkdir(parents=True)
    for k in info["kernel_predictors"]:
        (data / "predictor" / info["name"] / f"{k}.pkl").write_bytes(b"")
    monkeypatch.setenv("GRAPHS_NN_METER_DATA", str(data))
    d = NNMeterAdapter().doctor()
    assert d.status is DiagnosisStatus.MISSING_DATA and "scikit-learn 0.23" in d.reason
    # a predictor built locally and registered: accepted whatever scikit-learn, and used for its device
    pkg = tmp_path / "toy"
    pkg.mkdir()
    for k in TOY_FEATURES:
        (pkg / f"{k}.pkl").write_bytes(b"")
    (pkg / "fusion_rules.json").write_text("{}")
    register(tmp_path / "home", pkg, "toy_full", TOY_FEATURES, hardware="rk3588-npu")
    assert NNMeterAdapter().doctor().ok
    run = NNMeterAdapter().run(NNMeterJob(None, "toy_full", 1.0, ir_file=str(NM / "mobilenetv3small_0.nnmeter-ir.json")),
                               tmp_path / "b")
    assert run.ok, run.diagnosis
    rec = json.loads((FIX / "out-full.json").read_text())["results"][0]
    assert run.result.value == rec["latency_ms"] and run.result.unit == "ms"
    assert run.result.metrics["kernel_counts"] == rec["kernel_counts"]
    assert run.commands[0].argv[1].endswith("nn_meter_driver.py")
    from graphs.plugins import get_plugins
    gp = get_plugins()
    a = NNMeterAdapter()
    assert a._predictor_for(gp.hardware_entry("rk3588-npu").spec)["name"] == "toy_full"


def test_recorded_refusal_of_a_predictor_without_a_kernel(tmp_path, monkeypatch):
    """nn-Meter counts a kernel type its predictor lacks as 0 ms; the driver refused (real recorded output) and the
    adapter reports missing data naming the kernel."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    pkg = tmp_path / "toy"
    pkg.mkdir()
    kernels = [k for k in TOY_FEATURES if k != "hswish"]
    for k in kernels:
        (pkg / f"{k}.pkl").write_bytes(b"")
    (pkg / "fusion_rules.json").write_text("{}")
    register(tmp_path / "home", pkg, "toy_missing_hswish", kernels)
    monkeypatch.setenv("GRAPHS_NN_METER_PYTHON", str(standin_python(tmp_path, FIX / "out-missing-hswish.json")))
    run = NNMeterAdapter().run(NNMeterJob(None, "toy_missing_hswish", 1.0,
                                          ir_file=str(NM / "mobilenetv3small_0.nnmeter-ir.json")), tmp_path / "r")
    assert not run.ok and run.diagnosis.status is DiagnosisStatus.MISSING_DATA
    assert "hswish" in run.diagnosis.reason and "0 ms" in run.diagnosis.reason


# --- helpers for scripts/record_tool_fixtures.py and the slow tests (they run nn-Meter itself) ------------------
TOY_BUILDER = """
import json, pickle, sys
import numpy as np
from sklearn.ensemble import RandomForestRegressor
feats, out, drop = json.loads(sys.argv[1]), sys.argv[2], set(sys.argv[3:])
rng = np.random.default_rng(0)
for k, n in feats.items():
    if k in drop:
        continue
    X = rng.uniform(1, 256, (200, n))
    y = X[:, 0] * X[:, 1] * 1e-5 + 0.01                 # toy: NOT a latency model of any device
    pickle.dump(RandomForestRegressor(n_estimators=8, max_depth=6, random_state=0).fit(X, y), open(f"{out}/{k}.pkl", "wb"))
rules = {f"BF_{a}_{b}": {"obey": True} for a, b in [("conv", "bn"), ("conv", "relu"), ("bn", "relu"), ("dwconv", "bn"),
         ("dwconv", "relu"), ("add", "relu"), ("fc", "relu"), ("conv", "hswish"), ("dwconv", "hswish")]}
rules["MON"] = {"obey": 0}
json.dump(rules, open(f"{out}/fusion_rules.json", "w"))
"""


def build_toy_predictor(python: str, home: Path, pkg: Path, name: str, drop=()) -> None:
    """A toy predictor built with nn-Meter's own scikit-learn and registered through `nn-meter register`."""
    import os
    import subprocess
    pkg.mkdir(parents=True, exist_ok=True)
    subprocess.run([python, "-c", TOY_BUILDER, json.dumps(TOY_FEATURES), str(pkg), *drop], check=True)
    kernels = [k for k in TOY_FEATURES if k not in drop]
    meta = pkg.parent / f"{name}.yaml"
    meta.write_text(f"name: {name}\nversion: 1.0\ncategory: cpu\npackage_location: {pkg}\nkernel_predictors:\n"
                    + "".join(f"  - {k}\n" for k in kernels))
    env = dict(os.environ, HOME=str(home))
    subprocess.run([str(Path(python).with_name("nn-meter")), "register", "--predictor", str(meta)], check=True, env=env,
                   capture_output=True)


def mobilenet_ir_job(predictor: str) -> NNMeterJob:
    return NNMeterJob(None, predictor, 1.0, ir_file=str(NM / "mobilenetv3small_0.nnmeter-ir.json"))


@pytest.mark.slow
def test_nn_meter_runs_for_real_with_a_registered_predictor(tmp_path, monkeypatch):
    """Installs nn-Meter from PyPI into its own environment, registers a toy predictor, predicts for real; a predictor
    without `hswish` is refused (nn-Meter alone would count those kernels as 0 ms)."""
    from graphs_tools.envs import install
    a = NNMeterAdapter()
    rep = install(a.name, a.package)
    assert rep.ok, rep.reason
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    py = a.find_python()[0]
    build_toy_predictor(py, home, tmp_path / "full", "toy_full")
    run = a.run(mobilenet_ir_job("toy_full"), tmp_path / "r1")
    assert run.ok, run.diagnosis
    assert run.result.value > 0 and run.result.metrics["kernel_counts"]["conv-bn-relu"] > 0
    build_toy_predictor(py, home, tmp_path / "partial", "toy_partial", ("hswish",))
    run = a.run(mobilenet_ir_job("toy_partial"), tmp_path / "r2")
    assert run.diagnosis.status is DiagnosisStatus.MISSING_DATA and "hswish" in run.diagnosis.reason
