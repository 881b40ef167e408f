"""One-at-a-time sensitivity: each ranged input moved to its low and its high end, the rest held.

Why one at a time, with common random numbers: a finance committee asks "which assumption matters
most?", and a tornado answers it in a picture anyone reads: for every estimate, the headline
measure with that estimate at its pessimistic and optimistic ends, every other input at its value.
Run with ``streams="common"`` (``runner.run_tasks``), replication r of the base and of every
moved world draws the same devices, so a bar is the input's effect and not the noise between two
unrelated runs, and an input with no effect (a lever's parameter when the lever is not in the
mix) gets a bar of width zero exactly: its runs are the base's runs, number for number. The
intervals are paired (``stats.paired_difference``: each end minus the base, replication by
replication), so a short bar whose interval spans zero reads as "no effect we can see".

World rows: row ``2j`` is the centre with input j at its low swing value, row ``2j + 1`` at its
high (``Estimate.swing``); the base is the runner's ``BASE`` world (every input at its value).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dfu_sched.scenario.estimates import Estimate
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import Executor
from dfu_sched.stats import Interval, paired_difference, t_interval
from dfu_sched.uncertainty.runner import BASE, Task, WorldRuns, run_tasks
from dfu_sched.uncertainty.worlds import central_values


@dataclass(frozen=True)
class Bar:
    """One input's bar on one measure's tornado."""

    key: str                 #: the estimate's key (``arrivals.cases_per_week``)
    low_value: float         #: the input at its low end
    high_value: float        #: ... and at its high end
    low: Interval            #: the measure with the input low (mean over replications, 95% CI)
    high: Interval           #: ... with the input high
    low_diff: Interval       #: low end minus the base, paired
    high_diff: Interval      #: high end minus the base, paired

    @property
    def swing(self) -> float:
        """|high-end mean - low-end mean|: 0 exactly for an input with no effect, NaN where the measure is
        undefined at an end (e.g. no examination started)."""
        return float(abs(self.high_diff.estimate - self.low_diff.estimate))


@dataclass(frozen=True)
class Oat:
    """A one-at-a-time run: the base and each measure's bars, largest swing first."""

    estimates: tuple[Estimate, ...]
    measures: tuple[str, ...]
    base: dict[str, Interval]
    bars: dict[str, list[Bar]]
    mix_key: tuple
    replications: int
    seed: int
    replications_run: int


def oat_values(estimates: Sequence[Estimate]) -> np.ndarray:
    """The 2K world rows: row 2j the centre with input j low, row 2j+1 with it high."""
    centre = central_values(estimates)
    rows = []
    for j, e in enumerate(estimates):
        for end in e.swing:
            row = centre.copy()
            row[j] = end
            rows.append(row)
    return np.array(rows, dtype=float).reshape(2 * len(estimates), len(estimates))


def oat_jobs(estimates: Sequence[Estimate], replications: int) -> int:
    """Replications an OAT run simulates: the base and two ends per input."""
    return (1 + 2 * len(estimates)) * replications


def _bar(e: Estimate, base: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> Bar:
    return Bar(e.key, e.swing[0], e.swing[1], t_interval(lo), t_interval(hi),
               _diff(base, lo), _diff(base, hi))


def _diff(base: np.ndarray, end: np.ndarray) -> Interval:
    """``end - base`` paired; exactly 0 (not NaN) where the two runs are identical replication by replication."""
    ok = np.isfinite(base) & np.isfinite(end)
    if ok.any() and np.array_equal(base[ok], end[ok]) and np.array_equal(np.isfinite(base), np.isfinite(end)):
        return Interval(0.0, 0.0, 0.0, int(ok.sum()))
    return paired_difference(base, end)


def _rank(swing: float) -> float:
    """An undefined swing ranks below every defined one, a zero one included."""
    return swing if np.isfinite(swing) else -1.0


def oat_from_runs(runs: WorldRuns, estimates: Sequence[Estimate], measures: Sequence[str], mix_key: tuple,
                  seed: int) -> Oat:
    """The bars of a finished run (``run_oat``'s second half; pure)."""
    base = runs.values[(BASE, mix_key)]
    bars: dict[str, list[Bar]] = {}
    for m in measures:
        row = [_bar(e, base[m], runs.values[(2 * j, mix_key)][m], runs.values[(2 * j + 1, mix_key)][m])
               for j, e in enumerate(estimates)]
        order = sorted(range(len(row)), key=lambda i: (-_rank(row[i].swing), i))  # ties keep file order
        bars[m] = [row[i] for i in order]
    return Oat(tuple(estimates), tuple(measures), {m: t_interval(base[m]) for m in measures}, bars, mix_key,
               runs.replications, seed, runs.replications_run)


def run_oat(base: Scenario, estimates: Sequence[Estimate], measures: Sequence[str], replications: int, seed: int,
            *, mix_key: tuple = (), executor: Executor | None = None, workers: int | None = None,
            progress: Callable[[int], None] | None = None) -> Oat:
    """Each estimate at its low and high end with common random numbers (see the module docstring).

    ``mix_key`` is an ``invest.evaluate`` mix key (``()``: the scenario as given, no investment).
    """
    values = oat_values(estimates)
    tasks: list[Task] = [(BASE, mix_key)] + [(i, mix_key) for i in range(len(values))]
    runs = run_tasks(base, estimates, values, tasks, replications, seed, streams="common", keep=list(measures),
                     executor=executor, workers=workers, progress=progress)
    return oat_from_runs(runs, estimates, measures, mix_key, seed)
