"""The weekly priority plan: which devices each examiner works this week, in what order, and why.

Objective (optimiser.md): a device started at hour S of the week scores ``w (H - S)``, the
risk-hours saved against leaving it to next week, with ``w = tier weight x aging x expedite``
(see :class:`PlanConfig`). Maximising the sum is minimising child-safeguarding exposure.

``plan_week`` (mode "full", the CLI path):
1. due devices (deadline inside the week) placed earliest-deadline-first; those no examiner can
   finish in time are reported in ``infeasible_deadlines`` and planned as ordinary devices;
2. the greedy rule (w/p, skills matched): the baseline every plan is compared with;
3. a time-indexed LP (GLOP) over candidate devices, whose slot prices give a bound for the
   whole queue (``bound``); excluded devices that price positive join the improvement pool;
4. LP rounding, then exact improvement (per-examiner DP re-selection and local search);
5. the best of all plans found, never worse than greedy;
6. soft case links: a split case's devices are regrouped onto one examiner when that loses at
   most ``PlanConfig.case_link_tolerance`` of the objective (reported as ``cases_split``);
then a greedy forecast of later weeks.
Mode "fast" (used by the simulation every simulated week) skips the LP: greedy, improvement,
and a bound from heuristic slot prices (valid, looser).
"""
from __future__ import annotations

import time
from typing import Literal, Sequence

from dfu_sched.optimiser.model import (
    UNIT_HOURS, Assignment, Instance, PlanConfig, PlanDevice, PlanExaminer, WeekPlan, build_instance,
)

__all__ = ["Assignment", "PlanConfig", "PlanDevice", "PlanExaminer", "WeekPlan", "plan_week",
           "greedy_week"]


def plan_week(devices: Sequence[PlanDevice], examiners: Sequence[PlanExaminer], *,
              week_hours: float = 168.0, time_limit_s: float = 10.0, seed: int = 0,
              mode: Literal["fast", "full"] = "full", lookahead_weeks: int = 4,
              config: PlanConfig | None = None) -> WeekPlan:
    """Plan one week. Same input, same ``time_limit_s`` and ``seed`` -> the same plan.

    ``seed`` only breaks exact ties (all search limits are counts, not seconds), so it is kept for
    the API; the LP's own time limit is a safety net that a normal run never reaches.
    """
    from dfu_sched.optimiser import lp as L
    from dfu_sched.optimiser.greedy import greedy, place_due, release_infeasible
    from dfu_sched.optimiser.improve import case_splits, dp_sweep, keep_cases_together, local_search
    from dfu_sched.optimiser.lookahead import forecast
    from dfu_sched.optimiser.sequence import check_plan, total_score

    cfg = config or PlanConfig()
    _check_unique(devices, examiners)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    inst = build_instance(devices, examiners, week_hours, cfg)
    _, _, infeasible = place_due(inst)
    release_infeasible(inst, infeasible)
    must = {j for j in range(inst.n) if inst.due[j]}
    base = greedy(inst)
    base_val = total_score(inst, base)
    timings["greedy"] = time.perf_counter() - t0
    plans: list[tuple[float, str, list[list[int]]]] = [(base_val, "greedy", base)]
    bound = float("inf")
    method_parts = []
    if inst.n and inst.m:
        if mode == "full":
            factor = cfg.candidate_factor or max(1.2, min(2.0, 2.0 * 12 / max(inst.m, 1)))
            cand = L.candidates(inst, factor)
            t1 = time.perf_counter()
            lp = L.solve_ti_lp(inst, cand, max(1.0, 0.8 * time_limit_s), must)
            if lp is not None:
                bound, vals = L.priced_bound(inst, lp.pi, must)
                in_lp = set(cand)
                # excluded devices that price positive could still help: offer them to the
                # improvement search (the bound above already covers them, so no LP re-solve)
                outside = [j for j in range(inst.n) if vals[j] > 1e-9 * max(1.0, bound) and j not in in_lp]
                cand = sorted(in_lp | set(outside))
                timings["lp"] = time.perf_counter() - t1
                rounded = L.round_lp(inst, lp)
                plans.append((total_score(inst, rounded), "LP rounding", rounded))
                method_parts.append(f"TI-LP (GLOP{'' if lp.optimal else ', time limit'}) bound")
            pool = cand
            budget = int(20000 * max(1.0, min(time_limit_s, 30.0)) / 10.0)
            rounds = 4
        else:
            pool = L.candidates(inst, 1.5)
            budget, rounds = 600, 1
        t2 = time.perf_counter()
        starts = sorted(plans, key=lambda t: -t[0])[:2]
        for val, name, start in starts:
            cur = start
            for _ in range(rounds):
                nxt = dp_sweep(inst, cur, pool, rounds=2 if mode == "full" else 1)
                nxt = local_search(inst, nxt, pool, budget=budget, swaps=mode == "full")
                if total_score(inst, nxt) <= total_score(inst, cur) + 1e-9:
                    cur = nxt
                    break
                cur = nxt
            plans.append((total_score(inst, cur), f"{name} + DP/local search", cur))
        timings["improve"] = time.perf_counter() - t2
        if mode == "fast" or bound == float("inf") or "time limit" in " ".join(method_parts):
            prices = L.heuristic_prices(inst)
            for theta in (0.9, 1.0, 1.1):
                bound = min(bound, L.priced_bound(inst, [theta * x for x in prices], must)[0])
            method_parts.append("heuristic-price bound")
    valid = [t for t in plans if not check_plan(inst, t[2])]
    best_val, best_name, best = max(valid or plans[:1], key=lambda t: (t[0], t[1] == "greedy"))
    if mode == "full" and cfg.case_link_tolerance >= 0 and inst.m > 1:
        t3 = time.perf_counter()
        grouped = keep_cases_together(inst, best, cfg.case_link_tolerance)
        g_val = total_score(inst, grouped)
        if g_val >= base_val - 1e-9 and not check_plan(inst, grouped) and \
                case_splits(inst, grouped) < case_splits(inst, best):
            best, best_val = grouped, g_val
            best_name += " + case grouping"
        timings["cases"] = time.perf_counter() - t3
    if not inst.n or not inst.m:
        bound = 0.0
    timings["total_before_forecast"] = time.perf_counter() - t0
    start_week, beyond = forecast(inst, best, lookahead_weeks)
    timings["total"] = time.perf_counter() - t0
    return _result(inst, best, best_val, base_val, bound, best_name, method_parts, infeasible,
                   start_week, beyond, timings, lookahead_weeks)


def greedy_week(devices: Sequence[PlanDevice], examiners: Sequence[PlanExaminer], *,
                week_hours: float = 168.0, config: PlanConfig | None = None) -> WeekPlan:
    """The greedy rule alone (the comparison baseline), as a WeekPlan without a bound."""
    from dfu_sched.optimiser.greedy import greedy, place_due, release_infeasible
    from dfu_sched.optimiser.sequence import total_score

    inst = build_instance(devices, examiners, week_hours, config or PlanConfig())
    _, _, infeasible = place_due(inst)
    release_infeasible(inst, infeasible)
    plan = greedy(inst)
    val = total_score(inst, plan)
    return _result(inst, plan, val, val, float("nan"), "greedy", [], infeasible, {}, [], {}, 0)


def _check_unique(devices: Sequence[PlanDevice], examiners: Sequence[PlanExaminer]) -> None:
    for what, items in (("device", devices), ("examiner", examiners)):
        seen: set[str] = set()
        for it in items:
            if it.id in seen:
                raise ValueError(f"duplicate {what} id {it.id!r}")
            seen.add(it.id)


def _result(inst: Instance, plan: list[list[int]], val: float, base_val: float, bound: float,
            name: str, method_parts: list[str], infeasible: list[int], start_week: dict[int, int],
            beyond: list[int], timings: dict[str, float], weeks: int) -> WeekPlan:
    from dfu_sched.optimiser.sequence import starts

    assignments: dict[str, list[Assignment]] = {}
    for e, order in enumerate(plan):
        rows = []
        clock = inst.clock[e]
        for j, s in zip(order, starts(inst, order)):
            end_slot = s + int(inst.p[j]) - 1
            rows.append(Assignment(inst.devices[j].id, float(clock[s]), float(clock[end_slot] + UNIT_HOURS)))
        assignments[inst.examiners[e].id] = rows
    from dfu_sched.optimiser.improve import case_splits

    planned = {j for x in plan for j in x}
    gap = 0.0 if bound <= 0 else max(0.0, (bound - val) / bound)
    improvement = 0.0 if base_val <= 0 else (val - base_val) / base_val
    method = name + (" | " + ", ".join(method_parts) if method_parts else "")
    ids = [d.id for d in inst.devices]
    return WeekPlan(
        assignments=assignments, objective=val, greedy_objective=base_val, bound=bound, gap=gap,
        improvement_over_greedy=improvement, method=method,
        infeasible_deadlines=[ids[j] for j in infeasible],
        expected_start_week={ids[j]: w for j, w in sorted(start_week.items())},
        unassigned=[ids[j] for j in range(inst.n) if j not in planned],
        beyond_horizon=[ids[j] for j in beyond],
        split_devices=[ids[j] for j in planned if inst.split[j]],
        weights={ids[j]: float(inst.w[j]) for j in range(inst.n)},
        timings=timings, week_hours=inst.H, lookahead_weeks=weeks, cases_split=case_splits(inst, plan))
