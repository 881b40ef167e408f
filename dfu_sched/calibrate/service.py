"""Examination hours per device type: maximum likelihood among four families, chosen by AIC.

Why these four: examination hours are positive and right-skewed; exponential, lognormal, gamma and
Weibull are the usual candidates and ``scipy.stats`` fits each by maximum likelihood (``floc=0``).
AIC picks among them; a Kolmogorov-Smirnov test of the chosen fit says whether it fits at all (its
p-value is optimistic, the parameters having been fitted to the same data). When even the best is
rejected (p < 0.01) the scenario gets the empirical distribution of the observed hours.

Where booked hours are missing, hours are inferred from the exam dates: each working day of an
examiner's productive hours is split equally among the devices they had open that day. Whole-day
dates make that crude (a device started in the afternoon counts a full day), so the report says how
many hours were inferred and, where a device has both, how inferred and booked hours compare.
"""
from __future__ import annotations

import datetime as dt
import math
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from dfu_sched.calibrate.history import HistoryDevice

FAMILIES = {"exponential": stats.expon, "lognormal": stats.lognorm, "gamma": stats.gamma, "weibull": stats.weibull_min}
N_PARAMS = {"exponential": 1, "lognormal": 2, "gamma": 2, "weibull": 2}
GOF_REJECT = 0.01          #: below this KS p-value no family fits: use the empirical distribution
MIN_DEVICES = 30           #: fewer observed hours than this: keep the base scenario's distribution
BOOTSTRAP = 200            #: resamples for the mean's interval
BOOTSTRAP_SEED = 11        #: fixed: the same history always gives the same interval
WEIBULL_QUANTILES = 200    #: the scenario has no Weibull: a Weibull fit is written as this many quantiles
MAX_EMPIRICAL = 2_000      #: at most this many values in an empirical distribution (quantiles beyond)


@dataclass(frozen=True)
class FamilyFit:
    name: str
    params: tuple[float, ...]   #: scipy's (shape..., loc, scale)
    loglik: float
    aic: float
    mean: float
    sd: float


@dataclass
class HoursFit:
    """One device type's examination hours: what was fitted and what the scenario gets."""

    device_type: str
    n: int
    source: str                          #: "booked", "inferred from exam dates", "booked + inferred" or "base"
    n_inferred: int = 0
    families: list[FamilyFit] = field(default_factory=list)
    chosen: str = ""                     #: family name, "empirical", or "" (base kept)
    ks_stat: float = math.nan
    ks_p: float = math.nan
    mean: float = math.nan
    mean_ci: tuple[float, float] = (math.nan, math.nan)
    mean_se: float = math.nan            #: SE of ``mean`` (the chosen family's information, delta method)
    sd: float = math.nan
    dist: dict = field(default_factory=dict)   #: the scenario distribution written
    note: str = ""
    hours: np.ndarray = field(default_factory=lambda: np.zeros(0))


def fit_family(name: str, x: np.ndarray) -> FamilyFit:
    """Maximum-likelihood fit of one family with location 0."""
    family = FAMILIES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        params = tuple(float(p) for p in family.fit(x, floc=0))
    frozen = family(*params)
    ll = float(np.sum(frozen.logpdf(x)))
    return FamilyFit(name, params, ll, 2 * N_PARAMS[name] - 2 * ll, float(frozen.mean()), float(frozen.std()))


def fit_hours(device_type: str, x: np.ndarray, source: str, n_inferred: int = 0) -> HoursFit:
    """Fit the four families to positive hours ``x``; choose by AIC; check with KS; empirical if rejected."""
    x = np.asarray(x, float)
    x = x[x > 0]
    out = HoursFit(device_type, len(x), source, n_inferred, hours=x)
    if len(x) < MIN_DEVICES:
        out.source, out.note = "base", f"only {len(x)} devices with hours (fewer than {MIN_DEVICES})"
        return out
    out.families = sorted((fit_family(name, x) for name in FAMILIES), key=lambda f: f.aic)
    best = out.families[0]
    ks = stats.kstest(x, FAMILIES[best.name](*best.params).cdf)
    out.ks_stat, out.ks_p = float(ks.statistic), float(ks.pvalue)
    out.mean_ci = _bootstrap_mean_ci(x)
    if out.ks_p < GOF_REJECT:
        out.chosen, out.mean, out.sd = "empirical", float(x.mean()), float(x.std())
        out.mean_se = out.sd / math.sqrt(len(x))
        out.dist = {"dist": "empirical", "samples": _samples(x)}
        out.note = f"no family fits (best {best.name}, KS p = {out.ks_p:.3g} < {GOF_REJECT}): empirical"
        return out
    out.chosen, out.mean, out.sd = best.name, best.mean, best.sd
    out.mean_se = mean_se(best, len(x))
    out.dist = scenario_distribution(best)
    if best.name == "weibull":
        out.note = f"Weibull written as {WEIBULL_QUANTILES} quantiles (the scenario has no Weibull law)"
    return out


def mean_se(fit: FamilyFit, n: int) -> float:
    """Standard error of a fitted family's mean from ``n`` observations (maximum-likelihood theory).

    Exponential and gamma: the MLE of the mean is the sample mean, and in the (mean, shape)
    parametrisation the Fisher information is diagonal, so var = sd^2 / n with the fitted sd.
    Lognormal: mean = exp(mu + s^2 / 2) with var(mu) = s^2 / n and var(s^2) = 2 s^4 / n
    (independent), so by the delta method var = mean^2 (s^2 + s^4 / 2) / n. Weibull: the delta
    method on the fit's numerical information would add little; its mean's SE is taken as sd/sqrt(n)
    (exact for the sample mean, which the MLE mean is close to).
    """
    if fit.name == "lognormal":
        s2 = fit.params[0] ** 2
        return fit.mean * math.sqrt((s2 + s2 * s2 / 2) / n)
    return fit.sd / math.sqrt(n)


def scenario_distribution(fit: FamilyFit) -> dict:
    """The scenario's ``service_hours`` entry for a fitted family (rounded for a readable file)."""
    if fit.name == "exponential":
        return {"dist": "exponential", "mean": round(fit.mean, 3)}
    if fit.name in ("lognormal", "gamma"):
        return {"dist": fit.name, "mean": round(fit.mean, 3), "sd": round(fit.sd, 3)}
    u = (np.arange(WEIBULL_QUANTILES) + 0.5) / WEIBULL_QUANTILES
    q = FAMILIES["weibull"](*fit.params).ppf(u)
    return {"dist": "empirical", "samples": [round(float(v), 3) for v in q]}


def _samples(x: np.ndarray) -> list[float]:
    if len(x) > MAX_EMPIRICAL:
        x = np.quantile(x, (np.arange(MAX_EMPIRICAL) + 0.5) / MAX_EMPIRICAL)
    return [round(float(v), 3) for v in np.sort(x)]


def _bootstrap_mean_ci(x: np.ndarray) -> tuple[float, float]:
    """95% percentile interval of the mean from BOOTSTRAP resamples with a fixed seed."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    idx = rng.integers(0, len(x), size=(BOOTSTRAP, len(x)))
    means = x[idx].mean(axis=1)
    lo, hi = np.quantile(means, [0.025, 0.975])
    return float(lo), float(hi)


# ---- hours inferred from exam dates -------------------------------------------------------------------

def inferred_hours(devices: Sequence[HistoryDevice], hours_per_day: float) -> dict[int, float]:
    """Hours per device (keyed by its row) from exam start/end dates and the examiner's open devices.

    Each working day (Mon-Fri) of an examiner gives ``hours_per_day`` productive hours, split equally
    among the devices that examiner had open that day; a device's hours are the sum of its shares.
    Devices without both dates or an examiner are left out.
    """
    by_examiner: dict[str, list[HistoryDevice]] = defaultdict(list)
    for d in devices:
        if d.exam_start is not None and d.exam_end is not None and d.examiner_id and d.exam_end >= d.exam_start:
            by_examiner[d.examiner_id].append(d)
    out: dict[int, float] = {}
    for items in by_examiner.values():
        origin = min(d.exam_start for d in items if d.exam_start is not None)
        starts = np.array([(d.exam_start - origin).days for d in items if d.exam_start is not None])
        ends = np.array([(d.exam_end - origin).days for d in items if d.exam_end is not None])
        span = int(ends.max()) + 2
        open_count = np.zeros(span)
        np.add.at(open_count, starts, 1)
        np.add.at(open_count, ends + 1, -1)
        open_count = np.cumsum(open_count)
        weekday = np.array([(origin + dt.timedelta(days=i)).weekday() < 5 for i in range(span)], dtype=float)
        share = np.where(open_count > 0, weekday * hours_per_day / np.maximum(open_count, 1), 0.0)
        cum = np.concatenate([[0.0], np.cumsum(share)])
        hours = cum[ends + 1] - cum[starts]
        for d, h in zip(items, hours):
            out[d.row] = float(h)
    return out


def hours_for_type(devices: Sequence[HistoryDevice], inferred: dict[int, float]) -> tuple[np.ndarray, str, int]:
    """Booked hours of a type's completed devices, filled from the dates where booked hours are missing."""
    booked = [d.exam_hours for d in devices if d.exam_hours is not None and d.exam_hours > 0]
    extra = [inferred[d.row] for d in devices if (d.exam_hours is None or d.exam_hours <= 0) and d.row in inferred
             and inferred[d.row] > 0]
    if booked and extra:
        source = "booked + inferred"
    elif booked:
        source = "booked"
    else:
        source = "inferred from exam dates"
    return np.array(booked + extra, float), source, len(extra)


def inference_check(devices: Sequence[HistoryDevice], inferred: dict[int, float]) -> dict | None:
    """Inferred against booked hours where a device has both: median ratio and its 10-90% spread."""
    ratios = np.array([inferred[d.row] / d.exam_hours for d in devices
                       if d.exam_hours and d.exam_hours > 0 and inferred.get(d.row, 0) > 0])
    if len(ratios) < 10:
        return None
    p10, p50, p90 = np.quantile(ratios, [0.1, 0.5, 0.9])
    return {"devices": int(len(ratios)), "median_ratio": float(p50), "p10_ratio": float(p10), "p90_ratio": float(p90)}
