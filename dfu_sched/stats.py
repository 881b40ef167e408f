"""Small pure functions for intervals over replications (Student t, two-sided 95%)."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Interval:
    """A replication mean with its two-sided confidence interval; ``n`` counts usable replications."""

    estimate: float
    low: float
    high: float
    n: int

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def as_dict(self) -> dict:
        return {"estimate": _json(self.estimate), "ci95": [_json(self.low), _json(self.high)], "n": self.n}


def _json(x: float):
    return None if x is None or not np.isfinite(x) else float(x)


def t_interval(values, confidence: float = 0.95) -> Interval:
    """Mean and Student-t interval of replication values, ignoring NaN (a tier with no starts)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return Interval(np.nan, np.nan, np.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, np.nan, np.nan, 1)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return Interval(mean, mean - half, mean + half, n)


def t_interval_columns(matrix, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise mean and interval of a [replications, weeks] array (NaN-aware)."""
    m = np.asarray(matrix, dtype=float)
    n = np.sum(np.isfinite(m), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN weeks are expected (no starts)
        mean = np.nanmean(np.where(n > 0, m, 0.0), axis=0)
        mean = np.where(n > 0, mean, np.nan)
        sd = np.nanstd(m, axis=0, ddof=1) if m.shape[0] > 1 else np.full(m.shape[1], np.nan)
        tq = stats.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1))
        half = np.where(n > 1, tq * sd / np.sqrt(np.maximum(n, 1)), np.nan)
    return mean, mean - half, mean + half


def paired_difference(a, b, confidence: float = 0.95) -> Interval:
    """Interval of the mean of b - a over replications that share random numbers (CRN)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return t_interval(b - a, confidence)
