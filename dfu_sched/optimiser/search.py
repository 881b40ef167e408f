"""The search for the weekly priority plan: its phases, each a function, and the plan they return.

Why it is its own module: the package's ``__init__`` only names the public API; this is where the
phases of ``plan_week`` live, so each can be read (and timed) on its own.

Objective (docs/optimiser.md): a device started at hour S of the week scores ``w (H - S)``, the
risk-hours saved against leaving it to next week, with ``w = tier weight x aging x expedite``
(see :class:`PlanConfig`). Maximising the sum is minimising child-safeguarding exposure.

``plan_week`` (mode "full", the CLI path):
1. start (:func:`_start`): due devices (deadline inside the week) placed earliest-deadline-first,
   or by an exact assignment when that rule leaves a deadline unmet (``greedy.place_due``);
   those no plan can meet are reported in ``infeasible_deadlines`` and planned as ordinary
   devices; then the greedy rule (w/p, skills matched): the baseline every plan is compared with;
2. bound (:func:`_full_search`): a time-indexed LP (GLOP) over candidate devices, whose slot
   prices give a bound for the whole queue (``bound``); devices that price positive are added
   until none does (:func:`_column_generation`), and join the improvement pool. If the LP does
   not finish, the bound is the counted Lagrangian one (:func:`_lagrangian_search`: subgradient
   on device prices, then on the slot prices of the priced bound) and plans are rounded from its
   prices; an LP cut by its iteration count is deterministic, so its clipped duals are priced
   into the bound too, while one stopped by the wall-clock safety net is not used at all: the
   plan and the bound never depend on where the clock cut a solve;
3. improve (:func:`_round_and_improve`, :func:`_improve`): LP (or Lagrangian) rounding, then
   exact improvement (per-examiner DP re-selection and local search);
4. the best of all plans found, never worse than greedy (:func:`_best`);
5. polish (:func:`_polish`): optionally SCIP, then soft case links: a split case's devices are
   regrouped onto one examiner when that loses at most ``PlanConfig.case_link_tolerance`` of the
   objective (reported as ``cases_split``);
then a greedy forecast of later weeks. Every limit is a count; ``gap_working_hours`` reports
the gap on the part of the objective earned during working hours (``model.working_hours_tail``).
Mode "fast" (used by the simulation every simulated week) skips the LP: greedy, improvement,
and a bound from heuristic slot prices (valid, looser) (:func:`_fast_search`).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from dfu_sched.optimiser.greedy import greedy, place_due, release_infeasible
from dfu_sched.optimiser.improve import case_splits, dp_sweep, keep_cases_together, local_search
from dfu_sched.optimiser.lagrange import lagrange_plan, lagrangian, refine_prices, start_prices
from dfu_sched.optimiser.lookahead import forecast
from dfu_sched.optimiser.lp import (
    LPResult,
    TiLP,
    candidates,
    heuristic_prices,
    priced_bound,
    round_dp,
    round_lp,
    round_mean_start,
)
from dfu_sched.optimiser.model import (
    UNIT_HOURS,
    Assignment,
    Instance,
    PlanConfig,
    PlanDevice,
    PlanExaminer,
    WeekPlan,
    build_instance,
    working_hours_tail,
)
from dfu_sched.optimiser.sequence import check_plan, ratio_order, starts, total_score

#: Local-search move evaluations per improvement run (mode "full"): the search's counted effort.
DEFAULT_SEARCH_BUDGET = 20_000
#: Wall-clock safety net for the LP (seconds). Far above a normal run, whatever the machine load.
DEFAULT_TIME_LIMIT_S = 300.0

Plan = list[list[int]]
#: A plan found on the way: (objective, how it was found, the plan).
Found = tuple[float, str, Plan]


@dataclass
class SearchLog:
    """What the phases record as they go: the plans found, the method's words, time and effort."""

    plans: list[Found] = field(default_factory=list)
    method_parts: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    effort: dict[str, int] = field(default_factory=dict)


@dataclass
class _Start:
    """The instance after the due devices were placed, and the greedy baseline."""

    inst: Instance
    infeasible: list[int]
    must: set[int]
    base: Plan
    base_val: float


def plan_week(devices: Sequence[PlanDevice], examiners: Sequence[PlanExaminer], *,
              week_hours: float = 168.0, time_limit_s: float = DEFAULT_TIME_LIMIT_S, seed: int = 0,
              mode: Literal["fast", "full"] = "full", lookahead_weeks: int = 4,
              config: PlanConfig | None = None, search_budget: int = DEFAULT_SEARCH_BUDGET,
              ) -> WeekPlan:
    """Plan one week. Same input, ``search_budget`` and config -> the same plan, on any machine.

    All effort is counted: ``search_budget`` move evaluations per local search (mode "full"),
    ``config.lp_iterations`` simplex iterations per LP solve, a fixed number of Lagrangian
    passes. ``time_limit_s`` is only a wall-clock safety net for the LP, which a normal run
    never reaches; if it is reached the LP is dropped (``WeekPlan.lp_complete`` is False, the
    method says so) and the plan then depends on the machine. ``seed`` is recorded (passed to
    SCIP); ties are broken by device id.
    """
    cfg = config or PlanConfig()
    _check_unique(devices, examiners)
    t0 = time.perf_counter()
    log = SearchLog()
    st = _start(devices, examiners, week_hours, cfg)
    inst = st.inst
    log.timings["greedy"] = time.perf_counter() - t0
    log.plans.append((st.base_val, "greedy", st.base))
    bound = float("inf")
    lp_model = None
    lp_complete = True
    if mode == "full":
        log.effort["search_budget"] = int(search_budget)
    if inst.n and inst.m:
        if mode == "full":
            bound, lp_model, lp_complete = _full_search(inst, cfg, st.must, time_limit_s, search_budget,
                                                        st.base, log)
            if not lp_complete:
                t5 = time.perf_counter()
                bound = _lagrangian_search(inst, cfg, st.must, bound, search_budget, log)
                log.effort["lagrange_iterations"] = cfg.lagrange_iterations
                log.effort["price_refine_iterations"] = cfg.price_refine_iterations
                log.timings["lagrange"] = time.perf_counter() - t5
        else:
            bound = _fast_search(inst, st.must, st.base, log)
    best_val, best_name, best = _best(inst, log.plans)
    if mode == "full":
        best, best_val, best_name = _polish(inst, cfg, lp_model, (best_val, best_name, best), st.base_val,
                                            time_limit_s - (time.perf_counter() - t0), seed, log)
    if not inst.n or not inst.m:
        bound = 0.0
    log.timings["total_before_forecast"] = time.perf_counter() - t0
    start_week, beyond = forecast(inst, best, lookahead_weeks)
    log.timings["total"] = time.perf_counter() - t0
    out = _result(inst, best, best_val, st.base_val, bound, best_name, log.method_parts, st.infeasible,
                  start_week, beyond, log.timings, lookahead_weeks)
    out.lp_complete = lp_complete
    out.effort = log.effort
    return out


def _start(devices: Sequence[PlanDevice], examiners: Sequence[PlanExaminer], week_hours: float,
           cfg: PlanConfig) -> _Start:
    """Phase 1: the instance, due devices placed (the infeasible ones released), the greedy plan."""
    inst = build_instance(devices, examiners, week_hours, cfg)
    _, _, infeasible = place_due(inst)
    release_infeasible(inst, infeasible)
    must = {j for j in range(inst.n) if inst.due[j]}
    base = greedy(inst)
    return _Start(inst, infeasible, must, base, total_score(inst, base))


def _fast_search(inst: Instance, must: set[int], base: Plan, log: SearchLog) -> float:
    """Mode "fast": greedy improved briefly, and the heuristic-price bound (no LP)."""
    pool = candidates(inst, 1.5)
    t2 = time.perf_counter()
    val, plan = _improve(inst, base, pool, 600, 1, fast=True)
    log.plans.append((val, "greedy + DP/local search", plan))
    log.timings["improve"] = time.perf_counter() - t2
    log.method_parts.append("heuristic-price bound")
    return _heuristic_bound(inst, must)


def _heuristic_bound(inst: Instance, must: set[int]) -> float:
    """The smallest priced bound of the heuristic slot prices scaled by 0.9, 1 and 1.1."""
    prices = heuristic_prices(inst)
    return min(priced_bound(inst, [theta * x for x in prices], must)[0] for theta in (0.9, 1.0, 1.1))


def _best(inst: Instance, plans: list[Found]) -> Found:
    """The best valid plan found (greedy wins a tie), or the first if none is valid."""
    valid = [t for t in plans if not check_plan(inst, t[2])]
    return max(valid or plans[:1], key=lambda t: (t[0], t[1] == "greedy"))


def _polish(inst: Instance, cfg: PlanConfig, lp_model: TiLP | None, found: Found, base_val: float,
            time_left_s: float, seed: int, log: SearchLog) -> tuple[Plan, float, str]:
    """Phase 5 (mode "full"): SCIP if asked for, then soft case links. Returns (plan, value, name)."""
    best_val, best_name, best = found
    if cfg.scip and lp_model is not None:
        from dfu_sched.optimiser.scip import scip_improve  # lazy: SCIP is opt-in and loads OR-Tools

        t4 = time.perf_counter()
        mip = scip_improve(inst, lp_model, best, max(2.0, time_left_s), cfg.scip_node_limit, seed)
        if mip is not None:
            best, best_val, best_name = mip, total_score(inst, mip), best_name + " + SCIP"
        log.timings["scip"] = time.perf_counter() - t4
    if cfg.case_link_tolerance >= 0 and inst.m > 1:
        t3 = time.perf_counter()
        grouped = keep_cases_together(inst, best, cfg.case_link_tolerance)
        g_val = total_score(inst, grouped)
        if g_val >= base_val - 1e-9 and not check_plan(inst, grouped) and \
                case_splits(inst, grouped) < case_splits(inst, best):
            best, best_val = grouped, g_val
            best_name += " + case grouping"
        log.timings["cases"] = time.perf_counter() - t3
    return best, best_val, best_name


def _improve(inst: Instance, start: Plan, pool: list[int], budget: int, rounds: int,
             fast: bool = False) -> tuple[float, Plan]:
    """DP re-selection and local search from ``start`` (counted work: deterministic)."""
    cur = start
    for _ in range(rounds):   # both moves never make a plan worse
        nxt = dp_sweep(inst, cur, pool, rounds=1 if fast else 2)
        nxt = local_search(inst, nxt, pool, budget=budget, swaps=not fast)
        improved = total_score(inst, nxt) > total_score(inst, cur) + 1e-9
        cur = nxt
        if not improved:
            break
    return total_score(inst, cur), cur


class _Background:
    """Run one call in a thread (GLOP releases the GIL, so the search goes on meanwhile)."""

    def __init__(self, fn: Callable[..., Any], *args: Any):
        self._out: list[tuple[bool, Any]] = []
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True)
        self._thread.start()

    def _run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            self._out.append((True, fn(*args)))
        except BaseException as exc:  # re-raised in the caller's thread
            self._out.append((False, exc))

    def result(self) -> Any:
        self._thread.join()
        ok, value = self._out[0]
        if not ok:
            raise value
        return value


def _full_search(inst: Instance, cfg: PlanConfig, must: set[int], time_limit_s: float,
                 budget: int, base: Plan, log: SearchLog) -> tuple[float, TiLP | None, bool]:
    """Mode "full": TI-LP bound priced over the whole queue, LP roundings, improvement.

    1. GLOP solves the TI-LP over the candidates in a background thread while the greedy plan
       is improved (both deterministic: the LP's effort is ``cfg.lp_iterations``, the search's
       ``budget``; neither result depends on which finishes first).
    2. Column generation by device, in the background (:func:`_column_generation`), while the
       first LP solution is rounded four ways and each is improved (:func:`_round_and_improve`).
    The reported bound is the smallest priced bound of an LP solved to optimality: each is
    valid for the whole queue whatever the candidate set (weak duality). A column-generation
    re-solve cut short is not used. If the first LP is cut, returns no model and the caller
    computes the Lagrangian bound and plans (:func:`_lagrangian_search`); the returned bound
    is then the cut LP's priced duals when its iteration count cut it (deterministic: same
    model, same count, same basis), else inf (the clock cut it: its duals would depend on
    where). Returns (bound, model or None, LP complete).
    """
    t1 = time.perf_counter()
    deadline = t1 + time_limit_s           # the wall-clock safety net, shared by all LP solves
    factor = cfg.candidate_factor or 1.2
    cand = candidates(inst, factor)
    pool_set = set(cand) | set(candidates(inst, max(2.0, factor)))
    rounds = 4
    model = TiLP(inst, cand, must)
    job = _Background(model.solve, time_limit_s, cfg.lp_iterations)
    pool = ratio_order(inst, pool_set)
    val, plan = _improve(inst, base, pool, budget, rounds)
    log.plans.append((val, "greedy + DP/local search", plan))
    lp = job.result()
    log.timings["lp"] = time.perf_counter() - t1
    log.effort["lp_iterations"] = model.iterations
    if lp is None or not lp.optimal:
        late = time.perf_counter() - t1 >= time_limit_s
        log.method_parts.append(f"TI-LP (GLOP) {_cut_reason(model, cfg, late)}")
        if lp is None or model.iterations < cfg.lp_iterations:   # the clock stopped it
            return float("inf"), None, False
        # cut by its iteration count alone: deterministic, so its duals clipped at 0 are valid
        # slot prices whose priced bound is the same on any machine (measured useless at 200
        # iterations, 6x the LP bound; its primal is not rounded for the same reason)
        return priced_bound(inst, lp.pi, must)[0], None, False
    first_bound, vals = priced_bound(inst, lp.pi, must)
    outside = _positive_outside(inst, vals, first_bound, set(model.cand))
    pool = ratio_order(inst, pool_set | set(outside))
    job2 = _Background(_column_generation, inst, cfg, must, deadline, model, vals, first_bound)
    t2 = time.perf_counter()
    _round_and_improve(inst, lp, pool, budget, rounds, log.plans)
    log.timings["improve"] = time.perf_counter() - t2
    bound, complete, added, rounds_done, last = job2.result()
    log.timings["lp_cg_wait"] = time.perf_counter() - t2 - log.timings["improve"]
    log.effort["lp_iterations"] = model.iterations + (last.iterations if last is not model else 0)
    log.effort["cg_rounds"] = rounds_done
    cg = f", +{added} priced-in devices in {rounds_done} round(s)" if added else ""
    cut = "" if complete else ", column generation stopped early"
    log.method_parts.append(f"TI-LP (GLOP{cg}{cut}) bound")
    return bound, last, True


def _column_generation(inst: Instance, cfg: PlanConfig, must: set[int], deadline: float, model: TiLP,
                       vals: np.ndarray, bound: float) -> tuple[float, bool, int, int, TiLP]:
    """Price every queued device with the LP's slot prices; add those outside it that price positive.

    The LP is re-solved (warm while spare rows last, else rebuilt with every device so far) until
    no device prices positive (``cfg.cg_max_rounds`` is only a safety cap). The bound is the
    smallest priced bound of an optimal solve; a re-solve cut short stops the loop and is not used.
    Returns (bound, complete, devices added, rounds, the last model).
    """
    added, rounds_done, complete = 0, 0, True
    while True:
        out = sorted(_positive_outside(inst, vals, bound, set(model.cand)), key=lambda j: (-vals[j], j))
        if not out:
            break
        if rounds_done >= cfg.cg_max_rounds:
            complete = False
            break
        rounds_done += 1
        new = model.add_devices(out)
        if len(new) < len(out):        # spare rows used up: rebuild with every device so far
            model = TiLP(inst, sorted(set(model.cand) | set(out)), must)
            new = out
        added += len(new)
        nxt = model.solve(max(0.001, deadline - time.perf_counter()), cfg.lp_iterations)
        if nxt is None or not nxt.optimal:   # cut short: keep the last optimal LP's bound
            complete = False
            break
        b, vals = priced_bound(inst, nxt.pi, must)
        bound = min(bound, b)
    return bound, complete, added, rounds_done, model


def _lagrangian_search(inst: Instance, cfg: PlanConfig, must: set[int], cut_bound: float,
                       budget: int, log: SearchLog) -> float:
    """The LP did not finish: a counted Lagrangian bound, and plans from its prices.

    The subgradient starts from zero prices (measured: starting from the prices implied by
    the heuristic slot prices or by a 200-iteration LP's duals ends looser) and aims at the
    best plan so far; the slot prices of its best bound are then refined by a subgradient on
    the priced bound itself (:func:`lagrange.refine_prices`). Two sets of device prices are
    rounded into plans (:func:`lagrange.lagrange_plan`), each then improved: those of the
    best Lagrangian pass, and those implied by the refined slot prices.
    Returns the smallest of ``cut_bound`` (an iteration-cut LP's priced duals, or inf), the
    heuristic and the Lagrangian bound; all counted work, so the same on any machine.
    """
    plans = log.plans
    heuristic = _heuristic_bound(inst, must)
    factor = cfg.candidate_factor or 1.2
    cand = candidates(inst, factor)
    target = max(t[0] for t in plans)
    lag = lagrangian(inst, cand, must, target, cfg.lagrange_iterations)
    pool = ratio_order(inst, set(cand) | set(candidates(inst, max(2.0, factor))))

    def round_and_improve(name: str, sigma: np.ndarray) -> None:
        start = lagrange_plan(inst, sigma, cand)
        plans.append((total_score(inst, start), name, start))
        val, plan = _improve(inst, start, pool, budget, 4)
        plans.append((val, f"{name} + DP/local search", plan))

    round_and_improve("Lagrangian rounding", lag.sigma)
    target = max(t[0] for t in plans)
    refined, pi = refine_prices(inst, lag.pi, must, target, cfg.price_refine_iterations)
    round_and_improve("Lagrangian slot-price rounding", start_prices(inst, pi))
    bound, name = min((cut_bound, "cut-LP dual bound"), (min(lag.bound, refined), "Lagrangian bound"),
                      (heuristic, "heuristic-price bound"), key=lambda t: t[0])
    log.method_parts.append(name)
    return bound


def _round_and_improve(inst: Instance, lp: LPResult, pool: list[int], budget: int, rounds: int,
                       plans: list[Found]) -> None:
    """The LP solution rounded four ways, each improved (all appended to ``plans``)."""
    found = [("LP rounding", round_lp(inst, lp)),
             ("LP assignment DP", round_dp(inst, lp, 0.5, True)),
             ("LP assignment DP (0.3)", round_dp(inst, lp, 0.3, False)),
             ("LP mean-start list", round_mean_start(inst, lp))]
    for name, start in found:
        plans.append((total_score(inst, start), name, start))
        val, plan = _improve(inst, start, pool, budget, rounds)
        plans.append((val, f"{name} + DP/local search", plan))


def _cut_reason(model: TiLP, cfg: PlanConfig, late: bool) -> str:
    if model.iterations >= cfg.lp_iterations:
        return f"stopped at its {cfg.lp_iterations:,}-iteration limit"
    if late:
        return "stopped by the wall-clock safety net (--time-limit)"
    return "failed"


def _positive_outside(inst: Instance, vals: np.ndarray, bound: float, in_lp: set[int]) -> list[int]:
    return [j for j in range(inst.n) if vals[j] > 1e-9 * max(1.0, bound) and j not in in_lp]


def greedy_week(devices: Sequence[PlanDevice], examiners: Sequence[PlanExaminer], *,
                week_hours: float = 168.0, config: PlanConfig | None = None) -> WeekPlan:
    """The greedy rule alone (the comparison baseline), as a WeekPlan without a bound."""
    st = _start(devices, examiners, week_hours, config or PlanConfig())
    return _result(st.inst, st.base, st.base_val, st.base_val, float("nan"), "greedy", [], st.infeasible,
                   {}, [], {}, 0)


def _check_unique(devices: Sequence[PlanDevice], examiners: Sequence[PlanExaminer]) -> None:
    for what, items in (("device", devices), ("examiner", examiners)):
        seen: set[str] = set()
        for it in items:
            if it.id in seen:
                raise ValueError(f"duplicate {what} id {it.id!r}")
            seen.add(it.id)


def _result(inst: Instance, plan: Plan, val: float, base_val: float, bound: float,
            name: str, method_parts: list[str], infeasible: list[int], start_week: dict[int, int],
            beyond: list[int], timings: dict[str, float], weeks: int) -> WeekPlan:
    assignments: dict[str, list[Assignment]] = {}
    for e, order in enumerate(plan):
        rows = []
        clock = inst.clock[e]
        for j, s in zip(order, starts(inst, order)):
            end_slot = s + int(inst.p[j]) - 1
            rows.append(Assignment(inst.devices[j].id, float(clock[s]), float(clock[end_slot] + UNIT_HOURS)))
        assignments[inst.examiners[e].id] = rows
    planned = {j for x in plan for j in x}
    gap = 0.0 if bound <= 0 else max(0.0, (bound - val) / bound)
    controllable = bound - working_hours_tail(inst, plan)
    gap_wh = 0.0 if controllable <= 0 else max(0.0, (bound - val) / controllable)
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
        timings=timings, week_hours=inst.H, lookahead_weeks=weeks, cases_split=case_splits(inst, plan),
        gap_working_hours=gap_wh,
        usable_hours={x.id: float(inst.cap[e]) * UNIT_HOURS for e, x in enumerate(inst.examiners)})
