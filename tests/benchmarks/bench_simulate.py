"""Simulation speed: events per second, one baseline replication, 100 replications on 2 cores.

Run on demand (not part of the test suite):

    python tests/benchmarks/bench_simulate.py [--replications 100] [--workers 2]

Figures go to stdout as a table and, with --json, as JSON for the closing notes.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim.experiment import replication_seed, run_experiment
from dfu_sched.sim.measures import measure
from dfu_sched.sim.model import DFUModel
from dfu_sched.sim.workload import child_seed, generate

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "north_yorkshire_2022.yaml"


def one_replication(sc, rep: int) -> dict:
    """Time each phase of one replication: workload, SimPy run, measures."""
    ss = replication_seed(sc.run.seed, rep)
    t0 = time.perf_counter()
    wl = generate(sc, child_seed(ss, 0))
    t1 = time.perf_counter()
    out = DFUModel(sc, wl, child_seed(ss, 1)).run()
    t2 = time.perf_counter()
    measure(sc, wl, out)
    t3 = time.perf_counter()
    return {"devices": wl.n, "events": out.events, "workload_s": t1 - t0, "simpy_s": t2 - t1,
            "measures_s": t3 - t2, "total_s": t3 - t0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scenario", default=str(BASELINE))
    ap.add_argument("--replications", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    sc = load_scenario(args.scenario)

    singles = [one_replication(sc, r) for r in range(10)]
    med = {k: statistics.median(s[k] for s in singles) for k in singles[0]}
    t0 = time.perf_counter()
    res = run_experiment(sc, args.replications, sc.run.seed, args.workers)
    wall = time.perf_counter() - t0
    figures = {
        "scenario": sc.name,
        "devices_per_replication": int(med["devices"]),
        "events_per_replication": int(med["events"]),
        "one_replication_s": round(med["total_s"], 4),
        "phase_s": {k: round(med[k], 4) for k in ("workload_s", "simpy_s", "measures_s")},
        "simpy_events_per_s": round(med["events"] / med["simpy_s"]),
        "replications": args.replications,
        "workers": args.workers,
        "wall_s": round(wall, 2),
        "replications_per_s": round(args.replications / wall, 1),
        "median_wait_to_start_days": round(res.interval("overall.wait_to_start_days.p50").estimate, 1),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for k, v in figures.items():
            print(f"{k:28s} {v}")


if __name__ == "__main__":
    main()
