"""Worlds and the (world, mix, replication) runner: reproducible, paired, independent of workers."""
from __future__ import annotations

import numpy as np
import pytest

from dfu_sched.errors import InputError
from dfu_sched.scenario.schema import load_scenario
from dfu_sched.uncertainty.runner import BASE, run_tasks
from dfu_sched.uncertainty.worlds import require_estimates, sample_worlds, world_scenario, world_seed

SC = "scenarios/north_yorkshire_400k.yaml"


@pytest.fixture(scope="module")
def short():
    return load_scenario(SC).with_updates({"calendar": {"horizon_weeks": 12}})


def test_worlds_are_a_latin_hypercube_and_reproducible(short):
    ests = require_estimates(short, "this test")
    w = sample_worlds(ests, 20, seed=7)
    assert w.values.shape == (20, len(ests))
    assert np.array_equal(w.values, sample_worlds(ests, 20, seed=7).values)
    assert not np.array_equal(w.values, sample_worlds(ests, 20, seed=8).values)
    for j, e in enumerate(ests):
        lo, hi = e.support
        assert lo <= w.values[:, j].min() and w.values[:, j].max() <= hi
    # each of 20 equal-probability slices of a uniform-like input is used once: the spread is wide
    j = [e.key for e in ests].index("arrivals.cases_per_week")
    assert w.values[:, j].max() - w.values[:, j].min() > 0.6 * (9.0 - 6.0)


def test_a_world_scenario_sets_its_inputs(short):
    ests = short.estimates
    vals = [e.swing[1] for e in ests]
    sc = world_scenario(short, ests, vals)
    assert sc.arrivals.cases_per_week == 9.0 and not sc.estimates


def test_no_estimates_is_one_clear_line():
    sc = load_scenario("scenarios/north_yorkshire_2022.yaml")
    with pytest.raises(InputError, match="needs ranged inputs"):
        require_estimates(sc, "sensitivity")


def test_runner_same_on_one_and_two_workers_and_paired(short):
    ests = short.estimates
    w = sample_worlds(ests, 2, seed=3)
    tasks = [(BASE, ()), (0, ()), (1, ())]
    keep = ["invest.backlog_at_12m", "overall.wait_to_start_days.mean"]
    a = run_tasks(short, ests, w.values, tasks, 2, seed=5, streams="per_world", keep=keep, workers=1)
    b = run_tasks(short, ests, w.values, tasks, 2, seed=5, streams="per_world", keep=keep, workers=2)
    for t in tasks:
        for k in keep:
            assert np.array_equal(a.values[t][k], b.values[t][k], equal_nan=True)
    assert world_seed(5, 0) != world_seed(5, 1)
    # the base world under common streams is the scenario's own replication: same as world values = centre
    centre = np.array([[e.value for e in ests]])
    c = run_tasks(short, ests, centre, [(BASE, ()), (0, ())], 2, seed=5, streams="common", keep=keep, workers=1)
    assert np.array_equal(c.values[(BASE, ())][keep[1]], c.values[(0, ())][keep[1]])
