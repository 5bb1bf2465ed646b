"""What a user who installs only some distributions gets: real pip, a fresh virtual environment.

* core + one frontend + one device (and its family engine) is enough for ``graphs analyze``;
  the commands of services that are not installed are simply not there;
* uninstalling a tool adapter removes it from ``graphs compare`` the way uninstalling a device
  removes it from ``graphs hardware list``.
"""

import json

import pytest

from freshenv import MLP_FLOPS, ROOT, FreshEnv, mlp_onnx


def test_core_one_frontend_one_device_analyze(tmp_path_factory):
    env = FreshEnv(tmp_path_factory.mktemp("minimal"))
    env.install(ROOT / "core", ROOT / "frontends_onnx", ROOT / "mappers_gpu", ROOT / "mappers_gpu" / "devices" / "h100")
    model = tmp_path_factory.mktemp("model") / "mlp.onnx"
    mlp_onnx(model)
    r = env.graphs("analyze", str(model), "--hardware", "h100", "--format", "json")
    assert r.returncode == 0, r.stderr
    (res,) = json.loads(r.stdout)["results"]
    assert res["metrics"]["hardware"] == "h100" and res["value"] > 0
    assert res["metrics"]["flops"] == pytest.approx(MLP_FLOPS)
    assert json.loads(env.graphs("hardware", "list", "-f", "json").stdout)["devices"][0]["id"] == "h100"
    help_text = env.graphs("--help").stdout
    assert "analyze" in help_text and "hardware" in help_text
    assert "compare" not in help_text and "serve" not in help_text     # services not installed: no commands
    r = env.graphs("compare")
    assert r.returncode == 2 and "No such command 'compare'" in r.stderr


def test_uninstalling_an_adapter_removes_it_from_compare(tmp_path_factory):
    env = FreshEnv(tmp_path_factory.mktemp("adapters"))
    env.install(ROOT / "core", ROOT / "services" / "tools", ROOT / "services" / "datasets", ROOT / "services" / "compare",
                ROOT / "mappers_gpu", ROOT / "mappers_gpu" / "devices" / "h100",
                ROOT / "mappers_gpu" / "devices" / "a100-sxm4-80gb", ROOT / "plugins" / "timeloop",
                ROOT / "plugins" / "nn_meter")
    args = ("compare", "--suite", "core", "--only", "timeloop,nn-meter", "--no-ttfp", "--format", "json")

    def estimators():
        r = env.graphs(*args)
        assert r.returncode == 0, r.stderr
        return {c["estimator"] for c in json.loads(r.stdout)["comparisons"][0]["scorecards"]}

    assert estimators() == {"timeloop", "nn-meter"}
    env.uninstall("graphs-timeloop")
    assert estimators() == {"nn-meter"}
    tools = env.graphs("tools", "list", "-f", "json")
    assert [d["tool"] for d in json.loads(tools.stdout)["tools"]] == ["nn-meter"]
