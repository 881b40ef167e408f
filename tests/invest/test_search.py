"""The mix search: budget respected, baseline at zero budget, no dominated or useless choices, reproducible."""
from __future__ import annotations

import numpy as np
import pytest

from dfu_sched.errors import InputError
from dfu_sched.invest.evaluate import prepare
from dfu_sched.invest.frontier import FRONTIER_TOLERANCE, dominates
from dfu_sched.invest.objectives import FRONTIER_KEYS, OBJECTIVES
from dfu_sched.invest.results import result_json
from dfu_sched.invest.search import SearchSettings, interpolate_effects, propose, screen_levels, search
from dfu_sched.invest.targets import parse_target
from dfu_sched.scenario.levers import mix_cost
from dfu_sched.sim.experiment import run_experiment
from tests.helpers import small
from tests.invest.builders import FAST


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
        expected = float(np.nanmean(ref.scalars[key]))
        assert out["chosen"]["measures"][key]["estimate"] == pytest.approx(expected, rel=1e-12)
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


def test_surrogate_pieces():
    assert screen_levels(1) == [1] and screen_levels(8) == [3, 5, 8]
    assert interpolate_effects({2: 10.0, 4: 5.0}, 4) == [0.0, 5.0, 10.0, 10.0, 10.0]  # monotone, concave-ish
    costs = {"a": [0, 50, 100], "b": [0, 60]}
    vals = {"a": [0.0, 5.0, 8.0], "b": [0.0, 6.0]}
    assert propose(costs, vals, 110) == [{"a": 1, "b": 1}]
    assert propose(costs, vals, 100) == [{"a": 2, "b": 0}]
    top = propose(costs, vals, 200, top=3)
    assert top[0] == {"a": 2, "b": 1} and len(top) == 3 and len({tuple(t.values()) for t in top}) == 3


# ---- the frontier: every mix on it has the candidate replications; the headline the final ones (issue 13) -----

def _paired_low(a: np.ndarray, b: np.ndarray) -> float:
    """Lower end of the two-sided 95% Student-t interval of mean(b - a)."""
    from scipy import stats

    d = b - a
    d = d[np.isfinite(d)]
    return float(d.mean() - stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size))


def test_frontier_is_evaluated_and_nothing_undominated_is_dropped(result, scenario):
    res, out = result
    ev, nc, nf = res.evaluator, FAST["candidate_reps"], FAST["final_reps"]
    assert out["frontier"] and all(nc <= f["replications"] <= nf for f in out["frontier"])
    assert all(e["replications"] >= nc for e in out["evaluated"])
    assert out["baseline"]["replications"] == nf and ev.n(res.baseline) == nf and ev.n(res.chosen) == nf
    assert out["chosen"]["label"] in [f["label"] for f in out["frontier"]]
    for f in out["frontier"]:
        key = prepare(scenario, f["mix"]).key
        assert ev.n(key) == f["replications"]
        for o, obj in OBJECTIVES.items():
            assert f["objectives"][o] == pytest.approx(ev.mean(key, obj.measure), abs=1e-3)
    zero = prepare(scenario, {}).key
    tol = {k: FRONTIER_TOLERANCE * abs(ev.mean(zero, k, nf)) for k in FRONTIER_KEYS}
    by_label = {mix_label_of(e): e for e in out["evaluated"]}
    shown = {e["label"] for e in out["evaluated"]} | {e["label"] for e in out["screened"]}
    # every affordable mix the search simulated is either evaluated or dropped with a reason
    for p in ev.preps.values():
        if p.cost <= 120_000 + 1e-6:
            assert mix_label_of({"mix": p.mix}) in shown
    for s in out["screened"]:
        assert s["replications"] < nc
        q = by_label[s["dominated_by"]]
        assert q["cost_gbp"] <= s["cost_gbp"] + 1e-6
        kq, ks = prepare(scenario, q["mix"]).key, prepare(scenario, s["mix"]).key
        m = ev.n(ks)
        lows = {k: _paired_low(ev.values(kq, k, m), ev.values(ks, k, m)) for k in FRONTIER_KEYS}
        # even at the optimistic end of its interval the dropped mix is no better than q (within the tie tolerance)
        assert all(lows[k] >= -tol[k] - 1e-9 for k in FRONTIER_KEYS), (s["label"], q["label"], lows)
        assert q["cost_gbp"] < s["cost_gbp"] - 1e-6 or any(lows[k] > tol[k] for k in FRONTIER_KEYS)


def mix_label_of(row: dict) -> str:
    from dfu_sched.scenario.levers import mix_label

    return mix_label(row["mix"])


