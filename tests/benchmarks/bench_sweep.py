"""Benchmark of ``dfu-sched sweep`` (on demand; not in the default pytest run).

    python tests/benchmarks/bench_sweep.py            # a 20-point sweep of the baseline, 5 replications each
    python -m pytest tests/benchmarks/bench_sweep.py -q -s

Reports, in one run on the same machine: the time to check the grid (every point validated and
costed, nothing simulated), the sweep's wall time and replications a second, and the same 100
replications run as 20 separate ``run_experiment`` calls on the same executor. The ratio of the two
is what the sweep adds over running the points one by one (it should be about 1, or below: one
pool for all points); being a ratio measured side by side, it holds on a loaded machine too.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "north_yorkshire_2022.yaml"
GRID = ["examiners.mobile.count=3..7", "examiners.computer.count=3..6"]


def bench(workers: int = 2, replications: int = 5) -> dict:
    from dfu_sched.scenario.schema import load_scenario
    from dfu_sched.sim.experiment import make_executor, run_experiment
    from dfu_sched.sweep.study import plan_sweep, run_planned

    sc = load_scenario(SCENARIO)
    t0 = time.perf_counter()
    plan = plan_sweep(sc, GRID, replications, sc.run.seed)
    checked = time.perf_counter() - t0
    executor = make_executor(workers)
    t0 = time.perf_counter()
    out = run_planned(plan, executor=executor)
    swept = time.perf_counter() - t0
    t0 = time.perf_counter()
    for p in plan.grid.points:
        run_experiment(p.scenario, replications, plan.seed, executor=executor)
    one_by_one = time.perf_counter() - t0
    return {"points": len(out["points"]), "replications": replications, "workers": workers,
            "check_seconds": round(checked, 2), "sweep_seconds": round(swept, 1),
            "replications_per_second": round(plan.jobs / swept, 2), "one_by_one_seconds": round(one_by_one, 1),
            "sweep_over_one_by_one": round(swept / one_by_one, 2)}


def test_sweep_benchmark():
    r = bench()
    print(r)
    assert r["points"] == 20 and r["check_seconds"] < 10


if __name__ == "__main__":
    print(bench(int(sys.argv[1]) if len(sys.argv) > 1 else 2))
