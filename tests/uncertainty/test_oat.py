"""One-at-a-time sensitivity: zero-width bars for inputs with no effect, the right direction for known ones,
the same numbers on any worker count, and the plan's one-line refusals."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dfu_sched.errors import InputError
from dfu_sched.invest.evaluate import prepare
from dfu_sched.scenario.schema import load_scenario
from dfu_sched.uncertainty.oat import oat_values, run_oat
from dfu_sched.uncertainty.sensitivity import plan_sensitivity, run_planned, sensitivity_json

SC = "scenarios/north_yorkshire_400k.yaml"
BACKLOG = "invest.backlog_at_12m"
CASES = "arrivals.cases_per_week"
KIOSK = "investment.options.triage_kiosk.screen_out_share"
RAMP = "investment.options.mobile_examiner.ramp_up_weeks"  # not in the file's mix: no effect


@pytest.fixture(scope="module")
def short():
    """The £400K unit over 20 weeks (its 12-month backlog is then the backlog at week 20)."""
    return load_scenario(SC).with_updates({"calendar": {"horizon_weeks": 20}})


def pick(sc, *keys):
    by = {e.key: e for e in sc.estimates}
    return tuple(by[k] for k in keys)


@pytest.fixture(scope="module")
def file_mix_oat(short):
    key = prepare(short, dict(short.investment.mix)).key
    return run_oat(short, pick(short, CASES, KIOSK, RAMP), [BACKLOG, "overall.exposure"], 3, seed=11, mix_key=key,
                   workers=1)


def bar(oat, measure, key):
    return next(b for b in oat.bars[measure] if b.key == key)


def test_world_rows_move_one_input_at_a_time(short):
    ests = pick(short, CASES, KIOSK)
    v = oat_values(ests)
    assert v.shape == (4, 2)
    assert v[:, 0].tolist() == [6.0, 9.0, 7.5, 7.5] and v[:, 1].tolist() == [0.3, 0.3, 0.2, 0.5]


def test_an_input_with_no_effect_gets_a_zero_width_bar_exactly(file_mix_oat):
    for m in (BACKLOG, "overall.exposure"):
        b = bar(file_mix_oat, m, RAMP)
        assert b.swing == 0.0
        for d in (b.low_diff, b.high_diff):
            assert (d.estimate, d.low, d.high) == (0.0, 0.0, 0.0)
        assert b.low.estimate == b.high.estimate == file_mix_oat.base[m].estimate
        assert file_mix_oat.bars[m][-1].key == RAMP  # no effect ranks last


def test_more_cases_a_week_means_a_larger_backlog(file_mix_oat):
    b = bar(file_mix_oat, BACKLOG, CASES)
    base = file_mix_oat.base[BACKLOG].estimate
    # 6 -> 9 cases a week over 20 weeks is about +/- 1.5 x 20 x ~2 devices: tens of devices either side
    assert b.low.estimate < base < b.high.estimate
    assert b.low_diff.high < 0 < b.high_diff.low  # both paired intervals exclude zero, on their own side
    assert 20 < b.swing < 400
    assert file_mix_oat.bars[BACKLOG][0].key == CASES


def test_more_screen_out_means_a_smaller_backlog_with_the_kiosk_in_the_mix(file_mix_oat):
    b = bar(file_mix_oat, BACKLOG, KIOSK)
    base = file_mix_oat.base[BACKLOG].estimate
    assert b.high.estimate < base < b.low.estimate  # 50% screened out: fewer devices examined
    assert b.high_diff.high < 0 < b.low_diff.low
    assert b.swing > 5


def test_without_the_mix_the_kiosk_has_no_effect(short):
    oat = run_oat(short, pick(short, KIOSK), [BACKLOG], 2, seed=11, workers=1)
    assert oat.bars[BACKLOG][0].swing == 0.0


def test_same_bars_on_one_and_two_workers(short):
    plan = plan_sensitivity(short, [BACKLOG], 2, seed=3, mix="none")
    plan = dataclasses.replace(plan, estimates=pick(short, CASES, "examiners.mobile.absence"))
    a = sensitivity_json(run_planned(plan, workers=1))
    b = sensitivity_json(run_planned(plan, workers=2))
    assert a["bars"] == b["bars"] and a["base"] == b["base"]
    assert a["bars"][BACKLOG][0]["swing"] > 0


def test_plan_refuses_bad_input_in_one_line(short):
    plain = load_scenario("scenarios/north_yorkshire_2022.yaml")
    cases = [
        (lambda: plan_sensitivity(plain), "sensitivity needs ranged inputs"),
        (lambda: plan_sensitivity(short, ["invest.backlog_at_12"]), "did you mean 'invest.backlog_at_12m'"),
        (lambda: plan_sensitivity(short, replications=0), "-n/--replications: must be at least 1"),
        (lambda: plan_sensitivity(short, mix="fiel"), "did you mean 'file'"),
        (lambda: plan_sensitivity(short, method="moris"), "did you mean 'morris'"),
        (lambda: plan_sensitivity(short, replications=10**6), "over the 200,000"),
    ]
    for call, words in cases:
        with pytest.raises(InputError) as exc:
            call()
        assert words in str(exc.value) and "\n" not in str(exc.value)


def test_plan_defaults(short):
    plan = plan_sensitivity(short)
    assert plan.measures == (BACKLOG, "VH.wait_to_start_days.p90", "overall.exposure")
    assert plan.mix_choice == "file" and plan.mix == dict(short.investment.mix) and not plan.screen
    assert plan.replications == short.run.replications
    assert plan.jobs == (1 + 2 * len(short.estimates)) * plan.replications
    none = plan_sensitivity(short, mix="none")
    assert none.mix_key == () and none.mix == {}
    assert np.isfinite(plan.seed)
