"""The committed host-CPU measurements: re-fit and validate deterministically, and gate on held-out accuracy.

Data: ``mappers_cpu/src/graphs_mappers_cpu/data/measurements/*.jsonl.gz`` (``make measure-host``;
the machine, date, thread count, statistic and load average are in each file's header). The
calibration is fitted on every model except the held-out ones named there; the gates below are
set at what was achieved on that data plus a small tolerance (docs/accuracy/host_cpu.md), so a
change to the estimator that makes held-out models worse fails here.
"""

import sys
from pathlib import Path

import pytest

from graphs.calibration import load_calibration
from graphs.plugins import get_plugins

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from host_accuracy import committed, reproduce  # noqa: E402  (benchmarks/host_accuracy.py)

# Achieved on the committed data (benchmarks/accuracy.py; 8 held-out models x batch 1 and 8) -> gate at that
# plus a small tolerance. Targets: MAPE <= 10 % at batch 1 and 8, >= 90 % of held-out runs inside the stated
# 90 % interval, kernel->model error ratio <= 1.5. All are met on this data except coverage at batch 8 alone
# (7 of 8: mobilenet_v3_large b8, 23 % under); over all 16 held-out runs it is 15 of 16.
GATES = {
    "held-out b1": {"mape": 8.0, "coverage": 0.875, "kernel_to_model_ratio": 0.8},     # 7.29 %, 8/8, 0.65
    "held-out b8": {"mape": 9.5, "coverage": 0.875, "kernel_to_model_ratio": 1.35},    # 8.58 %, 7/8, 1.23
    "held-out": {"mape": 8.5, "coverage": 0.9, "kernel_to_model_ratio": 1.0, "spearman": 0.98},  # 7.94, 15/16, 0.87, 0.994
}

SETS = committed()


@pytest.fixture(scope="module", params=SETS, ids=[c.stem for c in SETS])
def result(request):
    return request.param, *reproduce(request.param, get_plugins())


def test_there_is_committed_host_data():
    assert SETS, "no committed host measurements (run `make measure-host`)"
    for c in SETS:
        assert c.spec.is_file() and c.shipped_calibration.is_file(), c.stem


def test_the_shipped_calibration_is_the_one_the_committed_data_gives(result):
    """The shipped file was produced from the committed data by `graphs calibrate` (nothing edited by hand)."""
    c, cal, rep, report, header = result
    shipped = load_calibration(c.shipped_calibration)
    assert set(shipped.curves) == set(cal.curves)
    for k, cv in cal.curves.items():
        s = shipped.curves[k]
        assert s.n == cv.n and [v for p in s.points for v in p] == pytest.approx([v for p in cv.points for v in p], rel=1e-9), k
        assert (s.residuals.q05, s.residuals.q95) == pytest.approx((cv.residuals.q05, cv.residuals.q95), rel=1e-9)
    assert shipped.kernel_overhead.value_s == pytest.approx(cal.kernel_overhead.value_s, rel=1e-9)
    assert shipped.model_overhead.value_s == pytest.approx(cal.model_overhead.value_s, rel=1e-9, abs=1e-12)
    assert shipped.model_overhead_fraction == pytest.approx(cal.model_overhead_fraction, rel=1e-9, abs=1e-12)
    assert (shipped.model_overhead_terms or {}).keys() == (cal.model_overhead_terms or {}).keys()
    for n, v in (cal.model_overhead_terms or {}).items():
        assert shipped.model_overhead_terms[n] == pytest.approx(v, rel=1e-9, abs=1e-15), n
    r, q = shipped.model_residuals, cal.model_residuals
    assert (r.q05, r.q50, r.q95) == pytest.approx((q.q05, q.q50, q.q95), rel=1e-9)
    assert shipped.conditions["holdout"] == sorted(header["holdout"]) == cal.conditions["holdout"]


def test_nothing_held_out_was_fitted(result):
    c, cal, rep, report, header = result
    held = set(header["holdout"])
    assert held and not held & set(cal.conditions["fitted_models"])
    assert rep["kernels_held_out"] > 0
    rows = [r for r in report.models if r.model in held]
    assert rows and all(r.held_out for r in rows)
    assert {r.batch for r in rows} == {1, 8}


@pytest.mark.parametrize("group", sorted(GATES))
def test_held_out_accuracy_gates(result, group):
    c, cal, rep, report, header = result
    s = report.summary()[group]
    g = GATES[group]
    assert s["n"] >= 1
    if "mape" in g:
        assert s["mape"] <= g["mape"], f"{group}: MAPE {s['mape']:.1f}% > {g['mape']}%"
    if "coverage" in g:
        assert s["coverage"] >= g["coverage"], f"{group}: 90% interval coverage {s['coverage']:.0%}"
    if "kernel_to_model_ratio" in g:
        assert s["kernel_to_model_ratio"] <= g["kernel_to_model_ratio"]
    if "spearman" in g:
        assert s["spearman"] >= g["spearman"]


def test_composition_and_interval_come_from_leave_one_model_out(result):
    """The model-level form is the one with the lower leave-one-model-out error on the *fitted* models, and the
    stated interval is the prediction interval of those out-of-model ratios (not of an in-sample fit)."""
    from graphs_calibrate.fit import prediction_interval

    c, cal, rep, report, header = result
    comp = rep["composition"]
    assert comp is not None and set(comp["forms"]) == {"(1+f)*sum + c", "(1+f)*sum + terms + c"}
    assert comp["chosen"] == min(comp["forms"], key=lambda n: comp["forms"][n]["mape"])
    ratios = list(comp["lomo_runs"].values())          # T / estimate of each fitted run, its model left out
    assert len(ratios) == rep["model_runs_fitted"]
    assert not set(header["holdout"]) & {k.rsplit(" b", 1)[0] for k in comp["lomo_runs"]}
    q = cal.model_residuals
    assert (q.q05, q.q50, q.q95) == pytest.approx(prediction_interval(ratios), rel=1e-12)
    assert bool(cal.model_overhead_terms) == ("terms" in comp["chosen"])


def test_calibrated_beats_both_baselines_on_held_out_models(result):
    c, cal, rep, report, header = result
    s = report.summary()["held-out"]
    assert s["mape"] < s["prior_mape"] and s["mape"] < s["roofline_mape"] / 2
