"""The mix search: budget respected, baseline at zero budget, no dominated or useless choices, reproducible."""
from __future__ import annotations

import numpy as np
import pytest

from _invest_fixtures import small
from dfu_sched.errors import InputError
from dfu_sched.experiments import run_experiment
from dfu_sched.invest import (SearchSettings, dominates, frontier, interpolate_effects, parse_by, parse_target,
                              propose, result_json, screen_levels, search)
from dfu_sched.levers import mix_cost

FAST = dict(seed=3, screen_reps=2, candidate_reps=3, final_reps=6, workers=2)

#: An option that changes nothing: no time saved.
USELESS = {"name": "placebo_software", "kind": "automation", "licence_gbp_per_year": 1000,
           "time_saved_share": 0.0, "applies_to_share": 1.0}
#: The contract examiner again at three times the price: every mix using it is dominated.
DEAR_CLONE = {"name": "dear_contractor", "kind": "hire_examiners", "annual_cost_gbp": 255000, "lag_weeks": 6,
              "ramp_up_weeks": 8, "ramp_up_start": 0.5, "skills": ["mobile", "computer"], "max_count": 3,
              "fixed_term_weeks": 52, "absence": 0.10}


@pytest.fixture(scope="module")
def scenario():
    return small(extra_options=[USELESS, DEAR_CLONE], budget=120_000)


@pytest.fixture(scope="module")
def result(scenario):
    res = search(scenario, SearchSettings(budget=120_000, **FAST))
    return res, result_json(res, scenario)


def test_budget_is_respected_and_costs_add_up(result, scenario):
    res, out = result
    ch = out["chosen"]
    assert any(ch["mix"].values())
    assert ch["cost_gbp"] == pytest.approx(mix_cost(scenario, ch["mix"]))
    assert ch["cost_gbp"] <= 120_000 + 1e-6 and ch["within_budget"]
    cp = out["cost_profile"]
    assert sum(m["total"] for m in cp["by_month"]) == pytest.approx(ch["cost_gbp"])
    assert sum(y["total"] for y in cp["by_financial_year"]) == pytest.approx(ch["cost_gbp"])
    assert all(p["cost_gbp"] <= 120_000 + 1e-6 for p in out["frontier"])


def test_useless_lever_never_chosen(result):
    res, out = result
    assert out["chosen"]["mix"]["placebo_software"] == 0
    assert "placebo_software" in out["excluded_options"]
    assert all(e["mix"]["placebo_software"] == 0 for e in out["evaluated"] if e["stage"] != "screen")


def test_dominated_mix_never_best(result):
    res, out = result
    assert out["chosen"]["mix"]["dear_contractor"] == 0
    best = res.points.get(res.chosen)
    if best is not None:  # evaluated at the candidate replications too: nothing there dominates it
        assert not any(dominates(p, best) for p in res.points.values() if p is not best)
    assert out["chosen"]["label"] in [p["label"] for p in out["frontier"]] or res.chosen not in res.points
    # every frontier point is undominated by every other evaluated point
    pts = list(res.points.values())
    for f in out["frontier"]:
        p = next(q for q in pts if q["label"] == f["label"])
        assert not any(dominates(q, p, None) and q["cost_gbp"] < p["cost_gbp"] - 1 and
                       all(q["objectives"][k] < p["objectives"][k] * 0.99 for k in q["objectives"]) for q in pts)


def test_improves_on_doing_nothing(result):
    _, out = result
    d = out["chosen"]["vs_baseline"]["overall.exposure"]
    assert d["estimate"] < 0 and d["ci95"][1] < 0
    assert out["kind"] == "invest" and out["mode"] == "budget"
    assert out["chosen"]["gbp_per_month_of_backlog_removed"] > 0


def test_zero_budget_is_the_baseline(scenario):
    res = search(scenario, SearchSettings(budget=0, **FAST))
    out = result_json(res, scenario)
    assert not any(out["chosen"]["mix"].values()) and out["chosen"]["cost_gbp"] == 0
    ref = run_experiment(scenario, FAST["final_reps"], FAST["seed"], workers=1)
    for key in ("overall.exposure", "overall.waiting_at_end", "overall.wait_to_start_days.p50"):
        assert out["chosen"]["measures"][key]["estimate"] == pytest.approx(float(np.nanmean(ref.scalars[key])), rel=1e-12)
        assert out["chosen"]["vs_baseline"][key]["estimate"] == 0


def test_same_seed_same_answer(scenario, result):
    _, first = result
    again = result_json(search(scenario, SearchSettings(budget=120_000, **{**FAST, "workers": 1})), scenario)
    assert again["chosen"]["mix"] == first["chosen"]["mix"]
    assert again["chosen"]["measures"] == first["chosen"]["measures"]
    assert [e["label"] for e in again["frontier"]] == [e["label"] for e in first["frontier"]]


def test_budget_below_every_option_is_an_input_error(scenario):
    with pytest.raises(InputError, match="below the cheapest option"):
        search(scenario, SearchSettings(budget=100, **FAST))


def test_target_mode_finds_a_cheap_mix_that_meets_it():
    sc = small(keep=("contract_examiner", "triage_kiosk", "training"), budget=200_000)
    tgt = parse_target("overall.waiting_at_end<=450", sc, 0)
    res = search(sc, SearchSettings(budget=None, target=tgt, **FAST))
    out = result_json(res, sc)
    assert out["mode"] == "target" and out["target"]["reachable"]
    assert out["chosen"]["measures"]["overall.waiting_at_end"]["estimate"] <= 450
    meeting = [e for e in out["evaluated"] if e["meets_target"]]
    assert out["chosen"]["cost_gbp"] <= min(e["cost_gbp"] for e in meeting) + 1e-6 or \
        out["chosen"]["label"] in [e["label"] for e in meeting]


def test_target_parsing():
    sc = small()
    t = parse_target("high-risk-week", sc, parse_by("2023-03-06", sc))
    assert t.key == "VH+H.wait_to_start_days.p90" and t.value == 7 and t.from_week == 9
    assert t.result_key == "window.VH+H.p90" and t.met(6.9) and not t.met(7.1)
    for bad in ("VX.wait_to_start_days.p90<=7", "nonsense", "overall.wait_to_start_days.p42<=1"):
        with pytest.raises(InputError):
            parse_target(bad, sc, 0)
    with pytest.raises(InputError):
        parse_by("2030-01-01", sc)


def test_surrogate_pieces():
    assert screen_levels(1) == [1] and screen_levels(8) == [3, 5, 8]
    assert interpolate_effects({2: 10.0, 4: 5.0}, 4) == [0.0, 5.0, 10.0, 10.0, 10.0]  # monotone, concave-ish
    costs = {"a": [0, 50, 100], "b": [0, 60]}
    vals = {"a": [0.0, 5.0, 8.0], "b": [0.0, 6.0]}
    assert propose(costs, vals, 110) == [{"a": 1, "b": 1}]
    assert propose(costs, vals, 100) == [{"a": 2, "b": 0}]
    top = propose(costs, vals, 200, top=3)
    assert top[0] == {"a": 2, "b": 1} and len(top) == 3 and len({tuple(t.values()) for t in top}) == 3


def test_frontier_drops_dominated():
    def p(cost, *obj):
        return {"cost_gbp": cost, "objectives": dict(zip(["overall.exposure", "invest.wait_at_12m_days",
                                                          "overall.waiting_at_end"], obj))}
    a, b, c = p(0, 10, 10, 10), p(100, 5, 5, 5), p(150, 6, 5, 5)
    assert [q["cost_gbp"] for q in frontier([a, b, c])] == [0, 100]
    assert dominates(b, c) and not dominates(a, b)
