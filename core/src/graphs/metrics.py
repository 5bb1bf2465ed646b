"""Accuracy metrics: how far estimates are from measurements.

All functions take paired sequences (estimate, measurement) of positive numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


def ape(pred: Sequence[float], meas: Sequence[float]) -> np.ndarray:
    """Absolute percentage errors |p − m| / m, in percent."""
    p, m = np.asarray(pred, float), np.asarray(meas, float)
    if p.shape != m.shape:
        raise ValueError("estimates and measurements differ in length")
    if np.any(m <= 0):
        raise ValueError("measurements must be positive")
    return np.abs(p - m) / m * 100.0


def mape(pred: Sequence[float], meas: Sequence[float]) -> float:
    return float(np.mean(ape(pred, meas))) if len(meas) else float("nan")


def max_ape(pred: Sequence[float], meas: Sequence[float]) -> float:
    return float(np.max(ape(pred, meas))) if len(meas) else float("nan")


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks (ties share the mean rank), 1-based."""
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), float)
    sx = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and sx[j + 1] == sx[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def spearman(pred: Sequence[float], meas: Sequence[float]) -> float:
    """Spearman's rank correlation ρ (Pearson correlation of average ranks); nan if < 3 pairs."""
    p, m = np.asarray(pred, float), np.asarray(meas, float)
    if len(p) < 3:
        return float("nan")
    rp, rm = _ranks(p), _ranks(m)
    sp, sm = rp.std(), rm.std()
    if sp == 0 or sm == 0:
        return float("nan")
    return float(np.mean((rp - rp.mean()) * (rm - rm.mean())) / (sp * sm))


def coverage(low: Sequence[float], high: Sequence[float], meas: Sequence[float]) -> float:
    """Share of measurements inside their stated [low, high] interval."""
    lo, hi, m = (np.asarray(a, float) for a in (low, high, meas))
    return float(np.mean((m >= lo) & (m <= hi))) if len(m) else float("nan")


def composition_gap(model_time: float, kernel_times: Sequence[float]) -> float:
    """γ = |T_model − Σ T_kernel| / Σ T_kernel."""
    s = float(np.sum(kernel_times))
    if s <= 0:
        raise ValueError("kernel times must sum to a positive number")
    return abs(model_time - s) / s


@dataclass(frozen=True)
class Score:
    n: int
    mape: float
    max_ape: float
    spearman: float
    coverage: float | None

    def to_dict(self) -> dict:
        return {"n": self.n, "mape": self.mape, "max_ape": self.max_ape, "spearman": self.spearman,
                "coverage": self.coverage}


def score(pred: Sequence[float], meas: Sequence[float], low: Sequence[float] | None = None,
          high: Sequence[float] | None = None) -> Score:
    cov = coverage(low, high, meas) if low is not None and high is not None else None
    return Score(len(meas), mape(pred, meas), max_ape(pred, meas), spearman(pred, meas), cov)
