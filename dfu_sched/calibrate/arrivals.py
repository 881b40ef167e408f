"""Arrivals from a history: cases per week with trend and seasonality, devices per case, mixes.

Why a Poisson GLM: weekly case counts are counts, their variance grows with their mean, and a log
link makes the trend a compound annual growth (the scenario's ``annual_growth``) and seasonality a
set of month factors. Month-of-year terms are kept only when a likelihood-ratio test (chi-square,
11 df) says the data support them (p < 0.05): a scenario should not carry a seasonal pattern that is
noise. The GLM is a few lines of IRLS with numpy (no statsmodels); standard errors come from the
inverse Fisher information. Shares (tier mix, device mix) get binomial standard errors.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from dfu_sched.calendar import monday_of
from dfu_sched.calibrate.history import HistoryDevice

SEASONALITY_ALPHA = 0.05  #: keep month-of-year terms only when the LR test's p is below this
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Glm:
    """A fitted Poisson GLM: coefficients, their covariance (inverse Fisher information), log-likelihood."""

    beta: np.ndarray
    cov: np.ndarray
    loglik: float


def poisson_glm(y: np.ndarray, x: np.ndarray, offset: np.ndarray | None = None, iterations: int = 50) -> Glm:
    """Poisson regression with a log link by iteratively reweighted least squares (Newton's method)."""
    y = np.asarray(y, float)
    off = np.zeros(len(y)) if offset is None else np.asarray(offset, float)
    beta = np.zeros(x.shape[1])
    beta[0] = math.log(max(y.sum(), 0.5) / np.exp(off).sum())
    for _ in range(iterations):
        mu = np.exp(off + x @ beta)
        info = x.T @ (x * mu[:, None])
        step = np.linalg.solve(info, x.T @ (y - mu))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    mu = np.exp(off + x @ beta)
    cov = np.linalg.inv(x.T @ (x * mu[:, None]))
    loglik = float(np.sum(stats.poisson.logpmf(y, mu)))
    return Glm(beta, cov, loglik)


@dataclass(frozen=True)
class WeeklySeries:
    """Cases per week: Mondays, counts and the share of each week inside the window (exposure)."""

    mondays: list[dt.date]
    cases: np.ndarray
    exposure: np.ndarray


def case_starts(devices: Sequence[HistoryDevice]) -> dict[str, dt.date]:
    """Each case's week-defining day: its first device's submission."""
    first: dict[str, dt.date] = {}
    for d in devices:
        if d.case_id not in first or d.submitted < first[d.case_id]:
            first[d.case_id] = d.submitted
    return first


def weekly_series(starts: Sequence[dt.date], start: dt.date, end: dt.date) -> WeeklySeries:
    """Counts per Monday-week from ``start`` to ``end`` (inclusive); edge weeks carry partial exposure."""
    first, last = monday_of(start), monday_of(end)
    n = (last - first).days // 7 + 1
    cases = np.zeros(n)
    for day in starts:
        if start <= day <= end:
            cases[(day - first).days // 7] += 1
    exposure = np.ones(n)
    exposure[0] = (7 - (start - first).days) / 7
    exposure[-1] = min(exposure[-1], ((end - last).days + 1) / 7)
    if n == 1:
        exposure[0] = ((end - start).days + 1) / 7
    return WeeklySeries([first + dt.timedelta(weeks=i) for i in range(n)], cases, exposure)


@dataclass(frozen=True)
class ArrivalFit:
    """Cases per week at ``as_of`` with growth and (when significant) month factors."""

    weeks: int
    cases: int
    rate_at_start: float              #: fitted cases per week on the series' first Monday (no season)
    rate_at_as_of: float              #: the scenario's ``cases_per_week``
    rate_at_as_of_se: float
    annual_growth: float
    annual_growth_se: float
    seasonality_p: float              #: LR test p-value of the 11 month terms
    seasonal: bool                    #: kept (p < SEASONALITY_ALPHA)
    month_factors: list[float]        #: 12 multipliers with mean 1 (all 1 when not kept)
    month_factor_se: list[float]
    series: WeeklySeries
    fitted: np.ndarray                #: fitted cases per week (full exposure), for the chart
    rate_at_start_se: float = float("nan")  #: SE of ``rate_at_start`` (delta method)


def _design(series: WeeklySeries, seasonal: bool) -> tuple[np.ndarray, np.ndarray]:
    t = np.array([(m - series.mondays[0]).days / DAYS_PER_YEAR for m in series.mondays])
    cols = [np.ones(len(t)), t]
    if seasonal:
        months = np.array([(m + dt.timedelta(days=3)).month for m in series.mondays])  # the week's Thursday
        cols += [(months == k).astype(float) for k in range(2, 13)]
    return np.column_stack(cols), t


def fit_arrivals(devices: Sequence[HistoryDevice], start: dt.date, end: dt.date, as_of: dt.date) -> ArrivalFit:
    """Weekly case counts -> Poisson GLM with a linear trend, and month terms if the LR test keeps them."""
    starts = list(case_starts(devices).values())
    series = weekly_series(starts, start, end)
    offset = np.log(np.maximum(series.exposure, 1e-9))
    x0, t = _design(series, False)
    trend = poisson_glm(series.cases, x0, offset)
    months_seen = {(m + dt.timedelta(days=3)).month for m in series.mondays}
    p = 1.0
    if len(months_seen) == 12 and len(series.mondays) >= 60:
        x1, _ = _design(series, True)
        season = poisson_glm(series.cases, x1, offset)
        p = float(stats.chi2.sf(2 * (season.loglik - trend.loglik), 11))
    seasonal = p < SEASONALITY_ALPHA
    model = season if seasonal else trend
    x = x1 if seasonal else x0
    factors, factor_se = _month_factors(model) if seasonal else ([1.0] * 12, [0.0] * 12)
    b = model.beta
    t_as_of = (as_of - series.mondays[0]).days / DAYS_PER_YEAR
    # the level at as_of averaged over the year (month factors have mean 1): exp(b0 + b1 t) * mean(exp(gamma))
    raw = np.exp(np.concatenate([[0.0], b[2:]])) if seasonal else np.ones(1)
    grad = np.zeros(len(b))
    grad[0], grad[1] = 1.0, t_as_of
    if seasonal:
        grad[2:] = raw[1:] / raw.sum()
    rate = float(math.exp(b[0] + b[1] * t_as_of) * raw.mean())
    rate_se = rate * math.sqrt(float(grad @ model.cov @ grad))
    growth = math.exp(b[1]) - 1.0
    return ArrivalFit(
        weeks=len(series.mondays), cases=int(series.cases.sum()),
        rate_at_start=float(math.exp(b[0]) * raw.mean()), rate_at_as_of=rate, rate_at_as_of_se=rate_se,
        annual_growth=growth, annual_growth_se=math.exp(b[1]) * math.sqrt(model.cov[1, 1]),
        seasonality_p=p, seasonal=seasonal, month_factors=factors, month_factor_se=factor_se,
        series=series, fitted=np.exp(x @ b), rate_at_start_se=_start_se(model, raw))


def _start_se(model: Glm, raw: np.ndarray) -> float:
    """SE of the level on the series' first Monday, exp(b0) * mean(exp(gamma)), by the delta method."""
    grad = np.zeros(len(model.beta))
    grad[0] = 1.0
    if len(model.beta) > 2:
        grad[2:] = raw[1:] / raw.sum()
    return float(math.exp(model.beta[0]) * raw.mean() * math.sqrt(float(grad @ model.cov @ grad)))


def _month_factors(model: Glm) -> tuple[list[float], list[float]]:
    """Month multipliers normalised to mean 1, with delta-method SEs."""
    g = np.concatenate([[0.0], model.beta[2:]])
    raw = np.exp(g)
    f = raw / raw.mean()
    cov = np.zeros((12, 12))
    cov[1:, 1:] = model.cov[2:, 2:]
    se = []
    for k in range(12):
        # d f_k / d g_j = f_k (delta_kj - raw_j / sum(raw))
        grad = -f[k] * raw / raw.sum()
        grad[k] += f[k]
        se.append(float(math.sqrt(max(grad @ cov @ grad, 0.0))))
    return [float(v) for v in f], se


# ---- devices per case ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CountFit:
    """Devices per case: the chosen law (scenario ``devices_per_case``), its mean, SE and AICs."""

    dist: dict
    mean: float
    mean_se: float
    cases: int
    aic: dict[str, float]
    chosen: str


def fit_devices_per_case(devices: Sequence[HistoryDevice]) -> CountFit:
    """1 + Poisson, geometric or the empirical distribution, whichever has the lowest AIC."""
    sizes = np.array(list(Counter(d.case_id for d in devices).values()), dtype=float)
    n, mean = len(sizes), float(sizes.mean())
    se = float(sizes.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    aic = {"one-plus-poisson": math.inf, "geometric": math.inf}
    if mean > 1:
        aic["one-plus-poisson"] = 2 - 2 * float(stats.poisson.logpmf(sizes - 1, mean - 1).sum())
    aic["geometric"] = 2 - 2 * float(stats.geom.logpmf(sizes, 1 / mean).sum())
    values, counts = np.unique(sizes.astype(int), return_counts=True)
    aic["empirical"] = 2 * (len(values) - 1) - 2 * float(np.sum(counts * np.log(counts / n)))
    chosen = min(aic, key=lambda k: aic[k])
    if chosen == "empirical":
        dist: dict = {"dist": "empirical", "values": [int(v) for v in values], "weights": [int(c) for c in counts]}
    elif mean <= 1:
        dist, chosen = {"dist": "fixed", "value": 1}, "fixed"
    else:
        dist = {"dist": chosen, "mean": round(mean, 4)}
    return CountFit(dist, mean, se, n, {k: v for k, v in aic.items() if math.isfinite(v)}, chosen)


# ---- mixes -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Share:
    """A share with its binomial standard error sqrt(p(1-p)/n)."""

    value: float
    se: float
    count: int
    of: int


def shares(counts: Counter[str], order: Sequence[str]) -> dict[str, Share]:
    """Shares of ``order``'s keys (zero counts included), with binomial SEs."""
    n = sum(counts[k] for k in order)
    out = {}
    for k in order:
        p = counts[k] / n if n else 0.0
        out[k] = Share(p, math.sqrt(p * (1 - p) / n) if n else 0.0, counts[k], n)
    return out


def case_tiers(devices: Sequence[HistoryDevice], tiers: Sequence[str]) -> dict[str, str | None]:
    """Each case's tier: the most urgent tier among its devices (``None`` when none has a known tier)."""
    rank = {t: i for i, t in enumerate(tiers)}
    best: dict[str, str | None] = {}
    for d in devices:
        cur = best.get(d.case_id)
        if d.tier in rank and (cur is None or rank[d.tier] < rank[cur]):
            best[d.case_id] = d.tier
        else:
            best.setdefault(d.case_id, None)
    return best


Mixes = tuple[dict[str, Share], dict[str, dict[str, Share]]]


def device_mix_by_tier(devices: Sequence[HistoryDevice], tier_of_case: dict[str, str | None],
                       tiers: Sequence[str], types: Sequence[str]) -> Mixes:
    """Device-type shares overall and within each case tier (devices of known types only)."""
    overall: Counter[str] = Counter()
    by_tier: dict[str, Counter[str]] = defaultdict(Counter)
    for d in devices:
        if d.device_type not in types:
            continue
        overall[d.device_type] += 1
        tier = tier_of_case.get(d.case_id)
        if tier is not None:
            by_tier[tier][d.device_type] += 1
    return shares(overall, types), {t: shares(by_tier[t], types) for t in tiers if sum(by_tier[t].values())}
