"""The MTAP rubric as code: every threshold of GUIDE §5 (and the documented choices) is a test."""

import pytest

from graphs_compare import rubric
from graphs_compare.model import Grade


def test_weights_are_the_guides_and_sum_to_one():
    assert rubric.WEIGHTS["guide"] == (0.4, 0.2, 0.2, 0.1, 0.1)
    assert rubric.WEIGHTS["uniform"] == (0.2,) * 5
    assert rubric.WEIGHTS["deployment"] == (0.2, 0.2, 0.1, 0.3, 0.2)
    for w in rubric.WEIGHTS.values():
        assert sum(w) == pytest.approx(1.0)


@pytest.mark.parametrize("mape,rho,indep,n,devices,want", [
    (4.0, 0.96, True, 20, 3, 3),      # < 5 %, hardware-validated, ρ > 0.95
    (4.0, 0.96, False, 20, 3, 2),     # self-reported / no independent check: capped at 2
    (4.0, 0.90, True, 20, 3, 2),      # ρ grade 2 limits it (min of the two)
    (12.0, 0.99, True, 20, 3, 2),     # < 15 %
    (20.0, 0.99, True, 20, 3, 1),     # < 25 %
    (30.0, 0.99, True, 20, 3, 0),     # > 25 %
    (4.0, 0.99, True, 4, 3, 1),       # little validation: fewer than 5 rows
    (4.0, 0.99, True, 20, 1, 1),      # little validation: one device
    (4.0, 0.3, True, 20, 3, 0),       # no rank fidelity
])
def test_d1_is_min_of_mape_and_rho_grades(mape, rho, indep, n, devices, want):
    assert rubric.grade_d1(n, mape, rho, independent=indep, devices=devices).score == want


def test_d1_without_ground_truth_is_capped_at_two_and_at_the_reference():
    assert rubric.grade_d1(0, float("nan"), None, independent=False, devices=0).score == 0
    ref3 = Grade(3, "elsewhere")
    assert rubric.grade_d1(0, float("nan"), None, independent=False, devices=0, reference=ref3).score == 2
    ref1 = Grade(1, "elsewhere")
    g = rubric.grade_d1(0, float("nan"), None, independent=False, devices=0, reference=ref1)
    assert g.score == 1 and "capped at 2" in g.evidence
    # ρ not computable: at most 2 even with a perfect MAPE
    assert rubric.grade_d1(10, 1.0, float("nan"), independent=True, devices=5).score == 2


def _comp(dg, km=10.0, rows=10):
    return {"levels": ("kernel", "model"), "rows": rows, "dgamma": dg, "kernel_mape": km, "scope": "doc",
            "gamma_measured": 0.05, "gamma_predicted": 0.0}


def test_d2_composition_grades():
    assert rubric.grade_d2(_comp(0.05), True).score == 3
    assert rubric.grade_d2(_comp(0.05, km=float("nan")), True).score == 2     # kernel level not validated
    assert rubric.grade_d2(_comp(0.15), True).score == 2                      # the table's 0.10–0.20 gap
    assert rubric.grade_d2(_comp(0.25), True).score == 1                      # attempted, γ > 0.20
    g = rubric.grade_d2(_comp(0.40, rows=1), True)                            # one row: reported, not graded
    assert g.score == 2 and "too few" in g.evidence
    assert rubric.grade_d2({"levels": ("model",), "scope": "documented"}, True).score == 2
    assert rubric.grade_d2({"levels": ("model",)}, True).score == 0            # undocumented
    assert rubric.grade_d2(_comp(0.05), False).score == 0                     # no prediction here


def _ho(m):
    return {"mape": m, "n": 10, "what": "x", "how": "y"}


@pytest.mark.parametrize("w,h,want", [
    (_ho(10), _ho(20), 3), (_ho(10), None, 2), (_ho(10), _ho(40), 2), (_ho(10), _ho(80), 1),
    (_ho(30), _ho(40), 1), (_ho(60), _ho(80), 0), (_ho(60), None, 0), (None, None, 1),
])
def test_d3_transfer_grades(w, h, want):
    assert rubric.grade_d3(w, h, True).score == want


def test_d3_without_predictions():
    assert rubric.grade_d3(_ho(10), _ho(10), False).score == 0


def test_d4_deployment_grades():
    good = {"status": "ok", "one_step": True, "ci_tested": True, "ci_tests": ["t.py"], "ttfp_s": 5.0, "install": "x"}
    assert rubric.grade_d4(good).score == 3
    assert rubric.grade_d4({**good, "ci_tested": False}).score == 2
    assert rubric.grade_d4({**good, "one_step": False}).score == 2
    assert rubric.grade_d4({**good, "ttfp_s": 3 * 3600.0}).score == 1
    g = rubric.grade_d4({**good, "status": "not_installed", "failure": "F1", "reason": "absent"})
    assert g.score == 0 and "F1" in g.evidence


def test_d5_extension_grades():
    assert rubric.grade_d5({"hw_by_config": True, "standard_formats": True}).score == 3
    assert rubric.grade_d5({"hw_by_config": True, "standard_formats": False}).score == 2
    assert rubric.grade_d5({"hw_by_config": False, "standard_formats": True}).score == 1
    assert rubric.grade_d5({"closed": True, "hw_by_config": True}).score == 0


def test_composite_and_sensitivity():
    g = lambda *s: {d: Grade(x, "") for d, x in zip(rubric.DIMENSIONS, s)}  # noqa: E731
    a, b = g(3, 0, 0, 0, 0), g(0, 1, 1, 3, 3)       # a wins on fidelity, b on deployment
    ca = {w: rubric.composite(a, ws) for w, ws in rubric.WEIGHTS.items()}
    cb = {w: rubric.composite(b, ws) for w, ws in rubric.WEIGHTS.items()}
    assert ca["guide"] == pytest.approx(1.2) and cb["guide"] == pytest.approx(1.0)
    assert cb["deployment"] == pytest.approx(0.2 + 0.1 + 0.9 + 0.6)
    s = rubric.sensitivity({"a": ca, "b": cb})
    assert s["ranks"]["guide"] == {"a": 1, "b": 2} and s["ranks"]["deployment"] == {"a": 2, "b": 1}
    assert s["changes"]["deployment"] and s["top_changes"]
    same = rubric.sensitivity({"a": ca, "c": {w: 0.0 for w in rubric.WEIGHTS}})
    assert not any(same["changes"].values()) and not same["top_changes"]
    assert rubric.rank_positions({"x": 1.0, "y": 1.0, "z": 0.5}) == {"x": 1, "y": 1, "z": 3}
