"""A sweep as two library calls: ``plan_sweep`` checks everything, ``run_planned`` runs it.

Why two steps: the command line must refuse a bad ``--grid``, ``--measure``, ``--target`` or
``--cost`` (one line, exit 2) and check its output paths before the first replication runs, and a
notebook user wants the same checks. ``plan_sweep`` does every check and sizes the run;
``run_planned`` only simulates and summarises. ``sweep`` does both::

    from dfu_sched.scenario import load_scenario
    from dfu_sched.sweep.study import sweep
    out = sweep(load_scenario("scenarios/north_yorkshire_2022.yaml"), ["examiners.mobile.count=3..6"],
                replications=10, target="invest.backlog_at_12m<=600")
    out["cheapest"], out["points"][0]["measures"]
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dfu_sched.errors import InputError
from dfu_sched.invest.targets import Target, parse_by, parse_target, window_request
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import Executor
from dfu_sched.sweep.grid import Grid, build_grid
from dfu_sched.sweep.keys import check_measures, default_measures, target_measure
from dfu_sched.sweep.run import check_sweep_size, run_sweep
from dfu_sched.sweep.summary import CostBasis, cost_basis, sweep_json


@dataclass(frozen=True)
class SweepPlan:
    """A sweep checked and sized, ready to run."""

    base: Scenario
    grid: Grid
    replications: int
    seed: int
    measures: list[str]
    target: Target | None
    target_key: str | None
    window: dict | None
    basis: CostBasis
    events: float

    @property
    def jobs(self) -> int:
        return len(self.grid.points) * self.replications


def plan_sweep(base: Scenario, grids: Sequence[str], replications: int | None = None, seed: int | None = None,
               measures: Sequence[str] = (), target: str | None = None, by: str | None = None,
               cost: str | None = None) -> SweepPlan:
    """Every check of a sweep, nothing run: the grid (each point validated), the measures, the target
    (``invest --target`` syntax, with ``--by``), the cost basis and the size."""
    grid = build_grid(base, grids)
    shown = check_measures(base, list(measures) or default_measures(base))
    if by is not None and target is None:
        raise InputError("--by needs --target")
    tgt = parse_target(target, base, parse_by(by, base)) if target is not None else None
    tkey = target_measure(base, tgt) if tgt is not None else None
    n = base.run.replications if replications is None else replications
    basis = cost_basis(grid, cost)
    events = check_sweep_size(grid, n)
    return SweepPlan(base, grid, n, base.run.seed if seed is None else seed, shown, tgt, tkey, window_request(tgt),
                     basis, events)


def run_planned(plan: SweepPlan, *, executor: Executor | None = None, workers: int | None = None,
                progress: Callable[[int], None] | None = None, source: str | None = None) -> dict:
    """Run a planned sweep through ``executor`` and return its JSON (``summary.sweep_json``)."""
    keep = list(dict.fromkeys(([plan.target_key] if plan.target_key else []) + plan.measures))
    run = run_sweep(plan.grid, plan.replications, plan.seed, keep, window=plan.window, executor=executor,
                    workers=workers, progress=progress)
    return sweep_json(run, plan.base, plan.measures, plan.basis, plan.target, plan.target_key, source)


def sweep(base: Scenario, grids: Sequence[str], replications: int | None = None, seed: int | None = None,
          measures: Sequence[str] = (), target: str | None = None, by: str | None = None, cost: str | None = None,
          *, executor: Executor | None = None, workers: int | None = None,
          progress: Callable[[int], None] | None = None) -> dict:
    """``plan_sweep`` then ``run_planned``: the sweep's JSON."""
    plan = plan_sweep(base, grids, replications, seed, measures, target, by, cost)
    return run_planned(plan, executor=executor, workers=workers, progress=progress)
