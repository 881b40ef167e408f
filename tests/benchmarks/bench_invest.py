"""Benchmark of ``dfu-sched invest`` (on demand; not in the default pytest run).

    python tests/benchmarks/bench_invest.py            # the £400K question + raw throughput
    python -m pytest tests/benchmarks/bench_invest.py -q -s

Reports mixes x replications per minute (raw evaluation throughput on the 104-week North
Yorkshire scenario) and the wall time of the whole £400K question. Floor: under 10 minutes on
2 cores; goal: under 2 minutes.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "north_yorkshire_400k.yaml"
FLOOR_S, GOAL_S = 600.0, 120.0


def throughput(workers: int = 2, mixes: int = 6, reps: int = 10) -> dict:
    from dfu_sched.invest.evaluate import Evaluator
    from dfu_sched.scenario.schema import load_scenario

    sc = load_scenario(SCENARIO)
    ev = Evaluator(sc, 2022, workers)
    opts = [o.name for o in sc.investment.options]
    keys = [ev.add({opts[i % len(opts)]: 1}, "bench").key for i in range(mixes)]
    t0 = time.perf_counter()
    ev.ensure(keys, reps)
    s = time.perf_counter() - t0
    return {"mixes": len(set(keys)), "replications": reps, "seconds": round(s, 2),
            "mixes_x_replications_per_minute": round(len(set(keys)) * reps / s * 60, 1)}


def question_400k(workers: int = 2, replications: int = 32) -> dict:
    from dfu_sched.invest.results import result_json
    from dfu_sched.invest.search import SearchSettings, search
    from dfu_sched.scenario.schema import load_scenario

    sc = load_scenario(SCENARIO)
    t0 = time.perf_counter()
    res = search(sc, SearchSettings(budget=400_000, seed=sc.run.seed, screen_reps=max(2, replications // 8),
                                    candidate_reps=max(3, replications // 4), final_reps=replications, workers=workers))
    out = result_json(res, sc)
    wall = time.perf_counter() - t0
    return {"wall_seconds": round(wall, 1), "chosen": out["chosen"]["label"], "cost_gbp": out["chosen"]["cost_gbp"],
            **{k: out["run"][k]
               for k in ("mixes_evaluated", "replications_simulated", "mixes_x_replications_per_minute")},
            "frontier": [(p["label"], p["cost_gbp"], p["replications"]) for p in out["frontier"]]}


def test_bench_invest():
    raw = throughput()
    q = question_400k()
    print(f"\nraw evaluation: {raw}\n£400K question: {q}\nload average: {os.getloadavg()}")
    assert q["wall_seconds"] < FLOOR_S
    assert all(reps == 32 for _, _, reps in q["frontier"])  # every frontier mix has the chosen mix's replications


if __name__ == "__main__":
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    print("load average before:", os.getloadavg())
    print("raw evaluation:", throughput(workers))
    q = question_400k(workers)
    print("£400K question:", q)
    verdict = "goal met" if q["wall_seconds"] < GOAL_S else ("floor met" if q["wall_seconds"] < FLOOR_S else "TOO SLOW")
    print(f"{verdict} (floor {FLOOR_S:.0f} s, goal {GOAL_S:.0f} s); load average after: {os.getloadavg()}")
