"""The simulation core against its peers: devices per second and peak memory, in one run.

Run on demand (not part of the test suite):

    python tests/benchmarks/bench_core.py                       # 1,000,000 devices, the issue's figure
    python tests/benchmarks/bench_core.py --devices 200000      # a quick run
    python tests/benchmarks/bench_core.py --skip-baseline --json

Why peers: a speed figure alone says little on a shared machine. The same M/M/10 queue at
utilisation 0.9 (one-hour exponential service, first come first served) is run by dfu_sched
(through the real runner: workload, SimPy model, measures), by Ciw, and by a minimal hand-written
SimPy model (one process per job, ``Resource(capacity=10)``, running sums), each in a subprocess of
its own started one after the other, so the three see the same machine and their peak memory
(``ru_maxrss``, which includes the interpreter and its imports: ``import_mb`` says how much) is
their own. The ratios are what the issue's targets are about (at least 3x Ciw's devices per second,
at least 1x the minimal model's, under 100 MB for a million devices without records);
``bytes_per_device`` is the peak beyond the imports over the devices, and the ``dfu_sched+records``
peer runs the same with the per-device table ``--records`` writes (held in memory, not written). Each peer's
mean wait is checked against Erlang C, so a peer that simulated the wrong queue would show.

Then the shipped baseline: one 104-week replication (median of 5) and ``--replications`` replications
on ``--workers`` processes. Ciw is a benchmark-only extra (``pip install -e '.[bench]'``); without it
its row says so.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "scenarios" / "north_yorkshire_2022.yaml"
THEORY = ROOT / "scenarios" / "theory" / "mmc_rho85.yaml"
SERVERS, RHO = 10, 0.9
LAM = RHO * SERVERS  # arrivals per hour; service rate 1 per hour
PEERS = ("dfu_sched", "ciw", "simpy")


def rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def mmc_scenario(devices: int):
    """M/M/10 at utilisation 0.9 as a dfu_sched scenario: the validation wing's M/M/c theory file
    (a 24/7 single-stage queue) with ten examiners and a horizon long enough for ``devices`` jobs."""
    from dfu_sched.scenario.schema import load_scenario

    weeks = max(1, round(devices / LAM / 168.0))
    return load_scenario(THEORY).with_updates({
        "name": f"M/M/{SERVERS} rho={RHO}",
        "calendar": {"horizon_weeks": weeks, "warmup_weeks": 0},
        "arrivals": {"cases_per_week": LAM * 168.0},
        "examiners": [{"name": "examiners", "count": SERVERS, "skills": ["any"], "continuous": True}],
    })


def run_dfu_sched(devices: int, seed: int, records: bool = False) -> dict:
    """dfu_sched's runner; ``records``: with the per-device table as well (what ``--records`` writes)."""
    from dfu_sched.sim.experiment import run_replication

    sc = mmc_scenario(devices)
    before = rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    _, scalars, _, events, table = run_replication(sc, seed, 0, keep_records=records)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = int(scalars["overall.started"])  # warm-up 0: every examination started in the horizon
    out = {"devices": n, "seconds": seconds, "cpu_s": cpu, "import_mb": before, "events": events,
           "mean_wait_h": scalars["overall.wait_to_start_days.mean"] * 24.0}
    if records:
        out["record_rows"] = len(table["device"])
    return out


def run_ciw(devices: int, seed: int) -> dict:
    import ciw

    ciw.seed(seed)
    net = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(rate=LAM)],
                             service_distributions=[ciw.dists.Exponential(rate=1.0)],
                             number_of_servers=[SERVERS])
    before = rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    sim = ciw.Simulation(net)
    sim.simulate_until_max_time(devices / LAM)
    recs = sim.get_all_records()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    waits = [r.waiting_time for r in recs]
    return {"devices": len(recs), "seconds": seconds, "cpu_s": cpu, "import_mb": before,
            "mean_wait_h": sum(waits) / len(waits)}


def run_simpy(devices: int, seed: int) -> dict:
    """The minimal hand-written model: one process per job, a Resource, running sums."""
    import random

    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    staff = simpy.Resource(env, capacity=SERVERS)
    sums = [0, 0.0]  # jobs started, total wait

    def job(env):
        arrive = env.now
        with staff.request() as req:
            yield req
            sums[0] += 1
            sums[1] += env.now - arrive
            yield env.timeout(rng.expovariate(1.0))

    def source(env):
        while True:
            yield env.timeout(rng.expovariate(LAM))
            env.process(job(env))

    before = rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    env.process(source(env))
    env.run(until=devices / LAM)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"devices": sums[0], "seconds": seconds, "cpu_s": cpu, "import_mb": before, "mean_wait_h": sums[1] / sums[0]}


def peer_main(name: str, devices: int, seed: int) -> None:
    """In the subprocess: run one peer, print its figures as one JSON line."""
    if name == "dfu_sched+records":
        out = run_dfu_sched(devices, seed, records=True)
    else:
        out = {"dfu_sched": run_dfu_sched, "ciw": run_ciw, "simpy": run_simpy}[name](devices, seed)
    out["peak_mb"] = rss_mb()
    print(json.dumps(out))


def run_peer(name: str, devices: int, seed: int) -> dict:
    cmd = [sys.executable, __file__, "--peer", name, "--devices", str(devices), "--seed", str(seed)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["devices_per_s"] = round(out["devices"] / out["seconds"])
    out["devices_per_cpu_s"] = round(out["devices"] / out["cpu_s"])
    # What the run itself held at its peak, beyond the interpreter and imports, per device.
    out["bytes_per_device"] = round((out["peak_mb"] - out["import_mb"]) * 2**20 / out["devices"], 1)
    return out


def baseline(replications: int, workers: int) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_simulate import one_replication

    from dfu_sched.scenario.schema import load_scenario
    from dfu_sched.sim.experiment import run_experiment

    sc = load_scenario(BASELINE)
    singles = [one_replication(sc, r) for r in range(5)]
    t0 = time.perf_counter()
    run_experiment(sc, replications, sc.run.seed, workers)
    wall = time.perf_counter() - t0
    return {"one_replication_s": round(statistics.median(s["total_s"] for s in singles), 4),
            "events_per_replication": int(statistics.median(s["events"] for s in singles)),
            f"{replications}_replications_on_{workers}_workers_s": round(wall, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devices", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--replications", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated subset of " + ",".join(PEERS)
                    + " (and dfu_sched+records: with the per-device table that --records writes)")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--peer", help=argparse.SUPPRESS)  # internal: run one peer in this process
    args = ap.parse_args()
    if args.peer:
        peer_main(args.peer, args.devices, args.seed)
        return

    from dfu_sched.validation.theory import mmc_wq

    figures: dict = {"devices": args.devices, "erlang_c_mean_wait_h": round(mmc_wq(LAM, 1.0, SERVERS), 4),
                     "load_average_before": [round(x, 2) for x in os.getloadavg()], "peers": {}}
    for name in args.peers.split(","):
        figures["peers"][name] = run_peer(name, args.devices, args.seed)
    peers = figures["peers"]
    peers_only = {k: v for k, v in peers.items() if k in PEERS}
    mine = peers.get("dfu_sched", {}).get("devices_per_s")
    mine_cpu = peers.get("dfu_sched", {}).get("devices_per_cpu_s")
    figures["ratios"] = {f"dfu_sched/{k}": {"wall": round(mine / v["devices_per_s"], 2),
                                            "cpu": round(mine_cpu / v["devices_per_cpu_s"], 2)}
                         for k, v in peers_only.items() if k != "dfu_sched" and mine and "devices_per_s" in v}
    if not args.skip_baseline:
        figures["baseline"] = baseline(args.replications, args.workers)
    figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"M/M/{SERVERS} at utilisation {RHO}, {args.devices:,} devices; Erlang C mean wait "
          f"{figures['erlang_c_mean_wait_h']} h; load average {figures['load_average_before']}")
    print(f"{'peer':17s} {'devices/s':>10s} {'per CPU s':>10s} {'seconds':>8s} {'peak MB':>8s} {'import MB':>9s} "
          f"{'B/device':>8s} {'mean wait h':>11s}")
    for name, p in peers.items():
        if "error" in p:
            print(f"{name:17s} {p['error']}")
            continue
        print(f"{name:17s} {p['devices_per_s']:>10,} {p['devices_per_cpu_s']:>10,} {p['seconds']:>8.2f} "
              f"{p['peak_mb']:>8.1f} {p['import_mb']:>9.1f} {p['bytes_per_device']:>8.1f} {p['mean_wait_h']:>11.4f}")
    for k, v in figures["ratios"].items():
        print(f"{k:20s} {v['wall']}x devices/s ({v['cpu']}x per CPU second)")
    for k, v in figures.get("baseline", {}).items():
        print(f"{k:36s} {v}")


if __name__ == "__main__":
    main()
