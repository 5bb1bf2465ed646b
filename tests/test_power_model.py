"""The power model (graphs.power): static + activity-dependent power, capped at the power limit with the
clock reduced when the cap binds; GPU coefficients fitted on named data; every GPU gets an energy."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings, strategies as st

from graphs.energy import Coefficient
from graphs.power import Activity, PowerCoefficients, average_power
from graphs.testing import run_cli


def coeffs(static=100.0, matrix=300.0, memory=200.0, limit=500.0, spread=0.0) -> PowerCoefficients:
    c = lambda v: Coefficient(v, v * (1 - spread), v * (1 + spread), "test")  # noqa: E731
    return PowerCoefficients(static=c(static), matrix=c(matrix), vector=c(matrix / 2), memory=c(memory),
                             limit_w=limit, link=c(10.0))


def test_power_is_static_plus_each_units_coefficient_times_its_activity():
    c = coeffs(limit=10_000)
    est = average_power(c, Activity(matrix_s=0.5, vector_s=0.2, memory_s=0.25, link_s=0.1), 1.0)
    assert est.power_w == pytest.approx(100 + 300 * 0.5 + 150 * 0.2 + 200 * 0.25 + 10 * 0.1)
    assert est.energy_j == pytest.approx(est.power_w * 1.0)
    assert est.clock_factor == 1.0 and not est.capped
    assert est.activity == {"matrix": 0.5, "vector": 0.2, "memory": 0.25, "link": 0.1}


def test_when_the_cap_binds_the_clock_drops_time_stretches_and_power_sits_at_the_limit():
    c = coeffs(static=100, matrix=600, memory=200, limit=500)
    est = average_power(c, Activity(matrix_s=0.9, memory_s=0.1), 1.0, compute_bound_s=0.9)
    assert est.capped and 0 < est.clock_factor < 1
    assert est.power_w == pytest.approx(500, rel=1e-6)
    assert est.time_s > 1.0
    assert est.energy_j == pytest.approx(500 * est.time_s, rel=1e-6)
    assert any("power limit 500 W binds" in n for n in est.notes)


@settings(max_examples=300, deadline=None)
@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(1e-6, 10),
       st.floats(10, 2000), st.floats(0, 3000), st.floats(0, 3000), st.floats(0, 0.9))
def test_average_power_never_exceeds_the_limit_and_energy_is_positive(a_m, a_v, a_mem, bound, t, limit, matrix,
                                                                      memory, spread):
    c = coeffs(static=0.3 * limit, matrix=matrix, memory=memory, limit=limit, spread=spread)
    est = average_power(c, Activity(a_m * t, a_v * t, a_mem * t), t, compute_bound_s=bound * t)
    for p in (est.power_w, est.low_w, est.high_w):
        assert 0 < p <= limit * (1 + 1e-9)
    assert est.energy_j > 0 and est.energy_low_j <= est.energy_j <= est.energy_high_j
    assert est.time_s >= t * (1 - 1e-12)


def test_gpu_power_coefficients_are_fitted_for_measured_gpus_and_transferred_to_the_others():
    from graphs.plugins import get_plugins
    from graphs_mappers_gpu.power import power_table
    table = power_table()
    assert "ML.ENERGY" in table["source"] and set(table["devices"]) == {"h100", "b200"}
    gp = get_plugins()
    h100 = gp.mapper_for("h100").power_coefficients()
    assert h100.confidence == "CALIBRATED" and h100.limit_w == 700
    t4 = gp.mapper_for("t4").power_coefficients()
    assert t4.confidence == "INTERPOLATED" and t4.limit_w == 70
    for c in (h100, t4):
        for unit in (c.static, c.matrix, c.memory):
            assert 0 <= unit.low <= unit.value <= unit.high and unit.source
        assert c.static.value < c.limit_w


def test_a_configured_power_limit_caps_below_the_tdp(monkeypatch):
    from graphs.plugins import get_plugins
    monkeypatch.setenv("GRAPHS_GPU_POWER_LIMIT", "400")
    assert get_plugins().mapper_for("h100").power_coefficients().limit_w == 400
    monkeypatch.setenv("GRAPHS_GPU_POWER_LIMIT", "lots")
    with pytest.raises(Exception, match="GRAPHS_GPU_POWER_LIMIT"):
        get_plugins().mapper_for("h100")


def _gpus() -> list[str]:
    from graphs.plugins import get_plugins
    gp = get_plugins()
    return sorted(hw for hw, e in gp.hardware.items() if e.spec.family == "gpu" and e.spec.id == hw)


@pytest.mark.parametrize("model", ["resnet18", "gpt2"])
def test_every_gpu_in_the_catalog_gets_an_energy_and_never_exceeds_its_tdp(model):
    gpus = _gpus()
    assert len(gpus) >= 20 and "b200" in gpus
    r = run_cli("analyze", model, "--hardware", ",".join(gpus), "--format", "json")
    assert r.exit_code == 0, r.stderr
    import json
    from graphs.plugins import get_plugins
    gp = get_plugins()
    results = json.loads(r.stdout)["results"]
    assert len(results) == len(gpus)
    for res in results:
        m = res["metrics"]
        tdp = gp.hardware_entry(m["hardware"]).spec.power.tdp.si
        assert m["energy_j"] is not None and m["energy_j"] > 0, m["hardware"]
        lo, hi = m["energy_interval_j"]
        assert 0 < lo <= m["energy_j"] <= hi
        assert 0 < m["avg_power_w"] <= tdp * (1 + 1e-9), (m["hardware"], m["avg_power_w"], tdp)
        assert m["energy_confidence"] in ("THEORETICAL", "INTERPOLATED", "CALIBRATED")


def test_b200_is_installed_with_sourced_numbers():
    r = run_cli("hardware", "show", "b200", "--format", "csv")
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows and all(row.get("source") for row in rows if row.get("value"))
    text = "".join(str(v) for row in rows for v in row.values())
    assert "1000" in text and "148" in text
