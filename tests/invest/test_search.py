"""The mix search: budget respected, baseline at zero budget, no dominated or useless choices, reproducible."""
from __future__ import annotations

import numpy as np
import pytest

from tests.helpers import small
from dfu_sched.errors import InputError
from dfu_sched.sim.experiment import run_experiment
from dfu_sched.invest.search import (SearchSettings, dominates, frontier, interpolate_effects, parse_by, parse_target,
                              propose, result_json, screen_levels, search)
from dfu_sched.scenario.levers import mix_cost

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


# ---- the frontier: every mix on it has the chosen mix's replications (issue 8, item 13) -------------

def _paired_low(a: np.ndarray, b: np.ndarray) -> float:
    """Lower end of the two-sided 95% Student-t interval of mean(b - a)."""
    from scipy import stats

    d = b - a
    d = d[np.isfinite(d)]
    return float(d.mean() - stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size))


def test_frontier_is_fully_evaluated_and_nothing_undominated_is_dropped(result, scenario):
    from dfu_sched.invest.search import FRONTIER_KEYS, FRONTIER_TOLERANCE, OBJECTIVES, prepare

    res, out = result
    ev, nf = res.evaluator, FAST["final_reps"]
    assert out["frontier"] and all(f["replications"] == nf for f in out["frontier"])
    assert all(e["replications"] == nf for e in out["evaluated"])
    for f in out["frontier"]:
        key = prepare(scenario, f["mix"]).key
        assert ev.n(key) >= nf
        for o, (m, _) in OBJECTIVES.items():
            assert f["objectives"][o] == pytest.approx(ev.mean(key, m, nf), abs=1e-3)
    zero = prepare(scenario, {}).key
    tol = {k: FRONTIER_TOLERANCE * abs(ev.mean(zero, k, nf)) for k in FRONTIER_KEYS}
    by_label = {mix_label_of(e): e for e in out["evaluated"]}
    shown = {e["label"] for e in out["evaluated"]} | {e["label"] for e in out["screened"]}
    # every affordable mix the search simulated is either evaluated fully or dropped with a reason
    for k, p in ev.preps.items():
        if p.cost <= 120_000 + 1e-6:
            assert mix_label_of({"mix": p.mix}) in shown
    for s in out["screened"]:
        assert s["replications"] < nf
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


def test_do_nothing_is_one_evaluation_with_one_number(result):
    from dfu_sched.reports.invest_text import invest_text

    _, out = result
    base = out["baseline"]["measures"]
    rows = [e for e in out["evaluated"] + out["frontier"] if not any(e["mix"].values())]
    assert rows
    for row in rows:
        assert row["replications"] == out["replications"]["final"] == out["baseline"]["replications"]
        assert row["objectives"]["exposure"] == pytest.approx(base["overall.exposure"]["estimate"], abs=1e-3)
        assert row["objectives"]["backlog"] == pytest.approx(base["overall.waiting_at_end"]["estimate"], abs=1e-3)
    text = invest_text(out)
    exposure = f"{base['overall.exposure']['estimate']:,.0f}"
    line = next(ln for ln in text.splitlines() if ln.startswith("do nothing"))
    assert exposure in line


# ---- headline claims name their measure and do not hide a worse one (item 14) ----------------------

def _with_frontier(out: dict, cheap_objectives: dict, chosen_objectives: dict) -> dict:
    import copy

    o = copy.deepcopy(out)
    ch = o["chosen"]
    b = o["baseline"]["measures"]
    zero = {"mix": {}, "label": "do nothing", "cost_gbp": 0.0, "objectives": {
        "exposure": b["overall.exposure"]["estimate"], "wait-12m": b["invest.wait_at_12m_days"]["estimate"],
        "backlog": b["overall.waiting_at_end"]["estimate"]}}
    cheap = {"mix": {"x": 1}, "label": "cheap mix", "cost_gbp": ch["cost_gbp"] / 2, "objectives": cheap_objectives}
    chosen = {"mix": ch["mix"], "label": ch["label"], "cost_gbp": ch["cost_gbp"], "objectives": chosen_objectives}
    ch["measures"]["overall.exposure"]["estimate"] = chosen_objectives["exposure"]
    o["frontier"] = [zero, cheap, chosen]
    return o


def test_cheaper_mix_claim_names_its_measure_and_a_worse_wait(result, scenario):
    from dfu_sched.invest.search import explain

    _, out = result
    b0 = out["baseline"]["measures"]["overall.exposure"]["estimate"]
    best = 0.2 * b0
    cheap_exposure = b0 - 0.9 * (b0 - best)
    o = _with_frontier(out, {"exposure": cheap_exposure, "wait-12m": 99.4, "backlog": 9.0},
                       {"exposure": best, "wait-12m": 1.4, "backlog": 9.0})
    lines = explain(o, scenario)
    i = next(j for j, ln in enumerate(lines) if "cheaper mix" in ln)
    claim, after = lines[i], lines[i + 1]
    assert "cheap mix" in claim and "90%" in claim and "exposure" in claim
    assert "month 12" in after and "99" in after and "1.4" in after and "worse" in after
    assert "backlog" not in after  # 9 against 9 is no worse


def test_cheaper_mix_claim_says_when_nothing_is_worse(result, scenario):
    from dfu_sched.invest.search import explain

    _, out = result
    b0 = out["baseline"]["measures"]["overall.exposure"]["estimate"]
    o = _with_frontier(out, {"exposure": b0 * 0.3, "wait-12m": 1.5, "backlog": 9.0},
                       {"exposure": b0 * 0.25, "wait-12m": 1.4, "backlog": 9.0})
    lines = explain(o, scenario)
    i = next(j for j, ln in enumerate(lines) if "cheaper mix" in ln)
    assert "exposure" in lines[i] and "no worse" in lines[i + 1]
