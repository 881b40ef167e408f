"""Robust choice: a constructed case with a known threshold, target mode, and a small real run.

The constructed cases give ``judge`` world-by-world measures worked out by hand: the chosen mix
(a triage kiosk) has exposure 1200 - 2000 x where x is the kiosk's screen-out share (uniform on
0.2-0.5), a cheaper mix (overtime) 500 whatever x, doing nothing 1500. So the kiosk wins exactly
when x > 0.35 (plus the tie tolerance: 0.5% of 1500 = 7.5, i.e. x > 0.3538), in about 49% of
worlds; each of the two has expected regret E[max(0, ±(700 - 2000 x))] = 75. A second input
(cases a week) has no effect and must never be named.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from dfu_sched.invest.evaluate import Evaluator
from dfu_sched.invest.search import SearchResult, SearchSettings
from dfu_sched.invest.settling import point
from dfu_sched.invest.targets import Target
from dfu_sched.reports.files import to_json
from dfu_sched.reports.robust_html import robust_section
from dfu_sched.reports.robust_text import robust_text
from dfu_sched.scenario.estimates import Estimate
from dfu_sched.uncertainty.robust import Contender, contenders, judge, robust_choice, robust_json, wilson
from dfu_sched.uncertainty.robust_words import input_phrase, other_mix_phrase
from dfu_sched.uncertainty.worlds import Worlds, sample_worlds
from tests.uncertainty.robust_builders import ranged_small

KIOSK = Estimate("investment.options.triage_kiosk.screen_out_share", ("investment", "options", 0, "screen_out_share"),
                 0.3, 0.2, 0.5, "uniform")
CASES = Estimate("arrivals.cases_per_week", ("arrivals", "cases_per_week"), 7.5, 6.0, 9.0, "uniform")
MIXES = [Contender((1, 0), {"triage_kiosk": 1, "overtime": 0}, "triage_kiosk", "triage kiosk", 100.0, "chosen"),
         Contender((0, 3), {"triage_kiosk": 0, "overtime": 3}, "3x overtime", "overtime 3", 90.0, "runner-up"),
         Contender((0, 0), {"triage_kiosk": 0, "overtime": 0}, "do nothing", "nothing bought", 0.0, "do nothing")]


def constructed(W: int, offset: float, seed: int = 1, R: int = 3, sd: float = 2.0):
    worlds = sample_worlds([KIOSK, CASES], W, seed)
    x = worlds.values[:, 0]
    rng = np.random.default_rng(seed)
    means = np.column_stack([offset - 2000 * x, np.full(W, 500.0), np.full(W, 1500.0)])
    exposure = means[:, :, None] + rng.normal(0, sd, (W, 3, R))
    cube = {"overall.exposure": exposure, "invest.backlog_at_12m": exposure / 10}
    without = {c.key: {"overall.exposure": {"estimate": 1.0, "ci95": [0.5, 1.5], "n": R}} for c in MIXES}
    return worlds, cube, without


def test_fragile_when_an_input_decides_and_the_sentence_names_it_near_the_truth():
    worlds, cube, without = constructed(40, 1200.0)
    res = judge(MIXES, worlds, cube, without, "exposure", None, 3, seed=1)
    x = worlds.values[:, 0]
    truth = 0.35 + 7.5 / 2000  # the tie tolerance goes to the cheaper mix
    kiosk, overtime, nothing = res.verdicts
    assert kiosk.best_share == pytest.approx(np.mean(x > truth), abs=0.05)  # noise sd 2 moves few worlds
    assert 0.35 <= kiosk.best_share <= 0.62 and res.fragile
    assert kiosk.best_ci95[0] < kiosk.best_share < kiosk.best_ci95[1]
    assert nothing.best_worlds == 0 and kiosk.best_worlds + overtime.best_worlds == 40
    assert kiosk.regret.estimate == pytest.approx(75, abs=15) and overtime.regret.estimate == pytest.approx(75, abs=15)
    assert nothing.regret.estimate > 800  # doing nothing is far worse everywhere
    f = res.fragility
    assert f is not None and f.other == 1 and f.input_key == KIOSK.key and f.side == "below"
    assert abs(f.threshold - truth) < 0.02 and f.accuracy >= 0.95
    assert "triage kiosk screening out less than 35% of devices" in res.headline
    assert "the mix with overtime instead of the triage kiosk (overtime 3) is better" in res.headline
    assert res.headline.startswith("Fragile")
    assert "cases" not in res.headline


def test_robust_when_the_chosen_mix_wins_nearly_everywhere():
    worlds, cube, without = constructed(40, 1000.0)  # kiosk best when x > 0.2538: ~82% of worlds
    res = judge(MIXES, worlds, cube, without, "exposure", None, 3, seed=1)
    share = res.verdicts[0].best_share
    assert share == pytest.approx((0.5 - 0.2538) / 0.3, abs=0.07) and not res.fragile and res.fragility is None
    assert res.headline.startswith(f"The chosen mix is best in {share:.0%} of 40 plausible worlds")
    assert "risk-weighted device-days" in res.headline
    assert 0 <= res.verdicts[0].regret.low <= res.verdicts[0].regret.estimate


def test_target_mode_is_the_cheapest_mix_meeting_it_and_regret_in_pounds():
    worlds, cube, without = constructed(30, 1200.0)
    cheap = [Contender(c.key, c.mix, c.label, c.words, cost, c.role) for c, cost in zip(MIXES, (50.0, 90.0, 0.0))]
    tgt = Target("overall.exposure<=600", "overall.exposure", "<=", 600.0, 0.0)
    res = judge(cheap, worlds, cube, without, "exposure", tgt, 3, seed=1)
    x = worlds.values[:, 0]
    kiosk, overtime, _ = res.verdicts
    assert kiosk.meets_share == pytest.approx(np.mean(x > 0.3), abs=0.07) and overtime.meets_share == 1.0
    assert kiosk.best_share == kiosk.meets_share  # the kiosk is cheaper whenever it meets the target
    assert overtime.regret.estimate == pytest.approx(40 * kiosk.meets_share, abs=1e-9)  # £90 - £50 there
    assert kiosk.regret.estimate == 0 and kiosk.regret.n == kiosk.best_worlds
    assert "£" in res.headline


def test_wilson_interval_is_two_sided_and_inside_0_1():
    lo, hi = wilson(17, 20)
    assert 0.6 < lo < 0.85 < hi < 0.97
    assert wilson(0, 20)[0] == 0.0 and wilson(20, 20)[1] == pytest.approx(1.0)


def test_words():
    assert input_phrase("arrivals.annual_growth", 0.061, "above") == "demand growing by more than 6% a year"
    assert input_phrase("device_types.phone.service_hours.examination.mean", 8.25, "below") == \
        "a phone examination taking less than 8.25 hours on average"
    assert input_phrase("some.new_thing", 3.0, "below") == "some new thing less than 3"
    chosen, other = MIXES[0], MIXES[1]
    assert other_mix_phrase(chosen, other) == "the mix with overtime instead of the triage kiosk (overtime 3)"
    both = Contender((1, 3), {"triage_kiosk": 1, "overtime": 3}, "", "triage kiosk, overtime 3", 190.0, "chosen")
    assert other_mix_phrase(both, other) == "the mix without the triage kiosk (overtime 3)"
    assert other_mix_phrase(other, both) == "the mix adding triage kiosk (triage kiosk, overtime 3)"
    assert other_mix_phrase(chosen, MIXES[2]) == "doing nothing"
    fewer = Contender((1, 2), {"triage_kiosk": 1, "overtime": 2, "training": 8}, "", "x", 1.0, "runner-up")
    assert other_mix_phrase(Contender((1, 3), {"triage_kiosk": 1, "overtime": 3, "training": 7}, "", "", 1.0, "chosen"),
                            fewer) == "the mix with less overtime and more training (x)"


@pytest.fixture(scope="module")
def tiny_search():
    """A search result made by hand on a cut-down £400K scenario: kiosk, overtime and doing nothing."""
    sc = ranged_small()
    settings = SearchSettings(budget=200_000, seed=4, final_reps=2, workers=1)
    ev = Evaluator(sc, settings.seed, workers=1)
    keys = [ev.add(m, "candidate").key for m in ({}, {"triage_kiosk": 1}, {"overtime": 2})]
    ev.ensure(keys, 2)
    points = {k: {**point(ev, k), "on_frontier": True} for k in keys}
    res = SearchResult(settings, ev, keys[0], keys[1], points=points)
    return sc, res


def test_real_run_is_the_same_on_one_and_two_workers(tiny_search):
    sc, res = tiny_search
    assert [c.role for c in contenders(res)] == ["chosen", "runner-up", "do nothing"]
    worlds = sample_worlds(sc.estimates, 3, seed=9)
    a = robust_json(robust_choice(sc, res, worlds, 2, workers=1))
    b = robust_json(robust_choice(sc, res, worlds, 2, workers=2))
    for d in (a, b):
        d["run"].pop("seconds")
    assert to_json(a) == to_json(b)
    assert a["worlds"] == 3 and len(a["mixes"]) == 3 and sum(m["best_worlds"] for m in a["mixes"]) == 3
    backlog = a["mixes"][0]["measures"]["invest.backlog_at_12m"]
    assert backlog["without"]["n"] == 2 and backlog["with"]["worlds"] == 3
    json.loads(to_json(a))  # plain JSON
    out = {"robust": a}
    assert "Is the choice robust?" in robust_text(a) and 'id="robust"' in robust_section(out)
    assert robust_section({}) == ""


def test_worlds_keys():
    w = Worlds((KIOSK,), np.array([[0.3]]))
    assert w.keys == [KIOSK.key] and len(w) == 1


def test_a_cheaper_mix_within_the_tie_tolerance_is_best_and_the_chosen_one_tied():
    worlds = Worlds((KIOSK,), np.array([[0.25], [0.45]]))
    exposure = np.array([[100.0, 104.0, 1000.0], [100.0, 200.0, 1000.0]])[:, :, None] + np.zeros((2, 3, 2))
    res = judge(MIXES, worlds, {"overall.exposure": exposure}, {}, "exposure", None, 2, seed=1)
    chosen, cheap, _ = res.verdicts
    assert list(res.best) == [1, 0] and chosen.tied_worlds == 1 and cheap.tied_worlds == 0  # tolerance 5 = 0.5% of 1000
    assert chosen.regret.estimate == 0 and cheap.regret.estimate == pytest.approx(52)
    assert res.fragile and "best in only 50% of 2 plausible worlds" in res.headline
