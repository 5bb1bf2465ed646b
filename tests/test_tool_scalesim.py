"""SCALE-Sim adapter (scalesim 3.0.0): writers (cfg, topology, layout), the report parser on a recorded real run,
the plumbing, and (slow) SCALE-Sim itself.

tests/fixtures/tool_runs/scalesim holds the input files graphs wrote for one layer of the ``accel`` suite and
the reports SCALE-Sim really wrote (PROVENANCE.md).
"""

import configparser
import csv
import shutil
import stat
import sys
from pathlib import Path

import pytest

from graphs.plugins import get_plugins
from graphs_scalesim import ScaleSimAdapter, ScaleSimJob, ScaleSimLayer, layers_from_graph, read_reports
from graphs_tools import DiagnosisStatus, ToolInputError, ToolOutputError
from peer_tools import FIXTURES

FIX = FIXTURES / "scalesim"


def _row():
    from graphs_compare.categories import accel_suite
    gp = get_plugins()
    s = accel_suite(gp)
    return gp, s, s.row("tpu-v4/resnet50_layer2_conv3x3")


def test_writers_reproduce_the_recorded_inputs(tmp_path):
    gp, s, row = _row()
    job = ScaleSimAdapter().compare_job(row, s, gp)
    assert (job.rows, job.cols, job.dataflow, job.clock_hz) == (128, 128, "ws", 1.05e9)
    files = ScaleSimAdapter().write_inputs(job, tmp_path)
    for f in files:
        assert f.read_text() == (FIX / f.name).read_text(), f.name
    cfg = configparser.ConfigParser()
    cfg.read(tmp_path / "scale.cfg")
    assert {"general", "architecture_presets", "layout", "sparsity", "run_presets"} <= set(cfg.sections())  # v3 needs all
    rows = (tmp_path / "topology.csv").read_text().splitlines()
    assert all(r.endswith(",") for r in rows)                     # SCALE-Sim drops each row's last field
    assert rows[1] == "resnet50_layer2_conv3x3,30,30,3,3,128,128,1,"   # padded input: SCALE-Sim has no padding


def test_layer_forms_and_validation():
    conv = ScaleSimLayer.conv("c", 56, 56, 3, 3, 64, 64, 1, 1)
    assert (conv.ofmap_h, conv.ofmap_w) == (56, 56) and conv.mnk == (3136, 64, 576)
    g = ScaleSimLayer.gemm("g", 128, 3072, 768)
    assert g.mnk == (128, 3072, 768) and g.row() == "g,128,768,1,768,1,3072,1,"   # SCALE-Sim's own GEMM mapping
    with pytest.raises(ToolInputError):
        ScaleSimLayer.conv("bad", 2, 2, 3, 3, 1, 1)
    with pytest.raises(ToolInputError, match="unique"):
        ScaleSimJob((g, g))
    with pytest.raises(ToolInputError, match="dataflow"):
        ScaleSimJob((g,), dataflow="xs")


def test_recorded_reports_parse():
    rep = read_reports(FIX / "scalesim_out")
    with open(next((FIX / "scalesim_out").glob("*/COMPUTE_REPORT.csv")), newline="") as f:
        raw = [[c.strip() for c in r] for r in csv.reader(f)]
    assert len(rep) == 1 and rep[0].cycles == float(raw[1][2]) and rep[0].cycles_incl_prefetch == float(raw[1][1])
    assert rep[0].mapping_efficiency_pct == float(raw[1][5]) and "Avg IFMAP DRAM BW" in rep[0].bandwidth
    r = ScaleSimAdapter().parse(FIX / "scalesim_out")
    assert r.value == rep[0].cycles and r.unit == "cycles" and r.provenance.estimator == "scalesim"
    with pytest.raises(ToolOutputError):
        read_reports(FIX)          # no report folder directly there


def _standin(tmp_path: Path) -> Path:
    """An interpreter stand-in: answers the probe; run as the driver, copies the recorded reports where SCALE-Sim
    writes them (after checking it was handed the cfg/topology/layout graphs wrote)."""
    py = tmp_path / "python-scalesim"
    py.write_text(f"""#!{sys.executable}
import os, shutil, sys
if sys.argv[1] == "-c":
    print("found"); print("3.0.0"); print("3.11.7"); sys.exit(0)
cfg, topo, layout, out, kind = sys.argv[2:7]
assert kind == "conv" and all(os.path.isfile(p) for p in (cfg, topo, layout))
shutil.copytree({str(FIX / "scalesim_out")!r}, out)
""")
    py.chmod(py.stat().st_mode | stat.S_IXUSR)
    return py


def test_not_installed_then_plumbing_with_the_recorded_run(tmp_path, monkeypatch):
    gp, s, row = _row()
    a = ScaleSimAdapter()
    job = a.compare_job(row, s, gp)
    run = a.run(job, tmp_path / "a")
    assert run.diagnosis.status is DiagnosisStatus.NOT_INSTALLED and "graphs tools install scalesim" in run.diagnosis.fix
    assert a.package.requirements == ("scalesim==3.0.0", "numpy<2")          # SCALE-Sim breaks with numpy 2
    monkeypatch.setenv("GRAPHS_SCALESIM_PYTHON", str(_standin(tmp_path)))
    run = a.run(job, tmp_path / "b")
    assert run.ok, run.diagnosis
    r = run.result
    assert r.value == read_reports(FIX / "scalesim_out")[0].cycles
    assert r.metrics["clock_hz"] == 1.05e9 and r.metrics["array"] == [128, 128]
    layer = ScaleSimLayer.conv("x", 28, 28, 3, 3, 128, 128, 1, 1)
    assert r.metrics["utilization"] == pytest.approx(layer.macs / (r.value * 128 * 128))


def test_scope_and_graph_layers():
    gp, s, row = _row()
    a = ScaleSimAdapter()
    assert a.compare_scope(row, gp) is None
    from graphs_compare.model import Row
    whole = Row(key="k", model="resnet50", hardware="h100", device_name="h100", family="cnn")
    assert "one systolic array" in a.compare_scope(whole, gp)
    from graphs.frontends import LoadOptions, load_model
    layers, skipped = layers_from_graph(load_model("resnet18", LoadOptions(batch=1), gp), gp.ops)
    assert len(layers) == 21 and layers[-1].kind == "gemm" and skipped     # 20 convs + the classifier; the rest listed
    ok, how = a.hardware_check(gp)
    assert ok and " array)" in how


@pytest.mark.slow
def test_scalesim_runs_for_real(tmp_path):
    """Installs scalesim (numpy < 2) from PyPI into its own environment and reproduces the recorded layer."""
    from graphs_tools.envs import install
    gp, s, row = _row()
    a = ScaleSimAdapter()
    rep = install(a.name, a.package)
    assert rep.ok, rep.reason
    run = a.run(a.compare_job(row, s, gp), tmp_path / "r", timeout_s=900)
    assert run.ok, run.diagnosis
    assert run.result.value == read_reports(FIX / "scalesim_out")[0].cycles
