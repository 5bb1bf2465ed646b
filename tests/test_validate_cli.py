"""`graphs validate` on a synthetic device whose truth is known: metrics, held-out handling, formats, errors."""

import csv
import io
import json

import pytest

from graphs_calibrate.fit import calibrate
from graphs.plugins import get_plugins
from graphs.store import ResultsStore
from graphs_calibrate.validation import validate

from calib_fixtures import shared_synthetic


@pytest.fixture(autouse=True)
def _user_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHS_CALIBRATION_DIR", str(tmp_path / "user-cal"))


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    store, spec = shared_synthetic()
    gp = get_plugins()
    with ResultsStore(store) as st:
        full, _ = calibrate(st, str(spec), gp, min_points=4)
        held, _ = calibrate(st, str(spec), gp, min_points=4, holdout=["squeezenet1_1"])
    d = tmp_path_factory.mktemp("cal")
    full.dump(d / "full.yaml")
    held.dump(d / "held.yaml")
    return store, spec, d / "full.yaml", d / "held.yaml", full, held


def test_scores_models_and_kernels_against_known_truth(fitted):
    store, spec, _, _, full, _ = fitted
    with ResultsStore(store) as st:
        rep = validate(st, str(spec), get_plugins(), calibration=full)
    assert len(rep.models) == 2 and {r.batch for r in rep.models} == {1, 2}
    for r in rep.models:
        assert r.held_out is False                       # fitted on
        assert r.ape < 15                                 # synthetic truth is recovered
        assert r.roofline_ape > r.ape                     # the roofline misses efficiency and overheads
        assert r.kernels_traced == r.kernels_measured     # every traced kernel was timed alone
        # γ: measured = (model − Σ kernels)/Σ kernels with the known 2 ms model overhead
        assert r.gamma_measured == pytest.approx(2e-3 / r.kernels_measured_s, rel=1e-6)
        f, c = full.model_overhead_fraction, full.model_overhead.value_s
        assert r.gamma_predicted == pytest.approx(f + c / r.kernels_predicted_s, rel=1e-6)
        lo, hi = full.model_residuals.q05, full.model_residuals.q95      # the model-level interval
        assert (r.low_s, r.high_s) == (pytest.approx(r.predicted_s * min(lo, 1)), pytest.approx(r.predicted_s * max(hi, 1)))
    s = rep.summary()
    assert s["fitted"]["n"] == 2 and s["all"]["n"] == 2 and "held-out" not in s
    assert s["fitted b1"]["mape"] == pytest.approx(rep.models[0].ape if rep.models[0].batch == 1 else rep.models[1].ape)
    k = rep.kernel_groups()
    assert set(k) >= {"microbenchmark", "fitted model"} and all(r.ape < 20 for r in k["microbenchmark / linear.fp32"])


def test_held_out_models_are_reported_separately(fitted):
    store, spec, _, _, _, held = fitted
    with ResultsStore(store) as st:
        rep = validate(st, str(spec), get_plugins(), calibration=held)
    assert all(r.held_out for r in rep.models)
    s = rep.summary()
    assert s["held-out"]["n"] == 2 and s["held-out b1"]["n"] == 1 and "fitted" not in s
    assert "held-out model" in rep.kernel_groups()


def test_cli_formats(fitted, graphs_cli, tmp_path):
    store, spec, full_file, _, _, _ = fitted
    base = ["validate", "-H", str(spec), "--store", str(store), "--calibration", str(full_file)]
    r = graphs_cli(*base)
    assert r.exit_code == 0, r.stderr
    assert "models (estimate vs measured)" in r.stdout and "summary by set" in r.stdout
    r = graphs_cli(*base, "-f", "json", "-o", str(tmp_path / "v.json"))
    assert r.exit_code == 0, r.stderr
    d = json.loads((tmp_path / "v.json").read_text())
    assert d["device"] == "host" and d["summary"]["all"]["n"] == 2 and len(d["models"]) == 2 and d["kernels"]
    r = graphs_cli(*base, "-f", "csv", "--models", "squeezenet1_1")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert len(rows) == 2 and {"model", "ape", "gamma_measured", "gamma_predicted", "inside"} <= set(rows[0])
    r = graphs_cli(*base, "-o", str(tmp_path / "v.txt"))
    text = (tmp_path / "v.txt").read_text()
    assert r.exit_code == 0 and "summary by set" in text and "squeezenet1_1" in text and "linear.fp32" in text


def test_cli_errors_are_one_line(fitted, graphs_cli):
    store, spec, full_file, _, _, _ = fitted
    r = graphs_cli("validate", "-H", str(spec), "--store", str(store))      # no calibration anywhere
    assert r.exit_code == 2 and "no calibration to validate" in r.stderr and r.stderr.count("\n") == 1
    r = graphs_cli("validate", "-H", str(spec), "--store", str(store), "--calibration", str(full_file),
                   "--models", "resnet50")
    assert r.exit_code == 2 and "nothing to validate" in r.stderr
    r = graphs_cli("validate", "-H", str(spec), "--store", str(store), "--calibration", "/no/file.yaml")
    assert r.exit_code == 2 and "cannot read calibration" in r.stderr
