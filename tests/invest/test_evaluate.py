"""Evaluating mixes: the same numbers whatever executor runs the replications; a zero mix is the core run."""
from __future__ import annotations

import numpy as np

from dfu_sched.invest.evaluate import Evaluator, prepare
from dfu_sched.sim.experiment import run_experiment
from tests.helpers import small
from tests.sim.test_experiment import ReverseExecutor


def test_evaluator_numbers_do_not_depend_on_the_executor():
    sc = small(keep=("outsource_phones", "overtime"), horizon_weeks=10)
    mixes = [{}, {"outsource_phones": 1}, {"overtime": 2}]
    runs = {}
    for name, ev in {"serial": Evaluator(sc, 4, workers=1), "processes": Evaluator(sc, 4, workers=2),
                     "reverse": Evaluator(sc, 4, executor=ReverseExecutor())}.items():
        keys = [ev.add(m, "test").key for m in mixes]
        ev.ensure(keys[:1], 2)
        ev.ensure(keys, 3)  # tops up the first mix, runs the others
        assert ev.replications_run == 9
        runs[name] = {k: [ev.values(k, "overall.exposure"), ev.values(k, "invest.outsourced_devices")] for k in keys}
    for name in ("processes", "reverse"):
        for k, vals in runs["serial"].items():
            for a, b in zip(vals, runs[name][k]):
                np.testing.assert_array_equal(a, b, err_msg=f"{name} {k}")
    out = runs["serial"]
    assert out[prepare(sc, mixes[1]).key][1].min() > 0 and out[prepare(sc, {}).key][1].max() == 0


def test_zero_mix_through_the_evaluator_is_run_experiment():
    sc = small(horizon_weeks=10)
    ev = Evaluator(sc, 8, workers=1)
    zero = ev.add({}, "baseline").key
    ev.ensure([zero], 3)
    ref = run_experiment(sc, 3, 8, workers=1)
    for k in ("overall.exposure", "overall.waiting_at_end", "VH.wait_to_start_days.p90"):
        np.testing.assert_array_equal(ev.values(zero, k), ref.scalars[k], err_msg=k)


def test_meanwhile_runs_once_after_the_first_replication_and_changes_no_number():
    sc = small(keep=("overtime",), horizon_weeks=4)
    plain, hooked = Evaluator(sc, 5, workers=1), Evaluator(sc, 5, workers=1)
    calls: list[int] = []
    for ev, meanwhile in ((plain, None), (hooked, lambda: calls.append(hooked.replications_run))):
        keys = [ev.add(m, "test").key for m in ({}, {"overtime": 1})]
        ev.ensure(keys, 2, meanwhile=meanwhile)
    assert calls == [0]  # once, inside the batch (the count is updated when the batch is in)
    for k in plain.preps:
        np.testing.assert_array_equal(plain.values(k, "overall.exposure"), hooked.values(k, "overall.exposure"))
    hooked.ensure(list(hooked.preps), 2, meanwhile=lambda: calls.append(-1))  # nothing to run: it still runs
    assert calls == [0, -1]
