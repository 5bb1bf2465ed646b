import numpy as np
import pytest

from graphs.metrics import ape, composition_gap, coverage, mape, max_ape, score, spearman


def test_ape_mape_max():
    assert list(ape([110, 90], [100, 100])) == [10.0, 10.0]
    assert mape([110, 80], [100, 100]) == 15.0
    assert max_ape([110, 80], [100, 100]) == 20.0
    with pytest.raises(ValueError):
        ape([1], [0])


def test_spearman_matches_scipy_with_ties():
    scipy_stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    for _ in range(20):
        a = rng.integers(0, 6, size=12).astype(float)
        b = a + rng.normal(0, 2, size=12)
        assert spearman(a, b) == pytest.approx(scipy_stats.spearmanr(a, b).statistic)
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)


def test_coverage_and_gap():
    assert coverage([0, 0, 5], [2, 2, 6], [1, 3, 5]) == pytest.approx(2 / 3)
    assert composition_gap(11.0, [4.0, 6.0]) == pytest.approx(0.1)
    s = score([1, 2, 3], [1, 2, 4], [0.5, 1, 2], [2, 3, 3.5])
    assert s.n == 3 and s.coverage == pytest.approx(2 / 3) and s.spearman == pytest.approx(1.0)
