"""Replicated experiments: independent streams, one replication runner, intervals, CRN comparisons.

Replication r of seed s always uses ``replication_seed(s, r)`` = ``SeedSequence(s, spawn_key=(r,))``,
whichever worker runs it, and results are gathered by job index, so the numbers are identical for
any ``workers``. ``run_replications`` is the one place that fans replications out: scenario runs
(``run_experiment``) and the investment search (``invest.evaluate.Evaluator``) both hand it a list
of (task, replication) jobs and an ``Executor`` (``SerialExecutor``, ``ProcessExecutor`` here; the
Dask one in ``sim.dask_executor``, behind the same seam, touches neither caller). Two scenarios
run with the same seed see the same devices (see ``workload``), so their replication-by-replication
differences are paired (common random numbers).

Worker processes die with the process that started them (``worker_pool``): a killed command must
not leave workers running on, holding a copy of the queue's data.
"""
from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from dfu_sched.calendar import STAGES
from dfu_sched.errors import InputError
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.disciplines import DISCIPLINES
from dfu_sched.sim.measures import measure
from dfu_sched.sim.model import simulate_once, without_gc
from dfu_sched.sim.result import ExperimentResult
from dfu_sched.sim.workload import expected_devices
from dfu_sched.stats import paired_difference

# ---- size guard --------------------------------------------------------------------------------

#: Memory one replication holds per device (workload, records, SimPy processes): ~630 bytes
#: measured with a 400,000-device backlog (``tests/cli/test_bad_input.py`` pins the estimate).
BYTES_PER_DEVICE = 700
#: SimPy events per device (arrival, queue, start, end, per stage) and per rostered shift;
#: the baseline makes 18,257 events for 3,537 devices and 4,160 shifts, well under this estimate.
EVENTS_PER_DEVICE = 6
EVENTS_PER_SHIFT = 3
#: A replication's fixed cost (workload, model set-up, measures) in events: ~15 ms for a tiny scenario.
EVENTS_PER_REPLICATION = 3_000
#: Refuse a replication above this memory: each worker process holds one at a time.
MAX_BYTES_PER_REPLICATION = 1.5e9
#: Most examiners and stations in one scenario: a dispatch may look at every idle one, so time per
#: event grows with their number (2,000 idle examiners: 40 s for a year with no devices at all).
MAX_SERVERS = 1_000
#: Refuse a run above this many SimPy events in all (~10 minutes at the baseline's ~230,000/s on 2 cores).
MAX_EVENTS = 150_000_000


@dataclass(frozen=True)
class SizeEstimate:
    """What a run will cost, estimated from the scenario alone (deterministic: no timing)."""

    devices: float          # per replication
    shifts: float           # rostered shifts of every examiner and station, per replication
    replications: int
    servers: int = 0        # examiners and stations

    @property
    def bytes_per_replication(self) -> float:
        return self.devices * BYTES_PER_DEVICE

    @property
    def events_per_replication(self) -> float:
        return self.devices * EVENTS_PER_DEVICE + self.shifts * EVENTS_PER_SHIFT + EVENTS_PER_REPLICATION

    @property
    def events(self) -> float:
        return self.events_per_replication * self.replications


def _shifts_per_week(continuous: bool, days: Sequence[str]) -> int:
    return 1 if continuous else len(set(days))


def estimate_size(sc: Scenario, replications: int) -> SizeEstimate:
    """Devices and rostered shifts per replication, for ``check_size``."""
    weeks = sc.calendar.horizon_weeks
    per_week, servers = 0, 0
    for g in sc.examiners:
        per_week += g.count * _shifts_per_week(g.continuous, g.days)
        servers += g.count
    for name in sc.enabled_stages:
        stage = getattr(sc.stages, name, None)
        if stage is not None and name != "examination":
            per_week += stage.servers * _shifts_per_week(stage.roster.continuous, stage.roster.days)
            servers += stage.servers
    return SizeEstimate(expected_devices(sc), float(per_week * weeks), replications, servers)


def check_size(sc: Scenario, replications: int) -> SizeEstimate:
    """Refuse, in one line with the estimate and a way round, a run that would exhaust memory or time.

    Without this a 10-million-device backlog ran for a minute into a MemoryError and 20,000
    examiners ran for minutes; the limits are counts, so the answer is the same on any machine.
    """
    est = estimate_size(sc, replications)
    if est.servers > MAX_SERVERS:
        raise InputError(
            f"too big to simulate: {est.servers:,} examiners and stations (the most is {MAX_SERVERS:,}); "
            "simulate a scaled-down unit (e.g. a tenth of the staff, demand and backlog)")
    if est.bytes_per_replication > MAX_BYTES_PER_REPLICATION:
        raise InputError(
            f"too big to simulate: about {est.devices:,.0f} devices a replication need about "
            f"{est.bytes_per_replication / 1e9:.1f} GB each (the most is {MAX_BYTES_PER_REPLICATION / 1e9:.1f} GB, "
            f"about {MAX_BYTES_PER_REPLICATION / BYTES_PER_DEVICE:,.0f} devices); shorten calendar.horizon_weeks "
            "or simulate a scaled-down unit (e.g. a tenth of the backlog, demand and staff)")
    if est.events > MAX_EVENTS:
        fits = int(MAX_EVENTS // max(est.events_per_replication, 1.0))
        way = (f"use -n {fits} or fewer replications" if fits >= 2 else
               "shorten calendar.horizon_weeks or simulate a scaled-down unit (fewer examiners and devices)")
        raise InputError(
            f"too big to simulate: about {est.events:,.0f} simulation events ({est.devices:,.0f} devices and "
            f"{est.shifts:,.0f} rostered shifts a replication x {replications} replications; the most is "
            f"{MAX_EVENTS:,}); {way}")
    return est


# ---- running: one runner, an executor seam ------------------------------------------------------

#: A replication job: (task, replication). The task says what to run (``None`` for a scenario's own
#: replications, a mix key for the investment search); the replication picks the random stream.
Job = tuple[Hashable, int]
#: What a job runs: ``fn(context, task, rep)``, a module-level function (it travels to worker processes).
ReplicationFn = Callable[[Any, Hashable, int], Any]


class Executor(Protocol):
    """Where replication jobs run. ``map_unordered`` yields ``(job index, result)`` in any order;
    ``run_replications`` puts them back in job order, so no executor can change a number."""

    workers: int

    def map_unordered(self, fn: ReplicationFn, context: Any, jobs: Sequence[Job]) -> Iterator[tuple[int, Any]]: ...


class SerialExecutor:
    """Every job in this process, in order."""

    workers = 1

    def map_unordered(self, fn: ReplicationFn, context: Any, jobs: Sequence[Job]) -> Iterator[tuple[int, Any]]:
        for i, (task, rep) in enumerate(jobs):
            yield i, fn(context, task, rep)


_WORKER: tuple[ReplicationFn, Any] | None = None  # (fn, context) of this worker process


def _init_worker(fn: ReplicationFn, context: Any) -> None:
    global _WORKER
    _WORKER = (fn, context)


def _run_job(i: int, task: Hashable, rep: int) -> tuple[int, Any]:
    assert _WORKER is not None, "worker not initialised"
    fn, context = _WORKER
    return i, fn(context, task, rep)


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux prctl); exit at once if
    the parent is already gone (it died before this ran). A no-op where prctl is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent_pid:
        os._exit(1)


def _init_pool_worker(parent_pid: int, initializer: Callable, initargs: tuple) -> None:
    die_with_parent(parent_pid)
    initializer(*initargs)


def worker_pool(workers: int, initializer: Callable, initargs: tuple = ()) -> ProcessPoolExecutor:
    """A process pool whose workers die with this process (even on SIGKILL), forked where possible.

    Processes are forked by the thread that creates the pool's first task, which is the caller's:
    the kernel ties the death signal to that thread, so create pools from the main thread.
    """
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_pool_worker,
                               initargs=(os.getpid(), initializer, initargs))


class ProcessExecutor:
    """Local worker processes (``worker_pool``), one pool per batch of jobs; the context reaches each
    worker once, through the pool's initializer. A batch of one job, or one worker, runs in-process."""

    def __init__(self, workers: int | None = None):
        self.workers = default_workers() if workers is None else max(1, workers)

    def map_unordered(self, fn: ReplicationFn, context: Any, jobs: Sequence[Job]) -> Iterator[tuple[int, Any]]:
        workers = min(self.workers, len(jobs))
        if workers <= 1:
            yield from SerialExecutor().map_unordered(fn, context, jobs)
            return
        with worker_pool(workers, _init_worker, (fn, context)) as pool:
            futures = [pool.submit(_run_job, i, task, rep) for i, (task, rep) in enumerate(jobs)]
            for fut in as_completed(futures):
                yield fut.result()


class ReusablePool:
    """Local worker processes kept while the job function and context stay the same object.

    ``ProcessExecutor`` forks a pool per batch (its context reaches the workers once, through the
    initializer); a search runs a batch per phase and round, and each fork of a parent holding
    SimPy, OR-Tools and pandas costs time on both cores. This executor keeps its pool while
    ``map_unordered`` is called with the same ``fn`` and ``context`` (identity) and forks a new
    one when either changes. Results are gathered by job index as with any executor, so no
    number depends on it. ``close`` (or ``with``) ends the workers.
    """

    def __init__(self, workers: int):
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None
        self._for: tuple[int, int] | None = None
        self.pools_started = 0

    def map_unordered(self, fn: ReplicationFn, context: Any, jobs: Sequence[Job]) -> Iterator[tuple[int, Any]]:
        if self.workers <= 1 or len(jobs) <= 1:
            yield from SerialExecutor().map_unordered(fn, context, jobs)
            return
        if self._pool is None or self._for != (id(fn), id(context)):
            self.close()
            self._pool = worker_pool(self.workers, _init_worker, (fn, context))
            self._for = (id(fn), id(context))
            self.pools_started += 1
        futures = [self._pool.submit(_run_job, i, task, rep) for i, (task, rep) in enumerate(jobs)]
        try:
            for fut in as_completed(futures):
                yield fut.result()
        except BaseException:
            for f in futures:
                f.cancel()
            self.close()
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool, self._for = None, None

    def __enter__(self) -> ReusablePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_executor(workers: int | None = None) -> Executor:
    """The default executor for ``workers`` processes (all cores when None)."""
    workers = default_workers() if workers is None else max(1, workers)
    return SerialExecutor() if workers == 1 else ProcessExecutor(workers)


def run_replications(fn: ReplicationFn, context: Any, jobs: Sequence[Job], executor: Executor | None = None,
                     progress: Callable[[int], None] | None = None) -> list:
    """Run every job through ``executor`` (serial when None); the results in job order, whatever
    order the executor completes them in. ``progress(1)`` after each job."""
    executor = SerialExecutor() if executor is None else executor
    results: list = [None] * len(jobs)
    done = [False] * len(jobs)
    for i, res in executor.map_unordered(fn, context, jobs):
        results[i], done[i] = res, True
        if progress:
            progress(1)
    if not all(done):
        raise RuntimeError(f"executor returned {sum(done)} of {len(jobs)} replications")
    return results


def replication_seed(seed: int, rep: int) -> np.random.SeedSequence:
    """The stream of replication ``rep``: independent of worker count and of other replications."""
    return np.random.SeedSequence(seed, spawn_key=(rep,))


def run_replication(sc: Scenario, seed: int, rep: int, keep_records: bool = False):
    """One replication's measures (and optionally its per-device records)."""
    with without_gc():  # the measures too: see ``model.without_gc``
        out, wl = simulate_once(sc, replication_seed(seed, rep))
        m = measure(sc, wl, out)
        records = device_table(sc, wl, out) if keep_records else None
    return rep, m.scalars, m.weekly, out.events, records


def scenario_replication(context: tuple[Scenario, int, bool], task: Hashable, rep: int):
    """A scenario's replication ``rep`` as a job: context ``(scenario, seed, keep_records)``; records
    of replication 0 only."""
    sc, seed, keep_records = context
    return run_replication(sc, seed, rep, keep_records and rep == 0)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def run_experiment(sc: Scenario, replications: int | None = None, seed: int | None = None,
                   workers: int | None = None, keep_records: bool = False,
                   progress: Callable[[int], None] | None = None, source: str | None = None,
                   executor: Executor | None = None) -> ExperimentResult:
    """Run replications of a scenario through ``executor`` (default: ``workers`` local processes)
    and gather them in replication order."""
    n = replications if replications is not None else sc.run.replications
    seed = sc.run.seed if seed is None else seed
    check_size(sc, n)  # refuse before starting, never die deep inside
    if executor is None:
        workers = default_workers() if workers is None else max(1, workers)
        workers = min(workers, n)
        if DISCIPLINES[sc.policy.discipline].cpu_bound_planner:
            workers = min(workers, default_workers())  # CP-SAT/LP threads are single here
        executor = make_executor(workers)
    t0 = time.perf_counter()
    jobs: list[Job] = [(None, rep) for rep in range(n)]
    results = run_replications(scenario_replication, (sc, seed, keep_records), jobs, executor, progress)
    return gather_result(sc, seed, results, time.perf_counter() - t0, executor.workers, source)


def gather_result(sc: Scenario, seed: int, results: list, seconds: float, workers: int,
                  source: str | None = None) -> ExperimentResult:
    """An ``ExperimentResult`` from ``run_replication`` tuples of replications 0..n-1, in order (the
    one place that stacks them: ``run_experiment`` and ``sim.precision`` both call it)."""
    n = len(results)
    scalars = {k: np.array([r[1][k] for r in results]) for k in results[0][1]}
    weekly = {k: np.vstack([r[2][k] for r in results]) for k in results[0][2]}
    return ExperimentResult(sc, seed, n, scalars, weekly, results[0][4], seconds,
                            sum(r[3] for r in results), min(workers, n), source)


def compare(results: list[ExperimentResult], keys: list[str] | None = None) -> dict:
    """Paired differences of each scenario against the first (requires the same seed and n)."""
    base = results[0]
    keys = keys or [k for k in base.scalars if k.startswith("overall.") or ".wait_to_start_days." in k]
    out = {}
    for other in results[1:]:
        if other.seed != base.seed or other.replications != base.replications:
            raise ValueError("paired comparison needs the same seed and number of replications")
        out[other.scenario.name] = {
            k: paired_difference(base.scalars[k], other.scalars[k]).as_dict()
            for k in keys if k in other.scalars
        }
    return out


# ---- per-device records ------------------------------------------------------------------------

def device_table(sc: Scenario, wl, out) -> dict[str, np.ndarray]:
    """Columns of the per-device CSV: times in days from the calendar start (NaN = not reached)."""
    rec = out.records
    tiers, types = np.array(sc.tier_names), np.array(list(sc.device_types))
    names = np.array([s.name for s in out.servers] + [""])
    cols: dict[str, np.ndarray] = {
        "device": np.arange(wl.n),
        "case": wl.case,
        "tier": tiers[wl.tier],
        "device_type": types[wl.dtype],
        "in_initial_backlog": wl.backlog,
        "expedite": wl.expedite,
        "submitted_day": np.round(wl.submit / 24.0, 4),
    }
    for k, s in enumerate(STAGES):
        if s not in sc.enabled_stages:
            continue
        cols[f"{s}_queued_day"] = np.round(rec.qenter[:, k] / 24.0, 4)
        cols[f"{s}_start_day"] = np.round(rec.start[:, k] / 24.0, 4)
        cols[f"{s}_end_day"] = np.round(rec.end[:, k] / 24.0, 4)
        cols[f"{s}_server"] = names[rec.server[:, k]]
        cols[f"{s}_hours"] = np.round(wl.hours[:, k], 3)
    cols["screened_out"] = rec.screened
    cols["done_day"] = np.round(rec.done / 24.0, 4)
    cols["wait_to_start_days"] = np.round((rec.start[:, STAGES.index("examination")] - wl.submit) / 24.0, 4)
    return cols
