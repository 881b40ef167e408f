"""Running every grid point's replications through the one runner, with common random numbers.

Why its own module: a sweep is many scenarios under one seed, and its differences between points
are only worth reading if they are paired. Every job is ``(point index, replication)`` and runs
``invest.evaluate.replicate`` (the core's replication, plus the mix's outsourcing hook and the
investment measures), so replication k of every point draws its devices from
``replication_seed(seed, k)``: the same devices at every point. The jobs go through
``sim.experiment.run_replications`` on whichever ``Executor`` the caller gives (local processes
today, a cluster executor behind the same seam), which gathers results in job order, so no worker
count or executor changes a number.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from dfu_sched.errors import InputError
from dfu_sched.invest.evaluate import Prepared, replicate
from dfu_sched.sim.experiment import MAX_EVENTS, Executor, Job, check_size, make_executor, run_replications
from dfu_sched.sweep.grid import Grid

#: The most (point, replication) jobs one sweep runs: each is a whole replication.
MAX_JOBS = 20_000


@dataclass(frozen=True)
class SweepRun:
    """Every point's replications: ``values[point][measure]`` is an array over replications 0..n-1."""

    grid: Grid
    seed: int
    replications: int
    values: list[dict[str, np.ndarray]]
    seconds: float
    workers: int


def check_sweep_size(grid: Grid, replications: int) -> float:
    """Refuse, in one line, a sweep too big to run (as ``check_size`` does for one scenario); its events."""
    jobs = len(grid.points) * replications
    if jobs > MAX_JOBS:
        raise InputError(f"too big to sweep: {len(grid.points):,} points x {replications} replications = {jobs:,} "
                         f"replications (the most is {MAX_JOBS:,}); use fewer --grid values or a smaller -n")
    events = 0.0
    for p in grid.points:
        try:
            events += check_size(p.scenario, replications).events
        except InputError as exc:
            raise InputError(f"--grid: the point {grid.label(p)}: {exc}") from None
    if events > MAX_EVENTS:
        per_point = events / len(grid.points)
        fits = int(MAX_EVENTS // max(per_point / replications, 1.0) // len(grid.points))
        way = f"use -n {fits} or fewer" if fits >= 2 else "use fewer --grid values"
        raise InputError(f"too big to sweep: about {events:,.0f} simulation events ({len(grid.points):,} points x "
                         f"{replications} replications; the most is {MAX_EVENTS:,}); {way}")
    return events


def _point_replication(context: tuple[dict[Hashable, Prepared], int, dict | None, tuple[str, ...]],
                       point: Hashable, rep: int) -> dict[str, float]:
    """A runner job: replication ``rep`` of grid point ``point``, only the measures kept (less to send back)."""
    preps, seed, window, keep = context
    scalars, _ = replicate(preps[point], seed, rep, window)
    return {k: float(scalars.get(k, np.nan)) for k in keep}


def run_sweep(grid: Grid, replications: int, seed: int, keep: Sequence[str], *, window: dict | None = None,
              executor: Executor | None = None, workers: int | None = None,
              progress: Callable[[int], None] | None = None) -> SweepRun:
    """Replications 0..n-1 of every point, the measures ``keep`` (``window``: what a wait target needs,
    ``invest.targets.window_request``). ``executor`` defaults to ``workers`` local processes."""
    if replications < 1:
        raise InputError("a sweep needs at least 1 replication")
    check_sweep_size(grid, replications)
    executor = make_executor(workers) if executor is None else executor
    preps: dict[Hashable, Prepared] = {p.index: p.prepared for p in grid.points}
    jobs: list[Job] = [(p.index, r) for p in grid.points for r in range(replications)]
    t0 = time.perf_counter()
    results = run_replications(_point_replication, (preps, seed, window, tuple(keep)), jobs, executor, progress)
    seconds = time.perf_counter() - t0
    values = []
    for i in range(len(grid.points)):
        rows = results[i * replications:(i + 1) * replications]
        values.append({k: np.array([r[k] for r in rows], dtype=float) for k in keep})
    return SweepRun(grid, seed, replications, values, seconds, min(executor.workers, len(jobs)))
