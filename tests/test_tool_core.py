"""graphs_tools: diagnosis, the subprocess runner, the adapter base class and the registry API."""

import json
import shutil
import stat
import sys
from pathlib import Path

import pytest

from graphs.errors import GraphsError
from graphs.ir import GraphBuilder, TensorSpec
from graphs.plugins import GraphsPlugins
from graphs.results import ConfidenceLevel
from graphs_tools import (BaseToolAdapter, Diagnosis, DiagnosisStatus, Invocation, ToolAdapter, ToolOutputError,
                          conv_geometry, doctor, doctor_all, get_tool, infer_stride_pad, list_tools, point_result,
                          resolve_executable, run_command, to_seconds)

TOOLS = {"timeloop": "timeloop-mapper", "astra-sim": "AstraSim_Analytical_Congestion_Unaware", "vidur": None,
         "neusight": None, "nn-meter": "nn-meter"}
ENV_VARS = ("GRAPHS_TIMELOOP_BIN", "GRAPHS_ACCELERGY_BIN", "GRAPHS_ASTRA_SIM_BIN", "GRAPHS_VIDUR_PYTHON",
            "GRAPHS_VIDUR_ROOT", "GRAPHS_NEUSIGHT_DIR", "GRAPHS_NEUSIGHT_PYTHON", "GRAPHS_NN_METER_BIN",
            "GRAPHS_NN_METER_DATA")


def script(path: Path, body: str) -> Path:
    """An executable Python script (a stand-in for a tool binary in plumbing tests)."""
    path.write_text(f"#!{sys.executable}\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_run_command_captures_logs_and_never_uses_a_shell(tmp_path):
    r = run_command([sys.executable, "-c", "import sys; print(sys.argv[1]); print('err', file=sys.stderr)",
                     "a; echo injected"], log_dir=tmp_path, name="t")
    assert r.ok and r.returncode == 0
    assert r.stdout().strip() == "a; echo injected"     # passed as one argument, not interpreted
    assert r.stderr().strip() == "err"
    rec = json.loads((tmp_path / "t.command.json").read_text())
    assert rec["returncode"] == 0 and rec["argv"][-1] == "a; echo injected"


def test_run_command_reports_missing_program_and_timeout(tmp_path):
    missing = run_command([str(tmp_path / "no-such-tool")], log_dir=tmp_path, name="m")
    assert not missing.ok and missing.returncode is None and "FileNotFoundError" in missing.start_error
    assert "could not start" in missing.describe()
    slow = run_command([sys.executable, "-c", "import time; time.sleep(10)"], log_dir=tmp_path, name="s", timeout_s=0.5)
    assert slow.timed_out and not slow.ok and slow.wall_s < 5
    failing = run_command([sys.executable, "-c", "import sys; sys.exit('boom')"], log_dir=tmp_path, name="f")
    assert failing.returncode == 1 and "boom" in failing.describe()


def test_resolve_executable_env_var_then_path(tmp_path, monkeypatch):
    exe = script(tmp_path / "mytool", "print('hi')")
    monkeypatch.setenv("GRAPHS_TEST_BIN", str(exe))
    assert resolve_executable(["mytool"], "GRAPHS_TEST_BIN") == (exe, "")
    monkeypatch.setenv("GRAPHS_TEST_BIN", str(tmp_path))          # a folder holding the program
    assert resolve_executable(["mytool"], "GRAPHS_TEST_BIN")[0] == exe
    monkeypatch.setenv("GRAPHS_TEST_BIN", str(tmp_path / "nope"))
    path, why = resolve_executable(["mytool"], "GRAPHS_TEST_BIN")
    assert path is None and "GRAPHS_TEST_BIN" in why and "not an executable" in why
    monkeypatch.delenv("GRAPHS_TEST_BIN")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert resolve_executable(["mytool"], "GRAPHS_TEST_BIN")[0] == exe


class _Echo(BaseToolAdapter):
    """A toy adapter whose 'tool' is a script writing a number into a file."""

    name = "echo"
    description = "test adapter"

    def __init__(self, exe, parse_bad=False):
        self.exe, self.parse_bad = exe, parse_bad

    def doctor(self):
        if self.exe is None:
            return self.diagnosis(DiagnosisStatus.NOT_INSTALLED, "no echo tool", "install it")
        return self.diagnosis(DiagnosisStatus.OK, "ok", binary=str(self.exe))

    def write_inputs(self, workload, out_dir):
        p = Path(out_dir) / "in.txt"
        p.write_text(str(workload))
        return [p]

    def invocations(self, workload, out_dir, inputs, diagnosis):
        return [Invocation((diagnosis.details["binary"], str(inputs[0]), str(out_dir / "out.txt")), "echo")]

    def collect(self, workload, out_dir, inputs):
        return [self.parse(out_dir / "out.txt")]

    def parse(self, path):
        text = Path(path).read_text().strip()
        if self.parse_bad or not text.replace(".", "").isdigit():
            raise ToolOutputError(f"{path}: not a number")
        return point_result(float(text), "ms", estimator="echo")


def test_base_adapter_run_success_and_failures(tmp_path):
    ok = script(tmp_path / "echo-tool", "import sys; open(sys.argv[2], 'w').write(str(2 * float(open(sys.argv[1]).read())))")
    run = _Echo(ok).run(21, tmp_path / "ok")
    assert run.ok and run.result.value == 42.0 and run.result.unit == "ms"
    assert run.result.provenance.estimator == "echo" and run.result.low == run.result.high == 42.0
    assert (tmp_path / "ok" / "logs" / "echo.stdout.log").exists()
    assert json.loads((tmp_path / "ok" / "graphs-tool-run.json").read_text())["diagnosis"]["status"] == "ok"

    absent = _Echo(None).run(1, tmp_path / "absent")
    assert not absent.ok and absent.diagnosis.status is DiagnosisStatus.NOT_INSTALLED
    assert absent.inputs and absent.inputs[0].read_text() == "1"      # inputs are written anyway
    assert absent.diagnosis.failure_class == "F1"

    crash = script(tmp_path / "crash-tool", "import sys; sys.exit('segfault-ish')")
    bad = _Echo(crash).run(1, tmp_path / "crash")
    assert bad.diagnosis.status is DiagnosisStatus.RUNTIME_FAILURE and "segfault-ish" in bad.diagnosis.reason
    assert bad.diagnosis.failure_class == "F2"

    unparsable = _Echo(ok, parse_bad=True).run(1, tmp_path / "parse")
    assert unparsable.diagnosis.status is DiagnosisStatus.RUNTIME_FAILURE and "parsed" in unparsable.diagnosis.reason


def test_doctor_wrapper_never_raises():
    class Broken:
        name = "broken"

        def doctor(self):
            raise RuntimeError("kaboom")

    d = doctor(Broken())
    assert d.status is DiagnosisStatus.RUNTIME_FAILURE and "kaboom" in d.reason


def test_point_result_and_seconds():
    r = point_result(3.0, "ms", estimator="x")
    assert to_seconds(r) == pytest.approx(3e-3)
    c = point_result(2000, "cycles", estimator="x", metrics={"clock_hz": 1e9})
    assert to_seconds(c) == pytest.approx(2e-6)
    with pytest.raises(GraphsError):
        to_seconds(point_result(1, "cycles", estimator="x"))
    assert r.confidence is ConfidenceLevel.THEORETICAL


def test_every_adapter_is_registered_and_diagnosed_here(monkeypatch):
    for v in ENV_VARS:
        monkeypatch.delenv(v, raising=False)
    gp = GraphsPlugins()
    gp.load_entry_points(list(TOOLS))
    gp.collect()
    assert sorted(a.name for a in list_tools(gp)) == sorted(TOOLS)
    for a in list_tools(gp):
        assert isinstance(a, ToolAdapter) and a.description
    diags = {d.tool: d for d in doctor_all(gp)}
    for name, binary in TOOLS.items():
        d = diags[name]
        assert isinstance(d, Diagnosis) and d.reason and d.to_dict()["status"] == d.status.value
        installed = (binary and shutil.which(binary)) or (name == "vidur" and _importable("vidur"))
        if not installed:
            assert d.status is DiagnosisStatus.NOT_INSTALLED, d
            assert d.fix and d.failure_class == "F1"
    assert get_tool("timeloop", gp).name == "timeloop"
    with pytest.raises(GraphsError, match="did you mean timeloop"):
        get_tool("timeloops", gp)


def _importable(mod):
    import importlib.util
    return importlib.util.find_spec(mod) is not None


def test_conv_geometry_reads_or_infers_stride_and_padding():
    b = GraphBuilder("c", "test")
    b.input("x", TensorSpec((1, 3, 224, 224)))
    b.parameter("w", TensorSpec((32, 3, 3, 3)))
    b.parameter("w2", TensorSpec((32, 1, 3, 3)))
    b.node("c1", "t::conv", ["x", "w"], [("y", TensorSpec((1, 32, 112, 112)))], {"stride": [2, 2], "padding": [1, 1]})
    b.node("c2", "t::conv", ["y", "w2"], [("z", TensorSpec((1, 32, 112, 112)))], {"groups": 32})
    g = b.build()
    g1 = conv_geometry(g, g.nodes[0])
    assert (g1.stride, g1.pad, g1.dilation, g1.groups, g1.inferred) == ((2, 2), (1, 1), (1, 1), 1, False)
    g2 = conv_geometry(g, g.nodes[1])
    assert g2.inferred and g2.stride == (1, 1) and g2.pad == (1, 1) and g2.depthwise
    assert infer_stride_pad(224, 112, 3) == (2, 1)
    assert infer_stride_pad(56, 56, 1) == (1, 0)


def test_tools_cli_lists_and_diagnoses_every_adapter():
    import json as _json
    from graphs.testing import run_cli
    r = run_cli("tools", "list", "-f", "json")
    assert r.exit_code == 0, r.stderr
    rows = {d["tool"]: d for d in _json.loads(r.stdout)["tools"]}
    assert {"timeloop", "astra-sim", "vidur", "neusight", "nn-meter"} <= set(rows)
    for d in rows.values():
        assert d["status"] and d["reason"]  # a result with its reason, never a crash
    name = next(iter(rows))
    r = run_cli("tools", "doctor", name, "-f", "json")
    assert r.exit_code == (0 if rows[name]["status"] == "ok" else 1)
    r = run_cli("tools", "doctor", "timelop")
    assert r.exit_code == 2 and "did you mean timeloop" in r.stderr
