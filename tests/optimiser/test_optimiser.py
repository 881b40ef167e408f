"""The weekly-plan optimiser: known optima, feasibility, deadlines, bound validity, determinism."""
from __future__ import annotations

import itertools
import random
import time

import pytest

from dfu_sched.optimiser import PlanConfig, PlanDevice, PlanExaminer, plan_week
from dfu_sched.optimiser.search import greedy_week
from dfu_sched.optimiser.synthetic import synthetic_week


def dev(id, w, hours, skill="mobile", **kw):
    return PlanDevice(id=id, case_id=kw.pop("case_id", "C" + id), tier=kw.pop("tier", "H"), weight=w,
                      target_days=7, age_days=kw.pop("age_days", 0.0), hours=hours, skill=skill, **kw)


def exm(id, hours, skills=("mobile",), **kw):
    return PlanExaminer(id=id, skills=frozenset(skills), hours=hours, **kw)


def objective(plan, devices, H):
    w = {d.id: d.weight for d in devices}  # tests use age 0: weight = tier weight
    return sum(w[a.device_id] * (H - a.start) for rows in plan.assignments.values() for a in rows)


def test_hand_checkable_instance_optimum_known():
    """One examiner, 4 h, week of 8 h. Greedy by w/p (A 4, D 2.5, B = C 1, ties by id) takes A,
    cannot fit D, then takes B: 4*8 + 1*7 = 39. The optimum is D alone from hour 0: 10*8 = 80
    (better than A+C = 53 or any other subset)."""
    devices = [dev("A", 4, 1), dev("B", 1, 1), dev("C", 3, 3), dev("D", 10, 4)]
    plan = plan_week(devices, [exm("E1", 4)], week_hours=8, lookahead_weeks=0)
    assert plan.greedy_objective == pytest.approx(39)
    assert plan.objective == pytest.approx(80)
    assert [a.device_id for a in plan.assignments["E1"]] == ["D"]
    # the TI-LP is not integral on this toy (it mixes half columns), so the bound is above 80
    assert plan.bound >= 80 - 1e-6
    assert plan.gap == pytest.approx((plan.bound - 80) / plan.bound)
    assert plan.improvement_over_greedy == pytest.approx(80 / 39 - 1)


def brute_force(devices, examiners, H):
    """Exact optimum by enumeration (tiny instances only), contiguous windows [0, hours)."""
    best = 0.0
    opts = []
    for d in devices:
        opts.append([None] + [e for e in examiners if d.skill in e.skills and e.accreditation >= d.accreditation])
    for choice in itertools.product(*opts):
        total = 0.0
        for e in examiners:
            mine = [d for d, c in zip(devices, choice) if c is e]
            if sum(d.hours for d in mine) > e.hours + 1e-9:
                break
            total += max(sum(d.weight * (H - s) for d, s in zip(order, _starts(order)))
                         for order in itertools.permutations(mine)) if mine else 0.0
        else:
            best = max(best, total)
    return best


def _starts(order):
    t, out = 0.0, []
    for d in order:
        out.append(t)
        t += d.hours
    return out


@pytest.mark.parametrize("seed", range(6))
def test_matches_brute_force_and_bound_is_valid(seed):
    rng = random.Random(seed)
    devices = [dev(f"D{i}", rng.choice([1, 2, 4, 8]), rng.choice([0.5, 1, 1.5, 2, 3]),
                   skill=rng.choice(["mobile", "mobile", "computer"])) for i in range(6)]
    examiners = [exm("E1", rng.choice([2, 3, 4])), exm("E2", rng.choice([2, 3]), ("mobile", "computer"))]
    H = 6.0
    plan = plan_week(devices, examiners, week_hours=H, lookahead_weeks=0)
    opt = brute_force(devices, examiners, H)
    assert objective(plan, devices, H) == pytest.approx(plan.objective)
    assert plan.objective == pytest.approx(opt, rel=1e-9)
    assert plan.bound >= opt - 1e-6
    assert plan.objective >= plan.greedy_objective - 1e-9


@pytest.fixture(scope="module")
def week():
    devices, examiners = synthetic_week(300, 6, seed=3, n_deadlines=4)
    return devices, examiners, plan_week(devices, examiners, time_limit_s=10)


def test_never_exceeds_hours_skills_or_accreditation(week):
    devices, examiners, plan = week
    by_id = {d.id: d for d in devices}
    seen = set()
    for x in examiners:
        rows = plan.assignments[x.id]
        used = 0.0
        for a, b in zip(rows, rows[1:]):
            assert a.end <= b.start + 1e-9
        for a in rows:
            d = by_id[a.device_id]
            assert d.skill in x.skills and x.accreditation >= d.accreditation
            assert any(lo - 1e-9 <= a.start < hi for lo, hi in x.windows)
            used += sum(max(0.0, min(hi, a.end) - max(lo, a.start)) for lo, hi in x.windows)
            assert a.device_id not in seen
            seen.add(a.device_id)
        assert used <= x.hours + 1e-9


def test_plan_at_least_greedy_and_below_bound(week):
    _, _, plan = week
    assert plan.greedy_objective <= plan.objective <= plan.bound + 1e-6
    assert plan.improvement_over_greedy >= 0
    assert 0 <= plan.gap < 0.05
    assert "TI-LP" in plan.method


def test_feasible_deadlines_kept(week):
    devices, _, plan = week
    ends = {a.device_id: a.end for rows in plan.assignments.values() for a in rows}
    due = [d for d in devices if d.deadline_hours is not None and d.deadline_hours <= 168]
    assert due
    for d in due:
        if d.id not in plan.infeasible_deadlines:
            assert ends[d.id] <= d.deadline_hours + 1e-9


def test_infeasible_deadline_reported_and_others_kept():
    devices = [dev("late", 1, 6, deadline_hours=3.0), dev("ok", 1, 2, deadline_hours=10.5),
               dev("big", 8, 2)]
    examiners = [exm("E1", 7.5, windows=[(8.0, 15.5)])]
    plan = plan_week(devices, examiners, lookahead_weeks=0)
    assert plan.infeasible_deadlines == ["late"]
    ok = next(a for a in plan.assignments["E1"] if a.device_id == "ok")
    assert ok.end <= 10.5


def test_same_input_same_plan():
    devices, examiners = synthetic_week(200, 5, seed=9)
    a = plan_week(devices, examiners, seed=1)
    b = plan_week(list(devices), list(examiners), seed=1)
    assert a.assignments == b.assignments and a.objective == b.objective
    assert a.expected_start_week == b.expected_start_week


def test_empty_queue_and_no_hours_are_valid_plans():
    p = plan_week([], [exm("E1", 37.5)])
    assert p.objective == 0 and p.assignments == {"E1": []} and p.gap == 0
    q = plan_week([dev("D1", 4, 2)], [exm("E1", 0.0)], lookahead_weeks=2)
    assert q.assignments == {"E1": []} and q.unassigned == ["D1"] and q.beyond_horizon == ["D1"]


def test_lookahead_forecast_weeks():
    devices, examiners = synthetic_week(150, 3, seed=4, n_deadlines=0)
    p = plan_week(devices, examiners, mode="fast", lookahead_weeks=3)
    planned = set(p.examiner_of())
    assert all(p.expected_start_week[d] == 0 for d in planned)
    later = [w for d, w in p.expected_start_week.items() if d not in planned]
    assert later and min(later) >= 1 and max(later) <= 3
    assert set(p.beyond_horizon) | set(p.expected_start_week) == {d.id for d in devices}


def test_aging_raises_old_low_risk_work():
    """Two equal L devices: the one waiting a year is planned first; target-relative aging too."""
    devices = [dev("new", 1, 2, tier="L"), dev("old", 1, 2, tier="L", age_days=360)]
    for cfg in (PlanConfig(), PlanConfig(aging_days=None)):
        p = plan_week(devices, [exm("E1", 2)], week_hours=8, lookahead_weeks=0, config=cfg)
        assert [a.device_id for a in p.assignments["E1"]] == ["old"]


def test_fast_mode_is_fast_and_no_worse_than_greedy():
    devices, examiners = synthetic_week(1000, 10, seed=5)
    plan_week(devices[:50], examiners, mode="fast")  # warm imports
    t = time.perf_counter()
    p = plan_week(devices, examiners, mode="fast")
    assert time.perf_counter() - t < 1.5
    assert p.objective >= p.greedy_objective and p.bound >= p.objective
    g = greedy_week(devices, examiners)
    assert g.objective == pytest.approx(p.greedy_objective)


def test_duplicate_ids_rejected():
    with pytest.raises(ValueError, match="duplicate device"):
        plan_week([dev("A", 1, 1), dev("A", 2, 1)], [exm("E1", 4)])


def test_identical_examiners_aggregated_lp_equals_plain_lp():
    """Identical examiners share one LP resource; the LP optimum and the priced bound stay
    exactly those of the plain time-indexed LP (one resource per examiner)."""
    from dfu_sched.optimiser import lp as L
    from dfu_sched.optimiser.model import build_instance

    devices, _ = synthetic_week(120, 1, seed=2, n_deadlines=2)
    win = [(8.0, 15.5), (32.0, 39.5)]
    examiners = [exm(f"E{i}", 15.0, ("mobile", "computer", "video"), windows=win) for i in range(3)]
    examiners.append(exm("E9", 15.0, ("mobile",), windows=win))
    inst = build_instance(devices, examiners, 168.0, PlanConfig())
    assert sorted(map(len, L.examiner_groups(inst))) == [1, 3]
    must = {j for j in range(inst.n) if inst.due[j]}
    cand = L.candidates(inst, 2.0)
    agg = L.solve_ti_lp(inst, cand, 30, must)
    plain = L.solve_ti_lp(inst, cand, 30, must, aggregate=False)
    assert agg.value == pytest.approx(plain.value, rel=1e-7)
    assert L.priced_bound(inst, agg.pi, must)[0] >= agg.value - 1e-6 * agg.value


@pytest.mark.parametrize("seed", range(3))
def test_bound_valid_with_identical_examiners(seed):
    rng = random.Random(100 + seed)
    devices = [dev(f"D{i}", rng.choice([1, 2, 4, 8]), rng.choice([0.5, 1, 1.5, 2, 3])) for i in range(6)]
    examiners = [exm(f"E{i}", 3) for i in range(3)]
    H = 6.0
    plan = plan_week(devices, examiners, week_hours=H, lookahead_weeks=0)
    opt = brute_force(devices, examiners, H)
    assert plan.bound >= opt - 1e-6
    assert plan.objective == pytest.approx(opt, rel=1e-9)


def test_equal_plans_keep_the_case_together():
    """Two identical examiners, four equal devices: every split of two-and-two scores the same,
    and greedy splits case X (A1 and A2 both start at hour 0 on different examiners). With
    tolerance 0 only ties are taken, and the plan keeping each case on one examiner wins."""
    devices = [dev("A1", 4, 2, case_id="X"), dev("A2", 4, 2, case_id="X"),
               dev("B1", 4, 2, case_id="Y"), dev("B2", 4, 2, case_id="Y")]
    examiners = [exm("E1", 4), exm("E2", 4)]
    g = greedy_week(devices, examiners, week_hours=8)
    assert g.cases_split == 2
    p = plan_week(devices, examiners, week_hours=8, lookahead_weeks=0,
                  config=PlanConfig(case_link_tolerance=0.0))
    assert p.objective == pytest.approx(g.objective)
    assert p.cases_split == 0
    assert {frozenset(a.device_id[0] for a in rows) for rows in p.assignments.values()} == {
        frozenset("A"), frozenset("B")}
    off = plan_week(devices, examiners, week_hours=8, lookahead_weeks=0,
                    config=PlanConfig(case_link_tolerance=-1))
    assert off.cases_split == 2


def test_case_grouping_costs_at_most_the_tolerance(week):
    devices, examiners, plan = week
    off = plan_week(devices, examiners, time_limit_s=10, config=PlanConfig(case_link_tolerance=-1))
    assert plan.cases_split <= off.cases_split
    assert plan.objective >= off.objective * (1 - 1e-4) - 1e-6
    assert plan.objective >= plan.greedy_objective


def test_warm_column_generation_matches_cold_lp_and_bound_tightens():
    """Devices added to the kept GLOP model (spare rows, warm start) give the same LP optimum as
    a cold solve over the enlarged set, and the priced bound never drops below that optimum."""
    from dfu_sched.optimiser import lp as L
    from dfu_sched.optimiser.model import build_instance

    devices, examiners = synthetic_week(400, 6, seed=4, n_deadlines=3)
    inst = build_instance(devices, examiners, 168.0, PlanConfig())
    must = {j for j in range(inst.n) if inst.due[j]}
    small = L.candidates(inst, 0.6)
    model = L.TiLP(inst, small, must)
    first = model.solve(30)
    b0, vals = L.priced_bound(inst, first.pi, must)
    extra = [j for j in L.candidates(inst, 1.5) if j not in set(small)][:20]
    assert model.add_devices(extra) == extra
    warm = model.solve(30)
    cold = L.solve_ti_lp(inst, sorted(set(small) | set(extra)), 30, must)
    assert warm.value == pytest.approx(cold.value, rel=1e-7)
    assert warm.value >= first.value - 1e-6
    b1 = L.priced_bound(inst, warm.pi, must)[0]
    assert min(b0, b1) >= warm.value * (1 - 1e-7)
    # the flow form solves the same LP as the textbook one: a plan maps onto it
    plan = plan_week(devices, examiners, time_limit_s=10, lookahead_weeks=0)
    assert plan.bound >= plan.objective - 1e-6


def test_lp_roundings_are_valid_plans(week):
    from dfu_sched.optimiser import lp as L
    from dfu_sched.optimiser.greedy import place_due, release_infeasible
    from dfu_sched.optimiser.model import build_instance
    from dfu_sched.optimiser.sequence import check_plan

    devices, examiners, _ = week
    inst = build_instance(devices, examiners, 168.0, PlanConfig())
    _, _, infeasible = place_due(inst)
    release_infeasible(inst, infeasible)
    must = {j for j in range(inst.n) if inst.due[j]}
    lp = L.solve_ti_lp(inst, L.candidates(inst, 1.2), 30, must)
    for plan in (L.round_lp(inst, lp), L.round_dp(inst, lp, 0.5, True), L.round_dp(inst, lp, 0.3, False),
                 L.round_mean_start(inst, lp)):
        assert check_plan(inst, plan) == []


def test_scip_step_is_optional_and_never_worse():
    devices, examiners = synthetic_week(60, 3, seed=6, n_deadlines=2)
    off = plan_week(devices, examiners, time_limit_s=3, lookahead_weeks=0)
    on = plan_week(devices, examiners, time_limit_s=3, lookahead_weeks=0,
                   config=PlanConfig(scip=True, scip_node_limit=50))
    assert "scip" not in off.timings and "scip" in on.timings
    assert on.objective >= off.objective - 1e-6
    assert on.objective <= on.bound + 1e-6



# --- issue 8: the search and its proof -------------------------------------------------------

def _same_plan(a, b):
    assert a.assignments == b.assignments
    assert a.objective == b.objective and a.bound == b.bound and a.method == b.method


def test_time_limit_is_only_a_safety_net():
    """The wall-clock limit no longer sets the search effort: 5 s and 60 s give the same plan
    (before, --time-limit also scaled the local-search budget and the number of LP roundings)."""
    devices, examiners = synthetic_week(300, 6, seed=3, n_deadlines=4)
    a = plan_week(devices, examiners, time_limit_s=5, lookahead_weeks=0)
    b = plan_week(devices, examiners, time_limit_s=60, lookahead_weeks=0)
    _same_plan(a, b)
    assert a.lp_complete and a.effort["lp_iterations"] > 0
    assert a.effort["search_budget"] == 20000


def test_same_plan_with_the_other_core_busy():
    """Two runs, one beside a busy-loop process, give identical plans and bounds: all effort is
    counted (LP iterations, search evaluations), nothing reads the clock."""
    import subprocess
    import sys

    devices, examiners = synthetic_week(300, 6, seed=3, n_deadlines=4)
    quiet = plan_week(devices, examiners, lookahead_weeks=0)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        loaded = plan_week(devices, examiners, lookahead_weeks=0)
    finally:
        busy.kill()
        busy.wait()
    _same_plan(quiet, loaded)


def test_bound_survives_a_cut_lp():
    """An LP cut short (here deterministically, by a tiny iteration limit) is not rounded and
    its priced duals lose to the Lagrangian bound, which stays within 1 % of the LP's bound (the old heuristic
    slot prices were 17-39 % off), is valid, and the plan is the same every time."""
    from dfu_sched.optimiser import lp as L
    from dfu_sched.optimiser.greedy import place_due, release_infeasible
    from dfu_sched.optimiser.model import build_instance

    devices, examiners = synthetic_week(400, 10, seed=1)
    cut_cfg = PlanConfig(lp_iterations=50)
    cut = plan_week(devices, examiners, lookahead_weeks=0, config=cut_cfg, search_budget=3000)
    assert not cut.lp_complete
    assert "50-iteration limit" in cut.method and "Lagrangian bound" in cut.method
    inst = build_instance(devices, examiners, 168.0, PlanConfig())
    _, _, infeasible = place_due(inst)
    release_infeasible(inst, infeasible)
    must = {j for j in range(inst.n) if inst.due[j]}
    lp = L.solve_ti_lp(inst, L.candidates(inst, 1.2), 300, must)
    assert lp.optimal
    lp_bound = L.priced_bound(inst, lp.pi, must)[0]
    assert cut.objective <= lp_bound + 1e-6 <= cut.bound + 1e-6
    assert cut.bound <= lp_bound * 1.01
    _same_plan(cut, plan_week(devices, examiners, lookahead_weeks=0, config=cut_cfg, search_budget=3000))


def _tiny_instance(seed: int):
    """Six devices, two examiners (one phones only), 6 h: small enough for the brute-force optimum."""
    from dfu_sched.optimiser.greedy import place_due, release_infeasible
    from dfu_sched.optimiser.model import build_instance

    rng = random.Random(seed)
    devices = [dev(f"D{i}", rng.choice([1, 2, 4, 8]), rng.choice([0.5, 1, 1.5, 2, 3]),
                   skill=rng.choice(["mobile", "mobile", "computer"])) for i in range(6)]
    examiners = [exm("E1", rng.choice([2, 3, 4])), exm("E2", rng.choice([2, 3]), ("mobile", "computer"))]
    H = 6.0
    opt = brute_force(devices, examiners, H)
    inst = build_instance(devices, examiners, H, PlanConfig())
    _, _, infeasible = place_due(inst)
    release_infeasible(inst, infeasible)
    return inst, opt


@pytest.mark.parametrize("seed", range(4))
def test_lagrangian_bound_is_valid(seed):
    """The fallback bound is never below the brute-force optimum (with and without deadlines)."""
    from dfu_sched.optimiser.lagrange import lagrangian_bound

    inst, opt = _tiny_instance(200 + seed)
    for cand in (list(range(inst.n)), [0, 1]):      # all devices relaxed, or two (others priced)
        assert lagrangian_bound(inst, cand, set(), opt, iterations=60) >= opt - 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_refined_prices_bound_is_valid_and_lagrangian_rounding_is_a_plan(seed):
    """The slot-price refinement never goes below the brute-force optimum nor above its start;
    the Lagrangian rounding is a valid plan that meets the deadlines."""
    from dfu_sched.optimiser import lp as L
    from dfu_sched.optimiser.lagrange import lagrange_plan, lagrangian, refine_prices, start_prices
    from dfu_sched.optimiser.sequence import check_plan, total_score

    inst, opt = _tiny_instance(300 + seed)
    cand = list(range(inst.n))
    lag = lagrangian(inst, cand, set(), opt, iterations=30)
    for target in (opt, 0.5 * opt):
        refined, pi = refine_prices(inst, lag.pi, set(), target, 40)
        assert opt - 1e-6 <= refined <= lag.bound + 1e-9
        assert L.priced_bound(inst, pi, set())[0] == pytest.approx(refined)
    for sigma in (lag.sigma, start_prices(inst, pi)):
        plan = lagrange_plan(inst, sigma, cand)
        assert not check_plan(inst, plan) and total_score(inst, plan) <= opt + 1e-6


def test_iteration_cut_lp_is_the_same_with_the_other_core_busy():
    """An LP cut by its iteration count (not the clock) is deterministic: its priced duals
    join the bound, and a run beside a busy loop gives the same plan and bound."""
    import subprocess
    import sys

    devices, examiners = synthetic_week(300, 6, seed=3, n_deadlines=4)
    cfg = PlanConfig(lp_iterations=100, lagrange_iterations=40, price_refine_iterations=20)
    quiet = plan_week(devices, examiners, lookahead_weeks=0, config=cfg, search_budget=2000)
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        loaded = plan_week(devices, examiners, lookahead_weeks=0, config=cfg, search_budget=2000)
    finally:
        busy.kill()
        busy.wait()
    _same_plan(quiet, loaded)
    assert not quiet.lp_complete and "100-iteration limit" in quiet.method
    assert quiet.effort["price_refine_iterations"] == 20


@pytest.mark.slow
def test_2000x16_under_a_hit_time_limit_is_reproducible_and_close():
    """Issue 8 items 1-2, the reported instance: 2,000 devices x 16 examiners with the LP's
    wall-clock safety net hit (before: three runs, three plans; reported gap 20.3 %). The cut
    LP is dropped, so both runs give the same plan, with a bound within 1 % of the LP's, a
    plan within 1 % of the LP bound and, the issue's target, a reported gap within 1 % (it
    was 1.42 % with greedy + local search and the Lagrangian bound alone)."""
    from dfu_sched.optimiser import lp as L
    from dfu_sched.optimiser.greedy import place_due, release_infeasible
    from dfu_sched.optimiser.model import build_instance

    devices, examiners = synthetic_week(2000, 16, seed=1)
    a = plan_week(devices, examiners, lookahead_weeks=0, time_limit_s=0.01)
    b = plan_week(devices, examiners, lookahead_weeks=0, time_limit_s=0.01)
    _same_plan(a, b)
    assert a.gap < 0.01
    assert not a.lp_complete and "safety net" in a.method and "Lagrangian bound" in a.method
    inst = build_instance(devices, examiners, 168.0, PlanConfig())
    _, _, infeasible = place_due(inst)
    release_infeasible(inst, infeasible)
    must = {j for j in range(inst.n) if inst.due[j]}
    lp = L.solve_ti_lp(inst, L.candidates(inst, 1.2), 300, must)
    lp_bound = L.priced_bound(inst, lp.pi, must)[0]
    assert lp.optimal and lp_bound <= a.bound <= lp_bound * 1.01
    assert (lp_bound - a.objective) / lp_bound < 0.01


def test_deadline_met_when_greedy_placement_blocks_it():
    """Two devices due Monday 12:00: a 2 h phone and a 4 h computer; E1 does both skills, E2
    phones only. The EDD rule gives the phone to E1 (both finish it at 10:00, E1 first) and then
    cannot fit the computer; the exact assignment puts the phone on E2 and meets both."""
    devices = [dev("D1", 4, 2, deadline_hours=12.0), dev("D2", 4, 4, skill="computer", deadline_hours=12.0)]
    examiners = [exm("E1", 7.5, ("mobile", "computer"), windows=[(8.0, 15.5)]),
                 exm("E2", 7.5, ("mobile",), windows=[(8.0, 15.5)])]
    for p in (plan_week(devices, examiners, lookahead_weeks=0),
              plan_week(devices, examiners, lookahead_weeks=0, mode="fast"),
              greedy_week(devices, examiners)):
        assert p.infeasible_deadlines == []
        ends = {a.device_id: (e, a.end) for e, rows in p.assignments.items() for a in rows}
        assert ends["D1"] == ("E2", 10.0) and ends["D2"] == ("E1", 12.0)


def test_exact_deadlines_keep_as_many_as_possible():
    """Three 4 h devices due Monday 12:00, two examiners: only two can be met, exactly two are
    reported met, and the one left out is the lightest."""
    devices = [dev("D1", 1, 4, deadline_hours=12.0), dev("D2", 8, 4, deadline_hours=12.0),
               dev("D3", 4, 4, deadline_hours=12.0)]
    examiners = [exm("E1", 7.5, windows=[(8.0, 15.5)]), exm("E2", 7.5, windows=[(8.0, 15.5)])]
    p = plan_week(devices, examiners, lookahead_weeks=0)
    assert p.infeasible_deadlines == ["D1"]


def test_gap_on_working_hours():
    """The hand-checkable week (H = 8, one examiner working hours 0-4): the plan is D alone,
    w = 10, earning 10 x (8 - 4) = 40 after the working week ends whenever it starts; the
    working-hours gap divides the shortfall by the bound minus those 40."""
    devices = [dev("A", 4, 1), dev("B", 1, 1), dev("C", 3, 3), dev("D", 10, 4)]
    plan = plan_week(devices, [exm("E1", 4)], week_hours=8, lookahead_weeks=0)
    assert plan.objective == pytest.approx(80)
    assert plan.gap_working_hours == pytest.approx((plan.bound - 80) / (plan.bound - 40))
    assert plan.gap_working_hours > plan.gap > 0


def test_working_hours_gap_on_a_synthetic_week(week):
    from dfu_sched.optimiser.model import build_instance, working_hours_tail

    devices, examiners, plan = week
    inst = build_instance(devices, examiners, 168.0, PlanConfig())
    idx = {d.id: j for j, d in enumerate(devices)}
    x = [[idx[a.device_id] for a in plan.assignments[e.id]] for e in examiners]
    tail = working_hours_tail(inst, x)
    assert 0.3 * plan.objective < tail < 0.6 * plan.objective   # Fri 15:30 to Sun midnight
    assert plan.gap_working_hours == pytest.approx((plan.bound - plan.objective) / (plan.bound - tail))


def test_usable_hours_are_whole_slots():
    """36 h over 5 days is 7.2 h a day: whole 30-minute slots are spread over the days so all
    36 h can be planned; 36.2 h reports 36 h usable."""
    from dfu_sched.optimiser.model import build_instance
    from dfu_sched.plan.clock import slot_windows
    from dfu_sched.plan.files import StaffRow

    def staff(hours):
        return StaffRow(row=2, examiner_id="E1", skills=("mobile",), hours=hours, accreditation=1,
                        days_off=(), start_hour=8.0)

    for hours, usable in ((36.0, 36.0), (36.2, 36.0), (37.5, 37.5), (7.0, 7.0)):
        win = slot_windows(staff(hours))
        x = PlanExaminer(id="E1", skills=frozenset({"mobile"}), hours=hours, windows=win)
        inst = build_instance([dev("D1", 1, 1)], [x], 168.0, PlanConfig())
        assert inst.cap[0] * 0.5 == pytest.approx(usable)
        assert all(a == 24 * d + 8.0 for d, (a, _b) in enumerate(win))
        p = plan_week([dev("D1", 1, 1)], [x], lookahead_weeks=0)
        assert p.usable_hours == {"E1": usable}


def test_column_generation_runs_until_no_device_prices_positive():
    """With a tiny candidate set far more than 4 x 64 devices price positive; column
    generation goes on until none does, so the bound is the TI-LP over the whole queue,
    the same as from a generous candidate set."""
    devices, examiners = synthetic_week(400, 6, seed=4, n_deadlines=3)
    small = plan_week(devices, examiners, lookahead_weeks=0, config=PlanConfig(candidate_factor=0.05),
                      search_budget=1000)
    big = plan_week(devices, examiners, lookahead_weeks=0, config=PlanConfig(candidate_factor=3.0),
                    search_budget=1000)
    assert small.lp_complete and "column generation stopped" not in small.method
    assert small.bound == pytest.approx(big.bound, rel=1e-6)


def test_plan_reports_usable_hours_and_both_gaps(tmp_path):
    """The summary shows the hours the plan can really use and the working-hours gap; hours
    that do not fill whole 30-minute slots are named in a warning (the count, not who)."""
    import json

    from click.testing import CliRunner

    from dfu_sched.cli import main

    staff = tmp_path / "staff.csv"
    staff.write_text("examiner_id,skills,hours,accreditation\nX1,mobile;computer,36,2\n"
                     "X2,mobile,36.2,1\n")
    r = CliRunner().invoke(main, ["plan", "scenarios/examples/queue.csv", "--staff", str(staff),
                                  "--week", "2024-06-03", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    s = doc["summary"]
    assert s["hours_available"] == 72.2 and s["hours_usable"] == 72.0
    assert {x["examiner"]: x["usable_hours"] for x in doc["examiners"]} == {"X1": 36.0, "X2": 36.0}
    assert any("0.2 h of 1 examiner(s) cannot be planned" in w for w in doc["warnings"])
    assert s["gap_to_bound_working_hours"] > s["gap_to_bound"] > 0
    assert s["lp_complete"] is True and s["effort"]["search_budget"] == 20000
    assert doc["inputs"]["search_budget"] == 20000
    from dfu_sched.reports.plan_html import replan_command

    assert "--search-budget 20000" in replan_command(doc)
