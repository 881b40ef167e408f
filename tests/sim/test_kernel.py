"""``sim/kernel.py``: a job's end event, against SimPy's own ``Timeout``.

The model's runs are compared with the reference model in ``test_lean_core.py`` (which used a
``simpy.Event`` subclass for a job's end); here ``JobEvent`` is held to SimPy on its own: SimPy's
loop processes it at its exact time, in its turn among ordinary events, and counts it.
"""
from __future__ import annotations

import random

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from dfu_sched.sim.kernel import JobEvent, at
from dfu_sched.sim.model import CountingEnvironment


def _world(env: simpy.Environment, seed: int, log: list, job_end) -> None:
    """Processes that wait, wake each other and schedule job ends (``job_end(env, time, cb)``),
    with ties at the same instants (delays in halves, exact in floats) so the order of equal
    times matters."""
    rng = random.Random(seed)
    gate = [env.event()]

    def worker(name: int):
        for step in range(rng.randint(1, 6)):
            yield env.timeout(rng.choice([0, 1, 1, 2, 3.5]))
            log.append((env.now, "w", name, step))
            if rng.random() < 0.4:
                job_end(env, env.now + rng.choice([0.0, 1.0, 2.5]), lambda e, n=name: log.append((env.now, "end", n)))
            if rng.random() < 0.2 and not gate[0].triggered:
                gate[0].succeed(name)
                gate[0] = env.event()

    def waiter():
        while True:
            got = yield gate[0]
            log.append((env.now, "gate", got))

    env.process(waiter())
    for name in range(rng.randint(1, 8)):
        env.process(worker(name))


def _timeout_at(env: simpy.Environment, time: float, callback) -> simpy.Event:
    """What a job's end was before ``at``: a SimPy timeout with the callback."""
    t = env.timeout(time - env.now)
    t.callbacks.append(callback)
    return t


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 10_000), until=st.sampled_from([1.0, 2.0, 3.5, 7.0, 40.0]))
def test_a_job_event_runs_where_a_timeout_would(seed, until):
    """SimPy's loop processes a ``JobEvent`` at its time and in its turn (numbered as it is
    scheduled, like every SimPy event), and the environment counts it."""
    ours, theirs = [], []
    env_a, env_b = CountingEnvironment(), CountingEnvironment()
    _world(env_a, seed, ours, at)
    _world(env_b, seed, theirs, _timeout_at)
    env_a.run(until=until)
    env_b.run(until=until)
    assert ours == theirs and env_a.scheduled == env_b.scheduled


def test_a_job_event_is_triggered_with_its_one_callback_and_counted():
    env = CountingEnvironment()
    before = env.scheduled
    seen = []
    ev = at(env, 2.0, seen.append)
    assert isinstance(ev, JobEvent) and ev._ok and ev._value is None and len(ev.callbacks) == 1
    assert env.scheduled == before + 1 and env.peek() == 2.0
    env.run(until=3.0)
    assert seen == [ev] and ev.callbacks is None
