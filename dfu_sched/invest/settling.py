"""Settling the frontier: a mix simulated with few replications may only be discarded with confidence.

Why a module: the search's last phase (``search.settle``) decides which mixes get more
replications; the rule (a mix with the frontier's replications must dominate even the optimistic
end of the other's paired interval), its rounds, and the paired race that picks the best mix
(``race_for_best``) are a procedure of their own over an ``Evaluator``, with the one definition
of a mix's point that the search and the frontier share. "Fully evaluated" below means with the
``n_full`` replications the caller asks for (the search asks for its candidate replications).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dfu_sched.invest.evaluate import Evaluator
from dfu_sched.invest.frontier import dominates, frontier
from dfu_sched.invest.objectives import FRONTIER_KEYS
from dfu_sched.invest.targets import Target
from dfu_sched.scenario.levers import mix_label
from dfu_sched.stats import paired_difference


def point(ev: Evaluator, key: tuple, target: Target | None = None, n: int | None = None) -> dict:
    """A mix's cost and objectives over all the replications it has (or its first ``n``)."""
    p = ev.preps[key]
    n = ev.n(key) if n is None else min(n, ev.n(key))
    objectives = {k: ev.mean(key, k, n) for k in FRONTIER_KEYS}
    out = {"key": key, "mix": p.mix, "label": mix_label(p.mix), "cost_gbp": p.cost, "objectives": objectives,
           "stage": ev.stage[key], "replications": n}
    if target is not None:
        v = ev.mean(key, target.result_key, n)
        out["target_value"] = v
        out["meets_target"] = target.met(v)
    return out


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


def confidently_dominated_by(ev: Evaluator, key: tuple, full: list[tuple], tol: dict[str, float],
                             memo: dict | None = None) -> tuple | None:
    """The first fully evaluated mix (in the given order) that dominates even ``key``'s optimistic point.

    ``memo`` keeps each verdict under (key, q, their replication counts): a mix's replications never
    change once run, so the verdict of a pair is the same until either gets more, and the settling
    rounds need not recompute it (each costs Student-t quantiles, with both workers waiting).
    """
    memo = {} if memo is None else memo
    for q in full:
        if q == key or ev.preps[q].cost > ev.preps[key].cost + 1e-6:
            continue
        pair = (key, q, ev.n(key), ev.n(q))
        if pair not in memo:
            memo[pair] = dominates(point(ev, q), optimistic_point(ev, key, q), tol)
        if memo[pair]:
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
    memo: dict = {}
    while True:
        full = [k for k in order if ev.n(k) >= n_full]
        undecided = []
        for k in order:
            if k in full or k in dropped:
                continue
            q = confidently_dominated_by(ev, k, full, tol, memo)
            if q is None:
                undecided.append(k)
            else:
                dropped[k] = q
        if not undecided:
            return full, dropped
        pts = [point(ev, k) for k in full + undecided]
        est = {p["key"] for p in frontier(pts, tol)}
        promote = [k for k in undecided if k in est]
        if promote:
            ev.ensure(promote, n_full)
        else:
            ev.ensure(undecided, {k: min(2 * ev.n(k), n_full) for k in undecided})
        if log:
            log(f"frontier: {len(promote) or len(undecided)} mixes "
                f"{f'given {n_full} replications' if promote else 'doubled'}")


def confidently_worse(ev: Evaluator, key: tuple, than: tuple, measure: str, confidence: float = 0.95) -> bool:
    """``key`` is worse than ``than`` on ``measure`` (smaller is better) with confidence: the lower end of
    the paired interval of (key - than), over the replications both have (common random numbers), is
    above zero. Fewer than two pairs, or a measure unknown in a pair, decides nothing."""
    m = min(ev.n(key), ev.n(than))
    d = paired_difference(ev.values(than, measure, m), ev.values(key, measure, m), confidence)
    return bool(np.isfinite(d.low) and d.low > 0)


def race_for_best(ev: Evaluator, keys: list[tuple], measure: str, n_full: int,
                  log: Callable[[str], None] | None = None) -> tuple:
    """The mix of ``keys`` best on ``measure``, with ``n_full`` replications: a paired race.

    The leader (the lowest mean over the replications all have; ties to the cheaper) and every
    rival not confidently worse than it (``confidently_worse``) get twice their replications
    (at most ``n_full``), until the leader has ``n_full`` and every other mix is confidently worse;
    when all the remaining rivals have ``n_full``, the lowest mean wins, as it would had every mix
    been evaluated fully. A rival dropped was worse with 95% confidence on common random numbers.
    Every round doubles a count, so the race ends; its effort is a count, the same for a seed
    whatever the workers.
    """
    def order(k: tuple, m: int) -> tuple:
        v = ev.mean(k, measure, m)
        return (v if np.isfinite(v) else np.inf, ev.preps[k].cost, mix_label(ev.preps[k].mix))

    alive = list(dict.fromkeys(keys))
    while True:
        common = min(ev.n(k) for k in alive)
        lead = min(alive, key=lambda k: order(k, common))
        alive = [lead] + [k for k in alive if k != lead and not confidently_worse(ev, k, lead, measure)]
        short = [k for k in alive if ev.n(k) < n_full]
        if not short:
            return min(alive, key=lambda k: order(k, n_full))
        if len(alive) == 1:
            ev.ensure([lead], n_full)
            continue  # the leader's mean moved: the dropped stay dropped, it is checked once more
        ev.ensure(short, {k: min(2 * ev.n(k), n_full) for k in short})
        if log:
            log(f"frontier: {len(alive)} mixes race for the best, {len(short)} doubled")
