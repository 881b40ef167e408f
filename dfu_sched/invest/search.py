"""Evaluating and searching investment mixes: CRN replications, a CP-SAT surrogate, successive halving.

How a mix is evaluated: ``levers.apply_mix`` gives the scenario as staffed and equipped; the
workload of replication r is generated exactly as ``experiments.run_replication`` does (same
seeds); outsourcing contracts are extra SimPy processes in a subclass of the core model that
each week take devices still waiting in the examination queue (their examination 'starts'
when the provider starts it); the core's ``metrics.measure`` is computed on the result. With
no outsourcing this is exactly the core's replication, so a zero mix reproduces
``run_experiment`` bit for bit.

How the best mix is found (``search_budget``):
1. screen: each option alone at a few affordable levels, few replications, common random numbers;
   options with no measurable improvement on any objective are dropped (never chosen);
2. propose: CP-SAT solves a multiple-choice knapsack (one level per option, cost <= budget) on an
   interaction-free surrogate (the screened improvements, interpolated and made monotone), for
   several objectives and budget fractions, plus the runners-up of the main objective;
3. evaluate the proposals by simulation (CRN), then a local search (one unit less / one unit
   moved to another option) around the best, because queueing effects do not add up;
4. settle the frontier at the chosen mix's replications: a mix evaluated with fewer (screened,
   candidate, neighbour) is dropped only when a fully evaluated mix dominates it even at the
   optimistic end of its paired 95% interval; otherwise it is evaluated fully (the same
   replications, common random numbers), so the frontier holds only fully evaluated mixes and
   no screened-out mix that could be on it is missing. Budget mode: the chosen mix is the
   frontier's best on the main objective. Target mode: successive halving among the cheapest
   mixes meeting the target picks it first.
"""
from __future__ import annotations

import math
import re
import time
from concurrent.futures import as_completed
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

import numpy as np
from pydantic import ValidationError

from dfu_sched import __version__
from dfu_sched.errors import InputError
from dfu_sched.sim.experiment import default_workers, replication_seed, worker_pool
from dfu_sched.scenario.lever_base import Contract
from dfu_sched.scenario.levers import (apply_mix, cost_profile, describe_mix, max_units, mix_cost, mix_label,
                                       normalise_mix, outsourcing_contracts, recurring_after_horizon, unit_label)
from dfu_sched.sim.measures import MONTH_WEEKS, label_of, measure
from dfu_sched.sim.model import EXAM, DFUModel
from dfu_sched.scenario.schema import HOURS_PER_WEEK, Scenario, format_validation_error
from dfu_sched.stats import (NON_NEGATIVE, measure_interval, measure_range, paired_difference, t_interval,
                             t_interval_columns)
from dfu_sched.sim.workload import generate

#: Spawn-key suffix of the turnaround stream: apart from every stream the core uses.
OUTSOURCING_STREAM = 7507

#: The objectives a mix is judged on (all: smaller is better), with plain names.
OBJECTIVES = {
    "exposure": ("overall.exposure", "child-safeguarding exposure (tier-weighted device-days unexamined)"),
    "wait-12m": ("invest.wait_at_12m_days", "mean wait to start of examinations starting in month 12, days"),
    "backlog": ("overall.waiting_at_end", "devices awaiting examination at the end of the horizon"),
}
FRONTIER_KEYS = [v[0] for v in OBJECTIVES.values()]


# ---- targets ----------------------------------------------------------------------------------

NAMED_TARGETS = {
    "high-risk-week": "VH+H.wait_to_start_days.p90<=7",
    "vh-day": "VH.wait_to_start_days.p90<=1",
    "72h": "overall.wait_to_start_days.mean<=3",
    "30d": "overall.wait_to_start_days.mean<=30",
}
_TARGET_RE = re.compile(r"^\s*([A-Za-z0-9_.+\-]+)\s*(<=|>=|<|>)\s*(-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*$")
_WINDOW_STATS = ("mean", "p50", "p90", "p95", "max")


@dataclass(frozen=True)
class Target:
    """``KEY OP VALUE``; wait keys (``SCOPE.wait_to_start_days.STAT``, SCOPE a tier, tiers joined by
    '+', or 'overall') are measured on examinations starting from ``from_week`` to the horizon."""

    expression: str
    key: str
    op: str
    value: float
    from_week: float

    @property
    def window(self) -> tuple[str, str] | None:
        parts = self.key.split(".")
        if len(parts) == 3 and parts[1] == "wait_to_start_days":
            return parts[0], parts[2]
        if len(parts) == 2 and parts[1] == "within_target_share":
            return parts[0], "within_target_share"
        return None

    @property
    def result_key(self) -> str:
        w = self.window
        return f"window.{w[0]}.{w[1]}" if w else self.key

    def met(self, value: float) -> bool:
        if value is None or not np.isfinite(value):
            return False
        return {"<=": value <= self.value + 1e-12, "<": value < self.value, ">=": value >= self.value - 1e-12,
                ">": value > self.value}[self.op]

    def improvement(self, base: float, value: float) -> float:
        """Positive when ``value`` is closer to meeting the target than ``base``."""
        return (base - value) if self.op in ("<=", "<") else (value - base)


def parse_target(text: str, sc: Scenario, from_week: float) -> Target:
    expr = NAMED_TARGETS.get(text.strip(), text)
    m = _TARGET_RE.match(expr)
    if not m:
        raise InputError(f"--target: cannot read '{text}'; write KEY<=VALUE (e.g. 'VH+H.wait_to_start_days.p90<=7') "
                         f"or a name ({', '.join(NAMED_TARGETS)})")
    key, op, value = m.group(1), m.group(2), float(m.group(3))
    if not math.isfinite(value):  # 400 digits read as inf
        raise InputError("--target: the value must be a finite number")
    t = Target(expr, key, op, value, from_week)
    if t.window:
        scope, stat = t.window
        for tier in scope.split("+"):
            if tier != "overall" and tier not in sc.tier_names:
                raise InputError(f"--target: unknown tier '{tier}' (known: {', '.join(sc.tier_names)}, overall)")
        if stat not in _WINDOW_STATS + ("within_target_share",):
            raise InputError(f"--target: unknown statistic '{stat}' (use one of {', '.join(_WINDOW_STATS)})")
    return t


def parse_by(text: str | None, sc: Scenario) -> float:
    """``--by``: a date (YYYY-MM-DD) or a week number, as a week from the calendar start."""
    if text is None:
        return 0.0
    import datetime as dt

    try:
        week = float(text)
    except ValueError:
        try:
            d = dt.date.fromisoformat(text)
        except ValueError:
            raise InputError(f"--by: '{text}' is neither a date (YYYY-MM-DD) nor a week number") from None
        week = (d - sc.calendar.start_date).days / 7.0
    if not math.isfinite(week) or week < 0 or week > sc.calendar.horizon_weeks - 4:  # nan fails every comparison
        raise InputError(f"--by: week {week:.1f} must lie between 0 and 4 weeks before the horizon "
                         f"({sc.calendar.horizon_weeks} weeks from {sc.calendar.start_date})")
    return week


# ---- one replication ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Prepared:
    """A mix made runnable: the scenario as staffed, its contracts, its cost."""

    key: tuple
    mix: dict
    scenario: Scenario
    contracts: tuple[Contract, ...]
    cost: float
    recurring: float


def prepare(base: Scenario, mix: dict[str, int]) -> Prepared:
    mix = normalise_mix(base, mix)
    try:
        sc = apply_mix(base, mix)
    except ValidationError as exc:  # a mix the scenario rules reject (e.g. hours over 24 a day)
        raise InputError(f"the mix {mix_label(mix)} gives an invalid scenario: {format_validation_error(exc)}") from None
    except ValueError as exc:
        raise InputError(f"the mix {mix_label(mix)} gives an invalid scenario: {exc}") from None
    return Prepared(tuple(mix.values()), mix, sc, outsourcing_contracts(base, mix), mix_cost(base, mix),
                    recurring_after_horizon(base, mix))


class OutsourcingModel(DFUModel):
    """The core model plus outsourcing contracts, without touching the core.

    Each contract is a SimPy process: at 09:00 on the first day of each contract week it takes
    up to its slots from the devices *waiting in the examination queue at that moment* (eligible
    tiers and types; most urgent tier first, or oldest first), removes them from the queue, and
    records their examination as started by the provider ``start_delay`` later and finished
    after the turnaround. Only devices the unit has not started go out, and nothing goes out
    when the queue is empty, so the contract adapts to the queue as a manager would.
    """

    def __init__(self, sc: Scenario, wl, seed_seq, contracts: Iterable[Contract], u: np.ndarray):
        super().__init__(sc, wl, seed_seq)
        self.u = u
        self.sent = np.full(wl.n, np.nan)
        self.price = np.zeros(wl.n)
        for c in contracts:
            self.env.process(self._contract(c))

    def _contract(self, c: Contract):
        env, wl, rec = self.env, self.wl, self.rec
        queue = self.pools[EXAM].queue
        types, tiers = set(c.types), set(c.tiers)
        w = math.ceil(c.start_week - 1e-9)
        while w < c.end_week:
            t = w * HOURS_PER_WEEK + 9.0
            if t >= self.horizon:
                return
            if t > env.now:
                yield env.timeout(t - env.now)
            waiting = [d for d in queue.waiting() if d.tier in tiers and int(wl.dtype[d.i]) in types]
            waiting.sort(key=lambda d: ((d.tier if c.risk_first else 0), d.submit, d.i))
            for dev in waiting[: c.slots_per_week]:
                queue.take(dev)
                i = dev.i
                back = t + max(float(c.turnaround.ppf(np.array([self.u[i]]))[0]) * 24.0, c.start_delay_h)
                self.sent[i] = t
                self.price[i] = c.prices[int(wl.dtype[i])]
                if t + c.start_delay_h < self.horizon:
                    rec.start[i, EXAM] = t + c.start_delay_h
                if back < self.horizon:
                    rec.end[i, EXAM] = back
                    rec.done[i] = back
            w += 1


def replicate(prep: Prepared, seed: int, rep: int, window: dict | None = None) -> tuple[dict, dict]:
    """One replication of a mix: the core's measures plus the investment ones (see module doc)."""
    sc = prep.scenario
    wl_seed, model_seed = replication_seed(seed, rep).spawn(2)
    wl = generate(sc, wl_seed)
    if prep.contracts:
        u = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(rep, OUTSOURCING_STREAM))).random(wl.n)
        model = OutsourcingModel(sc, wl, model_seed, prep.contracts, u)
        out = model.run()
        n_out, spend = float(np.isfinite(model.sent).sum()), float(model.price.sum())
    else:
        out = DFUModel(sc, wl, model_seed).run()
        n_out, spend = 0.0, 0.0
    m = measure(sc, wl, out)
    s = dict(m.scalars)
    for t in sc.tier_names:  # the share as people read it, so every output shows the same number
        s[f"{t}.within_target_pct"] = 100.0 * s[f"{t}.within_target_share"]
    s["invest.outsourced_devices"] = n_out
    s["invest.outsourced_spend_gbp"] = spend
    H = sc.calendar.horizon_weeks
    w12 = min(52, H)
    wk = m.weekly
    s["invest.backlog_at_12m"] = float(wk["backlog.awaiting_examination"][w12])
    start_h = out.records.start[:, EXAM]
    wait = (start_h - wl.submit) / 24.0
    for name, (w0, w1) in {"invest.wait_at_12m_days": (w12 - 4, w12), "invest.wait_at_end_days": (H - 4, H)}.items():
        rows = (start_h >= max(w0, 0) * HOURS_PER_WEEK) & (start_h < w1 * HOURS_PER_WEEK)
        s[name] = float(wait[rows].mean()) if rows.any() else np.nan
    if window:
        _window_measures(sc, wl, start_h, wait, window, s)
    keep = ["week", "backlog.awaiting_examination", "backlog.awaiting_examination_hours", "months_of_work",
            "throughput.examined", "wait_to_start_days.overall"] + [f"wait_to_start_days.{t}" for t in sc.tier_names]
    return s, {k: wk[k] for k in keep if k in wk}


def _window_measures(sc: Scenario, wl, start_h, wait, window: dict, out: dict) -> None:
    """Waits of examinations starting in [from_week, horizon), for the scopes a target names."""
    w0 = window["from_week"] * HOURS_PER_WEEK
    H = sc.calendar.horizon_weeks * HOURS_PER_WEEK
    started = (start_h >= w0) & (start_h < H)
    targets = np.array([t.target_days for t in sc.tiers])
    for scope in window["scopes"]:
        if scope == "overall":
            rows = started
        else:
            idx = [sc.tier_names.index(t) for t in scope.split("+")]
            rows = started & np.isin(wl.tier, idx)
        x = wait[rows]
        for stat in _WINDOW_STATS:
            if x.size == 0:
                v = np.nan
            elif stat == "mean":
                v = float(x.mean())
            elif stat == "max":
                v = float(x.max())
            else:
                v = float(np.percentile(x, int(stat[1:])))
            out[f"window.{scope}.{stat}"] = v
        out[f"window.{scope}.within_target_share"] = float((x <= targets[wl.tier[rows]]).mean()) if x.size else np.nan


# ---- many mixes, many replications, in parallel --------------------------------------------------

_WORKER: dict = {}


def _init(preps: dict, seed: int, window: dict | None) -> None:
    _WORKER.update(preps=preps, seed=seed, window=window)


def _task(key: tuple, rep: int):
    s, w = replicate(_WORKER["preps"][key], _WORKER["seed"], rep, _WORKER["window"])
    return key, rep, s, w


class Evaluator:
    """Replications of many mixes under one seed: the same devices for every mix (CRN)."""

    def __init__(self, base: Scenario, seed: int, workers: int | None = None, window: dict | None = None,
                 progress: Callable[[int], None] | None = None):
        self.base, self.seed, self.window = base, seed, window
        self.workers = default_workers() if workers is None else max(1, workers)
        self.progress = progress
        self.preps: dict[tuple, Prepared] = {}
        self.runs: dict[tuple, dict[int, tuple[dict, dict]]] = {}
        self.stage: dict[tuple, str] = {}
        self.replications_run = 0
        self.seconds = 0.0

    def add(self, mix: dict[str, int], stage: str) -> Prepared:
        p = prepare(self.base, mix)
        if p.key not in self.preps:
            self.preps[p.key] = p
            self.runs[p.key] = {}
            self.stage[p.key] = stage
        return self.preps[p.key]

    def ensure(self, keys: Iterable[tuple], n: int | dict[tuple, int]) -> None:
        """Run whatever replications 0..n-1 the given mixes still lack (``n`` one count, or a count per mix)."""
        count = (lambda k: n) if isinstance(n, int) else n.__getitem__
        todo = [(k, r) for k in dict.fromkeys(keys) for r in range(count(k)) if r not in self.runs[k]]
        if not todo:
            return
        t0 = time.perf_counter()
        workers = min(self.workers, len(todo))
        if workers == 1:
            for k, r in todo:
                self.runs[k][r] = replicate(self.preps[k], self.seed, r, self.window)
                if self.progress:
                    self.progress(1)
        else:
            preps = {k: self.preps[k] for k, _ in todo}
            with worker_pool(workers, _init, (preps, self.seed, self.window)) as pool:
                futures = [pool.submit(_task, k, r) for k, r in todo]
                for fut in as_completed(futures):
                    k, r, s, w = fut.result()
                    self.runs[k][r] = (s, w)
                    if self.progress:
                        self.progress(1)
        self.replications_run += len(todo)
        self.seconds += time.perf_counter() - t0

    def n(self, key: tuple) -> int:
        return len(self.runs[key])

    def values(self, key: tuple, measure: str, n: int | None = None) -> np.ndarray:
        n = self.n(key) if n is None else n
        return np.array([self.runs[key][r][0].get(measure, np.nan) for r in range(n)], dtype=float)

    def weekly(self, key: tuple, series: str) -> np.ndarray:
        return np.vstack([self.runs[key][r][1][series] for r in range(self.n(key))])

    def mean(self, key: tuple, measure: str, n: int | None = None) -> float:
        v = self.values(key, measure, n)
        v = v[np.isfinite(v)]
        return float(v.mean()) if v.size else np.nan


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
    from ortools.sat.python import cp_model

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
        x = {n: [m.NewBoolVar(f"{n}_{l}") for l in range(len(costs[n]))] for n in names}
        for n in names:
            m.AddExactlyOne(x[n])
        m.Add(sum(costs[n][l] * x[n][l] for n in names for l in range(len(costs[n]))) <= int(math.floor(budget + 1e-6)))
        for b in banned:
            m.AddBoolOr([x[n][b.get(n, 0)].Not() for n in names])
        value = sum(int(round(values[n][l] * scale)) * x[n][l] for n in names for l in range(len(costs[n])))
        cost = sum(costs[n][l] * x[n][l] for n in names for l in range(len(costs[n])))
        m.Maximize(value * cost_cap - cost)
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = 0
        solver.parameters.max_time_in_seconds = 5.0
        status = solver.Solve(m)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        sol = {n: next(l for l in range(len(costs[n])) if solver.Value(x[n][l])) for n in names}
        out.append(sol)
        banned.append(sol)
    return out


# ---- dominance ---------------------------------------------------------------------------------

#: Differences smaller than this share of the do-nothing value count as ties when comparing mixes
#: (replication noise must not put a dearer, practically equal mix on the frontier).
FRONTIER_TOLERANCE = 0.005


def dominates(a: dict, b: dict, tol: dict[str, float] | None = None) -> bool:
    """a dominates b: no dearer, no worse on any objective (within ``tol``), and better somewhere."""
    tol = tol or {}
    ta = [0.0] + [tol.get(k, 0.0) for k in FRONTIER_KEYS]
    va = [a["cost_gbp"]] + [_inf(a["objectives"][k]) for k in FRONTIER_KEYS]
    vb = [b["cost_gbp"]] + [_inf(b["objectives"][k]) for k in FRONTIER_KEYS]
    no_worse = all(x <= y + t + 1e-9 for x, y, t in zip(va, vb, ta))
    better = any(x < y - t - 1e-9 for x, y, t in zip(va, vb, ta)) or va[0] < vb[0] - 1e-6
    return no_worse and better


def _inf(x) -> float:
    return np.inf if x is None or not np.isfinite(x) else float(x)


def tolerances(baseline: dict) -> dict[str, float]:
    return {k: FRONTIER_TOLERANCE * abs(_inf(baseline["objectives"][k])) if np.isfinite(_inf(baseline["objectives"][k]))
            else 0.0 for k in FRONTIER_KEYS}


def frontier(points: list[dict], tol: dict[str, float] | None = None) -> list[dict]:
    """The non-dominated points, cheapest first."""
    keep = [p for p in points if not any(dominates(q, p, tol) for q in points if q is not p)]
    return sorted(keep, key=lambda p: (p["cost_gbp"], [_inf(p["objectives"][k]) for k in FRONTIER_KEYS]))


# ---- settling the frontier: few replications may only discard a mix with confidence ----------------

def optimistic_point(ev: Evaluator, key: tuple, against: tuple, confidence: float = 0.95) -> dict:
    """Mix ``key`` at the optimistic end of its paired interval against the fully evaluated ``against``.

    For each objective: ``against``'s mean plus the lower end of the mean paired difference
    (key - against) over the replications ``key`` has (common random numbers, so the pairs share
    their devices). A measure without two usable pairs is unknown, hence optimistic (-inf).
    """
    m = ev.n(key)
    objectives = {}
    for k in FRONTIER_KEYS:
        low = paired_difference(ev.values(against, k, m), ev.values(key, k, m), confidence).low
        objectives[k] = ev.mean(against, k) + low if np.isfinite(low) else -np.inf
    return {"cost_gbp": ev.preps[key].cost, "objectives": objectives}


def confidently_dominated_by(ev: Evaluator, key: tuple, full: list[tuple], tol: dict[str, float]) -> tuple | None:
    """The first fully evaluated mix (in the given order) that dominates even ``key``'s optimistic point."""
    for q in full:
        if q != key and ev.preps[q].cost <= ev.preps[key].cost + 1e-6 and \
                dominates(_point(ev, q), optimistic_point(ev, key, q), tol):
            return q
    return None


def settle_frontier(ev: Evaluator, keys: list[tuple], n_full: int, tol: dict[str, float],
                    log: Callable[[str], None] | None = None) -> tuple[list[tuple], dict[tuple, tuple]]:
    """Evaluate fully (``n_full`` replications, CRN) every mix that could be on the frontier.

    A mix with fewer replications is dropped only when a fully evaluated mix dominates its
    optimistic point (``confidently_dominated_by``). Otherwise, in rounds: the undecided mixes on
    the estimated frontier (every mix at the replications it has) are evaluated fully; when none
    is, the undecided ones get twice their replications, which narrows their intervals. Every
    round adds a fully evaluated mix or doubles replications, so it ends; the effort is a count,
    the same for a seed whatever the workers. Returns (fully evaluated keys, dropped key -> the
    fully evaluated mix that dominates it).
    """
    order = sorted(dict.fromkeys(keys), key=lambda k: (ev.preps[k].cost, mix_label(ev.preps[k].mix)))
    dropped: dict[tuple, tuple] = {}
    while True:
        full = [k for k in order if ev.n(k) >= n_full]
        undecided = []
        for k in order:
            if k in full or k in dropped:
                continue
            q = confidently_dominated_by(ev, k, full, tol)
            if q is None:
                undecided.append(k)
            else:
                dropped[k] = q
        if not undecided:
            return full, dropped
        pts = [_point(ev, k) for k in full + undecided]
        est = {p["key"] for p in frontier(pts, tol)}
        promote = [k for k in undecided if k in est]
        if promote:
            ev.ensure(promote, n_full)
        else:
            ev.ensure(undecided, {k: min(2 * ev.n(k), n_full) for k in undecided})
        if log:
            log(f"frontier: {len(promote) or len(undecided)} mixes {'evaluated fully' if promote else 'doubled'}")


# ---- the search --------------------------------------------------------------------------------

@dataclass
class SearchSettings:
    budget: float | None = None
    target: Target | None = None
    objective: str = "exposure"
    seed: int = 2022
    screen_reps: int = 4
    candidate_reps: int = 8
    final_reps: int = 32
    contenders: int = 4
    workers: int | None = None
    progress: Callable[[int], None] | None = None
    log: Callable[[str], None] | None = None


@dataclass
class SearchResult:
    settings: SearchSettings
    evaluator: Evaluator
    baseline: tuple
    chosen: tuple
    points: dict = field(default_factory=dict)       # key -> point dict, fully evaluated (final reps)
    dropped: dict = field(default_factory=dict)      # key -> the fully evaluated key that dominates it
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


def _point(ev: Evaluator, key: tuple, target: Target | None = None) -> dict:
    """A mix's cost and objectives over all the replications it has: one evaluation, one number."""
    p = ev.preps[key]
    n = ev.n(key)
    objectives = {k: ev.mean(key, k, n) for k in FRONTIER_KEYS}
    out = {"key": key, "mix": p.mix, "label": mix_label(p.mix), "cost_gbp": p.cost, "objectives": objectives,
           "stage": ev.stage[key], "replications": n}
    if target is not None:
        v = ev.mean(key, target.result_key, n)
        out["target_value"] = v
        out["meets_target"] = target.met(v)
    return out


def _primary(settings: SearchSettings) -> str:
    return OBJECTIVES[settings.objective][0]


def search(base: Scenario, settings: SearchSettings) -> SearchResult:
    """Budget mode: the best mix under the budget. Target mode: the least-cost mix meeting the target."""
    t0 = time.perf_counter()
    log = settings.log or (lambda s: None)
    tgt = settings.target
    all_max = sum(mix_cost(base, {o.name: max_units(o, base)}) for o in (base.investment.options if base.investment else []))
    cap = settings.budget if settings.budget is not None else all_max
    table = option_table(base, cap) if base.investment else []
    _check_budget(base, cap, table)
    window = None
    if tgt is not None and tgt.window:
        window = {"from_week": tgt.from_week, "scopes": sorted({tgt.window[0], "overall"})}
    ev = Evaluator(base, settings.seed, settings.workers, window, settings.progress)
    zero = ev.add({}, "baseline").key
    res = SearchResult(settings, ev, zero, zero, option_table=table)
    primary = _primary(settings)

    # 1. screen each option alone
    singles: dict[str, dict[int, tuple]] = {}
    for r in table:
        if r["max_affordable_units"] > 0:
            singles[r["name"]] = {u: ev.add({r["name"]: u}, "screen").key for u in screen_levels(r["max_affordable_units"])}
    n1 = settings.screen_reps
    ev.ensure([zero] + [k for lv in singles.values() for k in lv.values()], n1)
    keys_for_effect = FRONTIER_KEYS + ([tgt.result_key] if tgt else [])
    base_vals = {k: ev.values(zero, k, n1) for k in keys_for_effect}

    def improvement(key: tuple, measure: str, n: int) -> float:
        d = base_vals[measure][:n] - ev.values(key, measure, n) if measure in base_vals else None
        if tgt is not None and measure == tgt.result_key and tgt.op in (">=", ">"):
            d = -d
        d = d[np.isfinite(d)]
        return float(d.mean()) if d.size else 0.0

    effects: dict[str, dict[str, list[float]]] = {}
    for r in table:
        name = r["name"]
        if name not in singles:
            res.excluded[name] = "not affordable within the budget"
            continue
        per = {k: {u: improvement(key, k, n1) for u, key in singles[name].items()} for k in keys_for_effect}
        if max(max(v.values()) for v in per.values()) <= 1e-9:
            res.excluded[name] = "no measurable improvement when bought alone (never chosen)"
            continue
        effects[name] = {k: interpolate_effects(per[k], r["max_affordable_units"]) for k in keys_for_effect}
    log(f"screened {len(singles)} options; dropped: {', '.join(res.excluded) or 'none'}")
    costs = {r["name"]: [int(math.ceil(c)) for c in r["costs_gbp"]] for r in table if r["name"] in effects}

    def surrogate(measure_weights: dict[str, float]) -> dict[str, list[float]]:
        out = {}
        for name in effects:
            vals = np.zeros(len(costs[name]))
            for k, w in measure_weights.items():
                scale = abs(np.nanmean(base_vals[k])) or 1.0
                vals += w * np.asarray(effects[name][k]) / scale
            out[name] = list(vals)
        return out

    # 2. propose candidates along the cost frontier
    proposals: list[dict[str, int]] = []
    if effects:
        fractions = (0.25, 0.5, 0.75, 1.0) if tgt is None else tuple(np.linspace(0.1, 1.0, 10))
        families = [{k: 1.0} for k in FRONTIER_KEYS] + [{k: 1.0 for k in FRONTIER_KEYS}]
        if tgt is not None:
            families = [{tgt.result_key: 1.0}, {tgt.result_key: 1.0, primary: 0.5}] + families[:1]
        for fam in families:
            vals = surrogate(fam)
            for f in fractions:
                proposals += propose(costs, vals, cap * f)
        proposals += propose(costs, surrogate({primary: 1.0} if tgt is None else {tgt.result_key: 1.0}), cap, top=4)
    cand = [ev.add(p, "candidate").key for p in proposals if any(p.values())]
    n2 = settings.candidate_reps
    ev.ensure([zero] + cand, n2)
    log(f"proposed {len(set(cand))} candidate mixes")

    def pts() -> dict[tuple, dict]:
        return {k: _point(ev, k, tgt) for k in ev.preps if ev.n(k) >= n2}

    def affordable(p: dict) -> bool:
        return p["cost_gbp"] <= cap + 1e-6

    # 3. local search around the incumbent
    def neighbours(mix: dict[str, int]) -> list[dict[str, int]]:
        out = []
        active = [n for n in effects]
        for a in active:
            if mix.get(a, 0) > 0:
                m = dict(mix); m[a] -= 1; out.append(m)
                m0 = dict(mix); m0[a] = 0; out.append(m0)
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

    def incumbent(points: dict) -> dict:
        pool = [p for p in points.values() if affordable(p)]
        if tgt is None:
            return min(pool, key=lambda p: (_inf(p["objectives"][primary]), p["cost_gbp"]))
        meeting = [p for p in pool if p["meets_target"]]
        if meeting:
            return min(meeting, key=lambda p: (p["cost_gbp"], _inf(p["objectives"][primary])))
        return min(pool, key=lambda p: (-tgt.improvement(0.0, _inf_t(p["target_value"], tgt)), p["cost_gbp"]))

    if effects:
        for _ in range(3):
            points = pts()
            best = incumbent(points)
            nb = [ev.add(m, "neighbour").key for m in neighbours(dict(best["mix"]))]
            nb = [k for k in dict.fromkeys(nb) if ev.n(k) < n2]
            if not nb:
                break
            ev.ensure(nb, n2)
            if incumbent(pts())["key"] == best["key"]:
                break
        log(f"local search: {len(ev.preps)} mixes evaluated")

    # 4. the chosen mix and the frontier, both at the final replications
    nf = settings.final_reps
    ev.ensure([zero], nf)
    tol = tolerances(_point(ev, zero))
    chosen = zero
    if tgt is not None:  # successive halving among the cheapest mixes that meet the target
        points = pts()
        meeting = sorted([p for p in points.values() if affordable(p) and p["meets_target"]],
                         key=lambda p: p["cost_gbp"])
        keys = [p["key"] for p in meeting[: settings.contenders] or [incumbent(points)]]
        n = n2

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
        final = {k: _point(ev, k, tgt) for k in ranked}
        # Never report a dominated mix: drop any finalist another finalist beats at the final replications.
        peers = [k for k in ranked if final[k]["meets_target"]] or ranked
        undominated = [k for k in peers if not any(dominates(final[q], final[k]) for q in peers if q != k)]
        chosen = (undominated or ranked)[0]
    # Every affordable mix that could be on the frontier is evaluated with the chosen mix's replications
    # (CRN); one with fewer is dropped only when a fully evaluated mix dominates it with confidence.
    pool = [k for k in ev.preps if ev.preps[k].cost <= cap + 1e-6]
    full, dropped = settle_frontier(ev, pool, nf, tol, log)
    points = {k: _point(ev, k, tgt) for k in full}
    front = frontier(list(points.values()), tol)
    for p in points.values():
        p["on_frontier"] = any(p is q for q in front)
    if tgt is None and effects and cap > 0:  # the best on the objective among the fully evaluated frontier
        chosen = min(front, key=lambda p: (_inf(p["objectives"][primary]), p["cost_gbp"]))["key"]
    if not effects or (tgt is None and cap <= 0):
        chosen = zero
    if tgt is not None:
        res.reachable = tgt.met(ev.mean(chosen, tgt.result_key, nf))
    res.chosen = chosen
    res.points = points
    res.dropped = dropped
    res.seconds = time.perf_counter() - t0
    return res


def _inf_t(v, tgt: Target) -> float:
    if v is None or not np.isfinite(v):
        return np.inf if tgt.op in ("<=", "<") else -np.inf
    return float(v)


# ---- reporting helpers ---------------------------------------------------------------------------

def interval(values: np.ndarray) -> dict:
    return t_interval(values).as_dict()


def headline_keys(sc: Scenario) -> list[str]:
    """Measures shown for every mix (all but the counts: smaller is better)."""
    keys = ["overall.wait_to_start_days.p50", "overall.wait_to_start_days.mean"]
    for t in sc.tier_names[:2]:
        keys += [f"{t}.wait_to_start_days.p50", f"{t}.wait_to_start_days.mean"]
    keys += ["invest.wait_at_12m_days", "invest.wait_at_end_days", "invest.backlog_at_12m", "overall.waiting_at_end",
             "overall.exposure"]
    keys += [f"{t}.exposure" for t in sc.tier_names[:1]]
    keys += [f"first_week_below.{thr:g}" for thr in sc.measures.wait_thresholds_days]
    keys += ["overall.started", "invest.outsourced_devices", "invest.outsourced_spend_gbp"]
    return keys


def compare_keys(sc: Scenario) -> list[str]:
    """What ``compare`` shows: the headline measures, then per tier the share started within target and
    the examinations started, and how long the lowest tier's devices still waiting at the end have
    waited; a priority rule can look good on the headline while it starves a tier."""
    keys = headline_keys(sc)
    keys += [f"{t}.within_target_pct" for t in sc.tier_names] + [f"{t}.started" for t in sc.tier_names]
    low = sc.tier_names[-1]
    return keys + [f"{low}.waiting_at_end", f"{low}.age_at_end_days.p50"]


def measures_block(ev: Evaluator, key: tuple, keys: list[str], n: int) -> dict:
    out = {}
    for k in keys:
        v = ev.values(key, k, n)
        block = measure_interval(v, k).as_dict()  # inside the measure's range (shares 0-1, others >= 0)
        if k.startswith("first_week_below."):
            block["reached_share"] = float(np.mean(np.isfinite(v))) if v.size else 0.0
        out[k] = block
    return out


def paired_block(ev: Evaluator, base: tuple, key: tuple, keys: list[str], n: int) -> dict:
    return {k: paired_difference(ev.values(base, k, n), ev.values(key, k, n)).as_dict() for k in keys}


def monthly_trajectory(ev: Evaluator, key: tuple, sc: Scenario, series: list[str]) -> dict:
    """Weekly series sampled at (about) each month boundary: mean and 95% band."""
    H = sc.calendar.horizon_weeks
    months = int(math.floor(H / MONTH_WEEKS + 1e-9))
    weeks = [min(H, int(round(m * MONTH_WEEKS))) for m in range(months + 1)]
    out = {}
    for s in series:
        mean, lo, hi = t_interval_columns(ev.weekly(key, s), bounds=measure_range(s))
        out[s] = {"mean": [_r(mean[w]) for w in weeks], "ci95_low": [_r(lo[w]) for w in weeks],
                  "ci95_high": [_r(hi[w]) for w in weeks]}
    return {"month": list(range(months + 1)), "week": weeks, "series": out}


def monthly_wait(ev: Evaluator, key: tuple, sc: Scenario, scope: str = "overall") -> dict:
    """Mean wait to start of examinations starting in each month (weekly means pooled by month)."""
    m = ev.weekly(key, f"wait_to_start_days.{scope}")
    H = sc.calendar.horizon_weeks
    months = int(math.floor(H / MONTH_WEEKS + 1e-9))
    mean, lo, hi = [], [], []
    for j in range(months):
        w0, w1 = int(round(j * MONTH_WEEKS)), int(round((j + 1) * MONTH_WEEKS))
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                per_rep = np.nanmean(m[:, w0:w1], axis=1)
        iv = t_interval(per_rep, bounds=NON_NEGATIVE)  # a wait is never negative
        mean.append(_r(iv.estimate)); lo.append(_r(iv.low)); hi.append(_r(iv.high))
    return {"month": list(range(1, months + 1)), "mean": mean, "ci95_low": lo, "ci95_high": hi}


def _r(x) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 3)


def backlog_months_removed(ev: Evaluator, base: tuple, key: tuple, n: int) -> dict:
    """Backlog removed at the horizon, in months of the do-nothing examination rate.

    = (devices awaiting examination at the end, doing nothing - with the mix) / (devices the
    unit examines a month doing nothing). Because both runs see the same arrivals (CRN), the
    devices removed equal the extra devices the mix cleared (examined, outsourced, screened out).
    """
    b_end = ev.values(base, "overall.waiting_at_end", n)
    m_end = ev.values(key, "overall.waiting_at_end", n)
    per_month = ev.values(base, "throughput.examined_per_week", n) * MONTH_WEEKS
    devices = b_end - m_end
    months = devices / per_month
    return {"devices_removed": interval(devices), "months_removed": interval(months),
            "baseline_devices_examined_per_month": interval(per_month)}


def result_json(res: SearchResult, sc: Scenario, source: str | None = None) -> dict:
    """The ``invest`` JSON (kind 'invest'): see the README section for its shape."""
    ev, st = res.evaluator, res.settings
    nf = st.final_reps
    keys = headline_keys(sc) + ([st.target.result_key] if st.target else [])
    base, ch = res.baseline, res.chosen
    primary = _primary(st)
    evaluated = []
    for k, p in sorted(res.points.items(), key=lambda kv: (kv[1]["cost_gbp"], kv[1]["label"])):
        evaluated.append({
            "mix": p["mix"], "label": p["label"], "cost_gbp": round(p["cost_gbp"], 2), "stage": p["stage"],
            "replications": p["replications"], "on_frontier": p.get("on_frontier", False),
            "meets_target": p.get("meets_target"),
            "objectives": {o: _r(p["objectives"][OBJECTIVES[o][0]]) for o in OBJECTIVES},
            "target_value": _r(p.get("target_value")) if st.target else None,
        })
    # Mixes dropped before full evaluation: each is beaten with 95% confidence by a fully evaluated mix.
    screened = [{"mix": ev.preps[k].mix, "label": mix_label(ev.preps[k].mix), "cost_gbp": round(ev.preps[k].cost, 2),
                 "stage": ev.stage[k], "replications": ev.n(k), "on_frontier": False, "meets_target": None,
                 "objectives": {o: _r(ev.mean(k, OBJECTIVES[o][0])) for o in OBJECTIVES}, "target_value": None,
                 "dominated_by": mix_label(ev.preps[q].mix)}
                for k, q in sorted(res.dropped.items(), key=lambda kv: (ev.preps[kv[0]].cost, mix_label(ev.preps[kv[0]].mix)))]
    front = [e for e in evaluated if e["on_frontier"]]
    prep = ev.preps[ch]
    bm = backlog_months_removed(ev, base, ch, nf)
    months = bm["months_removed"]["estimate"]
    devices = bm["devices_removed"]["estimate"]
    chosen = {
        "mix": prep.mix, "label": mix_label(prep.mix), "actions": describe_mix(sc, prep.mix),
        "cost_gbp": round(prep.cost, 2), "budget_gbp": st.budget, "within_budget": st.budget is None or prep.cost <= st.budget + 1e-6,
        "recurring_gbp_per_year_after_horizon": prep.recurring, "replications": nf,
        "measures": measures_block(ev, ch, keys, nf),
        "vs_baseline": paired_block(ev, base, ch, keys, nf),
        "backlog_removed": bm,
        "gbp_per_month_of_backlog_removed": (prep.cost / months) if months and months > 0 and prep.cost > 0 else None,
        "gbp_per_device_removed": (prep.cost / devices) if devices and devices > 0 and prep.cost > 0 else None,
    }
    if st.target:
        v = ev.values(ch, st.target.result_key, nf)
        chosen["target"] = {"value": measure_interval(v, st.target.result_key).as_dict(), "met": bool(res.reachable),
                            "replications_meeting": float(np.mean([st.target.met(x) for x in v]))}
    series = ["backlog.awaiting_examination", "months_of_work"]
    out = {
        "kind": "invest",
        "version": __version__,
        "scenario": sc.name,
        "scenario_file": source,
        "mode": "target" if st.target else "budget",
        "budget_gbp": st.budget,
        "target": None if not st.target else {
            "expression": st.target.expression, "key": st.target.key, "op": st.target.op, "value": st.target.value,
            "from_week": st.target.from_week, "reachable": res.reachable},
        "objective": {"name": st.objective, "key": primary, "meaning": OBJECTIVES[st.objective][1]},
        "seed": st.seed,
        "replications": {"screen": st.screen_reps, "candidates": st.candidate_reps, "final": nf},
        "horizon_weeks": sc.calendar.horizon_weeks,
        "start_date": sc.calendar.start_date.isoformat(),
        "options": res.option_table,
        "excluded_options": res.excluded,
        "baseline": {"replications": nf, "measures": measures_block(ev, base, keys, nf)},
        "evaluated": evaluated,
        "screened": screened,
        "frontier": front,
        "chosen": chosen,
        "cost_profile": cost_profile(sc, prep.mix),
        "trajectory": {
            "baseline": {**monthly_trajectory(ev, base, sc, series), "wait_to_start_days": monthly_wait(ev, base, sc)},
            "chosen": {**monthly_trajectory(ev, ch, sc, series), "wait_to_start_days": monthly_wait(ev, ch, sc)},
        },
        "run": {"seconds": round(res.seconds, 2), "mixes_evaluated": len(ev.preps),
                "replications_simulated": ev.replications_run, "workers": ev.workers,
                "mixes_x_replications_per_minute": round(ev.replications_run / max(ev.seconds, 1e-9) * 60, 1)},
    }
    out["explanation"] = explain(out, sc)
    return out


def _gbp(x) -> str:
    return "-" if x is None else f"£{x:,.0f}"


def _week_phrase(block: dict, start_date, H: int) -> str:
    import datetime as dt

    est, share = block.get("estimate"), block.get("reached_share", 0.0)
    if not share or est is None:
        return f"not within the {H}-week horizon"
    d = start_date + dt.timedelta(weeks=est)
    txt = f"around week {est:.0f} ({d:%B %Y})"
    if share < 1:
        txt += f", but only in {share:.0%} of replications"
    return txt


def _days(x: float) -> str:
    return f"{x:,.1f}" if abs(x) < 10 else f"{x:,.0f}"


#: How a headline sentence names each objective, and says a mix's value against the chosen mix's.
OBJECTIVE_WORDS = {
    "exposure": ("child-safeguarding exposure",
                 lambda v, c: f"its exposure is {v:,.0f} risk-weighted device-days against {c:,.0f}"),
    "wait-12m": ("the wait to start in month 12",
                 lambda v, c: f"examinations starting in month 12 wait {_days(v)} days on average against {_days(c)}"),
    "backlog": ("the backlog at the end",
                lambda v, c: f"{v:,.0f} devices are still waiting at the end against {c:,.0f}"),
}

#: A cheaper frontier mix is named when it gets at least this share of the chosen mix's improvement.
CHEAPER_SHARE = 0.8


def cheaper_mix_sentences(out: dict) -> list[str]:
    """The cheapest frontier mix with at least 80% of the chosen mix's improvement on the objective.

    The claim names its measure, and when that mix is worse than the chosen one on another
    objective (beyond the frontier's tie tolerance), the next sentence says so with both values:
    a headline must not hide a worse measure behind a better one.
    """
    ch, base = out["chosen"], out["baseline"]["measures"]
    name = out["objective"]["name"]
    rows = {p["label"]: p for p in out["frontier"]}
    if ch["label"] not in rows:
        return []
    best, b0 = rows[ch["label"]]["objectives"][name], base[OBJECTIVES[name][0]]["estimate"]
    if best is None or b0 is None or b0 <= best:
        return []
    for p in sorted(out["frontier"], key=lambda p: p["cost_gbp"]):
        v = p["objectives"][name]
        if v is None or p["cost_gbp"] >= ch["cost_gbp"] or (b0 - v) < CHEAPER_SHARE * (b0 - best):
            continue
        share = math.floor(100 * (b0 - v) / (b0 - best)) / 100
        words = OBJECTIVE_WORDS[name][0]
        lines = [f"A cheaper mix on the frontier, {p['label']} at {_gbp(p['cost_gbp'])}, gets {share:.0%} of the chosen "
                 f"mix's reduction in {words}."]
        worse = []
        for o, (_, say) in OBJECTIVE_WORDS.items():
            v_o, c_o = p["objectives"][o], rows[ch["label"]]["objectives"][o]
            b_o = base[OBJECTIVES[o][0]]["estimate"]
            tol = FRONTIER_TOLERANCE * abs(b_o) if b_o is not None else 0.0
            if o != name and c_o is not None and (v_o is None or v_o > c_o + tol):
                worse.append(say(v_o, c_o) if v_o is not None else f"{OBJECTIVE_WORDS[o][0]} is not measured")
        if worse:
            lines.append(f"But it is worse on the other measures: {'; '.join(worse)} with the chosen mix. "
                         "See the frontier table before choosing between them.")
        else:
            lines.append("It is no worse on the other frontier measures: see the frontier table before committing "
                         "the full sum.")
        return lines
    return []


def explain(out: dict, sc: Scenario) -> list[str]:
    """Plain sentences for a finance committee."""
    ch, bm, base = out["chosen"], out["chosen"]["measures"], out["baseline"]["measures"]
    dv = ch["vs_baseline"]
    H = sc.calendar.horizon_weeks
    start = sc.calendar.start_date
    lines = []
    if out["mode"] == "target":
        t = out["target"]
        if t["reachable"]:
            lines.append(f"The least-cost mix found that meets '{t['expression']}' from week {t['from_week']:.0f} is: "
                         f"{'; '.join(ch['actions'])}. It costs {_gbp(ch['cost_gbp'])} inside the {H}-week horizon.")
        else:
            lines.append(f"No mix of the options meets '{t['expression']}' from week {t['from_week']:.0f}"
                         f"{' within ' + _gbp(out['budget_gbp']) if out['budget_gbp'] is not None else ''}; "
                         f"the closest found is: {'; '.join(ch['actions'])} ({_gbp(ch['cost_gbp'])}).")
    elif not any(ch["mix"].values()):
        lines.append("With this budget no option is affordable or worth buying: the answer is the do-nothing baseline.")
        return lines
    else:
        lines.append(f"With {_gbp(out['budget_gbp'])}, the best mix found (lowest {out['objective']['meaning']}) is: "
                     f"{'; '.join(ch['actions'])}. It costs {_gbp(ch['cost_gbp'])} inside the {H}-week horizon.")
    if ch["recurring_gbp_per_year_after_horizon"]:
        lines.append(f"It also commits {_gbp(ch['recurring_gbp_per_year_after_horizon'])} a year after the horizon "
                     "(permanent staff, licences, running costs).")
    k12, kend = "invest.backlog_at_12m", "overall.waiting_at_end"
    when = "After 12 months" if H >= 52 else f"At the end of the {H}-week horizon"
    lines.append(
        f"{when} the backlog is {bm[k12]['estimate']:,.0f} devices (95% CI {bm[k12]['ci95'][0]:,.0f} to "
        f"{bm[k12]['ci95'][1]:,.0f}) instead of {base[k12]['estimate']:,.0f} doing nothing; at the end of the horizon "
        f"{bm[kend]['estimate']:,.0f} instead of {base[kend]['estimate']:,.0f}.")
    w12 = "invest.wait_at_12m_days"
    if bm[w12]["estimate"] is not None and base[w12]["estimate"] is not None:
        month = "in month 12" if H >= 52 else f"in the last month of the {H} weeks"
        lines.append(f"Examinations starting {month} have waited {_days(bm[w12]['estimate'])} days on average "
                     f"instead of {_days(base[w12]['estimate'])}.")
    e = dv["overall.exposure"]
    if base["overall.exposure"]["estimate"]:
        pct = -e["estimate"] / base["overall.exposure"]["estimate"] if e["estimate"] is not None else 0
        lo, hi = e["ci95"]
        rng = ""
        if lo is not None and hi is not None:
            rng = f" (95% CI {-hi / base['overall.exposure']['estimate']:.0%} to {-lo / base['overall.exposure']['estimate']:.0%})"
        lines.append(f"Child-safeguarding exposure (risk-weighted days devices wait unexamined) falls by {pct:.0%}{rng}.")
    for thr in sc.measures.wait_thresholds_days:
        k = f"first_week_below.{thr:g}"
        name = "72 hours" if abs(thr - 3) < 1e-9 else f"{thr:g} days"
        lines.append(f"The mean wait to start falls under {name} {_week_phrase(bm[k], start, H)} "
                     f"(doing nothing: {_week_phrase(base[k], start, H)}).")
    if ch["gbp_per_month_of_backlog_removed"]:
        lines.append(f"Each month of backlog removed (at today's examination rate) costs "
                     f"{_gbp(ch['gbp_per_month_of_backlog_removed'])}; each device taken off the queue "
                     f"{_gbp(ch['gbp_per_device_removed'])}.")
    if out["mode"] == "budget":
        lines += cheaper_mix_sentences(out)
    if out["excluded_options"]:
        lines.append("Not chosen: " + "; ".join(f"{k} ({v})" for k, v in out["excluded_options"].items()) + ".")
    return lines


# ---- compare ---------------------------------------------------------------------------------------

def _demand(sc: Scenario) -> dict:
    d = sc.model_dump(mode="json", by_alias=True)
    return {k: d[k] for k in ("calendar", "tiers", "arrivals", "backlog")}


def compare_scenarios(scenarios: list[tuple[str, Scenario]], replications: int, seed: int, workers: int | None = None,
                      progress: Callable[[int], None] | None = None) -> dict:
    """The same measures for each scenario (its ``investment.mix`` applied), paired against the first.

    Same seed and replications for all, so scenarios with the same demand see the same devices
    and their differences are common-random-number paired.
    """
    ev = Evaluator(scenarios[0][1], seed, workers, None, progress)
    keys_by = []
    for i, (path, sc) in enumerate(scenarios):
        mix = dict(sc.investment.mix) if sc.investment else {}
        p = prepare(sc, mix)
        k = (f"#{i}",) + p.key
        ev.preps[k] = replace(p, key=k)
        ev.runs[k] = {}
        ev.stage[k] = "compare"
        keys_by.append(k)
    t0 = time.perf_counter()
    ev.ensure(keys_by, replications)
    first = scenarios[0][1]
    paired = all(_demand(sc) == _demand(first) for _, sc in scenarios[1:])
    keys = [k for k in compare_keys(first) if all(k in ev.runs[key][0][0] for key in keys_by)]
    ids = _unique_ids([_stem(p) for p, _ in scenarios])
    titles = _titles([sc.name for _, sc in scenarios], ids)
    out_sc = []
    for i, ((path, sc), k, ident) in enumerate(zip(scenarios, keys_by, ids)):
        p = ev.preps[k]
        out_sc.append({
            "id": ident, "name": sc.name, "title": titles[i], "file": path,
            "mix": {n: u for n, u in p.mix.items() if u}, "label": mix_label(p.mix),
            "actions": describe_mix(sc, p.mix) if any(p.mix.values()) else ["no investment"],
            "changes": scenario_changes(first, sc) if i else [],
            "cost_gbp": round(p.cost, 2),
            "recurring_gbp_per_year_after_horizon": p.recurring,
            "measures": measures_block(ev, k, keys, replications),
            "cost_profile": cost_profile(sc, p.mix),
            "trajectory": {**monthly_trajectory(ev, k, sc, ["backlog.awaiting_examination", "months_of_work"]),
                           "wait_to_start_days": monthly_wait(ev, k, sc)},
        })
    diffs = []
    for (path, sc), k, ident in list(zip(scenarios, keys_by, ids))[1:]:
        block = {"id": ident, "versus": ids[0], "measures": paired_block(ev, keys_by[0], k, keys, replications),
                 "cost_gbp": round(ev.preps[k].cost - ev.preps[keys_by[0]].cost, 2)}
        bm = backlog_months_removed(ev, keys_by[0], k, replications)
        months, cost = bm["months_removed"]["estimate"], block["cost_gbp"]
        block["backlog_removed"] = bm
        block["gbp_per_month_of_backlog_removed"] = cost / months if months and months > 0 and cost > 0 else None
        diffs.append(block)
    return {
        "kind": "compare",
        "version": __version__,
        "seed": seed,
        "replications": replications,
        "paired": paired,
        "note": None if paired else "demand, calendar or backlog differ: differences are not common-random-number paired",
        "measures": keys,
        "labels": {k: label_of(k) for k in keys},
        "scenarios": out_sc,
        "differences": diffs,
        "run": {"seconds": round(time.perf_counter() - t0, 2), "replications_simulated": ev.replications_run,
                "workers": ev.workers},
    }


def _titles(names: list[str], ids: list[str]) -> list[str]:
    """Scenario names for display; a name two scenarios share gets the file id added."""
    return [n if names.count(n) == 1 else f"{n} ({i})" for n, i in zip(names, ids)]


#: Sections a comparison does not list as changes: names, run settings (the comparison sets them) and
#: the investment options (what is bought is described as actions, with its cost).
_NOT_CHANGES = ("name", "description", "run", "investment", "extends")


def scenario_changes(ref: Scenario, sc: Scenario, limit: int = 6) -> list[str]:
    """What ``sc`` sets differently from ``ref`` outside its investments: 'policy.discipline: priority
    (first scenario: fifo)'. Lists of different length or shape are reported as changed whole."""
    a, b = ref.model_dump(mode="json", by_alias=True), sc.model_dump(mode="json", by_alias=True)
    found: list[str] = []

    def show(v) -> str:
        return "not set" if v is None else str(v).lower() if isinstance(v, bool) else f"{v:g}" \
            if isinstance(v, float) else str(v) if not isinstance(v, (dict, list)) else "..."

    def walk(x, y, path: str) -> None:
        if x == y:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for key in list(x) + [k for k in y if k not in x]:
                walk(x.get(key), y.get(key), f"{path}.{key}" if path else key)
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for j, (u, v) in enumerate(zip(x, y)):
                walk(u, v, f"{path}[{j}]")
        elif isinstance(x, (dict, list)) or isinstance(y, (dict, list)):
            found.append(f"{path}: changed")
        else:
            found.append(f"{path}: {show(y)} (first scenario: {show(x)})")

    for key in a:
        if key not in _NOT_CHANGES:
            walk(a[key], b.get(key), key)
    if len(found) > limit:
        found = found[:limit] + [f"and {len(found) - limit} more inputs"]
    return found


def _stem(path: str) -> str:
    from pathlib import Path

    return Path(path).stem


def _unique_ids(stems: list[str]) -> list[str]:
    out, seen = [], {}
    for s in stems:
        seen[s] = seen.get(s, 0) + 1
        out.append(s if seen[s] == 1 else f"{s}-{seen[s]}")
    return out
