"""graphs_calibrate.fit: the monotone log-log curve, and a fit that recovers known synthetic truth."""

import math

import numpy as np
import pytest

from graphs_calibrate.fit import calibrate, fit_curve, load_measured
from graphs.errors import GraphsError
from graphs.plugins import get_plugins
from graphs.store import ResultsStore

from calib_fixtures import MODEL_OVERHEAD, OVERHEAD, shared_synthetic, true_ratio


@pytest.fixture(autouse=True)
def _no_user_calibrations(tmp_path, monkeypatch):
    monkeypatch.setenv("GRAPHS_CALIBRATION_DIR", str(tmp_path / "user-cal"))


# --- the curve -------------------------------------------------------------------------------------
def test_curve_recovers_a_falling_log_log_line_and_is_monotone():
    x = np.logspace(-5, -2, 60)
    y = np.array([true_ratio(v) for v in x])
    c = fit_curve(x, y)
    for v in (1.5e-5, 1e-4, 1e-3, 8e-3):
        assert c.ratio(v) == pytest.approx(true_ratio(v), rel=0.03)
    r = [c.ratio(v) for v in np.logspace(-6, -1, 200)]
    assert all(a >= b - 1e-12 for a, b in zip(r, r[1:]))            # falling, never rising
    assert c.residuals.q05 <= c.residuals.q50 <= c.residuals.q95
    assert c.residuals.q50 == pytest.approx(1.0, abs=0.03)
    assert (c.x_min, c.x_max) == (pytest.approx(1e-5), pytest.approx(1e-2))


def test_curve_on_noisy_rising_data_is_rising_and_intervals_cover_90_percent():
    rng = np.random.default_rng(0)
    x = np.logspace(-6, -3, 400)
    truth = 0.8 * (x / 1e-6) ** 0.1
    y = truth * np.exp(rng.normal(0, 0.15, len(x)))
    c = fit_curve(x, y)
    r = [c.ratio(v) for v in np.sort(x)]
    assert all(a <= b + 1e-12 for a, b in zip(r, r[1:]))
    inside = np.mean([c.ratio(v) * c.residuals.q05 <= yy <= c.ratio(v) * c.residuals.q95 for v, yy in zip(x, y)])
    assert 0.88 <= inside <= 0.92                                    # residual quantiles: a 90 % interval
    assert len(c.points) <= 6


def test_curve_needs_two_positive_points():
    with pytest.raises(ValueError):
        fit_curve([1e-3], [1.0])
    with pytest.raises(ValueError):
        fit_curve([1e-3, 2e-3], [1.0, -1.0])


# --- the fit on a synthetic device -------------------------------------------------------------------
@pytest.fixture(scope="module")
def synth():
    path, spec = shared_synthetic()
    st = ResultsStore(path)
    yield get_plugins(), spec, st
    st.close()


def test_fit_recovers_overheads_and_the_gemm_curve(synth):
    gp, spec, st = synth
    cal, rep = calibrate(st, str(spec), gp, min_points=4)   # so that the 6 pooling kernels get a curve too
    assert cal.device == "host" and cal.conditions["threads"] == 4 and cal.fusion == "none"
    assert cal.kernel_overhead.value_s == pytest.approx(OVERHEAD, rel=1e-6)   # the tiny adds
    c = cal.curves["linear.fp32"]                                           # aten::mm is a linear kernel
    for x in np.logspace(math.log10(c.x_min), math.log10(c.x_max), 7):
        assert c.ratio(x) * c.residuals.q50 == pytest.approx(true_ratio(x), rel=0.08)
    # truth: a constant 2 ms per model run and no proportional part
    assert cal.model_overhead.value_s == pytest.approx(MODEL_OVERHEAD, rel=0.3)
    assert cal.model_overhead_fraction == pytest.approx(0.0, abs=0.05)
    assert cal.model_residuals.q05 <= 1.0 <= cal.model_residuals.q95
    assert rep["model_runs_fitted"] == 2 and rep["kernels_held_out"] == 0
    assert "conv.fp32" in cal.curves and "relu.fp32" in cal.curves     # in-model kernels are fitted too
    assert "squeezenet1_1" in cal.conditions["fitted_models"]


def test_holdout_removes_the_models_runs_and_kernels(synth):
    gp, spec, st = synth
    cal, rep = calibrate(st, str(spec), gp, holdout=["SqueezeNet1_1"])   # names are case-insensitive
    assert rep["holdout"] == ["squeezenet1_1"] and rep["model_runs_fitted"] == 0
    assert rep["kernels_held_out"] > 50 and cal.model_overhead is None
    assert "conv.fp32" not in cal.curves and "linear.fp32" in cal.curves
    assert cal.conditions["fitted_models"] == [] and cal.conditions["holdout"] == ["squeezenet1_1"]


def test_statistic_min_uses_the_fastest_repeat(synth):
    gp, spec, st = synth
    meas = load_measured(st, "host", gp, statistic="min")
    mm = next(p for p in meas.kernels if p.sm.m.name == "mm 512")
    assert mm.seconds == pytest.approx(mm.sm.m.median_s * 0.97)
    with pytest.raises(GraphsError, match="unknown statistic"):
        load_measured(st, "host", gp, statistic="mean")


def test_model_overhead_fit_and_prediction_interval():
    from graphs_calibrate.fit import fit_model_overhead, prediction_interval

    k = np.array([10e-3, 20e-3, 50e-3, 100e-3, 500e-3, 1.0])
    f, c = fit_model_overhead([(1.2 * x + 1e-3, x) for x in k])
    assert f == pytest.approx(0.2, abs=1e-3) and c == pytest.approx(1e-3, rel=0.05)
    assert prediction_interval([1.0, 0.9, 1.1]) == (0.9, 1.0, 1.1)              # n < 39: [min, max]
    lo, med, hi = prediction_interval(list(np.linspace(0.5, 1.5, 79)))          # n = 79: the 4th from each end
    assert (lo, hi) == (pytest.approx(0.5 + 3 / 78), pytest.approx(1.5 - 3 / 78)) and med == pytest.approx(1.0)


def test_model_composition_fit_recovers_per_feature_costs():
    """T = (1 + f)·Σ + θ·x + c with known f, θ (per kernel, per weight byte) and c; features of different scales."""
    from graphs_calibrate.fit import fit_model_composition

    rng = np.random.default_rng(1)
    k = rng.uniform(5e-3, 2.0, 30)
    x = np.column_stack([rng.integers(50, 500, 30), rng.uniform(1e6, 5e8, 30)])
    t = 1.08 * k + x @ np.array([12e-6, 5e-11]) + 0.5e-3
    f, th, c = fit_model_composition(t, k, x)
    assert f == pytest.approx(0.08, abs=0.01)
    assert th == pytest.approx([12e-6, 5e-11], rel=0.1) and c == pytest.approx(0.5e-3, abs=0.5e-3)
    # no features: the plain (f, c) fit
    f0, th0, c0 = fit_model_composition(1.2 * k + 1e-3, k)
    assert th0.size == 0 and f0 == pytest.approx(0.2, abs=1e-3) and c0 == pytest.approx(1e-3, rel=0.05)
    # never negative: a feature that only adds noise gets a cost of zero or more
    f1, th1, c1 = fit_model_composition(1.1 * k, k, -x)
    assert np.all(th1 >= 0) and f1 == pytest.approx(0.1, abs=0.01)


def test_errors_are_one_line(synth, tmp_path):
    gp, spec, st = synth
    with pytest.raises(GraphsError, match="unknown model 'no-such-net'"):
        calibrate(st, str(spec), gp, holdout=["no-such-net"])
    with ResultsStore(tmp_path / "empty.sqlite") as empty:
        with pytest.raises(GraphsError, match=r"no measurements of 'host'.*graphs benchmark") as e:
            calibrate(empty, str(spec), gp)
    assert "\n" not in str(e.value)


def test_a_family_with_its_own_fitter_is_used(tmp_path):
    """The GPU engine fits its own curves (fit_calibration); graphs calibrate feeds it the runner's kernels."""
    from graphs.store import Measurement, Run

    from calib_fixtures import mm_record

    gp = get_plugins()
    with ResultsStore(tmp_path / "g.sqlite") as st:
        ms = [Measurement("kernel", f"mm {n}", 20e-6 + 2 * n ** 3 / 30e12, 10, "linear", "fp32", mm_record(n, n, n),
                          {}) for n in range(256, 4096 + 1, 128)]
        st.add_batch(Run("h100", "torch-cuda", software={"torch": "x", "cuda": "12.4"},
                         host={"gpu_name": "NVIDIA H100 80GB HBM3"}), ms)
        cal, rep = calibrate(st, "h100", gp)
    assert cal.device == "h100" and cal.curves and rep["kernels_fitted"] == len(ms)
    assert cal.conditions["gpu_name"] == "NVIDIA H100 80GB HBM3" and cal.conditions["runtime"] == "torch-cuda"
    assert all("." in k for k in cal.curves)           # the GPU engine's own <kind>.<precision> keys
