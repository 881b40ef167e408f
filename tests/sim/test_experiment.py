"""The one replication runner: results in replication order whatever the executor or worker count."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest

from dfu_sched.sim.experiment import ProcessExecutor, SerialExecutor, replication_seed, run_experiment, run_replications
from tests.helpers import small


class ReverseExecutor:
    """A fake executor that completes the jobs last first (as a busy cluster might)."""

    workers = 3

    def __init__(self) -> None:
        self.seen: list[int] = []

    def map_unordered(self, fn, context: Any, jobs: Sequence) -> Iterator[tuple[int, Any]]:
        for i in reversed(range(len(jobs))):
            self.seen.append(i)
            task, rep = jobs[i]
            yield i, fn(context, task, rep)


class LosingExecutor(SerialExecutor):
    """A broken executor that drops the last job."""

    def map_unordered(self, fn, context, jobs):
        yield from list(super().map_unordered(fn, context, jobs))[:-1]


def _seed_of(context: int, task, rep: int) -> tuple:
    return task, rep, int(replication_seed(context, rep).generate_state(1)[0])


@pytest.fixture(scope="module")
def scenario():
    return small(horizon_weeks=8)


def _same(a, b) -> None:
    assert a.scalars.keys() == b.scalars.keys() and a.weekly.keys() == b.weekly.keys()
    for k in a.scalars:
        np.testing.assert_array_equal(a.scalars[k], b.scalars[k], err_msg=k)
    for k in a.weekly:
        np.testing.assert_array_equal(a.weekly[k], b.weekly[k], err_msg=k)
    assert a.events == b.events


def test_one_and_two_workers_and_a_reverse_executor_give_the_same_numbers(scenario):
    one = run_experiment(scenario, 4, seed=5, workers=1)
    two = run_experiment(scenario, 4, seed=5, workers=2)
    rev = ReverseExecutor()
    backwards = run_experiment(scenario, 4, seed=5, executor=rev)
    assert rev.seen == [3, 2, 1, 0]  # it really did complete them in reverse
    _same(one, two)
    _same(one, backwards)
    assert (one.workers, two.workers) == (1, 2)
    assert len(set(one.scalars["overall.exposure"])) > 1  # the replications differ from one another


def test_run_replications_keeps_job_order_on_every_executor():
    jobs = [("a", 0), ("b", 1), ("a", 2), ("c", 3), ("b", 4)]
    serial = run_replications(_seed_of, 9, jobs)
    assert [r[:2] for r in serial] == jobs
    for ex in (ReverseExecutor(), ProcessExecutor(2)):
        ticks: list[int] = []
        assert run_replications(_seed_of, 9, jobs, ex, ticks.append) == serial
        assert ticks == [1] * len(jobs)


def test_an_executor_that_loses_a_job_is_an_error():
    with pytest.raises(RuntimeError, match="4 of 5"):
        run_replications(_seed_of, 9, [(None, r) for r in range(5)], LosingExecutor())
