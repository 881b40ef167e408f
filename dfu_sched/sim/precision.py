"""Replications by precision (``-n auto --precision 0.05``): as many as the headline needs, no more.

Why: a manager asks "how sure are we?", not "how many replications?". Simul8's trial calculator
and Law & Kelton's sequential procedure answer it the same way: add replications until the 95%
interval of what is reported is narrow enough. Here "narrow enough" is the relative half-width
(Student t, 95%) of every **headline measure** under the precision:

- ``<tier>.wait_to_start_days.mean`` for every tier and ``overall``: the first table ``simulate``
  prints (mean wait to start examination, days);
- ``overall.exposure``: the child-safeguarding exposure (tier weight x device-days unexamined);
- ``overall.waiting_at_end``: devices still waiting at the end of the horizon.

A mean near zero (a tier that never waits) would make a relative half-width unreachable, so each
measure also has an **absolute floor**: a half-width under 0.1 day (waits), 1 weighted device-day
(exposure) or 1 device (counts) is precise enough whatever the mean. A measure with no value in
any replication so far (a tier with no devices) is not sized at all, and is reported so.

Determinism: replication k always draws ``replication_seed(seed, k)``, and the number needed is
defined as **the first n (at least the minimum) at which every headline measure over replications
0..n-1 meets the precision**, checked at every n. Batches only decide how many replications run in
parallel before the next check; replications beyond the stopping n are dropped. So the same seed
gives the same n on any machine and any worker count, and the result is exactly that of ``-n n``
with the same seed. At the cap (``maximum``) it stops and says so plainly.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from dfu_sched.errors import InputError
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import (
    MAX_EVENTS,
    Executor,
    Job,
    check_size,
    gather_result,
    make_executor,
    run_replications,
    scenario_replication,
)
from dfu_sched.sim.result import ExperimentResult
from dfu_sched.stats import t_interval

#: Defaults of ``-n auto``: the relative half-width, the first check, the cap.
DEFAULT_PRECISION = 0.05
DEFAULT_MINIMUM = 5
DEFAULT_MAXIMUM = 200
#: The absolute floor of a half-width, by the last part of a measure's key (see the module docstring).
FLOORS = {"mean": 0.1, "exposure": 1.0, "waiting_at_end": 1.0}
#: Units of the floors, for the reports.
FLOOR_UNITS = {"mean": "day", "exposure": "weighted device-day", "waiting_at_end": "device"}


@dataclass(frozen=True)
class PrecisionRule:
    """What ``-n auto`` aims for: relative 95% half-width under ``precision``, between ``minimum``
    and ``maximum`` replications."""

    precision: float = DEFAULT_PRECISION
    minimum: int = DEFAULT_MINIMUM
    maximum: int = DEFAULT_MAXIMUM
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if not (math.isfinite(self.precision) and 0 < self.precision < 1):
            raise InputError(f"--precision: expected a share between 0 and 1, e.g. 0.05 (got {self.precision:g})")
        if self.minimum < 2:
            raise InputError(f"replications by precision need a minimum of at least 2 (got {self.minimum})")
        if self.maximum < self.minimum:
            raise InputError(f"--max-replications: must be at least the minimum of {self.minimum} "
                             f"(got {self.maximum})")


@dataclass(frozen=True)
class MeasurePrecision:
    """One headline measure over the first n replications: its mean and 95% half-width."""

    key: str
    estimate: float | None        # None: no value in any replication (not sized)
    half_width: float | None
    floor: float
    precision: float

    @property
    def relative(self) -> float | None:
        if self.half_width is None or self.estimate is None or self.estimate == 0:
            return None
        return self.half_width / abs(self.estimate)

    @property
    def allowed(self) -> float:
        """The widest half-width that meets the rule: the relative target, or the floor if larger."""
        return max(self.precision * abs(self.estimate or 0.0), self.floor)

    @property
    def met(self) -> bool:
        if self.estimate is None:
            return True  # nothing to size: a tier with no devices in this scenario
        return self.half_width is not None and self.half_width <= self.allowed

    def as_dict(self) -> dict:
        r = self.relative
        return {"estimate": _round(self.estimate), "half_width": _round(self.half_width),
                "relative_half_width": None if r is None else round(r, 5), "floor": self.floor,
                "met": self.met}


@dataclass(frozen=True)
class PrecisionOutcome:
    """How many replications were needed, and what they achieved (the JSON's ``run.precision``)."""

    rule: PrecisionRule
    replications: int              # kept: the result is that of ``-n replications``
    met: bool
    cap: int                       # the cap that applied (the rule's maximum, or less if the size limit binds)
    simulated: int                 # replications run, including those past the stopping point
    measures: list[MeasurePrecision] = field(default_factory=list)

    @property
    def capped(self) -> bool:
        return not self.met

    def as_dict(self) -> dict:
        return {"target_relative_half_width": self.rule.precision, "confidence": self.rule.confidence,
                "minimum": self.rule.minimum, "maximum": self.cap, "replications_needed": self.replications,
                "met": self.met, "capped": self.capped, "replications_simulated": self.simulated,
                "floors": {k: f"{v:g} {FLOOR_UNITS[k]}" for k, v in FLOORS.items()},
                "measures": {m.key: m.as_dict() for m in self.measures}}


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 5)


def headline_keys(sc: Scenario) -> list[str]:
    """The measures ``-n auto`` sizes (see the module docstring)."""
    return ([f"{t}.wait_to_start_days.mean" for t in [*sc.tier_names, "overall"]]
            + ["overall.exposure", "overall.waiting_at_end"])


def floor_of(key: str) -> float:
    return FLOORS[key.rsplit(".", 1)[1]]


def assess(scalars: dict[str, np.ndarray], keys: Sequence[str], n: int, rule: PrecisionRule) -> list[MeasurePrecision]:
    """Each headline measure over replications 0..n-1 (NaN-aware: a replication where a tier started
    nothing has no wait for it)."""
    out = []
    for k in keys:
        iv = t_interval(scalars[k][:n], rule.confidence)
        est = None if iv.n == 0 else float(iv.estimate)
        half = float(iv.high - iv.estimate) if iv.n >= 2 and math.isfinite(iv.high) else None
        out.append(MeasurePrecision(k, est, half, floor_of(k), rule.precision))
    return out


def first_precise_n(scalars: dict[str, np.ndarray], keys: Sequence[str], available: int,
                    rule: PrecisionRule) -> int | None:
    """The first n in minimum..available at which every measure meets the rule (None: none yet)."""
    for n in range(rule.minimum, available + 1):
        if all(m.met for m in assess(scalars, keys, n, rule)):
            return n
    return None


def next_batch(measures: Sequence[MeasurePrecision], available: int, cap: int, workers: int) -> int:
    """How many replications to add before the next check: the classic projection
    n x (half-width / allowed)^2 for the worst measure, at most doubling, a whole number of rounds of
    ``workers``, within the cap. It changes how fast the answer comes, never the answer."""
    ratios = [(m.half_width / m.allowed) if m.half_width is not None else 2.0 for m in measures if not m.met]
    worst = max(ratios, default=1.0)
    need = math.ceil(available * worst * worst) - available
    grow = min(max(need, 1), available)
    grow = math.ceil(grow / workers) * workers
    return max(1, min(grow, cap - available))


def size_cap(sc: Scenario, rule: PrecisionRule) -> int:
    """The rule's maximum, or fewer if the run's size limit (``experiment.check_size``) allows fewer."""
    est = check_size(sc, rule.minimum)  # refuse at once if even the minimum is too big
    fits = int(MAX_EVENTS // max(est.events_per_replication, 1.0))
    return max(rule.minimum, min(rule.maximum, fits))


def sequential(rule: PrecisionRule, cap: int, workers: int, keys: Sequence[str],
               extend: Callable[[int], dict[str, np.ndarray]]) -> PrecisionOutcome:
    """The sequential procedure over any source of replications: ``extend(n)`` makes replications
    0..n-1 available and returns each of ``keys``' values over them. Batches are whole rounds of
    ``workers`` (``next_batch``); the answer is ``first_precise_n``, whatever the batches."""
    available, stop = 0, None
    batch = min(cap, math.ceil(rule.minimum / workers) * workers)
    while True:
        available += batch
        scalars = extend(available)
        stop = first_precise_n(scalars, keys, available, rule)
        if stop is not None or available >= cap:
            break
        batch = next_batch(assess(scalars, keys, available, rule), available, cap, workers)
    n = stop if stop is not None else cap
    return PrecisionOutcome(rule, n, stop is not None, cap, available, assess(scalars, keys, n, rule))


def run_until_precise(sc: Scenario, rule: PrecisionRule | None = None, seed: int | None = None,
                      executor: Executor | None = None, workers: int | None = None, keep_records: bool = False,
                      progress: Callable[[int], None] | None = None,
                      source: str | None = None) -> ExperimentResult:
    """Replications of ``sc`` until the headline measures meet ``rule`` (or its cap): the result of
    ``run_experiment(sc, n, seed)`` for the n needed, with ``extra["precision"]`` saying what was
    achieved (``PrecisionOutcome.as_dict``). ``executor`` as for ``run_experiment`` (default: ``workers``
    local processes)."""
    rule = rule or PrecisionRule()
    seed = sc.run.seed if seed is None else seed
    cap = size_cap(sc, rule)
    ex = make_executor(workers) if executor is None else executor
    keys = headline_keys(sc)
    t0 = time.perf_counter()
    results: list = []

    def extend(n: int) -> dict[str, np.ndarray]:
        jobs: list[Job] = [(None, rep) for rep in range(len(results), n)]
        results.extend(run_replications(scenario_replication, (sc, seed, keep_records), jobs, ex, progress))
        return {k: np.array([r[1][k] for r in results]) for k in keys}

    outcome = sequential(rule, cap, ex.workers, keys, extend)
    result = gather_result(sc, seed, results[:outcome.replications], time.perf_counter() - t0, ex.workers, source)
    result.extra["precision"] = outcome.as_dict()  # the JSON's run.precision (ExperimentResult.summary)
    return result
