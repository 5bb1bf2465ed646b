"""`graphs calibrate` and where its file is picked up: mapper_for, `hardware list`, `analyze --calibration`."""

import json

import pytest
import yaml

from graphs.calibration import load_calibration, user_calibration_path
from graphs.plugins import get_plugins
from graphs.results import ConfidenceLevel

from calib_fixtures import shared_synthetic


@pytest.fixture(scope="module")
def synth():
    return shared_synthetic()


@pytest.fixture(autouse=True)
def user_dir(tmp_path, monkeypatch):
    d = tmp_path / "user-cal"
    monkeypatch.setenv("GRAPHS_CALIBRATION_DIR", str(d))
    return d


def test_calibrate_writes_the_user_file_and_json_report(synth, graphs_cli, user_dir):
    store, spec = synth
    r = graphs_cli("calibrate", "--hardware", str(spec), "--store", str(store), "-f", "json")
    assert r.exit_code == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["written"] == str(user_dir / "host.yaml") == str(user_calibration_path("host"))
    cal = load_calibration(user_dir / "host.yaml")
    assert cal.device == "host" and cal.kernel_overhead and cal.model_overhead and "linear.fp32" in cal.curves
    assert rep["model_runs_fitted"] == 2 and rep["curves"]["linear.fp32"] == cal.curves["linear.fp32"].n


def test_calibrate_table_output_and_explicit_output(synth, graphs_cli, tmp_path):
    store, spec = synth
    out = tmp_path / "mine.yaml"
    r = graphs_cli("calibrate", "-H", str(spec), "--store", str(store), "-o", str(out), "--holdout", "squeezenet1_1",
                   "--statistic", "min")
    assert r.exit_code == 0, r.stderr
    assert "linear.fp32" in r.stdout and f"wrote {out}" in r.stdout.replace("\n", "")
    cal = load_calibration(out)
    assert cal.conditions["statistic"] == "min" and cal.conditions["holdout"] == ["squeezenet1_1"]


@pytest.mark.parametrize("args, msg", [
    (["--store", "/no/such.sqlite"], "no such results store"),
    (["--holdout", "not-a-model"], "unknown model 'not-a-model'"),
    (["--statistic", "mean"], "unknown statistic 'mean'"),
])
def test_calibrate_bad_input_is_one_line(synth, graphs_cli, args, msg):
    store, spec = synth
    base = ["calibrate", "-H", str(spec)] + ([] if args[0] == "--store" else ["--store", str(store)])
    r = graphs_cli(*base, *args)
    assert r.exit_code == 2 and msg in r.stderr and r.stderr.count("\n") == 1


def test_calibration_is_picked_up_by_mapper_for_and_analyze(synth, graphs_cli, tmp_path, user_dir):
    store, spec = synth
    assert graphs_cli("calibrate", "-H", str(spec), "--store", str(store)).exit_code == 0
    gp = get_plugins(refresh=True)
    m = gp.mapper_for(str(spec))                      # the user's file for id "host", found by id
    assert m.calibration is not None and m.calibration.source.startswith("graphs calibrate")
    # the fake CPU runs 4 threads; an estimate at another thread count refuses the calibration and says why
    from graphs_mappers_cpu.mapper import CPUMapper
    m2 = CPUMapper(m.spec, m.calibration, threads=2)
    assert m2.calibration is None and any("fitted at 4 thread(s)" in n for n in m2.notes)
    # analyze with --calibration FILE: kernels inside the fitted range are CALIBRATED
    r = graphs_cli("analyze", "squeezenet1_1", "-H", str(spec), "--calibration", str(user_dir / "host.yaml"),
                   "-f", "json")
    assert r.exit_code == 0, r.stderr
    res = json.loads(r.stdout)["results"][0]
    levels = {k["confidence"] for k in res["breakdown"]}
    assert "CALIBRATED" in levels and res["confidence"] in ("CALIBRATED", "INTERPOLATED")
    assert res["provenance"]["calibration"].startswith("graphs calibrate")
    ksum = sum(k["time_s"] for k in res["breakdown"])
    c, f = m.calibration.model_overhead.value_s, m.calibration.model_overhead_fraction
    assert res["metrics"]["model_overhead_s"] == pytest.approx(c + f * ksum, rel=1e-9, abs=1e-12)
    assert res["value"] == pytest.approx(ksum * (1 + f) + c)


def test_host_without_calibration_is_not_shown_calibrated(graphs_cli, tmp_path, monkeypatch):
    """The CPU priors are not a calibration: `hardware list` says CALIBRATED only when a calibration applies."""
    monkeypatch.setenv("GRAPHS_CPU_THREADS", "3")     # no calibration is shipped for 3 threads
    monkeypatch.setenv("GRAPHS_CACHE_DIR", str(tmp_path / "cache"))
    r = graphs_cli("hardware", "list", "-f", "json")      # the host is measured on first use, not by a listing
    host = {row["id"]: row for row in json.loads(r.stdout)["devices"]}["host"]
    assert host["loaded"] is False and host["calibration"] is None and host["bandwidth_bytes_per_s"] is None
    assert graphs_cli("hardware", "show", "host").exit_code == 0       # first use: detected, measured, cached
    r = graphs_cli("hardware", "list", "-f", "json")
    host = {row["id"]: row for row in json.loads(r.stdout)["devices"]}["host"]
    assert host["loaded"] is True and host["calibration"] == "THEORETICAL"
    # a user calibration for host (any content that applies) makes it CALIBRATED
    d = tmp_path / "user-cal"
    d.mkdir(exist_ok=True)
    (d / "host.yaml").write_text(yaml.safe_dump({"device": "host", "source": "test", "conditions": {"threads": 3}}))
    r = graphs_cli("hardware", "list", "-f", "json")
    assert {row["id"]: row for row in json.loads(r.stdout)["devices"]}["host"]["calibration"] == "CALIBRATED"
    m = get_plugins(refresh=True).mapper_for("host")
    assert m.calibration.source == "test"
    k = __import__("graphs_mappers_cpu.bench", fromlist=["mm"]).mm(256, 256, 256).kernel()
    assert m.confidence(k) <= ConfidenceLevel.INTERPOLATED        # a prior is at most INTERPOLATED


def test_analyze_refuses_a_calibration_of_another_device(synth, graphs_cli, user_dir):
    store, spec = synth
    assert graphs_cli("calibrate", "-H", str(spec), "--store", str(store)).exit_code == 0
    r = graphs_cli("analyze", "squeezenet1_1", "-H", "h100", "--calibration", str(user_dir / "host.yaml"))
    assert r.exit_code == 2 and "is for 'host', not h100" in r.stderr


def test_calibrate_transfer_writes_what_validation_scores(graphs_cli, user_dir):
    """`graphs calibrate --transfer`: a device without measurements gets the calibration the public-data
    validation scores (transferred, INTERPOLATED); a fitted user file is never replaced."""
    from graphs_datasets.validate import installed_calibrations, transferred_calibration
    from graphs.kernels import gemm_kernel

    r = graphs_cli("calibrate", "--hardware", "mi250", "--transfer", "-f", "json")
    assert r.exit_code == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["curves"] == rep["transferred_curves"] > 0 and "matrix efficiency of mi210" in rep["description"]
    written = load_calibration(user_calibration_path("mi250"))
    gp = get_plugins()
    same, _ = transferred_calibration(gp, "mi250", installed_calibrations(gp))
    k = gemm_kernel(1, 4096, 4096, 1024, linear=True)
    mine, theirs = gp.mapper_for("mi250").estimate_kernel(k), gp.mapper_for("mi250", same).estimate_kernel(k)
    assert mine.time_s == pytest.approx(theirs.time_s) and mine.confidence is ConfidenceLevel.INTERPOLATED
    assert written.transferred_from
    rows = json.loads(graphs_cli("hardware", "list", "--format", "json").stdout)["devices"]
    assert {r["id"]: r["calibration"] for r in rows}["mi250"] == "INTERPOLATED"
    assert graphs_cli("calibrate", "--hardware", "mi250", "--transfer").exit_code == 0    # a transfer may be redone

    # a calibration fitted from measurements is not replaced
    fitted = user_calibration_path("v100-pcie-32gb")
    fitted.parent.mkdir(parents=True, exist_ok=True)
    fitted.write_text(yaml.safe_dump({"device": "v100-pcie-32gb", "source": "graphs calibrate: my measurements"}))
    before = fitted.read_text()
    r = graphs_cli("calibrate", "--hardware", "v100-pcie-32gb", "--transfer")
    assert r.exit_code == 2 and "not replacing it" in r.stderr and r.stderr.count("\n") == 1
    assert fitted.read_text() == before
    # a family engine without transfer: one line, exit 2
    r = graphs_cli("calibrate", "--hardware", "xeon-8480", "--transfer")
    assert r.exit_code == 2 and "no installed calibration" in r.stderr and r.stderr.count("\n") == 1
