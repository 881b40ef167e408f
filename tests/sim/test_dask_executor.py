"""The Dask executor: the same bytes as the local run for simulate, compare and invest; one-line errors.

The cluster tests share one module-scoped ``LocalCluster`` of 2 worker processes (forked, as
``local_cluster`` starts them: ~0.5 s) and reach it through ``--scheduler``, the path to a real
cluster. They are skipped when Dask is not installed, except under CI (``CI=true``), where the
``dask`` extra is installed and they must run.
"""
from __future__ import annotations

import json
import os
import socket
import sys

import pytest
from click.testing import CliRunner

from dfu_sched.cli import main
from dfu_sched.errors import InputError
from dfu_sched.sim import dask_executor
from dfu_sched.sim.experiment import replication_seed, run_replications
from tests.helpers import raw, small, to_yaml

if os.environ.get("CI"):
    import distributed  # CI installs the dask extra: a missing Dask fails here, never skips
else:
    distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with dask_executor.local_cluster(2) as c:
        yield c


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("dask")
    base = small(horizon_weeks=3, keep=("overtime",), budget=20_000, backlog_divisor=20)
    data = raw(base)
    data["name"], data["investment"]["mix"] = "with overtime", {"overtime": 1}
    from dfu_sched.scenario.schema import Scenario

    return to_yaml(base, d / "a.yaml"), to_yaml(Scenario.model_validate(data), d / "b.yaml")


def _run(*args) -> str:
    r = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.stdout


def _untimed(text: str) -> str:
    """The JSON with its timing fields removed (the only thing allowed to differ), re-serialised."""
    def strip(v):
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if "seconds" not in k and "per_minute" not in k}
        return [strip(x) for x in v] if isinstance(v, list) else v

    return json.dumps(strip(json.loads(text)), sort_keys=True)


@pytest.mark.parametrize("command", ["simulate", "simulate -n auto", "compare", "invest"])
def test_dask_gives_the_same_json_as_local(cluster, files, command) -> None:
    args = {"simulate": ["simulate", files[0], "-n", "3"],
            "simulate -n auto": ["simulate", files[0], "-n", "auto", "--precision", "0.2"],
            "compare": ["compare", *files, "-n", "2"],
            "invest": ["invest", files[0], "--budget", "20k", "-n", "4"]}[command]
    common = [*args, "--seed", "5", "--json", "-q"]
    local = _run(*common, "--executor", "local", "--workers", "2")
    dask = _run(*common, "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert _untimed(local) == _untimed(dask)
    assert json.loads(local) != {}  # a real run, compared in full


def _seed_of(context: int, task, rep: int) -> tuple:
    return task, rep, int(replication_seed(context, rep).generate_state(1)[0])


def test_batches_and_any_completion_order_keep_job_order(cluster) -> None:
    jobs = [(t, r) for t in ("a", "b") for r in range(5)]
    expected = [_seed_of(7, t, r) for t, r in jobs]
    with distributed.Client(cluster, set_as_default=False) as client:
        for batch in (1, 3):
            ex = dask_executor.DaskExecutor(client, batch=batch)
            assert ex.workers == 2
            assert run_replications(_seed_of, 7, jobs, ex) == expected


# ---- errors: one line, exit 2, nothing written -------------------------------------------------------

def _bad(args, needle, tmp_path) -> None:
    out = tmp_path / "never"
    r = CliRunner().invoke(main, [str(a) for a in args] + ["--out", str(out), "-q"])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], r.stderr
    assert not out.exists()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_is_one_line_and_quick(files, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT_S", 0.5)
    _bad(["simulate", files[0], "-n", "2", "--executor", "dask", "--scheduler", f"tcp://127.0.0.1:{_closed_port()}"],
         "no Dask scheduler answered", tmp_path)


def test_workers_of_another_version_are_refused(cluster, files, tmp_path, monkeypatch) -> None:
    import dfu_sched

    monkeypatch.setattr(dfu_sched, "__version__", "9.9.9")  # this side; the workers still run the real one
    _bad(["simulate", files[0], "-n", "2", "--executor", "dask", "--scheduler", cluster.scheduler_address],
         "install the same version on every worker", tmp_path)


def test_a_scheduler_without_workers_is_one_line(files, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT_S", 0.5)
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as empty:
        _bad(["simulate", files[0], "-n", "2", "--executor", "dask", "--scheduler", empty.scheduler_address],
             "has no workers", tmp_path)


@pytest.mark.parametrize("extra,needle", [
    (["--executor", "dask", "--scheduler", "10.0.0.5"], "expected a Dask scheduler address"),
    (["--executor", "dask", "--scheduler", "tcp://host:99999"], "expected a Dask scheduler address"),
    (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler needs --executor dask"),
    (["--executor", "dask", "--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"], "leave out --workers"),
    (["--executor", "cloud"], "--executor"),
])
def test_bad_executor_options(files, tmp_path, extra, needle) -> None:
    _bad(["simulate", files[0], "-n", "2", *extra], needle, tmp_path)


def test_without_dask_the_message_says_how_to_install_it(files, tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    for command in (["simulate", files[0], "-n", "2"], ["compare", *files, "-n", "2"]):
        _bad([*command, "--executor", "dask"], "needs Dask: pip install 'dfu-sched[dask]'", tmp_path)
    with pytest.raises(InputError, match="needs Dask"):
        with dask_executor.executor_from_options("dask"):
            pass
