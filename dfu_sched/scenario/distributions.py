"""Service-time and count distributions as validated scenario fields.

Every continuous distribution is sampled by its inverse CDF from uniforms the caller owns, so
two scenarios fed the same uniforms get the same devices (common random numbers), and a
lever that scales a device's hours moves every sample the same way.

The lognormal and gamma inverse CDFs are SciPy's special functions (``special.ndtri``,
``special.gammaincinv``), which is what ``stats.norm.ppf`` and ``stats.gamma.ppf`` compute for
uniforms in [0, 1) (SciPy's own definitions; ``tests/scenario/test_distributions.py`` checks them
equal, float for float), without ``scipy.stats``'s argument checks, which cost a replication a
few milliseconds over its dozen draws (issue 13), nor its import (about 75 MB and half a
second). ``scipy.special`` is imported only inside them, so a run with exponential or fixed hours
never loads SciPy.
"""
from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Largest parameter of a distribution of hours or days (~11 years): finite, and products stay finite.
MAX_VALUE = 100_000.0
#: Smallest mean: below ~4 seconds the hours are rounding noise and ratios like sd/mean overflow.
MIN_MEAN = 0.001
#: Most devices a case can have (counts).
MAX_COUNT = 1_000

_CONFIG = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # .inf/.nan refused at the schema


class _Dist(BaseModel):
    model_config = _CONFIG

    def mean(self) -> float:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def sd(self) -> float:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def second_moment(self) -> float:
        return self.sd() ** 2 + self.mean() ** 2


class Exponential(_Dist):
    """Memoryless service: the M in M/M/c, used by the theory checks."""

    dist: Literal["exponential"]
    mean_: float = Field(alias="mean", ge=MIN_MEAN, le=MAX_VALUE)

    def mean(self) -> float:
        return self.mean_

    def sd(self) -> float:
        return self.mean_

    def ppf(self, u):
        return -self.mean_ * np.log1p(-u)


class LogNormal(_Dist):
    """Skewed hours with a heavy right tail; given by its mean and sd, as people quote them."""

    dist: Literal["lognormal"]
    mean_: float = Field(alias="mean", ge=MIN_MEAN, le=MAX_VALUE)
    sd_: float = Field(alias="sd", gt=0, le=MAX_VALUE)

    def _params(self) -> tuple[float, float]:
        sigma2 = math.log(1.0 + (self.sd_ / self.mean_) ** 2)
        return math.log(self.mean_) - sigma2 / 2.0, math.sqrt(sigma2)

    def mean(self) -> float:
        return self.mean_

    def sd(self) -> float:
        return self.sd_

    def ppf(self, u):
        from scipy import special  # lazy: see the module docstring

        mu, sigma = self._params()
        return np.exp(mu + sigma * special.ndtri(u))  # ``stats.norm.ppf``: see the module docstring


class Gamma(_Dist):
    """Gamma by mean and sd (shape = (mean/sd)^2)."""

    dist: Literal["gamma"]
    mean_: float = Field(alias="mean", ge=MIN_MEAN, le=MAX_VALUE)
    sd_: float = Field(alias="sd", gt=0, le=MAX_VALUE)

    def mean(self) -> float:
        return self.mean_

    def sd(self) -> float:
        return self.sd_

    def ppf(self, u):
        from scipy import special  # lazy: see the module docstring

        shape = (self.mean_ / self.sd_) ** 2
        return special.gammaincinv(shape, u) * (self.mean_ / shape)  # ``stats.gamma.ppf(u, shape, scale=...)``


class Fixed(_Dist):
    """A constant, e.g. a fixed QA sign-off time, or the D in M/D/1."""

    dist: Literal["fixed"]
    value: float = Field(ge=0, le=MAX_VALUE)

    def mean(self) -> float:
        return self.value

    def sd(self) -> float:
        return 0.0

    def ppf(self, u):
        return np.full(np.shape(u), self.value, dtype=float)


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: float = Field(ge=0, le=MAX_VALUE)
    high: float = Field(ge=0, le=MAX_VALUE)

    @model_validator(mode="after")
    def _ordered(self):
        if self.high < self.low:
            raise ValueError("high must be at least low")
        return self

    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sd(self) -> float:
        return (self.high - self.low) / math.sqrt(12)

    def ppf(self, u):
        return self.low + (self.high - self.low) * np.asarray(u)


class Empirical(_Dist):
    """Resample observed hours (e.g. last year's timesheets); the inverse CDF is a step function."""

    dist: Literal["empirical"]
    samples: list[Annotated[float, Field(ge=0, le=MAX_VALUE)]] = Field(min_length=1, max_length=100_000)

    def mean(self) -> float:
        return float(np.mean(self.samples))

    def sd(self) -> float:
        return float(np.std(self.samples))

    def ppf(self, u):
        ordered = np.sort(np.asarray(self.samples, dtype=float))
        idx = np.minimum((np.asarray(u) * len(ordered)).astype(int), len(ordered) - 1)
        return ordered[idx]


Distribution = Annotated[
    Exponential | LogNormal | Gamma | Fixed | Uniform | Empirical, Field(discriminator="dist")
]


# ---- counts (devices per case) -------------------------------------------------------------

class FixedCount(BaseModel):
    model_config = _CONFIG
    dist: Literal["fixed"]
    value: int = Field(ge=1, le=MAX_COUNT)

    def mean(self) -> float:
        return float(self.value)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value, dtype=np.int64)


class OnePlusPoisson(BaseModel):
    """At least one device per case; mean ``mean`` (so 1 + Poisson(mean - 1)), a long-ish tail."""

    model_config = _CONFIG
    dist: Literal["one-plus-poisson"]
    mean_: float = Field(alias="mean", ge=1, le=MAX_COUNT)

    def mean(self) -> float:
        return self.mean_

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return 1 + rng.poisson(self.mean_ - 1.0, size=n)


class Geometric(BaseModel):
    """At least one device per case with a heavier tail than Poisson (some cases have 20+)."""

    model_config = _CONFIG
    dist: Literal["geometric"]
    mean_: float = Field(alias="mean", ge=1, le=MAX_COUNT)

    def mean(self) -> float:
        return self.mean_

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.geometric(1.0 / self.mean_, size=n)


class EmpiricalCount(BaseModel):
    model_config = _CONFIG
    dist: Literal["empirical"]
    values: list[Annotated[int, Field(ge=1, le=MAX_COUNT)]] = Field(min_length=1, max_length=10_000)
    weights: list[Annotated[float, Field(ge=0, le=1e12)]] | None = None

    @model_validator(mode="after")
    def _lengths(self):
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError("weights must have one entry per value")
            if sum(self.weights) <= 0:
                raise ValueError("weights must not all be zero")
        return self

    def _p(self) -> np.ndarray:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights, float)
        return w / w.sum()

    def mean(self) -> float:
        return float(np.dot(self.values, self._p()))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=np.int64), size=n, p=self._p())


CountDistribution = Annotated[
    FixedCount | OnePlusPoisson | Geometric | EmpiricalCount, Field(discriminator="dist")
]
