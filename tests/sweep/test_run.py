"""Running a sweep: the backlog falls as examiners are added, common random numbers, any worker count."""
from __future__ import annotations

import numpy as np
import pytest

from dfu_sched.errors import InputError
from dfu_sched.scenario.levers import mix_cost
from dfu_sched.sim.experiment import ProcessExecutor, SerialExecutor, run_experiment
from dfu_sched.sweep import run as sweep_run
from dfu_sched.sweep.grid import build_grid
from dfu_sched.sweep.run import run_sweep
from dfu_sched.sweep.study import plan_sweep, run_planned, sweep
from tests.helpers import small
from tests.sweep.builders import unit

END = "overall.waiting_at_end"


def test_the_backlog_falls_with_each_examiner_by_about_what_one_examines():
    """110 devices in 8 weeks, one examiner examines 37.5 h x 8 / 10 h = 30 of them (and has one in hand at
    the end): waiting at the end is about 110 - 31k. Two-sided: the mean within 12 devices of that (3
    standard errors of 6 replications' Poisson arrivals), each paired step within 3 of -30."""
    out = sweep(unit(), ["examiners.ann.count=1..3"], replications=6, measures=[END], workers=1)
    means = [p["measures"][END]["estimate"] for p in out["points"]]
    assert means[0] > means[1] > means[2]
    for k, m in zip((1, 2, 3), means):
        assert abs(m - (110 - 31 * k)) <= 12, (k, m)
    for k in (1, 2):
        step = out["points"][k]["vs_baseline"][END]["estimate"] - out["points"][k - 1]["vs_baseline"][END]["estimate"]
        assert -33 <= step <= -27, (k, step)
    hi = out["points"][2]["vs_baseline"][END]["ci95"][1]
    assert hi < 0  # paired: the interval of the difference excludes zero though the points' own overlap


def test_the_same_point_twice_gives_identical_numbers_and_matches_simulate():
    """Common random numbers: replication k of every point uses replication_seed(seed, k), as simulate does."""
    sc = unit()
    plan = plan_sweep(sc, ["examiners.ann.count=2,2"], replications=3, seed=11, measures=[END, "H.exposure"])
    out = run_planned(plan, executor=SerialExecutor())
    a, b = (p["measures"] for p in out["points"])
    assert a == b
    assert out["points"][1]["vs_baseline"][END] == {"estimate": 0.0, "ci95": [0.0, 0.0], "n": 3}
    ref = run_experiment(sc.with_updates({"examiners": [{**sc.examiners[0].model_dump(), "count": 2}]}), 3, 11,
                         executor=SerialExecutor())
    assert a[END]["estimate"] == pytest.approx(float(np.mean(ref.scalars[END])), abs=0)
    assert a["H.exposure"]["estimate"] == pytest.approx(float(np.mean(ref.scalars["H.exposure"])), abs=0)


def test_one_and_two_workers_give_identical_results():
    grid = build_grid(unit(), ["examiners.ann.count=1,2", "policy.discipline=fifo,priority"])
    keep = [END, "VH.wait_to_start_days.p50"]
    one = run_sweep(grid, 2, 3, keep, executor=SerialExecutor())
    two = run_sweep(grid, 2, 3, keep, executor=ProcessExecutor(2))
    assert two.workers == 2
    for x, y in zip(one.values, two.values):
        assert x.keys() == y.keys()
        for k in x:
            np.testing.assert_array_equal(x[k], y[k])


def test_an_investment_grid_is_costed_and_applied_as_invest_applies_a_mix():
    sc = small(horizon_weeks=8, backlog_divisor=20)
    out = sweep(sc, ["investment.mix.overtime=0,2"], replications=2, measures=[END], workers=1,
                target=f"{END}<=10000")
    cheap, dear = out["points"]
    assert out["cost_basis"] == "investment"
    assert cheap["cost_gbp"] == 0 and dear["cost_gbp"] == pytest.approx(mix_cost(sc, {"overtime": 2}))
    assert dear["mix"] == {"overtime": 2} and cheap["mix"] == {}
    assert dear["measures"][END]["estimate"] < cheap["measures"][END]["estimate"]  # more hours, fewer waiting
    assert out["cheapest"] == 0  # both meet a target of 10,000: the cheaper one


def test_a_sweep_too_big_is_refused_in_one_line(monkeypatch):
    grid = build_grid(unit(), ["examiners.ann.count=1..4"])
    monkeypatch.setattr(sweep_run, "MAX_JOBS", 10)
    with pytest.raises(InputError, match=r"too big to sweep: 4 points x 3 replications = 12 replications"):
        run_sweep(grid, 3, 1, [END])
    monkeypatch.setattr(sweep_run, "MAX_JOBS", 10_000)
    monkeypatch.setattr(sweep_run, "MAX_EVENTS", 1_000)
    with pytest.raises(InputError, match=r"too big to sweep: about [0-9,]+ simulation events .*use fewer --grid"):
        plan_sweep(unit(), ["examiners.ann.count=1..4"], replications=3)
