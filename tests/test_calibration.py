"""Calibration files: schema, curve interpolation, and confidence by range."""

import pytest

from graphs.calibration import Calibration, Curve, Residuals, load_calibration
from graphs.errors import SpecError
from graphs.estimate import analyze_graph, compose
from graphs.hardware import parse_spec
from graphs.results import ConfidenceLevel

from test_core_pipeline import SPEC, ToyMapper, mlp_graph, registry


def curve(**kw):
    base = dict(points=((1e-6, 4.0), (1e-4, 2.0), (1e-2, 1.25)), residuals=Residuals(q05=0.9, q50=1.0, q95=1.2),
                n=30, x_min=1e-6, x_max=1e-2)
    base.update(kw)
    return Curve(**base)


def test_curve_is_loglog_linear_and_flat_outside():
    c = curve()
    assert c.ratio(1e-6) == 4.0 and c.ratio(1e-9) == 4.0 and c.ratio(1.0) == 1.25
    assert c.ratio(1e-5) == pytest.approx((4.0 * 2.0) ** 0.5)  # geometric midpoint in log-log
    assert c.confidence(1e-3) is ConfidenceLevel.CALIBRATED
    assert c.confidence(3e-2) is ConfidenceLevel.INTERPOLATED
    assert c.confidence(1.0) is None


def test_curve_validation():
    with pytest.raises(ValueError):
        curve(points=((1e-2, 1.0), (1e-4, 2.0)))
    with pytest.raises(ValueError):
        Residuals(q05=1.2, q50=1.0, q95=1.1)


def test_mapper_uses_calibration_inside_range(tmp_path):
    gp = registry()
    a = analyze_graph(mlp_graph(), gp)
    spec = parse_spec(SPEC)
    theoretical = compose(a, ToyMapper(spec))
    cal = Calibration(device="toy", source="test", curves={"linear": curve(x_min=1e-9, x_max=1.0)})
    path = tmp_path / "toy.cal.yaml"
    cal.dump(path)
    calibrated = compose(a, ToyMapper(spec, load_calibration(path)))
    assert calibrated.confidence is ConfidenceLevel.CALIBRATED
    assert calibrated.value != theoretical.value
    # a transferred calibration is at best INTERPOLATED
    moved = Calibration(device="toy", source="test", transferred_from="other", curves=cal.curves)
    assert compose(a, ToyMapper(spec, moved)).confidence is ConfidenceLevel.INTERPOLATED


def test_bad_calibration_file_is_one_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("device: x\nsource: y\ncurves: {matmul: {points: [[1, 1]], n: 0}}\n")
    with pytest.raises(SpecError, match="bad.yaml: curves.matmul"):
        load_calibration(p)
