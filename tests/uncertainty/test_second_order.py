"""Second-order Monte Carlo: reproducible on any workers, wider with ranges that matter, ~0 without.

Short horizons (4 to 6 weeks of the £400K unit), a handful of worlds and replications: each test runs
in a second or two. The statistical checks use fixed seeds and state their tolerances; each has a
positive and a negative side (a range that matters, a range that cannot).
"""
from __future__ import annotations

import json

import pytest
import yaml

from dfu_sched.errors import InputError
from dfu_sched.scenario.schema import load_scenario, parse_scenario
from dfu_sched.sim.experiment import run_experiment
from dfu_sched.uncertainty.second_order import (
    compare_input_uncertainty,
    compare_uncertainty_json,
    input_label,
    input_uncertainty,
    input_uncertainty_json,
    lower_is_better,
)

SC = "scenarios/north_yorkshire_400k.yaml"
BACKLOG = "invest.backlog_at_12m"
KIOSK = "investment.options.triage_kiosk.screen_out_share"
DEMAND = ("arrivals.cases_per_week", "device_types.phone.service_hours.examination.mean")


@pytest.fixture(scope="module")
def short():
    return load_scenario(SC).with_updates({"calendar": {"horizon_weeks": 4}})


@pytest.fixture(scope="module")
def strong():
    """Six weeks, with wide ranges on demand and phone examination hours: estimates that surely matter."""
    with open(SC, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    data["calendar"]["horizon_weeks"] = 6
    data["arrivals"]["cases_per_week"] = {"value": 7.5, "low": 3.0, "high": 15.0}
    data["device_types"]["phone"]["service_hours"]["examination"]["mean"] = {"value": 7.0, "low": 3.0, "high": 14.0}
    return parse_scenario(data, source="strong ranges")


def only(sc, keys):
    """The scenario with only these of its ranged inputs kept."""
    return sc.with_estimates(tuple(e for e in sc.estimates if e.key in keys))


def test_same_numbers_on_one_and_two_workers(short):
    sc = only(short, DEMAND)
    a = input_uncertainty(sc, worlds=2, replications=2, seed=11, workers=1)
    b = input_uncertainty(sc, worlds=2, replications=2, seed=11, workers=2)
    assert json.dumps(input_uncertainty_json(a)) == json.dumps(input_uncertainty_json(b))
    c = input_uncertainty(sc, worlds=2, replications=2, seed=12, workers=1)
    assert input_uncertainty_json(c) != input_uncertainty_json(a)  # the seed matters: not a constant
    # Dask: tests/cli/test_input_uncertainty.py::test_dask_gives_the_same_block (one cluster, end to end)


def test_the_exact_interval_is_the_usual_run(short):
    sc = only(short, DEMAND)
    res = input_uncertainty(sc, ["overall.wait_to_start_days.mean", BACKLOG], worlds=2, replications=3, seed=5,
                            workers=1)
    usual = run_experiment(sc, 3, 5, workers=1).interval("overall.wait_to_start_days.mean")
    got = res.measure("overall.wait_to_start_days.mean").exact
    assert (got.estimate, got.low, got.high) == (usual.estimate, usual.low, usual.high)
    assert res.replications_run == (2 + 1) * 3


def test_ranges_that_matter_widen_the_interval_and_take_most_of_the_spread(strong):
    res = input_uncertainty(only(strong, DEMAND), [BACKLOG], worlds=8, replications=3, seed=3, workers=1)
    m = res.measure(BACKLOG)
    lo, hi = m.spread.worlds_range95                            # the raw range over worlds, not floored
    assert hi - lo > 1.5 * (m.exact.high - m.exact.low)         # much wider than chance alone
    assert lo < m.exact.estimate < hi                           # and around the central answer
    assert 0.6 < m.spread.input_share <= 1.0                    # demand and exam hours drive the backlog
    top = m.drivers()[0]
    assert top[0] in DEMAND and top[2] == 1                     # more demand or longer exams: more backlog
    assert m.attribution["r2"] > 0.5
    wide = input_uncertainty_json(res)["measures"][BACKLOG]["with_estimates"]["interval95"]
    assert wide[0] <= m.exact.low and wide[1] >= m.exact.high   # never narrower than the usual interval


def test_a_range_with_no_effect_gets_about_no_share(strong):
    # the kiosk is not bought (no mix): its screen-out share cannot change anything
    sc = only(strong, (KIOSK,))
    res = input_uncertainty(sc, [BACKLOG], worlds=8, replications=3, seed=3, workers=1)
    m = res.measure(BACKLOG)
    assert m.spread.input_share < 0.25  # sampling noise only: (chi2_7/7 - 1) / R of the chance part
    lo, hi = m.spread.worlds_range95    # chance alone: about the usual interval's width, not wider
    assert hi - lo < 2.0 * (m.exact.high - m.exact.low)
    assert m.drivers()[0][1] < 0.5      # and the regression finds no driver (R² of noise on 8 points)


def test_bad_inputs_are_one_line(short):
    plain = load_scenario("scenarios/north_yorkshire_2022.yaml")
    with pytest.raises(InputError, match="needs ranged inputs: give an estimate a range"):
        input_uncertainty(plain, worlds=2, replications=2)
    with pytest.raises(InputError, match="at least 2 worlds"):
        input_uncertainty(short, worlds=1, replications=2)
    with pytest.raises(InputError, match="at least 2 replications"):
        input_uncertainty(short, worlds=2, replications=1)
    with pytest.raises(InputError, match="unknown measure 'nope'"):
        input_uncertainty(only(short, DEMAND), ["nope"], worlds=2, replications=2, workers=1)
    with pytest.raises(InputError, match="mix: unknown option"):
        input_uncertainty(short, worlds=2, replications=2, mix={"robots": 1})


def test_compare_is_paired_world_by_world(short):
    sc = only(short, DEMAND)
    plain = short.with_estimates(())
    res = compare_input_uncertainty([("a", sc), ("b", sc), ("c", plain)], [BACKLOG], worlds=2, replications=2,
                                    seed=9, workers=1)
    exact, spread, better = res.difference(1, BACKLOG)
    assert exact.estimate == 0 and spread.mean == 0 and better == 0.0   # the same scenario: identical worlds
    assert res.best_share(BACKLOG)[:2] == pytest.approx([0.5, 0.5], abs=0.5)
    assert sum(res.best_share(BACKLOG)) == pytest.approx(1.0)
    out = compare_uncertainty_json(res)
    assert [i["in"] for i in out["inputs"]] == [["a", "b"], ["a", "b"]]  # c has no ranged inputs: run as given
    assert out["scenarios"][2]["measures"][BACKLOG]["with_estimates"]["input_share"] < 0.5
    assert out["differences"][0]["versus"] == "a"


def test_compare_needs_a_range_somewhere(short):
    plain = short.with_estimates(())
    with pytest.raises(InputError, match="needs ranged inputs"):
        compare_input_uncertainty([("a", plain), ("b", plain)], worlds=2, replications=2)


def test_words():
    assert input_label("device_types.phone.service_hours.examination.mean") == "phone examination hours"
    assert input_label(KIOSK) == "triage kiosk screen out share"
    assert lower_is_better(BACKLOG) and not lower_is_better("VH.within_target_share")
