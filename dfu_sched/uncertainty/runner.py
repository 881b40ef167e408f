"""(world, mix, replication) jobs through the one runner, with the right random numbers.

Why one module: the tornado, the second-order intervals and the robust choice all need "measure
``m`` of mix ``x`` in world ``w``, replication ``r``", and the random numbers are the point:

* ``streams="common"``: replication r of every world and every mix draws the devices of
  ``replication_seed(seed, r)`` (common random numbers), so a one-at-a-time low/high difference is
  the input's effect, not noise (``sensitivity``);
* ``streams="per_world"``: each world has its own seed (``worlds.world_seed``), shared by every mix
  in it: the outer draws are independent, as second-order Monte Carlo's variance split assumes,
  while mixes compared inside a world are still paired (input uncertainty, robust choice).

A job carries only ``(world, mix key)`` and the replication: a worker builds the world's scenario
and the mix from the context the first time it meets them and keeps both, so a pool lives as long
as the run. Results come back in job order (``run_replications``), so no worker count or executor
changes a number.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from dfu_sched.invest.evaluate import Prepared, key_mix, prepare, replicate
from dfu_sched.scenario.estimates import Estimate
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import Executor, Job, make_executor, run_replications
from dfu_sched.uncertainty.worlds import world_scenario, world_seed

Streams = Literal["common", "per_world"]
#: ``(world index, mix key)``; world -1 is the base scenario itself (every input at its value).
Task = tuple[int, tuple]
BASE = -1


@dataclass
class Context:
    """What every job needs, sent once per worker: the base, the worlds' values, the seed."""

    base: Scenario
    estimates: tuple[Estimate, ...]
    values: tuple[tuple[float, ...], ...]
    seed: int
    streams: Streams
    keep: tuple[str, ...] | None
    window: dict | None = None
    _worlds: dict[int, Scenario] = field(default_factory=dict, repr=False)
    _preps: dict[Task, Prepared] = field(default_factory=dict, repr=False)

    def scenario(self, world: int) -> Scenario:
        if world == BASE:
            return self.base
        sc = self._worlds.get(world)
        if sc is None:
            sc = self._worlds[world] = world_scenario(self.base, self.estimates, self.values[world])
        return sc

    def prepared(self, task: Task) -> Prepared:
        p = self._preps.get(task)
        if p is None:
            sc = self.scenario(task[0])
            p = self._preps[task] = prepare(sc, key_mix(sc, task[1]) if task[1] else {})
        return p

    def seed_of(self, world: int) -> int:
        return self.seed if self.streams == "common" or world == BASE else world_seed(self.seed, world)


def _job(context: Context, task: Hashable, rep: int) -> dict[str, float]:
    """A runner job: replication ``rep`` of ``task = (world, mix key)``, the kept measures only."""
    t: Task = task  # type: ignore[assignment]
    scalars, _series = replicate(context.prepared(t), context.seed_of(t[0]), rep, context.window)
    keys = context.keep if context.keep is not None else tuple(scalars)
    return {k: float(scalars.get(k, np.nan)) for k in keys}


@dataclass(frozen=True)
class WorldRuns:
    """``values[(world, mix key)][measure]``: an array over replications 0..n-1."""

    values: dict[Task, dict[str, np.ndarray]]
    replications: int
    replications_run: int


def run_tasks(base: Scenario, estimates: Sequence[Estimate], values: np.ndarray, tasks: Sequence[Task],
              replications: int, seed: int, *, streams: Streams, keep: Sequence[str] | None = None,
              window: dict | None = None, executor: Executor | None = None, workers: int | None = None,
              progress: Callable[[int], None] | None = None) -> WorldRuns:
    """Replications 0..n-1 of every ``(world, mix key)`` task (mix key ``()`` = the scenario as given).

    ``values[i]`` are world i's input values (``worlds.Worlds.values``); world ``BASE`` is the base.
    """
    ctx = Context(base, tuple(estimates), tuple(tuple(float(x) for x in row) for row in values), seed, streams,
                  None if keep is None else tuple(keep), window)
    executor = make_executor(workers) if executor is None else executor
    tasks = list(dict.fromkeys(tasks))
    jobs: list[Job] = [(t, r) for t in tasks for r in range(replications)]
    results = run_replications(_job, ctx, jobs, executor, progress)
    out: dict[Task, dict[str, np.ndarray]] = {}
    for i, t in enumerate(tasks):
        rows = results[i * replications:(i + 1) * replications]
        out[t] = {k: np.array([r[k] for r in rows], dtype=float) for k in rows[0]}
    return WorldRuns(out, replications, len(jobs))
