"""Is the chosen investment still right if our estimates are wrong? (robust choice)

Why: ``invest`` picks the best mix for the scenario's central estimates. A finance committee asks
whether it stays the right mix when the triage screen-out, the automation saving or the ramp-up is
not what we wrote down. So the chosen mix, the runners-up on the frontier (up to
:data:`MAX_CONTENDERS`, each feasible as the search defines it) and doing nothing are run in W
plausible worlds of the ranged inputs (``worlds.sample_worlds``: a Latin hypercube over each
estimate's range), R replications each, with per-world streams (``runner``: worlds independent,
mixes inside a world paired on the same devices). In every world:

* **best** is judged as the search judges (the same ``invest.objectives`` objective and direction):
  budget mode, the lowest mean objective, where mixes within the frontier's tie tolerance
  (``FRONTIER_TOLERANCE`` of doing nothing's value in that world) count as equal and the cheaper
  wins; target mode, the cheapest mix whose mean meets the target (none does: the closest);
* **regret** of a mix is how much worse it is than that world's best value, in the objective's
  units (target mode: the extra £ over the world's cheapest mix meeting the target, over the
  worlds in which the mix meets it). Regret from R-replication means carries a small upward bias
  (the best of noisy means is optimistic); the pairing inside a world keeps it small.

Each mix's share of worlds in which it is best has a Wilson 95% interval (worlds are independent
draws); its regret a Student-t interval over worlds. **Fragile** (the rule): the chosen mix is best
in fewer than :data:`FRAGILE_SHARE` of the worlds. Then the mix that wins most often instead is
named, with the input that best explains where it wins: for each ranged input, the single
threshold split of the worlds (those where one of the two is best) that best separates "chosen is
best" from "the other is best"; the most accurate split is taken, ties by the input's SRC² share
of the paired difference between the two (``spread.attribute``). A split is only said when it
classifies at least :data:`SPLIT_ACCURACY` of those worlds correctly.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from dfu_sched.invest.frontier import FRONTIER_TOLERANCE
from dfu_sched.invest.objectives import FRONTIER_KEYS, OBJECTIVES
from dfu_sched.invest.search import SearchResult
from dfu_sched.invest.targets import Target, window_request
from dfu_sched.scenario.levers import mix_label
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import Executor
from dfu_sched.stats import NON_NEGATIVE, Interval, measure_interval, t_interval
from dfu_sched.uncertainty.robust_words import input_phrase, mix_words, other_mix_phrase, regret_text, regret_units
from dfu_sched.uncertainty.runner import run_tasks
from dfu_sched.uncertainty.spread import attribute, split_spread
from dfu_sched.uncertainty.worlds import Worlds

#: Most mixes tested against the worlds (the chosen one and its runners-up), doing nothing besides.
MAX_CONTENDERS = 5
#: The choice is fragile when the chosen mix is best in fewer than this share of plausible worlds.
FRAGILE_SHARE = 0.6
#: A threshold split is said in words only when it classifies at least this share of worlds right.
SPLIT_ACCURACY = 0.75
#: Worlds tested unless ``--worlds`` says otherwise.
DEFAULT_WORLDS = 20
#: Measures shown for each mix with and without estimate uncertainty (plus a target's measure).
SHOWN = ("invest.backlog_at_12m", *FRONTIER_KEYS)

Role = Literal["chosen", "runner-up", "do nothing"]
Side = Literal["below", "above"]
SIDES: tuple[Side, ...] = ("below", "above")


@dataclass(frozen=True)
class Contender:
    """A mix tested against the worlds."""

    key: tuple
    mix: dict[str, int]
    label: str
    words: str
    cost: float
    role: Role


@dataclass(frozen=True)
class Fragility:
    """Where another mix beats the chosen one: ``other`` wins on the ``side`` of ``threshold``."""

    other: int                   #: index of the other mix among the contenders
    input_key: str | None        #: the ranged input that best explains it (None: no split good enough)
    threshold: float | None
    side: Side | None
    accuracy: float | None       #: share of the worlds (where either is best) the split classifies right
    worlds: int                  #: worlds in which the chosen or the other mix is best
    src2: float | None           #: that input's SRC² share of the paired difference (other - chosen)


@dataclass(frozen=True)
class MixVerdict:
    contender: Contender
    best_worlds: int
    best_share: float
    best_ci95: tuple[float, float]
    regret: Interval
    meets_share: float | None    #: target mode: share of worlds in which the mix meets the target
    measures: dict[str, dict]    #: measure -> {"without": chance-only interval, "with": Spread.as_json()}
    tied_worlds: int = 0         #: budget mode: worlds it is not best in but within the tie tolerance of the best


@dataclass(frozen=True)
class RobustResult:
    objective: str
    target: Target | None
    worlds: Worlds
    replications: int
    seed: int
    contenders: list[Contender]
    verdicts: list[MixVerdict]
    best: np.ndarray             #: index of each world's best mix
    fragile: bool
    fragility: Fragility | None
    headline: str
    replications_run: int
    seconds: float


# ---- which mixes -------------------------------------------------------------------------------

def contenders(res: SearchResult, limit: int = MAX_CONTENDERS) -> list[Contender]:
    """The chosen mix, its runners-up on the frontier (feasible), then doing nothing.

    Budget mode: frontier mixes within the budget, nearest the chosen one on the objective first.
    Target mode: frontier mixes meeting the target, cheapest first (none does: the closest).
    """
    st, ev = res.settings, res.evaluator
    primary = OBJECTIVES[st.objective].measure
    front = [p for p in res.points.values() if p.get("on_frontier") and p["key"] not in (res.chosen, res.baseline)]
    if st.budget is not None:
        front = [p for p in front if p["cost_gbp"] <= st.budget + 1e-6]
    if st.target is None:
        front.sort(key=lambda p: (_finite(p["objectives"][primary]), p["cost_gbp"], p["label"]))
    else:
        tgt = st.target
        meeting = [p for p in front if p.get("meets_target")]
        front = sorted(meeting, key=lambda p: (p["cost_gbp"], p["label"])) if meeting else sorted(
            front, key=lambda p: (-tgt.improvement(0.0, _target_or_worst(p.get("target_value"), tgt)), p["cost_gbp"]))
    keys = [res.chosen] + [p["key"] for p in front][: max(0, limit - 1)]
    if res.baseline not in keys:
        keys.append(res.baseline)
    out = []
    for k in keys:
        p = ev.preps[k]
        role: Role = "chosen" if k == res.chosen else "do nothing" if k == res.baseline else "runner-up"
        out.append(Contender(k, dict(p.mix), mix_label(p.mix), mix_words(p.mix), float(p.cost), role))
    return out


def _finite(x: float | None) -> float:
    return np.inf if x is None or not np.isfinite(x) else float(x)


def _target_or_worst(v: float | None, tgt: Target) -> float:
    if v is None or not np.isfinite(v):
        return np.inf if tgt.op in ("<=", "<") else -np.inf
    return float(v)


# ---- judging each world (pure functions over arrays) ---------------------------------------------

def world_means(x: np.ndarray) -> np.ndarray:
    """Mean over the last axis ignoring NaN; NaN where a world has no usable replication."""
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x)
    n = ok.sum(axis=-1)
    s = np.where(ok, x, 0.0).sum(axis=-1)
    return np.where(n > 0, s / np.maximum(n, 1), np.nan)


def best_by_objective(obj: np.ndarray, costs: np.ndarray, tol: np.ndarray) -> np.ndarray:
    """Budget mode: per world (rows of ``obj``, W x M), the cheapest mix within ``tol`` of the lowest."""
    o = np.where(np.isfinite(obj), obj, np.inf)
    low = o.min(axis=1)
    best = np.empty(len(o), dtype=int)
    for w in range(len(o)):
        near = np.flatnonzero(o[w] <= low[w] + tol[w] + 1e-12)
        best[w] = int(near[np.lexsort((o[w, near], costs[near]))][0])
    return best


def best_by_target(tv: np.ndarray, costs: np.ndarray, tgt: Target) -> tuple[np.ndarray, np.ndarray]:
    """Target mode: per world the cheapest mix whose mean ``tv`` meets the target (none: the closest).

    Returns (best index per world, met: W x M booleans)."""
    met = np.vectorize(tgt.met, otypes=[bool])(tv) if tv.size else np.zeros(tv.shape, bool)
    closeness = -np.vectorize(lambda v: tgt.improvement(0.0, _target_or_worst(v, tgt)), otypes=[float])(tv)
    best = np.empty(len(tv), dtype=int)
    for w in range(len(tv)):
        ok = np.flatnonzero(met[w])
        if ok.size:
            best[w] = int(ok[np.lexsort((closeness[w, ok], costs[ok]))][0])
        else:
            best[w] = int(np.lexsort((costs, closeness[w]))[0])
    return best, met


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson 95% interval of a share k/n (scipy.stats.binomtest)."""
    if n == 0:
        return (float("nan"), float("nan"))
    from scipy.stats import binomtest  # lazy: scipy.stats is heavy

    ci = binomtest(int(k), int(n)).proportion_ci(0.95, method="wilson")
    return float(ci.low), float(ci.high)


def best_split(x: np.ndarray, other_wins: np.ndarray) -> tuple[float, float, Side] | None:
    """The single threshold on ``x`` that best separates ``other_wins`` from not: (accuracy, threshold, side).

    ``side`` "below": the other mix wins where x < threshold. Thresholds are midpoints between
    consecutive distinct values; the first best split (lowest threshold, "below" first) wins ties.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(other_wins, dtype=bool)
    vals = np.unique(x)
    if vals.size < 2:
        return None
    best: tuple[float, float, Side] | None = None
    for t in (vals[:-1] + vals[1:]) / 2:
        below = x < t
        for side in SIDES:
            acc = float(np.mean((below if side == "below" else ~below) == y))
            if best is None or acc > best[0] + 1e-12:
                best = (acc, float(t), side)
    return best


def find_fragility(values: np.ndarray, keys: list[str], best: np.ndarray, chosen: int, score: np.ndarray,
                   ) -> Fragility | None:
    """Which mix wins instead of ``chosen`` most often, and the input split that best explains where.

    ``values`` W x K inputs, ``best`` each world's best index, ``score`` W x M the per-world value
    the mixes are compared on (for the SRC² tie-break: the paired difference other - chosen).
    """
    others = [m for m in best if m != chosen]
    if not others:
        return None
    counts = np.bincount(others, minlength=score.shape[1])
    other = int(np.argmax(counts))  # ties: the earlier contender (nearer the chosen one)
    rows = (best == chosen) | (best == other)
    y = best[rows] == other
    diff = score[:, other] - score[:, chosen]
    shares = attribute(diff, values, keys)["shares"] if np.isfinite(diff).all() else {}
    found: tuple[float, float, str, float, Side] | None = None
    for j, k in enumerate(keys):
        split = best_split(values[rows, j], y)
        if split is None:
            continue
        acc, thr, side = split
        src = float(shares.get(k) or 0.0)
        if found is None or acc > found[0] + 1e-12 or (abs(acc - found[0]) <= 1e-12 and src > found[3]):
            found = (acc, thr, k, src, side)
    if found is None or found[0] < SPLIT_ACCURACY:
        return Fragility(other, None, None, None, None if found is None else found[0], int(rows.sum()), None)
    acc, thr, k, src, side = found
    return Fragility(other, k, thr, side, acc, int(rows.sum()), src)


# ---- the run ------------------------------------------------------------------------------------

def robust_choice(base: Scenario, result: SearchResult, worlds: Worlds, replications: int, seed: int | None = None,
                  executor: Executor | None = None, workers: int | None = None,
                  progress: Callable[[int], None] | None = None) -> RobustResult:
    """Test the search's choice against ``worlds``: ``replications`` of each contender in each world.

    ``seed`` defaults to the search's seed. The same inputs and seed give the same result on any
    executor or number of workers (``runner.run_tasks``).
    """
    t0 = time.perf_counter()
    st = result.settings
    seed = st.seed if seed is None else seed
    mixes = contenders(result)
    keep = list(dict.fromkeys([*SHOWN, *([st.target.result_key] if st.target else [])]))
    tasks = [(w, c.key) for w in range(len(worlds)) for c in mixes]
    runs = run_tasks(base, worlds.estimates, worlds.values, tasks, replications, seed, streams="per_world",
                     keep=keep, window=window_request(st.target), executor=executor, workers=workers,
                     progress=progress)
    cube = {k: np.stack([np.stack([runs.values[(w, c.key)][k] for c in mixes]) for w in range(len(worlds))])
            for k in keep}  # measure -> W x M x R
    without = {c.key: {k: measure_interval(result.evaluator.values(c.key, k), k).as_dict() for k in keep}
               for c in mixes}
    return judge(mixes, worlds, cube, without, st.objective, st.target, replications, seed, runs.replications_run,
                 time.perf_counter() - t0)


def judge(mixes: list[Contender], worlds: Worlds, cube: dict[str, np.ndarray], without: dict[tuple, dict],
          objective: str, target: Target | None, replications: int, seed: int, replications_run: int = 0,
          seconds: float = 0.0) -> RobustResult:
    """Every world's best mix, each mix's share, regret and intervals, and the fragility verdict.

    ``cube[measure]`` is W worlds x M mixes x R replications; ``without[key][measure]`` the mix's
    chance-only interval at the central estimates (the search's own replications).
    """
    W = len(worlds)
    costs = np.array([c.cost for c in mixes])
    chosen = next(i for i, c in enumerate(mixes) if c.role == "chosen")
    primary = OBJECTIVES[objective].measure
    obj = world_means(cube[primary])
    meets: np.ndarray | None = None
    if target is None:
        base_i = next((i for i, c in enumerate(mixes) if c.role == "do nothing"), chosen)
        tol = FRONTIER_TOLERANCE * np.abs(np.nan_to_num(obj[:, base_i]))
        best = best_by_objective(obj, costs, tol)
        low = np.where(np.isfinite(obj), obj, np.inf).min(axis=1)
        regret = np.where(np.isfinite(obj) & np.isfinite(low)[:, None], obj - low[:, None], np.nan)
        score = obj
        tied = (best[:, None] != np.arange(len(mixes))[None, :]) & (regret <= tol[:, None] + 1e-12)
    else:
        tv = world_means(cube[target.result_key])
        best, meets = best_by_target(tv, costs, target)
        regret = np.where(meets, costs[None, :] - costs[best][:, None], np.nan)
        score = tv if target.op in ("<=", "<") else -tv
        tied = np.zeros(tv.shape, dtype=bool)
    verdicts = []
    for i, c in enumerate(mixes):
        k = int(np.sum(best == i))
        shown = {m: {"without": without.get(c.key, {}).get(m), "with": split_spread(cube[m][:, i, :]).as_json()}
                 for m in cube if W >= 2}
        verdicts.append(MixVerdict(c, k, k / W, wilson(k, W), t_interval(regret[:, i], bounds=NON_NEGATIVE),
                                   None if meets is None else float(np.mean(meets[:, i])), shown,
                                   int(tied[:, i].sum())))
    fragile = verdicts[chosen].best_share < FRAGILE_SHARE
    frag = find_fragility(worlds.values, worlds.keys, best, chosen, score) if fragile else None
    res = RobustResult(objective, target, worlds, replications, seed, mixes, verdicts, best, fragile, frag, "",
                       replications_run, seconds)
    return dataclasses.replace(res, headline=headline(res))


# ---- words and JSON ----------------------------------------------------------------------------

def headline(res: RobustResult) -> str:
    """The invest headline's line: robust ("best in 85% of plausible worlds") or fragile, and why."""
    W = len(res.worlds)
    chosen = next(v for v in res.verdicts if v.contender.role == "chosen")
    est = chosen.regret.estimate
    reg = "" if not np.isfinite(est) else f"expected regret {regret_text(est, res.objective, res.target is not None)}"
    ties = (f"; in another {chosen.tied_worlds / W:.0%} a cheaper mix does as well (within "
            f"{FRONTIER_TOLERANCE:.1%} of doing nothing's value)" if chosen.tied_worlds else "")
    if not res.fragile:
        runner = max((v for v in res.verdicts if v.contender.role != "chosen"), key=lambda v: v.best_worlds,
                     default=None)
        tail = (f"; next: {other_mix_phrase(chosen.contender, runner.contender)}, best in {runner.best_share:.0%}"
                if runner is not None and runner.best_worlds else "")
        return (f"The chosen mix is best in {chosen.best_share:.0%} of {W} plausible worlds of the estimates"
                f"{' (' + reg + ')' if reg else ''}{ties}{tail}.")
    lead = f"Fragile: the chosen mix is best in only {chosen.best_share:.0%} of {W} plausible worlds of the estimates"
    lead += (f" ({reg})" if reg else "") + ties
    f = res.fragility
    if f is None:
        return lead + "."
    other = res.verdicts[f.other]
    who = other_mix_phrase(chosen.contender, other.contender)
    if f.input_key is None or f.threshold is None or f.side is None:
        return (f"{lead}. {who[0].upper() + who[1:]} is better in {other.best_share:.0%} of them, "
                "and no single estimate explains where.")
    return (f"{lead}. With {input_phrase(f.input_key, f.threshold, f.side)}, {who} is better "
            f"(in {other.best_share:.0%} of plausible worlds).")


def _r(x: float | None, d: int = 6) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), d)


def robust_json(res: RobustResult) -> dict:
    """The ``robust`` block of the invest JSON (see the README section "Is the choice robust?")."""
    f = res.fragility
    return {
        "worlds": len(res.worlds), "replications": res.replications, "seed": res.seed, "streams": "per_world",
        "objective": res.objective, "mode": "target" if res.target else "budget",
        "regret_units": regret_units(res.objective, res.target is not None),
        "inputs": [{"key": e.key, "value": e.value, "low": e.low, "high": e.high, "shape": e.shape}
                   for e in res.worlds.estimates],
        "rule": {"fragile_below_share": FRAGILE_SHARE, "split_accuracy": SPLIT_ACCURACY,
                 "tie_tolerance_share_of_do_nothing": FRONTIER_TOLERANCE},
        "mixes": [{"mix": v.contender.mix, "label": v.contender.label, "words": v.contender.words,
                   "role": v.contender.role, "cost_gbp": round(v.contender.cost, 2), "best_worlds": v.best_worlds,
                   "best_share": _r(v.best_share), "best_share_ci95": [_r(x) for x in v.best_ci95],
                   "regret": {"estimate": _r(v.regret.estimate), "ci95": [_r(v.regret.low), _r(v.regret.high)],
                              "worlds": v.regret.n},
                   "tied_worlds": v.tied_worlds, "meets_target_share": _r(v.meets_share), "measures": v.measures}
                  for v in res.verdicts],
        "chosen_best_share": _r(next(v.best_share for v in res.verdicts if v.contender.role == "chosen")),
        "fragile": res.fragile,
        "fragility": None if f is None else {
            "other": res.contenders[f.other].label, "input": f.input_key, "threshold": _r(f.threshold),
            "side": f.side, "accuracy": _r(f.accuracy), "worlds": f.worlds, "src2": _r(f.src2)},
        "world_best": [res.contenders[int(b)].label for b in res.best],
        "world_values": [[_r(x) for x in row] for row in res.worlds.values],
        "headline": res.headline,
        "run": {"replications_simulated": res.replications_run, "seconds": round(res.seconds, 2)},
    }
