"""What a sweep found: intervals per point, paired differences, and the cheapest point that meets the target.

Why its own module: the run returns replication values; people need, per point, the mean and 95%
interval of each measure, the difference from the baseline point (paired: the same devices at every
point, so the interval is of the difference itself), and one answer: the cheapest point whose mean
meets the target. "Cheapest" needs a cost, and a grid of examiner counts has none in pounds, so the
cost basis is explicit (``cost_basis``):

- ``investment``: the point's investment mix cost inside the horizon (``scenario.levers.mix_cost``,
  as ``invest`` counts it); the default when a ``--grid`` key is under ``investment.``;
- a ``--grid`` key with numbers (``--cost examiners.mobile.count``): its value at the point;
- otherwise ``grid order``: the first point, in the order the grid lists them, that meets the target
  (write each ``--grid`` from cheapest to dearest: ``3..7``).

Ties go to the earlier point. The baseline is the first point (every ``--grid``'s first value).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dfu_sched import __version__
from dfu_sched.errors import InputError
from dfu_sched.invest.targets import Target
from dfu_sched.scenario.levers import mix_label
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.measures import label_of
from dfu_sched.stats import measure_interval, paired_difference
from dfu_sched.sweep.grid import Grid
from dfu_sched.sweep.run import SweepRun

INVESTMENT = "investment"
GRID_ORDER = "grid order"


@dataclass(frozen=True)
class CostBasis:
    """How points are ranked by cost: ``investment``, a ``--grid`` key, or ``grid order``."""

    name: str
    costs: tuple[float, ...]   # one per point, in grid order

    @property
    def unit(self) -> str:
        return "GBP" if self.name == INVESTMENT else "grid position" if self.name == GRID_ORDER else self.name


def cost_basis(grid: Grid, cost_key: str | None) -> CostBasis:
    """The cost of each point (see the module docstring); an unknown or non-numeric ``--cost`` is one line."""
    if cost_key is None:
        cost_key = INVESTMENT if any(a.is_investment for a in grid.axes) else GRID_ORDER
    if cost_key == INVESTMENT:
        return CostBasis(INVESTMENT, tuple(float(p.prepared.cost) for p in grid.points))
    if cost_key == GRID_ORDER:
        return CostBasis(GRID_ORDER, tuple(float(p.index) for p in grid.points))
    keys = [a.key for a in grid.axes]
    if cost_key not in keys:
        raise InputError(f"--cost: '{cost_key[:80]}' is not a --grid key ({', '.join(keys)}) or 'investment'")
    j = keys.index(cost_key)
    if not all(isinstance(p.values[j], (int, float)) for p in grid.points):
        raise InputError(f"--cost {cost_key}: its --grid values must be numbers to rank points by them")
    return CostBasis(cost_key, tuple(float(p.values[j]) for p in grid.points))


def cheapest_point(points: list[dict], target: Target, key: str) -> int | None:
    """Index of the cheapest point whose mean of ``key`` meets ``target`` (ties: the earlier point);
    None when none does. ``points`` are the JSON's points (``cost`` and ``measures`` are read)."""
    best: int | None = None
    for i, p in enumerate(points):
        v = p["measures"].get(key, {}).get("estimate")
        if v is None or not target.met(float(v)):
            continue
        if best is None or p["cost"] < points[best]["cost"]:
            best = i
    return best


def _block(values: np.ndarray, key: str) -> dict:
    block = measure_interval(values, key).as_dict()  # inside the measure's range (shares 0-1, others >= 0)
    if key.startswith(("first_week_below.", "first_week_backlog_below.")):
        block["reached_share"] = float(np.mean(np.isfinite(values))) if values.size else 0.0
    return block


def _met_surely(block: dict, target: Target) -> bool:
    """The whole 95% interval is on the target's side (the mean alone decides ``meets_target``)."""
    lo, hi = block.get("ci95", [None, None])
    far = hi if target.op in ("<=", "<") else lo
    return far is not None and target.met(float(far))


def _point_json(run: SweepRun, i: int, measures: list[str], basis: CostBasis, target: Target | None,
                target_key: str | None) -> dict:
    grid, p = run.grid, run.grid.points[i]
    vals, base = run.values[i], run.values[0]
    blocks = {k: _block(vals[k], k) for k in measures}
    out = {
        "index": i, "label": grid.label(p),
        "values": {a.key: v for a, v in zip(grid.axes, p.values)},
        "mix": {n: u for n, u in p.prepared.mix.items() if u}, "mix_label": mix_label(p.prepared.mix),
        "cost_gbp": round(float(p.prepared.cost), 2), "cost": basis.costs[i],
        "measures": blocks,
        "vs_baseline": {k: paired_difference(base[k], vals[k]).as_dict() for k in measures},
        "meets_target": None, "meets_target_surely": None,
    }
    if target is not None and target_key is not None:
        est = blocks[target_key]["estimate"]
        out["meets_target"] = est is not None and target.met(float(est))
        out["meets_target_surely"] = _met_surely(blocks[target_key], target)
    return out


def sweep_json(run: SweepRun, base: Scenario, measures: list[str], basis: CostBasis, target: Target | None = None,
               target_key: str | None = None, source: str | None = None) -> dict:
    """The ``sweep`` JSON (kind 'sweep'): see the README section Sweeps for its shape."""
    shown = list(dict.fromkeys(([target_key] if target_key else []) + measures))
    points = [_point_json(run, i, shown, basis, target, target_key) for i in range(len(run.grid.points))]
    best = cheapest_point(points, target, target_key) if target is not None and target_key else None
    return {
        "kind": "sweep", "version": __version__, "scenario": base.name, "scenario_file": source,
        "seed": run.seed, "replications": run.replications, "horizon_weeks": base.calendar.horizon_weeks,
        "start_date": base.calendar.start_date.isoformat(),
        "axes": [{"key": a.key, "values": list(a.values)} for a in run.grid.axes],
        "measures": shown, "labels": {k: label_of(k) for k in shown},
        "cost_basis": basis.name, "cost_unit": basis.unit, "baseline": 0,
        "target": None if target is None else {"expression": target.expression, "key": target_key, "op": target.op,
                                               "value": target.value, "from_week": target.from_week},
        "cheapest": best,
        "points": points,
        "run": {"seconds": round(run.seconds, 2), "replications_simulated": len(points) * run.replications,
                "workers": run.workers},
    }
