"""`graphs tools install/uninstall`: each registry tool in its own virtual environment, found by list/doctor.

The default tests build real venvs with nothing but pip in them (no network: the "tool" is pip itself);
``-m slow`` installs a real tool from PyPI through the CLI.
"""

import json
import os
from pathlib import Path

import pytest

from graphs.cli import main
from graphs.errors import GraphsError
from graphs_tools import DiagnosisStatus, PackageSpec, PythonToolAdapter
from graphs_tools.envs import (MANIFEST, TORCH_PIN, install, installed, resolve_install_name, tool_python, tools_home,
                               uninstall)

PIP_ONLY = PackageSpec("pip-probe", (), module="pip", distribution="pip")


class _PipTool(PythonToolAdapter):
    name = "pip-probe"
    description = "test: a 'tool' that is pip itself"
    package = PIP_ONLY


def test_tools_home_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHS_TOOLS_DIR", str(tmp_path / "t"))
    assert tools_home() == tmp_path / "t"
    monkeypatch.delenv("GRAPHS_TOOLS_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert tools_home() == tmp_path / "xdg" / "graphs" / "tools"


def test_install_find_doctor_uninstall(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHS_TOOLS_DIR", str(tmp_path / "tools"))
    a = _PipTool()
    d = a.doctor()
    assert d.status is DiagnosisStatus.NOT_INSTALLED and "graphs tools install pip-probe" in d.fix
    rep = install(a.name, a.package)
    assert rep.ok and not rep.skipped and rep.version
    inst = installed(a.name)
    assert inst is not None and inst.python.is_file() and inst.venv == tmp_path / "tools" / "pip-probe" / "venv"
    m = json.loads((inst.root / MANIFEST).read_text())
    assert m["package"] == "pip-probe" and m["version"] == rep.version and m["constraints"][0] == TORCH_PIN
    assert any(line.startswith("pip==") for line in m["freeze"])
    assert (inst.root / "constraints.txt").read_text().splitlines()[0] == "torch==2.13.0"   # never an unpinned torch
    py, where, _ = tool_python(a.name, a.package)
    assert py == str(inst.python) and "managed environment" in where
    d = a.doctor()
    assert d.ok and d.details["version"] == rep.version and d.details["python"] == str(inst.python)
    again = install(a.name, a.package)
    assert again.ok and again.skipped                                   # already there: nothing redone
    # an interpreter named by GRAPHS_<TOOL>_PYTHON wins over the managed one
    monkeypatch.setenv("GRAPHS_PIP_PROBE_PYTHON", str(inst.python))
    assert tool_python(a.name, a.package)[1] == "$GRAPHS_PIP_PROBE_PYTHON"
    monkeypatch.setenv("GRAPHS_PIP_PROBE_PYTHON", str(tmp_path / "nope"))
    assert a.doctor().status is DiagnosisStatus.NOT_INSTALLED
    monkeypatch.delenv("GRAPHS_PIP_PROBE_PYTHON")
    assert uninstall(a.name) and installed(a.name) is None and not uninstall(a.name)


def test_failed_install_leaves_no_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHS_TOOLS_DIR", str(tmp_path / "tools"))
    bad = PackageSpec("no-such-module", (), module="surely_not_a_module_here")
    rep = install("bad-tool", bad, python=str(tmp_path / "no-python"))
    assert not rep.ok and "venv failed" in rep.reason
    assert installed("bad-tool") is None and not (tmp_path / "tools" / "bad-tool" / "venv").exists()
    assert (tmp_path / "tools" / "bad-tool" / "logs" / "venv.command.json").is_file()   # why, kept for a look


def test_names_and_refusals(tmp_path, monkeypatch):
    from graphs.plugins import get_plugins
    from graphs_tools import list_tools
    adapters = list_tools(get_plugins())
    assert resolve_install_name("genz-llm", adapters).name == "genz"
    assert resolve_install_name("GENZ", adapters).name == "genz"
    assert resolve_install_name("scalesim", adapters).package.requirements == ("scalesim==3.0.0", "numpy<2")
    with pytest.raises(GraphsError, match="not on a package registry"):
        resolve_install_name("timeloop", adapters)
    with pytest.raises(GraphsError, match="did you mean genz-llm"):
        resolve_install_name("genz-lm", adapters)
    monkeypatch.setenv("GRAPHS_TOOLS_DIR", str(tmp_path / "tools"))
    (tmp_path / "tools").mkdir()
    from graphs_tools.envs import _remove_tree
    with pytest.raises(GraphsError, match="refusing"):
        _remove_tree(tmp_path)


def test_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GRAPHS_TOOLS_DIR", str(tmp_path / "tools"))
    assert main(["tools", "install", "timeloop"]) == 2
    assert "not on a package registry" in capsys.readouterr().err
    assert main(["tools", "install", "nope-tool"]) == 2
    assert main(["tools", "uninstall", "genz-llm"]) == 0
    assert "genz: was not installed" in capsys.readouterr().err
    assert main(["tools", "list", "-f", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "tool,status,class,version,reason,fix"
    for t in ("genz", "llm-analysis", "scalesim", "vidur", "nn-meter"):
        assert f"\n{t},not_installed,F1,," in out and f"graphs tools install" in out


@pytest.mark.slow
def test_cli_installs_from_the_registry_and_lists_ok(tmp_path, monkeypatch, capsys):
    """`graphs tools install llm-analysis` (PyPI, its own venv), then `graphs tools list` shows it ok with its version."""
    monkeypatch.setenv("GRAPHS_TOOLS_DIR", str(tmp_path / "tools"))
    assert main(["tools", "install", "llm-analysis"]) == 0
    assert main(["tools", "list", "-f", "json"]) == 0
    d = {x["tool"]: x for x in json.loads(capsys.readouterr().out)["tools"]}
    assert d["llm-analysis"]["status"] == "ok" and d["llm-analysis"]["details"]["version"] == "0.2.2"
    assert main(["tools", "uninstall", "llm-analysis"]) == 0 and installed("llm-analysis") is None
