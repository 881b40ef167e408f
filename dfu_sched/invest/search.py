"""Searching investment mixes: screening, a CP-SAT surrogate, local search, successive halving.

Why a module: finding the mix is a procedure of phases over an ``Evaluator`` (``invest.evaluate``),
each a function here; ``search`` is only their driver. How the best mix is found:

1. ``screen``: each option alone at a few affordable levels, few replications, common random
   numbers; options with no measurable improvement on any objective are dropped (never chosen);
2. ``propose_candidates``: CP-SAT solves a multiple-choice knapsack (``propose``: one level per
   option, cost <= budget) on an interaction-free surrogate (the screened improvements,
   interpolated and made monotone), for several objectives and budget fractions, plus the
   runners-up of the main objective; each proposal gets the screening replications;
3. ``local_search``: the neighbours (one unit less / one unit moved to another option) of the
   best, because queueing effects do not add up, also at the screening replications: under common
   random numbers the paired differences between mixes are a few percent of the differences
   themselves, so a few replications rank them, and more are spent only where a decision needs them;
4. ``settle``: every affordable mix that could be on the frontier gets the candidate replications
   (``settling.settle_frontier``): one with fewer is dropped only when a mix with at least as many
   dominates it even at the optimistic end of its paired 95% interval, so no screened-out mix that
   could be on the frontier is missing, and the frontier is taken over the replications all its
   mixes share. Doing nothing and the chosen mix get the final replications (the headline).
   Budget mode: the chosen mix is the frontier's best on the main objective, found by a paired
   race (``settling.race_for_best``: rivals confidently worse drop out, the rest double). Target
   mode: ``successive_halving`` among the cheapest mixes meeting the target picks it first.

Why not every frontier mix at the final replications (as before): on the £400K question that was
13 mixes x 24-28 more replications, half of the search, to sharpen rows the choice did not
depend on; each row says how many replications it has.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dfu_sched.errors import InputError
from dfu_sched.invest.evaluate import Evaluator
from dfu_sched.invest.frontier import dominates, frontier, inf_if_unknown, tolerances
from dfu_sched.invest.objectives import DEFAULT_OBJECTIVE, FRONTIER_KEYS, OBJECTIVES
from dfu_sched.invest.settling import point as _point
from dfu_sched.invest.settling import race_for_best, settle_frontier
from dfu_sched.invest.targets import Target, target_value_or_worst, window_request
from dfu_sched.scenario.levers import max_units, mix_cost, unit_label
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import Executor

# ---- the surrogate and CP-SAT ------------------------------------------------------------------

def screen_levels(max_level: int, k: int = 3) -> list[int]:
    """A few levels spread over 1..max_level (always including the top)."""
    if max_level <= k:
        return list(range(1, max_level + 1))
    return sorted({max(1, round(max_level * (j + 1) / k)) for j in range(k)})


def interpolate_effects(levels: dict[int, float], max_level: int) -> list[float]:
    """Improvement at every level 0..max_level from the screened ones: linear, non-negative, monotone."""
    xs = [0] + sorted(levels)
    ys = [0.0] + [max(0.0, levels[x]) for x in sorted(levels)]
    vals = list(np.interp(np.arange(max_level + 1), xs, ys))
    return list(np.maximum.accumulate(vals))


def propose(costs: dict[str, list[int]], values: dict[str, list[float]], budget: float,
            top: int = 1, exclude: list[dict[str, int]] | None = None) -> list[dict[str, int]]:
    """CP-SAT multiple-choice knapsack: one level per option, total cost <= budget, max surrogate value.

    Ties go to the cheaper mix. ``top`` > 1 returns the runners-up too (each forbidden in turn).
    """
    from ortools.sat.python import cp_model  # lazy: OR-Tools takes a second to import, most commands never need it

    names = [n for n in costs if len(costs[n]) > 1]
    vmax = max([max(values[n]) for n in names] + [0.0])
    if not names or vmax <= 0:
        return [{}]
    scale = 1_000_000 / vmax
    cost_cap = int(sum(max(costs[n]) for n in names)) + 1
    out: list[dict[str, int]] = []
    banned = [dict(e) for e in (exclude or [])]
    for _ in range(top):
        m = cp_model.CpModel()
        x = {n: [m.new_bool_var(f"{n}_{l}") for l in range(len(costs[n]))] for n in names}
        for n in names:
            m.add_exactly_one(x[n])
        m.add(sum(costs[n][l] * x[n][l] for n in names for l in range(len(costs[n]))) <= int(math.floor(budget + 1e-6)))
        for b in banned:
            m.add_bool_or([x[n][b.get(n, 0)].Not() for n in names])
        value = sum(int(round(values[n][l] * scale)) * x[n][l] for n in names for l in range(len(costs[n])))
        cost = sum(costs[n][l] * x[n][l] for n in names for l in range(len(costs[n])))
        m.maximize(value * cost_cap - cost)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = 0
        solver.parameters.max_deterministic_time = 5.0  # a count of work, not seconds: load cannot change the answer
        status = solver.solve(m)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        sol = {n: next(l for l in range(len(costs[n])) if solver.value(x[n][l])) for n in names}
        out.append(sol)
        banned.append(sol)
    return out


def warm_imports() -> None:
    """Import what the later phases need (OR-Tools for the proposals, Student-t quantiles for the
    settling): seconds of this process's time, spent while the workers screen rather than after."""
    from ortools.sat.python import cp_model  # noqa: F401
    from scipy import special  # noqa: F401


# ---- settings, results, options ------------------------------------------------------------------

@dataclass
class SearchSettings:
    budget: float | None = None
    target: Target | None = None
    objective: str = DEFAULT_OBJECTIVE
    seed: int = 2022
    screen_reps: int = 4        # every mix the search evaluates, at first
    candidate_reps: int = 8     # every mix on the frontier, at least
    final_reps: int = 32        # doing nothing and the chosen mix
    contenders: int = 4
    workers: int | None = None
    progress: Callable[[int], None] | None = None
    log: Callable[[str], None] | None = None
    executor: Executor | None = None   # where replications run (default: ``workers`` local processes)


@dataclass
class SearchResult:
    settings: SearchSettings
    evaluator: Evaluator
    baseline: tuple
    chosen: tuple
    points: dict = field(default_factory=dict)       # key -> point dict, with at least the candidate reps
    dropped: dict = field(default_factory=dict)      # key -> the key that dominates it with confidence
    excluded: dict = field(default_factory=dict)     # option -> reason
    option_table: list = field(default_factory=list)
    reachable: bool | None = None
    seconds: float = 0.0


def option_table(sc: Scenario, budget_cap: float) -> list[dict]:
    """Each option's levels that are affordable alone, with their cost."""
    rows = []
    for o in sc.investment.options if sc.investment else []:
        L = max_units(o, sc)
        costs = [mix_cost(sc, {o.name: u}) for u in range(L + 1)]
        affordable = [u for u in range(L + 1) if costs[u] <= budget_cap + 1e-6]
        rows.append({"name": o.name, "kind": o.kind, "source": o.source, "unit": unit_label(o), "max_units": L,
                     "max_affordable_units": max(affordable), "cost_per_unit_gbp": costs[1] if L >= 1 else None,
                     "costs_gbp": costs[: max(affordable) + 1]})
    return rows


def _check_budget(sc: Scenario, budget: float, table: list[dict]) -> None:
    if sc.investment is None or not sc.investment.options:
        raise InputError("the scenario has no investment options (add an 'investment:' section)")
    if budget < 0:
        raise InputError("--budget must not be negative")
    cheapest = min((r["cost_per_unit_gbp"] for r in table if r["cost_per_unit_gbp"] is not None), default=None)
    if budget > 0 and (cheapest is None or budget < cheapest):
        raise InputError(f"--budget £{budget:,.0f} is below the cheapest option "
                         f"(£{cheapest:,.0f} for one unit); use 0 to see doing nothing")


def _primary(settings: SearchSettings) -> str:
    return OBJECTIVES[settings.objective].measure


# ---- the phases of one search ------------------------------------------------------------------

@dataclass
class SearchRun:
    """What every phase of one search shares: the base scenario, the settings, the budget cap,
    the evaluator (every mix's replications so far), the do-nothing key and the result so far."""

    base: Scenario
    settings: SearchSettings
    cap: float
    ev: Evaluator
    zero: tuple
    res: SearchResult
    log: Callable[[str], None]

    @property
    def tgt(self) -> Target | None:
        return self.settings.target

    @property
    def primary(self) -> str:
        return _primary(self.settings)

    def affordable(self, p: dict) -> bool:
        return p["cost_gbp"] <= self.cap + 1e-6

    def points(self, n: int) -> dict[tuple, dict]:
        """Every mix with at least ``n`` replications, as a point (in the order the mixes were added)."""
        return {k: _point(self.ev, k, self.tgt) for k in self.ev.preps if self.ev.n(k) >= n}


@dataclass
class Screening:
    """What screening each option alone found: the do-nothing values, each option's interpolated
    improvement per measure and level, and the integer cost of each level."""

    base_vals: dict[str, np.ndarray]
    effects: dict[str, dict[str, list[float]]]
    costs: dict[str, list[int]]


def _start(base: Scenario, settings: SearchSettings) -> SearchRun:
    """Check the budget and register the do-nothing mix."""
    opts = base.investment.options if base.investment else []
    cap = settings.budget if settings.budget is not None else sum(mix_cost(base, {o.name: max_units(o, base)})
                                                                  for o in opts)
    table = option_table(base, cap) if base.investment else []
    _check_budget(base, cap, table)
    ev = Evaluator(base, settings.seed, settings.workers, window_request(settings.target), settings.progress,
                   settings.executor)
    zero = ev.add({}, "baseline").key
    return SearchRun(base, settings, cap, ev, zero, SearchResult(settings, ev, zero, zero, option_table=table),
                settings.log or (lambda s: None))


def screen(run: SearchRun) -> Screening:
    """Phase 1: each option alone at a few affordable levels, few replications, common random numbers;
    options with no measurable improvement on any objective are dropped (never chosen)."""
    ev, tgt, table = run.ev, run.tgt, run.res.option_table
    singles: dict[str, dict[int, tuple]] = {}
    for r in table:
        if r["max_affordable_units"] > 0:
            levels = screen_levels(r["max_affordable_units"])
            singles[r["name"]] = {u: ev.add({r["name"]: u}, "screen").key for u in levels}
    n1 = run.settings.screen_reps
    ev.ensure([run.zero] + [k for lv in singles.values() for k in lv.values()], n1, meanwhile=warm_imports)
    keys_for_effect = FRONTIER_KEYS + ([tgt.result_key] if tgt else [])
    base_vals = {k: ev.values(run.zero, k, n1) for k in keys_for_effect}

    def improvement(key: tuple, measure: str) -> float:
        d = base_vals[measure][:n1] - ev.values(key, measure, n1)
        if tgt is not None and measure == tgt.result_key and tgt.op in (">=", ">"):
            d = -d
        d = d[np.isfinite(d)]
        return float(d.mean()) if d.size else 0.0

    effects: dict[str, dict[str, list[float]]] = {}
    for r in table:
        name = r["name"]
        if name not in singles:
            run.res.excluded[name] = "not affordable within the budget"
            continue
        per = {k: {u: improvement(key, k) for u, key in singles[name].items()} for k in keys_for_effect}
        if max(max(v.values()) for v in per.values()) <= 1e-9:
            run.res.excluded[name] = "no measurable improvement when bought alone (never chosen)"
            continue
        effects[name] = {k: interpolate_effects(per[k], r["max_affordable_units"]) for k in keys_for_effect}
    run.log(f"screened {len(singles)} options; dropped: {', '.join(run.res.excluded) or 'none'}")
    costs = {r["name"]: [int(math.ceil(c)) for c in r["costs_gbp"]] for r in table if r["name"] in effects}
    return Screening(base_vals, effects, costs)


def surrogate(scr: Screening, measure_weights: dict[str, float]) -> dict[str, list[float]]:
    """Each option's value per level: its screened improvements, weighted, each measure scaled by
    its do-nothing mean so measures in different units can be added."""
    out = {}
    for name in scr.effects:
        vals = np.zeros(len(scr.costs[name]))
        for k, w in measure_weights.items():
            scale = abs(np.nanmean(scr.base_vals[k])) or 1.0
            vals += w * np.asarray(scr.effects[name][k]) / scale
        out[name] = [float(v) for v in vals]
    return out


def propose_candidates(run: SearchRun, scr: Screening) -> None:
    """Phase 2: CP-SAT proposals along the cost frontier, for several objectives and budget
    fractions plus the runners-up of the main one, evaluated at the candidate replications."""
    tgt, primary = run.tgt, run.primary
    proposals: list[dict[str, int]] = []
    if scr.effects:
        fractions = (0.25, 0.5, 0.75, 1.0) if tgt is None else tuple(np.linspace(0.1, 1.0, 10))
        families = [{k: 1.0} for k in FRONTIER_KEYS] + [dict.fromkeys(FRONTIER_KEYS, 1.0)]
        if tgt is not None:
            families = [{tgt.result_key: 1.0}, {tgt.result_key: 1.0, primary: 0.5}] + families[:1]
        for fam in families:
            vals = surrogate(scr, fam)
            for f in fractions:
                proposals += propose(scr.costs, vals, run.cap * f)
        main = {primary: 1.0} if tgt is None else {tgt.result_key: 1.0}
        proposals += propose(scr.costs, surrogate(scr, main), run.cap, top=4)
    cand = [run.ev.add(p, "candidate").key for p in proposals if any(p.values())]
    run.ev.ensure([run.zero] + cand, run.settings.screen_reps)
    run.log(f"proposed {len(set(cand))} candidate mixes")


def neighbours(run: SearchRun, scr: Screening, mix: dict[str, int]) -> list[dict[str, int]]:
    """Mixes one step from ``mix``: one unit less, an option dropped, one unit moved to another
    option (then filled up to the budget), one unit more."""
    base, cap, costs = run.base, run.cap, scr.costs
    out = []
    active = list(scr.effects)
    for a in active:
        if mix.get(a, 0) > 0:
            m = dict(mix)
            m[a] -= 1
            out.append(m)
            m0 = dict(mix)
            m0[a] = 0
            out.append(m0)
        for b in active:
            if b == a:
                continue
            m = dict(mix)
            if mix.get(a, 0) > 0:
                m[a] -= 1
            while m.get(b, 0) < len(costs[b]) - 1 and mix_cost(base, {**m, b: m.get(b, 0) + 1}) <= cap + 1e-6:
                m[b] = m.get(b, 0) + 1
            if m != mix and m.get(b, 0) != mix.get(b, 0):
                out.append(m)
        m = dict(mix)
        if m.get(a, 0) < len(costs[a]) - 1 and mix_cost(base, {**m, a: m.get(a, 0) + 1}) <= cap + 1e-6:
            m[a] = m.get(a, 0) + 1
            out.append(m)
    return out


def incumbent(run: SearchRun, points: dict) -> dict:
    """The best affordable point so far: on the main objective (budget mode), the cheapest meeting the
    target, or (no mix meets it) the closest to meeting it."""
    tgt, primary = run.tgt, run.primary
    pool = [p for p in points.values() if run.affordable(p)]
    if tgt is None:
        return min(pool, key=lambda p: (inf_if_unknown(p["objectives"][primary]), p["cost_gbp"]))
    meeting = [p for p in pool if p["meets_target"]]
    if meeting:
        return min(meeting, key=lambda p: (p["cost_gbp"], inf_if_unknown(p["objectives"][primary])))
    return min(pool, key=lambda p: (-tgt.improvement(0.0, target_value_or_worst(p["target_value"], tgt)),
                                    p["cost_gbp"]))


def local_search(run: SearchRun, scr: Screening, rounds: int = 3) -> None:
    """Phase 3: evaluate the incumbent's neighbours (queueing effects do not add up), while it changes."""
    ev, n2 = run.ev, run.settings.screen_reps
    for _ in range(rounds):
        best = incumbent(run, run.points(n2))
        nb = [ev.add(m, "neighbour").key for m in neighbours(run, scr, dict(best["mix"]))]
        nb = [k for k in dict.fromkeys(nb) if ev.n(k) < n2]
        if not nb:
            break
        ev.ensure(nb, n2)
        if incumbent(run, run.points(n2))["key"] == best["key"]:
            break
    run.log(f"local search: {len(ev.preps)} mixes evaluated")


def successive_halving(run: SearchRun) -> tuple:
    """Target mode: among the cheapest mixes meeting the target, double replications and keep the
    better half until the final replications; never a finalist another finalist dominates.

    Every mix starts with the screening replications, too few to say which meet a target near
    their value: the cheapest ``2 x contenders`` that seem to meet it get the candidate
    replications first and the halving starts from those that still meet it. Should no finalist
    meet it at the final replications while a mix set aside did at fewer, the set-aside ones get
    the final replications too (cheapest meeting wins): a halving must not trade a mix that meets
    the target for a cheaper one that only seemed to.
    """
    ev, tgt, st = run.ev, run.tgt, run.settings
    assert tgt is not None
    nf = st.final_reps
    n = min(max(st.candidate_reps, st.screen_reps), nf)

    def meeting(points: dict) -> list[tuple]:
        return [p["key"] for p in sorted([p for p in points.values() if run.affordable(p) and p["meets_target"]],
                                         key=lambda p: p["cost_gbp"])]

    pool = meeting(run.points(st.screen_reps))[: 2 * st.contenders]
    ev.ensure(pool, n)
    points = run.points(st.screen_reps)
    pool = [k for k in meeting(points) if k in pool]
    keys = pool[: st.contenders] or [incumbent(run, points)["key"]]

    def rank(keys: list[tuple], n: int) -> list[tuple]:
        ok = sorted([k for k in keys if tgt.met(ev.mean(k, tgt.result_key, n))], key=lambda k: ev.preps[k].cost)
        return ok + [k for k in keys if k not in ok]

    while n < nf:
        n = min(2 * n, nf)
        ev.ensure(keys, n)
        keys = rank(keys, n)
        if n < nf:
            keys = keys[: max(1, math.ceil(len(keys) / 2))]
    ev.ensure(keys, nf)
    ranked = rank(keys, nf)
    if not tgt.met(ev.mean(ranked[0], tgt.result_key, nf)) and any(k not in ranked for k in pool):
        rest = [k for k in pool if k not in ranked]
        ev.ensure(rest, nf)
        ranked = rank(ranked + rest, nf)
    final = {k: _point(ev, k, tgt) for k in ranked}
    # Never report a dominated mix: drop any finalist another finalist beats at the final replications.
    peers = [k for k in ranked if final[k]["meets_target"]] or ranked
    undominated = [k for k in peers if not any(dominates(final[q], final[k]) for q in peers if q != k)]
    return (undominated or ranked)[0]


def settle(run: SearchRun, scr: Screening) -> None:
    """Phase 4: the frontier at the candidate replications, the chosen mix at the final ones.

    Every affordable mix that could be on the frontier gets at least the candidate replications
    (CRN); one with fewer is dropped only when a mix with at least as many dominates it with
    confidence (``settle_frontier``). Doing nothing and the chosen mix get the final replications:
    they make the headline. Budget mode: the chosen mix is the frontier's best on the main
    objective, found by a paired race (``race_for_best``). Target mode: successive halving picks it.
    """
    ev, tgt, res, st = run.ev, run.tgt, run.res, run.settings
    nf, nc = st.final_reps, min(st.candidate_reps, st.final_reps)
    ev.ensure([run.zero], nf)
    tol = tolerances(_point(ev, run.zero))
    chosen = successive_halving(run) if tgt is not None else run.zero
    pool = [k for k in ev.preps if ev.preps[k].cost <= run.cap + 1e-6]
    full, res.dropped = settle_frontier(ev, pool, nc, tol, run.log)
    # The frontier is taken over the candidate replications every mix in it has (common random
    # numbers: the same devices for every mix); the rows show each mix over all it has.
    front = {p["key"] for p in frontier([_point(ev, k, n=nc) for k in full], tol)}
    if tgt is None and scr.effects and run.cap > 0:  # the best on the objective among the frontier
        chosen = race_for_best(ev, sorted(front, key=full.index), run.primary, nf, run.log)
    if not scr.effects or (tgt is None and run.cap <= 0):
        chosen = run.zero
    res.points = {k: _point(ev, k, tgt) for k in full}
    for k, p in res.points.items():
        p["on_frontier"] = k in front
    if tgt is not None:
        res.reachable = tgt.met(ev.mean(chosen, tgt.result_key, nf))
    res.chosen = chosen


def search(base: Scenario, settings: SearchSettings) -> SearchResult:
    """Budget mode: the best mix under the budget. Target mode: the least-cost mix meeting the target."""
    t0 = time.perf_counter()
    run = _start(base, settings)
    try:
        scr = screen(run)
        propose_candidates(run, scr)
        if scr.effects:
            local_search(run, scr)
        settle(run, scr)
    finally:
        run.ev.close()  # the worker pool lives as long as the search, not longer
    run.res.seconds = time.perf_counter() - t0
    return run.res
