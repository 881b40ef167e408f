"""Small pure functions for intervals over replications (Student t, two-sided 95%).

Every measure of a replication is a count, a time or a share, so its true mean lies in a
known range: at least 0, and at most 1 for shares. A Student-t interval knows nothing of that
and with few replications reaches below 0 or above 100% ("within target 1% [-11, 13]"). So
intervals of measures are clipped to the measure's range (``measure_range``): where the t
interval already lay inside, nothing changes. Below ``MIN_USEFUL_N`` replications an interval is
too wide to be useful, and the reports say so. Differences between scenarios are signed and
keep the plain t interval.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np


def _t_ppf(q, df):
    """Student-t quantile: what ``scipy.stats.t.ppf`` computes (``special.stdtrit``, equal bit for
    bit), imported lazily so that a simulation does not load ``scipy.stats`` (~75 MB)."""
    from scipy import special

    return special.stdtrit(df, q)


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


#: Fewer replications than this give an interval too wide to be useful; reports say so.
MIN_USEFUL_N = 5

UNBOUNDED = (-np.inf, np.inf)
NON_NEGATIVE = (0.0, np.inf)
SHARE = (0.0, 1.0)
#: Measure names (or prefixes) that are shares of 0 to 1; every other measure is non-negative.
SHARE_MEASURES = ("within_target_share", "utilisation.")


def measure_range(key: str) -> tuple[float, float]:
    """The range a measure's mean lies in, from its key ('VH.within_target_share' -> (0, 1))."""
    parts = key.split(".")
    for name in SHARE_MEASURES:
        if name.endswith("."):
            if key.startswith(name):
                return SHARE
        elif name in parts:
            return SHARE
    return NON_NEGATIVE


def interval_is_useful(n: int) -> bool:
    return n >= MIN_USEFUL_N


@functools.lru_cache(maxsize=1024)
def _t_quantile(p: float, df: int) -> float:
    """``stats.t.ppf`` (as ``_t_ppf``), remembered: the same few (p, df) recur thousands of times in a search."""
    return float(_t_ppf(p, df))


def t_interval(values, confidence: float = 0.95, bounds: tuple[float, float] = UNBOUNDED) -> Interval:
    """Mean and Student-t interval of replication values, ignoring NaN (a tier with no starts).

    ``bounds`` is the range the measure lies in; the interval is clipped to it.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return Interval(np.nan, np.nan, np.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, np.nan, np.nan, 1)
    half = float(_t_quantile(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    lo, hi = bounds
    return Interval(mean, float(max(mean - half, lo)), float(min(mean + half, hi)), n)


def measure_interval(values, key: str, confidence: float = 0.95) -> Interval:
    """``t_interval`` clipped to the range of the measure named ``key``."""
    return t_interval(values, confidence, measure_range(key))


def t_interval_columns(matrix, confidence: float = 0.95,
                       bounds: tuple[float, float] = UNBOUNDED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise mean and interval of a [replications, weeks] array (NaN-aware), clipped to ``bounds``."""
    m = np.asarray(matrix, dtype=float)
    n = np.sum(np.isfinite(m), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN weeks are expected (no starts)
        mean = np.nanmean(np.where(n > 0, m, 0.0), axis=0)
        mean = np.where(n > 0, mean, np.nan)
        sd = np.nanstd(m, axis=0, ddof=1) if m.shape[0] > 1 else np.full(m.shape[1], np.nan)
        tq = _t_ppf(0.5 + confidence / 2, np.maximum(n - 1, 1))
        half = np.where(n > 1, tq * sd / np.sqrt(np.maximum(n, 1)), np.nan)
    lo, hi = bounds
    return mean, np.maximum(mean - half, lo), np.minimum(mean + half, hi)


def paired_difference(a, b, confidence: float = 0.95) -> Interval:
    """Interval of the mean of b - a over replications that share random numbers (CRN)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return t_interval(b - a, confidence)
