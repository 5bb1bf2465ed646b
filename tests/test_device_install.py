"""Hardware is added by installing a distribution and removed by uninstalling it.

Runs real `pip install` / `pip uninstall` into a fresh virtual environment (see freshenv.py).
"""

import sys
from pathlib import Path

import pytest

from freshenv import ROOT, FreshEnv
from graphs.hardware import parse_spec
from graphs.scaffold import new_device

sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "plugins"))
from graphs_fake_plugin import SPEC  # noqa: E402


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    env = FreshEnv(tmp_path_factory.mktemp("fresh"))
    env.install(ROOT / "core")
    return env


def test_template_device_installs_and_uninstalls(fresh, tmp_path):
    dest = new_device("tmpl-npu", tmp_path, name="Template NPU", family="fake", base=parse_spec(SPEC))
    assert "tmpl-npu" not in fresh.hardware_ids()
    fresh.install(dest)
    assert "tmpl-npu" in fresh.hardware_ids()
    r = fresh.graphs("hardware", "show", "tmpl-npu", "--format", "json")
    assert r.returncode == 0 and '"Template NPU"' in r.stdout
    fresh.uninstall("graphs-mapper-tmpl-npu")
    assert "tmpl-npu" not in fresh.hardware_ids()


def test_skeleton_template_refuses_todo_sources(tmp_path):
    from graphs.errors import SpecError
    from graphs.hardware import load_spec
    dest = new_device("todo-npu", tmp_path, name="TODO NPU", family="accel")
    with pytest.raises(SpecError, match="placeholder"):
        load_spec(dest / "src" / "graphs_mapper_todo_npu" / "todo-npu.yaml")


H100 = ROOT / "mappers_gpu" / "devices" / "h100"


def test_pip_uninstall_h100_removes_it_and_reinstall_brings_it_back(fresh):
    fresh.install(ROOT / "mappers_gpu", H100)
    assert "h100" in fresh.hardware_ids()
    fresh.uninstall("graphs-mapper-h100")
    assert "h100" not in fresh.hardware_ids()
    fresh.install(H100)
    assert "h100" in fresh.hardware_ids()
