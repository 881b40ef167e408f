"""Morris screening: which of many ranged inputs matter at all, for a few runs per input.

Why Morris before the tornado: one-at-a-time costs two runs per input and looks only along the
axes through the centre; with many ranged inputs (a fitted scenario can carry dozens), the
elementary-effects method of Morris (1991, with Campolongo's mu*) walks r random trajectories
through the whole input space, one input moved per step, so K inputs cost r x (K + 1) runs and
each input gets mu* (the mean absolute effect of moving it: how much it matters) and sigma (how
much its effect changes with the others: interaction or curvature). The inputs with the largest
mu* then get the OAT tornado (``sensitivity --method auto``).

SALib does the sampling and the analysis (``SALib.sample.morris``, ``SALib.analyze.morris``), both
seeded, on the unit cube: every input's range is [0, 1], and a trajectory's points become input
values through each estimate's inverse CDF (``Estimate.ppf``), so a uniform step is a step in
probability and mu* is comparable between inputs of any unit. The runs use common random numbers
(replication r of every point sees the same devices), so an elementary effect is not noise
between unrelated runs. SALib is imported inside the functions: a plain ``simulate`` never loads it.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dfu_sched.scenario.estimates import Estimate
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import Executor
from dfu_sched.uncertainty.runner import run_tasks

#: Trajectories (r) and grid levels (p) of the Morris design: r = 10, p = 4 is the textbook default.
TRAJECTORIES = 10
LEVELS = 4


@dataclass(frozen=True)
class Screen:
    """One input's Morris indices on one measure (in the measure's units per unit-probability step)."""

    key: str
    mu_star: float
    mu: float
    sigma: float
    mu_star_conf: float


@dataclass(frozen=True)
class Morris:
    """A Morris screening: per measure, every input's indices, largest mu* first."""

    estimates: tuple[Estimate, ...]
    measures: tuple[str, ...]
    screens: dict[str, list[Screen]]
    trajectories: int
    levels: int
    replications: int
    seed: int
    replications_run: int

    def top(self, k: int) -> list[str]:
        """The ``k`` inputs that matter most over all measures (each measure's mu* scaled by its largest)."""
        score = dict.fromkeys((e.key for e in self.estimates), 0.0)
        for rows in self.screens.values():
            peak = max((s.mu_star for s in rows if np.isfinite(s.mu_star)), default=0.0)
            for s in rows:
                if peak > 0 and np.isfinite(s.mu_star):
                    score[s.key] = max(score[s.key], s.mu_star / peak)
        order = sorted(range(len(self.estimates)), key=lambda i: (-score[self.estimates[i].key], i))
        return [self.estimates[i].key for i in order[:k]]


def _problem(estimates: Sequence[Estimate]) -> dict:
    return {"num_vars": len(estimates), "names": [e.key for e in estimates], "bounds": [[0.0, 1.0]] * len(estimates)}


def morris_design(estimates: Sequence[Estimate], trajectories: int = TRAJECTORIES, levels: int = LEVELS,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(unit-cube points, input values): ``trajectories x (K + 1)`` rows, the same for the same seed."""
    from SALib.sample import morris as morris_sample  # lazy: only a screening loads SALib

    unit = morris_sample.sample(_problem(estimates), trajectories, num_levels=levels, seed=seed % 2**32)
    values = np.column_stack([e.ppf(unit[:, j]) for j, e in enumerate(estimates)])
    return unit, values


def morris_jobs(estimates: Sequence[Estimate], replications: int, trajectories: int = TRAJECTORIES) -> int:
    return trajectories * (len(estimates) + 1) * replications


def analyse(estimates: Sequence[Estimate], unit: np.ndarray, y: np.ndarray, levels: int, seed: int) -> list[Screen]:
    """SALib's Morris indices of outputs ``y`` (one per design row), largest mu* first (ties: file order)."""
    from SALib.analyze import morris as morris_analyze

    y = np.asarray(y, dtype=float)
    if not np.isfinite(y).all():  # a measure undefined at some point (no starts): screen it as no effect
        y = np.where(np.isfinite(y), y, np.nanmean(y) if np.isfinite(y).any() else 0.0)
    si = morris_analyze.analyze(_problem(estimates), unit, y, num_levels=levels, seed=seed % 2**32,
                                print_to_console=False)
    rows = [Screen(e.key, float(si["mu_star"][j]), float(si["mu"][j]), float(si["sigma"][j]),
                   float(si["mu_star_conf"][j])) for j, e in enumerate(estimates)]
    order = sorted(range(len(rows)), key=lambda i: (-rows[i].mu_star, i))
    return [rows[i] for i in order]


def run_morris(base: Scenario, estimates: Sequence[Estimate], measures: Sequence[str], replications: int, seed: int,
               *, mix_key: tuple = (), trajectories: int = TRAJECTORIES, levels: int = LEVELS,
               executor: Executor | None = None, workers: int | None = None,
               progress: Callable[[int], None] | None = None) -> Morris:
    """Morris screening of ``estimates`` on ``measures`` (the mean over ``replications`` at every point)."""
    unit, values = morris_design(estimates, trajectories, levels, seed)
    tasks = [(i, mix_key) for i in range(len(values))]
    runs = run_tasks(base, estimates, values, tasks, replications, seed, streams="common", keep=list(measures),
                     executor=executor, workers=workers, progress=progress)
    screens = {}
    for m in measures:
        y = np.array([np.nanmean(runs.values[t][m]) if np.isfinite(runs.values[t][m]).any() else np.nan
                      for t in tasks])
        screens[m] = analyse(estimates, unit, y, levels, seed)
    return Morris(tuple(estimates), tuple(measures), screens, trajectories, levels, replications, seed,
                  runs.replications_run)
