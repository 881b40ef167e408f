"""How much of an outcome's spread comes from the estimates, and how much from chance.

Why these estimators: with W outer draws (worlds) of the ranged inputs and R inner replications in
each, the total variance of one replication's outcome splits (law of total variance) as
``Var(Y) = Var(E[Y | inputs]) + E[Var(Y | inputs)]``: the first term is what we do not know about
the estimates, the second the randomness of arrivals and service. The sample variance of the W
world means overstates the first by the inner noise ``E[Var]/R``, so it is taken off (the classic
one-way random-effects ANOVA estimator, floored at zero), as in second-order Monte Carlo and the
input-uncertainty literature (Ankenman & Nelson 2012; Song, Nelson & Pegden 2014).

Which input matters most among the estimates: world means regressed on the input values
(standardised regression coefficients); for an outcome close to linear in its inputs the squared
coefficients are each input's share of the estimate-driven variance, and the regression's R²
says how close to linear it is, so the split is only read as shares when R² is high.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dfu_sched.stats import t_interval


@dataclass(frozen=True)
class Spread:
    """One measure over W worlds x R replications."""

    mean: float                       #: grand mean over worlds and replications
    input_var: float                  #: Var(E[Y | inputs]): the estimates' part
    chance_var: float                 #: E[Var(Y | inputs)]: arrivals' and service's part
    worlds_range95: tuple[float, float]  #: 2.5% and 97.5% quantiles of the world means
    mean_ci95: tuple[float, float]    #: CI of the grand mean (worlds as the unit)
    worlds: int
    replications: int

    @property
    def input_share(self) -> float:
        """Share of one replication's variance that the estimates cause (0 when there is none)."""
        total = self.input_var + self.chance_var
        return float(self.input_var / total) if total > 0 else 0.0

    def as_json(self) -> dict:
        return {"mean": _r(self.mean), "input_share": _r(self.input_share),
                "input_sd": _r(np.sqrt(self.input_var)), "chance_sd": _r(np.sqrt(self.chance_var)),
                "worlds_range95": [_r(x) for x in self.worlds_range95], "ci95": [_r(x) for x in self.mean_ci95],
                "worlds": self.worlds, "replications": self.replications}


def _r(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 6)


def split_spread(x: np.ndarray) -> Spread:
    """The spread of ``x`` (shape W worlds x R replications; NaN replications are left out)."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError("split_spread needs at least 2 worlds x 1 replication")
    ok = np.isfinite(x)
    counts = ok.sum(axis=1)
    keep = counts > 0
    x, ok, counts = x[keep], ok[keep], counts[keep]
    w = x.shape[0]
    if w < 2:
        nan = float("nan")
        return Spread(nan, nan, nan, (nan, nan), (nan, nan), int(w), int(x.shape[1]))
    means = np.where(ok, x, 0.0).sum(axis=1) / counts
    dev = np.where(ok, x - means[:, None], 0.0)
    multi = counts > 1
    chance = float(((dev[multi] ** 2).sum(axis=1) / (counts[multi] - 1)).mean()) if multi.any() else 0.0
    between = float(means.var(ddof=1))
    r_eff = float(np.mean(counts))
    input_var = max(between - chance / r_eff, 0.0)
    ci = t_interval(means)
    lo, hi = np.quantile(means, [0.025, 0.975])
    return Spread(ci.estimate, input_var, chance, (float(lo), float(hi)), (ci.low, ci.high), int(w), int(x.shape[1]))


def attribute(world_means: np.ndarray, values: np.ndarray, keys: list[str]) -> dict:
    """Each input's share of the estimate-driven spread of ``world_means`` (SRC², see the docstring).

    ``values`` is W worlds x K inputs. Returns ``{"r2": ..., "shares": {key: share}}`` with shares
    of the explained variance summing to R² (inputs with no spread get 0).
    """
    y = np.asarray(world_means, dtype=float)
    X = np.asarray(values, dtype=float)
    ok = np.isfinite(y)
    y, X = y[ok], X[ok]
    sd_x = X.std(axis=0)
    sd_y = float(y.std())
    if len(y) < X.shape[1] + 2 or sd_y == 0:
        return {"r2": None, "shares": dict.fromkeys(keys, 0.0)}
    live = sd_x > 0
    Z = (X[:, live] - X[:, live].mean(axis=0)) / sd_x[live]
    beta, *_ = np.linalg.lstsq(np.column_stack([np.ones(len(y)), Z]), (y - y.mean()) / sd_y, rcond=None)
    src = np.zeros(X.shape[1])
    src[live] = beta[1:]
    fitted = np.column_stack([np.ones(len(y)), Z]) @ beta
    resid = (y - y.mean()) / sd_y - fitted
    r2 = float(1.0 - resid.var() / 1.0)
    return {"r2": round(r2, 4), "shares": {k: round(float(b * b), 4) for k, b in zip(keys, src)},
            "direction": {k: (1 if b > 0 else -1 if b < 0 else 0) for k, b in zip(keys, src)}}
