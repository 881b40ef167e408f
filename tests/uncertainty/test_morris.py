"""Morris screening: SALib's design mapped through each estimate's law, deterministic for a seed, an input
with no effect screened out, and --method auto screening only when there are many ranged inputs."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dfu_sched.uncertainty.morris import Morris, Screen, morris_design, run_morris
from dfu_sched.uncertainty.sensitivity import MORRIS_ABOVE, choose_method, plan_sensitivity
from tests.uncertainty.builders import CASES, KIOSK, RAMP, kiosk_unit


@pytest.fixture(scope="module")
def short():
    return kiosk_unit()


def pick(sc, *keys):
    by = {e.key: e for e in sc.estimates}
    return tuple(by[k] for k in keys)


def test_the_design_is_salibs_trajectories_through_each_law(short):
    ests = pick(short, CASES, KIOSK, RAMP)
    unit, values = morris_design(ests, trajectories=4, levels=4, seed=9)
    assert unit.shape == values.shape == (4 * (len(ests) + 1), len(ests))
    # one input moves per step of a trajectory
    for t in range(4):
        steps = np.diff(unit[t * 4:(t + 1) * 4], axis=0)
        assert ((np.abs(steps) > 1e-12).sum(axis=1) == 1).all()
    for j, e in enumerate(ests):
        lo, hi = e.support
        assert lo <= values[:, j].min() and values[:, j].max() <= hi
        assert np.allclose(values[:, j], e.ppf(unit[:, j]))
    again = morris_design(ests, trajectories=4, levels=4, seed=9)
    assert np.array_equal(unit, again[0]) and np.array_equal(values, again[1])


def test_screening_ranks_a_strong_input_first_and_screens_out_one_with_no_effect(short):
    ests = pick(short, CASES, RAMP, KIOSK)
    kw = {"trajectories": 2, "mix_key": (), "workers": 1}  # no mix: neither the hire nor the kiosk acts
    m = run_morris(short, ests, ["invest.backlog_at_12m"], 1, seed=4, **kw)
    rows = {s.key: s for s in m.screens["invest.backlog_at_12m"]}
    for idle in (RAMP, KIOSK):  # not in the mix: exactly nothing (common random numbers)
        assert rows[idle].mu_star == 0.0 and rows[idle].sigma == 0.0
    assert rows[CASES].mu_star > 0 and m.screens["invest.backlog_at_12m"][0].key == CASES
    assert m.top(1) == [CASES]
    again = run_morris(short, ests, ["invest.backlog_at_12m"], 1, seed=4, **kw)
    assert again.screens == m.screens


def test_top_scales_each_measure_by_its_largest_mu_star(short):
    ests = pick(short, CASES, RAMP, KIOSK)
    screens = {"a": [Screen(CASES, 100.0, 100.0, 1.0, 1.0), Screen(KIOSK, 1.0, 1.0, 0, 0), Screen(RAMP, 0, 0, 0, 0)],
               "b": [Screen(KIOSK, 0.5, 0.5, 0, 0), Screen(CASES, 0.1, 0.1, 0, 0), Screen(RAMP, 0, 0, 0, 0)]}
    m = Morris(ests, ("a", "b"), screens, 3, 4, 1, 0, 0)
    assert m.top(2) == [CASES, KIOSK] and m.top(3)[-1] == RAMP


def test_auto_screens_only_above_the_threshold(short):
    assert choose_method(None, MORRIS_ABOVE) == ("auto", False)
    assert choose_method("auto", MORRIS_ABOVE + 1) == ("auto", True)
    assert choose_method("OAT ", 40) == ("oat", False)
    assert choose_method("morris", 2) == ("morris", True)
    many = tuple(dataclasses.replace(short.estimates[0], key=f"k{i}") for i in range(MORRIS_ABOVE + 3))
    plan = dataclasses.replace(plan_sensitivity(short, ["invest.backlog_at_12m"], 2, mix="none"), estimates=many,
                               screen=True)
    assert plan.shown == MORRIS_ABOVE
    assert plan.jobs == 10 * (len(many) + 1) * 4 + (1 + 2 * MORRIS_ABOVE) * 2


def test_a_screened_run_keeps_the_top_inputs_for_the_tornado(short):
    from dfu_sched.uncertainty.sensitivity import run_planned, sensitivity_json

    plan = dataclasses.replace(plan_sensitivity(short, ["invest.backlog_at_12m"], 1, seed=2, mix="none",
                                                method="morris"), trajectories=2, screen_replications=1)
    assert plan.screen and plan.jobs == 2 * 4 * 1 + 7 * 1
    out = sensitivity_json(run_planned(plan, workers=1))
    assert out["method"] == "morris+oat" and out["method_asked"] == "morris"
    s = out["screening"]
    assert s["points"] == 8 and s["kept"] == [e.key for e in short.estimates]  # 3 inputs: all kept
    assert s["measures"]["invest.backlog_at_12m"][0]["key"] == CASES
    assert out["run"]["replications_simulated"] == plan.jobs
