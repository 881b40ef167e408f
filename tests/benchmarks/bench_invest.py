"""Benchmark of ``dfu-sched invest`` (on demand; not in the default pytest run).

    python tests/benchmarks/bench_invest.py [WORKERS]      # the £400K question + raw throughput
    python tests/benchmarks/bench_invest.py 2 --target     # also the two --target examples
    python tests/benchmarks/bench_invest.py 2 --save DIR   # each answer's JSON (no clock) into DIR
    python -m pytest tests/benchmarks/bench_invest.py -q -s

Reports mixes x replications per minute (raw evaluation throughput on the 104-week North
Yorkshire scenario), the wall and CPU time of the whole £400K question (CPU: this process and
its ended worker processes, ``os.times``), and both as a ratio to a *peer*
timed in the same run: a minimal SimPy M/M/10 model (``peer_seconds``; no dfu_sched code), so a
figure taken on a busy machine can be compared with one taken on a quiet one. The search's effort
is a count (mixes, replications), the same on any machine; only the seconds depend on the load.
Floor: under 10 minutes on 2 cores; goal: under 20 s on a quiet machine.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "north_yorkshire_400k.yaml"
FLOOR_S, GOAL_S = 600.0, 20.0
LAST_JSON: dict[str, dict] = {}  # each question's invest JSON, for --save DIR (compare two versions' answers)
TARGETS = (("high-risk-week", "2024-04-01"), ("72h", "2024-04-01"))


def peer_seconds(jobs: int = 20_000, servers: int = 10, utilisation: float = 0.9, seed: int = 1) -> float:
    """A minimal SimPy M/M/c run (one process per job, ``Resource(capacity=servers)``), serial: the yardstick."""
    import random

    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    res = simpy.Resource(env, capacity=servers)
    waited = [0.0]

    def job(env):
        t = env.now
        with res.request() as req:
            yield req
            waited[0] += env.now - t
            yield env.timeout(rng.expovariate(1.0))

    def source(env):
        for _ in range(jobs):
            yield env.timeout(rng.expovariate(servers * utilisation))
            env.process(job(env))

    env.process(source(env))
    t0 = time.perf_counter()
    env.run()
    return time.perf_counter() - t0


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
    getattr(ev, "close", lambda: None)()
    return {"mixes": len(set(keys)), "replications": reps, "seconds": round(s, 2),
            "mixes_x_replications_per_minute": round(len(set(keys)) * reps / s * 60, 1)}


def _cpu() -> float:
    """CPU seconds of this process and of its ended children (the search's workers end with it)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def question(workers: int = 2, replications: int = 32, budget: float | None = 400_000,
             target: tuple[str, str] | None = None) -> dict:
    """One ``invest`` search (budget or target mode) and its JSON, timed end to end (no reports)."""
    from dfu_sched.invest.request import phase_replications
    from dfu_sched.invest.results import result_json
    from dfu_sched.invest.search import SearchSettings, search
    from dfu_sched.invest.targets import parse_by, parse_target
    from dfu_sched.scenario.schema import load_scenario

    sc = load_scenario(SCENARIO)
    tgt = parse_target(target[0], sc, parse_by(target[1], sc)) if target else None
    screen, candidates, final = phase_replications(replications)
    t0, c0 = time.perf_counter(), _cpu()
    res = search(sc, SearchSettings(budget=budget, target=tgt, seed=sc.run.seed, screen_reps=screen,
                                    candidate_reps=candidates, final_reps=final, workers=workers))
    out = result_json(res, sc)
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    LAST_JSON[target[0] if target else f"budget_{budget:.0f}"] = out
    return {"wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
            "chosen": out["chosen"]["label"], "cost_gbp": out["chosen"]["cost_gbp"],
            **{k: out["run"][k]
               for k in ("mixes_evaluated", "replications_simulated", "mixes_x_replications_per_minute")},
            "frontier": [(p["label"], p["cost_gbp"], p["replications"]) for p in out["frontier"]]}


def question_400k(workers: int = 2, replications: int = 32) -> dict:
    return question(workers, replications)


def test_bench_invest():
    peer = peer_seconds()
    raw = throughput()
    q = question_400k()
    print(f"\npeer {peer:.2f} s\nraw evaluation: {raw}\n£400K question: {q} ({q['wall_seconds'] / peer:.1f} peers)"
          f"\nload average: {os.getloadavg()}")
    assert q["wall_seconds"] < FLOOR_S
    assert all(reps >= 8 for _, _, reps in q["frontier"])  # every frontier mix has the candidate replications
    assert {label: reps for label, _, reps in q["frontier"]}[q["chosen"]] == 32  # the chosen mix all of them


if __name__ == "__main__":
    workers = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 2
    print("load average before:", os.getloadavg())
    peer = peer_seconds()
    print(f"peer (minimal SimPy M/M/10, 20,000 jobs, serial): {peer:.2f} s")
    print("raw evaluation:", throughput(workers))
    q = question_400k(workers)
    print("£400K question:", q)
    print(f"£400K question: {q['wall_seconds']} s = {q['wall_seconds'] / peer:.1f} peers; {q['cpu_seconds']} CPU s; "
          f"{q['replications_simulated']} replications")
    if "--target" in sys.argv:
        for t in TARGETS:
            qt = question(workers, budget=None, target=t)
            print(f"--target {t[0]} --by {t[1]}: {qt['wall_seconds']} s = {qt['wall_seconds'] / peer:.1f} peers;",
                  {k: qt[k] for k in ("chosen", "cost_gbp", "mixes_evaluated", "replications_simulated")})
    if "--save" in sys.argv:
        import json

        folder = Path(sys.argv[sys.argv.index("--save") + 1])
        folder.mkdir(parents=True, exist_ok=True)
        for name, out in LAST_JSON.items():
            run = {k: v for k, v in out["run"].items() if k not in ("seconds", "mixes_x_replications_per_minute")}
            (folder / f"{name}.json").write_text(json.dumps({**out, "run": run}, indent=1, sort_keys=True))
    peer2 = peer_seconds()
    print(f"peer again: {peer2:.2f} s (the load changed by {peer2 / peer:.2f}x during the run)")
    verdict = "goal met" if q["wall_seconds"] < GOAL_S else ("floor met" if q["wall_seconds"] < FLOOR_S else "TOO SLOW")
    print(f"{verdict} (floor {FLOOR_S:.0f} s, goal {GOAL_S:.0f} s); load average after: {os.getloadavg()}")
