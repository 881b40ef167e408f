"""One-at-a-time sensitivity: zero-width bars for inputs with no effect, the right direction for known ones,
the same numbers on any worker count, and the plan's one-line refusals."""
from __future__ import annotations

import pytest

from dfu_sched.errors import InputError
from dfu_sched.invest.evaluate import prepare
from dfu_sched.uncertainty.oat import oat_values, run_oat
from dfu_sched.uncertainty.sensitivity import plan_sensitivity, run_planned, sensitivity_json
from tests.uncertainty.builders import CASES, KIOSK, RAMP, kiosk_unit

BACKLOG = "invest.backlog_at_12m"
EXPOSURE = "overall.exposure"


@pytest.fixture(scope="module")
def short():
    return kiosk_unit()


def pick(sc, *keys):
    by = {e.key: e for e in sc.estimates}
    return tuple(by[k] for k in keys)


@pytest.fixture(scope="module")
def file_mix_oat(short):
    key = prepare(short, dict(short.investment.mix)).key
    return run_oat(short, short.estimates, [BACKLOG, EXPOSURE], 4, seed=11, mix_key=key, workers=1)


def bar(oat, measure, key):
    return next(b for b in oat.bars[measure] if b.key == key)


def test_world_rows_move_one_input_at_a_time(short):
    ests = pick(short, CASES, KIOSK)
    v = oat_values(ests)
    assert v.shape == (4, 2)
    assert v[:, 0].tolist() == [8.0, 12.0, 10.0, 10.0] and v[:, 1].tolist() == [0.3, 0.3, 0.2, 0.5]


def test_an_input_with_no_effect_gets_a_zero_width_bar_exactly(file_mix_oat):
    for m in (BACKLOG, EXPOSURE):
        b = bar(file_mix_oat, m, RAMP)
        assert b.swing == 0.0
        for d in (b.low_diff, b.high_diff):
            assert (d.estimate, d.low, d.high) == (0.0, 0.0, 0.0)
        assert b.low.estimate == b.high.estimate == file_mix_oat.base[m].estimate
        assert file_mix_oat.bars[m][-1].key == RAMP  # no effect ranks last


def test_more_cases_a_week_means_a_larger_backlog(file_mix_oat):
    b = bar(file_mix_oat, BACKLOG, CASES)
    base = file_mix_oat.base[BACKLOG].estimate
    assert b.low.estimate < base < b.high.estimate
    assert b.low_diff.low < 0 < b.high_diff.high  # each end's paired interval reaches its own side of zero
    # 8 -> 12 cases a week for 12 weeks is 48 more devices submitted, 70% of them past the kiosk: the
    # backlog grows by about that much (less what the examiner works off), two-sided
    assert 10 < b.swing < 80
    e = bar(file_mix_oat, EXPOSURE, CASES)
    assert e.low.estimate < file_mix_oat.base[EXPOSURE].estimate < e.high.estimate


def test_more_screen_out_means_a_smaller_backlog_with_the_kiosk_in_the_mix(file_mix_oat):
    b = bar(file_mix_oat, BACKLOG, KIOSK)
    base = file_mix_oat.base[BACKLOG].estimate
    assert b.high.estimate < base < b.low.estimate  # 50% screened out: fewer devices examined
    assert b.high_diff.high < 0 < b.low_diff.low
    # 20% -> 50% screen-out of about 150 devices is about 45 fewer to examine, two-sided
    assert 15 < b.swing < 120
    assert file_mix_oat.bars[BACKLOG][0].key in (KIOSK, CASES)


def test_without_the_mix_the_kiosk_has_no_effect(short):
    oat = run_oat(short, pick(short, KIOSK), [BACKLOG], 2, seed=11, workers=1)
    assert oat.bars[BACKLOG][0].swing == 0.0


def test_same_bars_on_one_and_two_workers(short):
    plan = plan_sensitivity(short, [BACKLOG], 2, seed=3)
    a = sensitivity_json(run_planned(plan, workers=1))
    b = sensitivity_json(run_planned(plan, workers=2))
    assert a["bars"] == b["bars"] and a["base"] == b["base"]
    assert a["bars"][BACKLOG][0]["swing"] > 0


def test_plan_refuses_bad_input_in_one_line(short):
    plain = kiosk_unit().with_updates({"arrivals": {"cases_per_week": 10}})
    plain = type(plain).model_validate(plain.model_dump())  # no ranges
    cases = [
        (lambda: plan_sensitivity(plain), "sensitivity needs ranged inputs"),
        (lambda: plan_sensitivity(short, ["invest.backlog_at_12"]), "did you mean 'invest.backlog_at_12m'"),
        (lambda: plan_sensitivity(short, replications=0), "-n/--replications: must be at least 1"),
        (lambda: plan_sensitivity(short, mix="fiel"), "did you mean 'file'"),
        (lambda: plan_sensitivity(short, method="moris"), "did you mean 'morris'"),
        (lambda: plan_sensitivity(short, replications=10**5), "over the 200,000"),
    ]
    for call, words in cases:
        with pytest.raises(InputError) as exc:
            call()
        assert words in str(exc.value) and "\n" not in str(exc.value)


def test_plan_defaults(short):
    plan = plan_sensitivity(short)
    assert plan.measures == (BACKLOG, "VH.wait_to_start_days.p90", EXPOSURE)
    assert plan.mix_choice == "file" and plan.mix == dict(short.investment.mix) and not plan.screen
    assert plan.replications == short.run.replications
    assert plan.jobs == (1 + 2 * len(short.estimates)) * plan.replications
    none = plan_sensitivity(short, mix="none")
    assert none.mix_key == () and none.mix == {}
    assert plan.seed == short.run.seed and len(plan.estimates) == 3


def test_bars_rank_by_swing_with_no_effect_exact_and_undefined_last(short):
    import dataclasses

    import numpy as np

    from dfu_sched.uncertainty.oat import oat_from_runs
    from dfu_sched.uncertainty.runner import BASE, WorldRuns

    ests = tuple(dataclasses.replace(short.estimates[0], key=k) for k in ("idle", "undefined", "strong"))
    arr = {"idle": ([1.0, 2.0], [1.0, 2.0]), "undefined": ([np.nan, np.nan], [np.nan, np.nan]),
           "strong": ([0.0, 1.0], [3.0, 4.5])}
    values = {(BASE, ()): {"m": np.array([1.0, 2.0])}}
    for j, e in enumerate(ests):
        lo, hi = arr[e.key]
        values[(2 * j, ())] = {"m": np.array(lo)}
        values[(2 * j + 1, ())] = {"m": np.array(hi)}
    oat = oat_from_runs(WorldRuns(values, 2, 14), ests, ["m"], (), seed=0)
    bars = oat.bars["m"]
    assert [b.key for b in bars] == ["strong", "idle", "undefined"]
    assert bars[0].swing == pytest.approx(3.25) and bars[0].high_diff.estimate == pytest.approx(2.25)
    assert bars[1].swing == 0.0 and (bars[1].low_diff.low, bars[1].low_diff.high) == (0.0, 0.0)
    assert np.isnan(bars[2].swing)
