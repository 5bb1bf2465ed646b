"""The Python API (graphs.analyze, graphs.load, graphs.hardware/zoo/plugins.list, conversions) gives what
the CLI gives: the same numbers, the same JSON documents, the same one-line errors — as exceptions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import graphs
from graphs.testing import run_cli

pytest.importorskip("graphs_frontend_fx")
pytest.importorskip("graphs_mapper_h100")

ROOT = Path(__file__).resolve().parents[1]
MLP = '''
import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(256, 512)
        self.fc2 = nn.Linear(512, 10)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def make(batch=1):
    return MLP(), torch.randn(batch, 256)


def quits():
    import sys
    sys.exit(3)
'''


@pytest.fixture
def mlp_file(tmp_path, monkeypatch):
    p = tmp_path / "tiny_mlp.py"
    p.write_text(MLP)
    monkeypatch.chdir(tmp_path)
    yield p
    sys.modules.pop("tiny_mlp", None)


def cli_json(*args: str) -> dict:
    r = run_cli(*args, "-f", "json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def cli_error(*args: str) -> str:
    r = run_cli(*args)
    assert r.exit_code == 2 and r.stdout == "", (r.exit_code, r.stdout, r.stderr)
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr
    return r.stderr[len("error: "):].strip()


# --- the same numbers as the CLI --------------------------------------------------------------------
def test_analyze_equals_cli_json():
    doc = cli_json("analyze", "squeezenet1_1", "-H", "h100")
    r = graphs.analyze("squeezenet1_1", "h100")
    assert isinstance(r, graphs.EstimationResult)
    cli = doc["results"][0]
    assert r.value == cli["value"] and r.metrics["flops"] == cli["metrics"]["flops"]
    assert [k["time_s"] for k in cli["breakdown"]] == [k.time_s for k in r.breakdown]
    assert r.to_dict() == cli                                   # every field, breakdown included
    assert json.loads(r.to_json()) == doc                       # the very document the CLI writes


def test_options_reach_the_same_code_path(mlp_file):
    doc = cli_json("analyze", "tiny_mlp.py:make", "-H", "h100,l4", "--batch", "4", "--precision", "fp16",
                   "--runtime", "graph")
    rs = graphs.analyze("tiny_mlp.py:make", ["h100", "l4"], batch=4, precision="fp16", runtime="graph")
    assert isinstance(rs, list) and [r.metrics["hardware"] for r in rs] == ["h100", "l4"]
    assert json.loads(graphs.to_json(rs)) == doc
    assert rs[0].metrics["precision"] == "fp16" and rs[0].metrics["runtime"] == "graph"
    assert graphs.analyze("tiny_mlp.py:make", ["h100"], batch=4, precision="fp16", runtime="graph")[0].value \
        == rs[0].value                                          # a list of one is a list


def test_layers_equal_cli_layers():
    doc = cli_json("analyze", "squeezenet1_1", "-H", "h100", "--layers", "--depth", "1")
    r = graphs.analyze("squeezenet1_1", "h100", layers=True, depth=1)
    assert r.layers and r.to_dict()["layers"] == doc["results"][0]["layers"]
    df = r.to_dataframe("layers")
    assert list(df["path"]) == [x["path"] for x in doc["results"][0]["layers"]]
    with pytest.raises(graphs.GraphsError, match="layers=True"):
        graphs.analyze("squeezenet1_1", "h100").to_dataframe("layers")


def test_model_forms_agree(mlp_file):
    """A factory file, the nn.Module with example inputs, its input shapes, and a loaded Graph: one estimate."""
    import torch
    sys.path.insert(0, str(mlp_file.parent))
    try:
        from tiny_mlp import MLP as Net
    finally:
        sys.path.remove(str(mlp_file.parent))
    by_file = graphs.analyze("tiny_mlp.py:make", "h100", batch=4)
    by_module = graphs.analyze(Net(), "h100", example_inputs=torch.randn(4, 256))
    by_shapes = graphs.analyze(Net(), "h100", input_shapes={"x": (4, 256)})
    by_strings = graphs.analyze(Net(), "h100", input_shapes=["x=4x256"])
    by_bare = graphs.analyze(Net(), "h100", input_shapes=(4, 256))
    graph = graphs.load("tiny_mlp.py:make", batch=4)
    assert isinstance(graph, graphs.Graph)
    by_graph = graphs.analyze(graph, "h100")
    for r in (by_module, by_shapes, by_strings, by_bare, by_graph):
        assert (r.value, r.metrics["flops"], r.metrics["parameters"]) == \
            (by_file.value, by_file.metrics["flops"], by_file.metrics["parameters"])
    assert by_module.metrics["model"] == "MLP"
    assert graphs.load(graph) is graph
    with pytest.raises(graphs.GraphsError, match="is a loaded Graph"):
        graphs.load(graph, batch=2)                           # an option that cannot apply is refused, not dropped
    with pytest.raises(graphs.FrontendError, match="give its example inputs"):
        graphs.analyze(Net(), "h100")
    with pytest.raises(graphs.FrontendError, match="batch=2 cannot reach an nn.Module"):
        graphs.analyze(Net(), "h100", batch=2, example_inputs=torch.randn(4, 256))
    with pytest.raises(graphs.FrontendError, match="no installed frontend accepts it"):
        graphs.load(object())


def test_onnx_file(tmp_path):
    pytest.importorskip("graphs_frontend_onnx")
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    w = numpy_helper.from_array(np.zeros((64, 32), np.float32), "w")
    g = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["y"]), helper.make_node("Relu", ["y"], ["z"])],
                          "mm", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [8, 64])],
                          [helper.make_tensor_value_info("z", TensorProto.FLOAT, [8, 32])], [w])
    p = tmp_path / "mm.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(p))
    r = graphs.analyze(p, "h100")
    assert r.metrics["flops"] >= 2 * 8 * 64 * 32
    assert r.to_dict() == cli_json("analyze", str(p), "-H", "h100")["results"][0]


# --- errors: exceptions with the CLI's one-line message, never sys.exit ------------------------------
@pytest.mark.parametrize("model,hw,exc", [
    ("squeezenet1_1", "h1000", "UnknownHardwareError"),
    ("no_such_model_xyz", "h100", "UnknownModelError"),
    ("squeezenet1_1", "h100:precision", "UnknownHardwareError"),
    ("missing.onnx", "h100", "UnknownModelError"),
])
def test_errors_carry_the_cli_message(model, hw, exc):
    msg = cli_error("analyze", model, "-H", hw)
    with pytest.raises(graphs.GraphsError) as e:
        graphs.analyze(model, hw)
    assert type(e.value).__name__ == exc and str(e.value) == msg


def test_option_errors_carry_the_cli_message():
    for api, cli in [(dict(precision="fp7"), ["--precision", "fp7"]), (dict(fusion="max"), ["--fusion", "max"]),
                     (dict(depth=1), ["--depth", "1"]), (dict(quantize="int3"), ["--quantize", "int3"]),
                     (dict(input_shapes=["x=0x3"]), ["--input-shape", "x=0x3"])]:
        msg = cli_error("analyze", "squeezenet1_1", "-H", "h100", *cli)
        with pytest.raises(graphs.GraphsError) as e:
            graphs.analyze("squeezenet1_1", "h100", **api)
        assert str(e.value) == msg, api


def test_api_argument_errors():
    with pytest.raises(graphs.GraphsError, match=r"give several devices as a list, e.g. \['h100', 'l4'\]"):
        graphs.analyze("squeezenet1_1", "h100,l4")
    with pytest.raises(graphs.GraphsError, match="at least one hardware id"):
        graphs.analyze("squeezenet1_1", [])
    with pytest.raises(graphs.GraphsError, match=r"batch=0: expected an integer from 1"):
        graphs.analyze("squeezenet1_1", "h100", batch=0)
    with pytest.raises(graphs.GraphsError, match="timeout="):
        graphs.load("squeezenet1_1", timeout=float("nan"))
    with pytest.raises(graphs.GraphsError, match="unknown dtype"):
        graphs.load("squeezenet1_1", input_dtypes={"x": "float7"})


def test_model_code_exit_is_an_exception(mlp_file):
    with pytest.raises(graphs.FrontendError, match=r"sys.exit\(3\)"):
        graphs.load("tiny_mlp.py:quits")


# --- conversions ------------------------------------------------------------------------------------
def test_to_dict_is_json_safe():
    r = graphs.analyze("squeezenet1_1", "h100")
    d = r.to_dict()
    text = json.dumps(d, allow_nan=False)                     # strict JSON: no NaN, no tuples left
    assert json.loads(text) == d
    assert isinstance(d["value"], float) and isinstance(d["metrics"]["parameters"], int)
    assert d["provenance"]["calibration"] is None             # unknown is None, never "" or 0
    assert "breakdown" not in r.to_dict(breakdown=False)


def test_to_json_round_trips_to_the_documented_schema():
    from graphs.documents import AnalyzeDoc, read
    rs = graphs.analyze("squeezenet1_1", ["h100", "l4"])
    doc = read(graphs.to_json(rs), "graphs.analyze")
    assert doc["schema_version"] == 1 and doc["graphs_version"] == graphs.__version__
    assert [x["metrics"]["hardware"] for x in doc["results"]] == ["h100", "l4"]
    assert doc["results"] == [r.to_dict() for r in rs]
    AnalyzeDoc.model_validate(doc)
    schema = json.loads((ROOT / "docs" / "schemas" / "graphs.analyze.schema.json").read_text())
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(doc, schema)
    assert read(rs[0].to_json(indent=None))["results"] == [rs[0].to_dict()]


def test_to_dataframe():
    pytest.importorskip("pandas")
    from graphs.frames import KERNEL_COLUMNS, SUMMARY_COLUMNS
    rs = graphs.analyze("squeezenet1_1", ["h100", "l4"])
    df = rs[0].to_dataframe()
    assert tuple(df.columns) == KERNEL_COLUMNS and len(df) == len(rs[0].breakdown) == rs[0].metrics["kernels"]
    assert list(df["name"]) == [k.name for k in rs[0].breakdown]
    assert df["time_s"].sum() == pytest.approx(sum(k.time_s for k in rs[0].breakdown))
    assert df["share"].sum() == pytest.approx(sum(k.time_s for k in rs[0].breakdown) / rs[0].value)
    summary = graphs.to_dataframe(rs)
    assert tuple(summary.columns) == SUMMARY_COLUMNS == tuple(rs[0].summary())
    assert list(summary["hardware"]) == ["h100", "l4"]
    assert list(summary["latency_s"]) == [r.value for r in rs]
    assert list(summary["flops"]) == [r.metrics["flops"] for r in rs]
    assert len(graphs.to_dataframe(rs[0])) == 1
    with pytest.raises(graphs.GraphsError, match="expected EstimationResult"):
        graphs.to_dataframe([{"value": 1}])


def test_missing_pandas_is_one_clear_error(monkeypatch):
    r = graphs.analyze("squeezenet1_1", "h100")
    monkeypatch.setitem(sys.modules, "pandas", None)          # `import pandas` now raises ImportError
    for call in (r.to_dataframe, lambda: graphs.to_dataframe([r])):
        with pytest.raises(graphs.GraphsError) as e:
            call()
        assert "pip install pandas" in str(e.value) and "graphs-core[pandas]" in str(e.value)


# --- hardware, zoo, plugins: the CLI's rows --------------------------------------------------------
def test_hardware_list_and_get_equal_cli():
    assert graphs.hardware.list() == cli_json("hardware", "list")["devices"]
    gpus = graphs.hardware.list(family="gpu")
    assert gpus and {d["family"] for d in gpus} == {"gpu"} and "h100" in {d["id"] for d in gpus}
    h100 = next(d for d in gpus if d["id"] == "h100")
    assert h100["calibration"] in ("THEORETICAL", "INTERPOLATED", "CALIBRATED") and h100["fp16_flops"] > 0
    for d in graphs.hardware.list():                          # a peak the spec does not list is None, never 0
        assert all(d[k] is None or d[k] > 0 for k in ("fp32_flops", "fp16_flops", "int8_ops"))
    spec = graphs.hardware.get("h100")
    assert spec.model_dump(mode="json") == cli_json("hardware", "show", "h100")["spec"]
    msg = cli_error("hardware", "show", "h1000")
    with pytest.raises(graphs.UnknownHardwareError) as e:
        graphs.hardware.get("h1000")
    assert str(e.value) == msg


def test_zoo_and_plugins_equal_cli():
    assert graphs.zoo.list() == cli_json("zoo", "list")["models"]
    assert {m["family"] for m in graphs.zoo.list(family="classic")} == {"classic"}
    assert graphs.zoo.get("squeezenet1_1").name == "squeezenet1_1"
    with pytest.raises(graphs.UnknownModelError, match="did you mean squeezenet1_1"):
        graphs.zoo.get("squeezenet1_2")
    assert graphs.plugins.list() == cli_json("plugins", "list")["plugins"]


# --- import graphs stays cheap; the namespace is accurate -------------------------------------------
def test_import_graphs_is_cheap_and_lazy():
    code = ("import sys, graphs; heavy = ('graphs.', 'pydantic', 'typer', 'rich', 'numpy', 'pandas', 'torch'); "
            "print(sorted(m for m in sys.modules if m.startswith(heavy))); graphs.analyze; "
            "print(sorted(m for m in sys.modules if m.startswith(('pandas', 'torch', 'typer'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "[]", out[0]                             # import graphs imports nothing of graphs' own
    assert out[1] == "[]", out[1]                             # the API imports no pandas, torch or CLI


def test_namespace_is_accurate():
    for name in graphs.__all__:
        assert getattr(graphs, name) is not None, name
    assert set(graphs.__all__) <= set(dir(graphs))
    assert {"analyze", "load", "to_dataframe", "to_json", "hardware", "zoo", "plugins", "GraphsError"} \
        <= set(graphs.__all__)
    assert not [n for n in dir(graphs) if not n.startswith("__") and n not in graphs.__all__]
    assert {"list", "get"} <= set(dir(graphs.hardware)) and {"list", "get"} <= set(dir(graphs.zoo))
    assert "list" in dir(graphs.plugins) and graphs.plugins.list is graphs.plugins.plugin_rows
    with pytest.raises(AttributeError):
        graphs.no_such_name
