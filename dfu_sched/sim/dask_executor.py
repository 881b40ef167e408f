"""Replications on a Dask cluster: the ``Executor`` seam of ``sim.experiment``, and how a command picks one.

Why Dask: a national study (43 forces, thousands of mixes x replications) outgrows one machine, and
Dask is the engine such a unit's analysts are most likely to have already (``dask scheduler`` and
``dask worker`` on a few machines, or a cluster their platform team runs). Nothing about the numbers
changes: a job is still ``fn(context, task, rep)`` with replication ``rep`` drawing
``replication_seed(seed, rep)``, and ``run_replications`` puts results back in job order, so a run on
a cluster is byte-identical to the same run on this machine.

How: the context (scenario, seed, prepared mixes) is scattered once to every worker (broadcast), so
each task carries only its index, task key and replication; tasks are gathered with ``as_completed``.
Without a scheduler address a ``LocalCluster`` of worker processes on this machine is started, with
every listener on loopback and no dashboard, and closed at the end. Dask is an optional extra
(``pip install 'dfu-sched[dask]'``) and is imported only when asked for.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from typing import Any

from dfu_sched.errors import InputError
from dfu_sched.sim.experiment import Executor, Job, ReplicationFn, default_workers, make_executor

#: The kinds of executor a command offers (``--executor``).
EXECUTOR_KINDS = ("local", "dask")
#: What to do without the extra, said in one line.
NEEDS_DASK = "--executor dask needs Dask: pip install 'dfu-sched[dask]'"
#: Seconds to wait for an existing scheduler before giving up: an address that does not answer
#: fails fast rather than hanging a Monday-meeting run.
CONNECT_TIMEOUT_S = 5
#: A scheduler address as Dask writes it: protocol, host, port.
_ADDRESS = re.compile(r"^(tcp|tls)://[A-Za-z0-9._\-\[\]:]+:[0-9]{1,5}$")


def _run_batch(fn: ReplicationFn, context: Any, batch: Sequence[tuple[int, Job]]) -> list[tuple[int, Any]]:
    """On a worker: a few jobs in order (module level, so it pickles by reference)."""
    return [(i, fn(context, task, rep)) for i, (task, rep) in batch]


class DaskExecutor:
    """Jobs as tasks on a ``distributed.Client``; the context is scattered once per ``map_unordered``.

    ``batch`` jobs go in one task (1 by default: a replication takes tens of milliseconds to
    minutes, far above a task's ~1 ms overhead). ``workers`` is the cluster's worker threads when
    the executor is made, for the JSON's ``run.workers``; it changes no number.
    """

    def __init__(self, client: Any, batch: int = 1):
        self.client = client
        self.batch = max(1, int(batch))
        self.workers = max(1, sum(int(t) for t in client.nthreads().values()))

    def map_unordered(self, fn: ReplicationFn, context: Any, jobs: Sequence[Job]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed

        if not jobs:
            return
        # A key of its own (hash=False): the same context scattered again by the next call must not
        # share a key with this one, whose release may reach the scheduler after that scatter.
        shared = self.client.scatter(context, broadcast=True, hash=False)
        indexed = list(enumerate(jobs))
        batches = [indexed[k:k + self.batch] for k in range(0, len(indexed), self.batch)]
        futures = [self.client.submit(_run_batch, fn, shared, b, pure=False) for b in batches]
        try:
            for fut in as_completed(futures, loop=self.client.loop):
                yield from fut.result()
        finally:  # also when the caller stops early: nothing left running on the cluster
            self.client.cancel([f for f in futures if not f.done()] + [shared])


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise InputError(NEEDS_DASK) from None
    return distributed


def check_scheduler_address(address: str) -> str:
    """``tcp://HOST:PORT`` (or ``tls://``), else one line saying what is expected."""
    address = address.strip()
    if not _ADDRESS.match(address) or not 0 < int(address.rsplit(":", 1)[1]) < 65536:
        raise InputError(f"--scheduler: expected a Dask scheduler address such as tcp://10.0.0.5:8786 "
                         f"(got '{address}')")
    return address


def connect(address: str, timeout: float | None = None) -> Any:
    """A client of the scheduler at ``address``; one line (``InputError``) if it does not answer within
    ``timeout`` seconds (default ``CONNECT_TIMEOUT_S``)."""
    timeout = CONNECT_TIMEOUT_S if timeout is None else timeout
    distributed = _import_distributed()
    address = check_scheduler_address(address)
    try:
        client = distributed.Client(address, timeout=f"{timeout}s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--scheduler: no Dask scheduler answered at {address} within {timeout:g} s "
                         f"({type(exc).__name__}); start one with 'dask scheduler' or leave out --scheduler "
                         "for a cluster on this machine") from None
    try:
        check_workers(client, address, timeout)
    except BaseException:
        client.close()
        raise
    return client


def _worker_version() -> str:
    """On a worker: the dfu-sched version it would run the replications with."""
    from dfu_sched import __version__

    return __version__


def check_workers(client: Any, address: str, timeout: float) -> None:
    """The cluster has workers, and every one runs this dfu-sched version: a worker with another
    version (or none) could compute other numbers, or fail on the first task."""
    from dfu_sched import __version__

    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError:
        raise InputError(f"--scheduler: the Dask scheduler at {address} has no workers; start some with "
                         f"'dask worker {address}'") from None
    try:
        versions = set(client.run(_worker_version).values())
    except Exception:  # noqa: BLE001 - a worker that cannot even import dfu_sched fails here, whatever it raises
        versions = {"none"}
    if versions != {__version__}:
        raise InputError(f"--scheduler: the workers at {address} run dfu-sched {', '.join(sorted(versions))}, "
                         f"this is {__version__}; install the same version on every worker")


def local_cluster(workers: int | None = None) -> Any:
    """A ``LocalCluster`` of ``workers`` single-threaded processes (all cores by default), listening on
    loopback only, with no scheduler or worker dashboard.

    Worker processes are forked where the platform allows, as ``experiment.worker_pool`` does: a
    spawned worker re-imports SimPy, OR-Tools and SciPy (6-15 s on a busy 2-core machine), a forked
    one starts in a fraction of a second with them loaded. Dask's worker processes exit when the
    process that started them dies (its parent-alive pipe), so a killed command leaves none behind.
    """
    import multiprocessing as mp

    import dask

    distributed = _import_distributed()
    n = default_workers() if workers is None else max(1, workers)
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    with dask.config.set({"distributed.worker.multiprocessing-method": method}):
        # The scheduler serves its health routes over HTTP even without a dashboard: a free loopback
        # port, not 8787 (taken by any other cluster, and then a warning on stderr).
        return distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                        dashboard_address=None, worker_dashboard_address=None,
                                        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
                                        silence_logs=40)  # logging.ERROR: no start-up chatter on stderr


@contextlib.contextmanager
def dask_executor(scheduler: str | None = None, workers: int | None = None) -> Iterator[DaskExecutor]:
    """A ``DaskExecutor`` on the cluster at ``scheduler``, or on a ``LocalCluster`` of ``workers``
    processes that is closed on leaving (the remote cluster is left running; only the client closes)."""
    if scheduler is not None:
        if workers is not None:
            raise InputError("--workers sets processes on this machine; with --scheduler the cluster's own "
                             "workers run the replications (leave out --workers)")
        client = connect(scheduler)
        try:
            yield DaskExecutor(client)
        finally:
            client.close()
        return
    distributed = _import_distributed()
    with local_cluster(workers) as cluster, distributed.Client(cluster, set_as_default=False) as client:
        yield DaskExecutor(client)


@contextlib.contextmanager
def executor_from_options(kind: str = "local", scheduler: str | None = None, workers: int | None = None,
                          n: int | None = None) -> Iterator[Executor]:
    """The executor a command's ``--executor/--scheduler/--workers`` ask for, closed on leaving.

    ``local``: ``workers`` processes on this machine (all cores by default; at most ``n`` when the
    number of jobs is known), as ``make_executor``. ``dask``: see ``dask_executor``. Any other kind,
    ``--scheduler`` without ``--executor dask``, a missing Dask or an unreachable scheduler is an
    ``InputError`` (one line, exit 2 at the command line). The numbers never depend on the choice.
    """
    if kind not in EXECUTOR_KINDS:
        raise InputError(f"--executor: expected one of {', '.join(EXECUTOR_KINDS)} (got '{kind}')")
    if kind == "local":
        if scheduler is not None:
            raise InputError("--scheduler needs --executor dask")
        w = default_workers() if workers is None else max(1, workers)
        yield make_executor(w if n is None else max(1, min(w, n)))
        return
    with dask_executor(scheduler, workers) as ex:
        yield ex
