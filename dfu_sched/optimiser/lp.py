"""The time-indexed LP (GLOP) on candidate devices, its priced bound over the whole queue, and
LP rounding (optimiser.md §2 steps 2-4).

Column (j, e, s): device j starts at slot s of examiner e, worth ``w_j (H - clock_e[s])``.
Rows: each device at most once (exactly once when it has a hard deadline this week); each slot
of each examiner holds at most one device. For any slot prices pi >= 0,

    L(pi) = sum(pi) + sum_j max(0, max_{e,s} w_j (H - clock_e[s]) - sum_{t in [s, s+p_j)} pi_{e,t})

bounds every plan of the *whole* queue from above (weak duality), so the bound we report does
not depend on which devices the LP saw. Devices outside the LP whose priced value is positive
are the only ones that could have improved it; they join the improvement search (the bound
already covers them). Identical examiners are aggregated into one LP resource
(:func:`examiner_groups`); values and duals come through OR-Tools' public model_builder API.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from dfu_sched.optimiser.model import Instance


@dataclass
class LPResult:
    value: float
    x: np.ndarray          # column values
    J: np.ndarray          # column device
    E: np.ndarray          # column examiner group (index into ``groups``)
    S: np.ndarray          # column start slot
    pi: list[np.ndarray]   # slot prices per examiner
    optimal: bool
    groups: list[list[int]]  # examiner groups of :func:`examiner_groups`


def candidates(inst: Instance, factor: float) -> list[int]:
    """Per eligibility class, the best devices by w/p up to ``factor`` x the class's capacity."""
    classes: dict[tuple[int, ...], list[int]] = {}
    for j in range(inst.n):
        if len(inst.elig[j]):
            classes.setdefault(tuple(int(e) for e in inst.elig[j]), []).append(j)
    keep = {j for j in range(inst.n) if inst.due[j] and len(inst.elig[j])}
    for cls, js in sorted(classes.items()):
        room = factor * sum(int(inst.cap[e]) for e in cls)
        js.sort(key=lambda j: (-inst.w[j] / inst.p[j], inst.tiebreak[j]))
        acc = 0
        for j in js:
            if acc >= room:
                break
            keep.add(j)
            acc += int(inst.p[j])
    return sorted(keep)


def examiner_groups(inst: Instance, aggregate: bool = True) -> list[list[int]]:
    """Examiners the LP treats as one resource: same eligibility over this queue (so the same
    skills and accreditation as far as any queued device is concerned) and the same slot clock
    (same windows and hours). ``aggregate=False``: one group per examiner (the plain TI-LP).

    Identical examiners only: for them the aggregated LP has exactly the plain TI-LP's optimum
    (split any aggregated solution evenly over the members). Merging nested calendars (a 4-day
    week inside a 5-day one) would also be a valid relaxation, but it measured ~0.1 % looser.
    Examiners without slots are left out (they can take no column). Members are in index
    order; ``group[0]`` carries the (shared) clock.
    """
    groups: list[list[int]] = []
    keys: list[bytes] = []
    for e in range(inst.m):   # groups in order of their first examiner (the plain LP's order)
        if inst.cap[e] == 0:
            continue
        key = inst.elig_mask[:, e].tobytes()
        c = inst.clock[e]
        for g, k in zip(groups, keys):
            if aggregate and k == key and np.array_equal(inst.clock[g[0]], c):
                g.append(e)
                break
        else:
            groups.append([e])
            keys.append(key)
    return groups


def _columns(inst: Instance, cand: list[int], groups: list[list[int]],
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Columns (device, group, start slot) of the aggregated TI-LP."""
    J, G, S = [], [], []
    for j in cand:
        for g, members in enumerate(groups):
            rep = members[0]
            if not inst.elig_mask[j, rep]:
                continue
            hi = min(int(inst.cap[rep]), int(inst.latest_end[j, rep])) - int(inst.p[j])
            if hi >= 0:
                s = np.arange(hi + 1)
                J.append(np.full(s.size, j)), G.append(np.full(s.size, g)), S.append(s)
    if not J:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    return np.concatenate(J), np.concatenate(G), np.concatenate(S)


def solve_ti_lp(inst: Instance, cand: list[int], time_limit_s: float,
                must: set[int], aggregate: bool = True) -> LPResult | None:
    """Solve the TI-LP over ``cand`` with identical examiners aggregated (see below).

    Devices in ``must`` (feasible deadlines) are covered exactly. Examiners of one
    :func:`examiner_groups` group become one resource whose slot t holds as many devices as the
    group has members working slot t. Any plan maps onto this LP (add up the members' columns;
    the gains are equal because the members' clocks agree on the slots they share), so its
    optimum is still an upper bound, equal to the plain TI-LP when the members are identical.
    The slot prices are shared by the members (``pi`` is given per examiner): the priced bound
    of :func:`priced_bound` is then exactly this LP's dual objective, and it is valid for any
    prices >= 0 anyway (weak duality), so aggregation can only change how tight it is.

    Values and duals are read through the public model_builder API (``Solver.values`` /
    ``Solver.dual_values``, pandas Series); the time limit is a safety net.
    """
    from ortools.linear_solver.python import model_builder as mb

    groups = examiner_groups(inst, aggregate)
    J, G, S = _columns(inst, cand, groups)
    if J.size == 0:
        return None
    reps = np.array([g[0] for g in groups], dtype=np.int64)
    gcap = inst.cap[reps]
    off = np.concatenate([[0], np.cumsum(gcap)])
    clock_rep = np.concatenate([inst.clock[e] for e in reps])
    obj = inst.w[J] * (inst.H - clock_rep[off[G] + S])
    row_of = {j: i for i, j in enumerate(cand)}
    nd, ncol = len(cand), J.size
    nrows = nd + int(off[-1])
    pj = inst.p[J]
    within = np.arange(pj.sum()) - np.repeat(np.cumsum(pj) - pj, pj)
    rj = np.fromiter((row_of[j] for j in J), dtype=np.int64, count=ncol)
    rows = np.concatenate([rj, np.repeat(nd + off[G] + S, pj) + within])
    cols = np.concatenate([np.arange(ncol), np.repeat(np.arange(ncol), pj)])
    A = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(nrows, ncol))
    lo = np.full(nrows, -np.inf)
    hi = np.ones(nrows)
    for g, members in enumerate(groups):   # slot t of a group: members still working at t
        caps = np.sort(inst.cap[members])
        t = np.arange(int(gcap[g]))
        hi[nd + off[g]:nd + off[g + 1]] = caps.size - np.searchsorted(caps, t, side="right")
    for j in must:
        if j in row_of:
            lo[row_of[j]] = 1.0
    model = mb.Model()
    model.helper.fill_model_from_sparse_data(np.zeros(ncol), np.ones(ncol), obj, lo, hi, A)
    model.helper.set_maximize(True)
    solver = mb.Solver("glop")
    solver.set_time_limit_in_seconds(max(0.5, time_limit_s))
    status = solver.solve(model)
    if status not in (mb.SolveStatus.OPTIMAL, mb.SolveStatus.FEASIBLE):
        return None
    x = solver.values(model.get_variables()).to_numpy(dtype=float, na_value=0.0)
    duals = solver.dual_values(model.get_linear_constraints()).to_numpy(dtype=float, na_value=0.0)
    duals = np.maximum(0.0, duals[nd:])
    pi = [np.zeros(int(inst.cap[e])) for e in range(inst.m)]
    for g, members in enumerate(groups):
        for e in members:
            pi[e] = duals[off[g]:off[g] + int(inst.cap[e])].copy()
    return LPResult(float(solver.objective_value), x, J, G, S, pi,
                    status == mb.SolveStatus.OPTIMAL, groups)


def priced_values(inst: Instance, pi: list[np.ndarray]) -> np.ndarray:
    """Per device, max over (e, s) of gain minus priced slots (the reduced profit with sigma = 0)."""
    best = np.full(inst.n, -np.inf)
    for e in range(inst.m):
        cap = int(inst.cap[e])
        if cap == 0:
            continue
        devs = np.flatnonzero(inst.elig_mask[:, e])
        if devs.size == 0:
            continue
        P = np.concatenate([[0.0], np.cumsum(pi[e])])
        A = inst.H - inst.clock[e]
        plain = devs[~inst.due[devs]]
        ps = inst.p[plain]
        for p in np.unique(ps):
            if p > cap:
                continue
            js = plain[ps == p]
            W = P[p:cap + 1] - P[:cap - p + 1]
            vals = np.max(inst.w[js, None] * A[None, :cap - p + 1] - W[None, :], axis=1)
            best[js] = np.maximum(best[js], vals)
        for j in devs[inst.due[devs]]:
            p, hi = int(inst.p[j]), min(cap, int(inst.latest_end[j, e])) - int(inst.p[j])
            if hi >= 0:
                W = P[p:p + hi + 1] - P[:hi + 1]
                best[j] = max(best[j], float(np.max(inst.w[j] * A[:hi + 1] - W)))
    return best


def priced_bound(inst: Instance, pi: list[np.ndarray], must: set[int] | frozenset = frozenset(),
                 ) -> tuple[float, np.ndarray]:
    """L(pi): a valid upper bound on every plan of the whole queue, and each device's priced value.

    Devices in ``must`` (deadlines every compared plan meets) are counted at their priced value
    even when negative: each takes exactly one column, so this stays a bound for such plans.
    """
    vals = priced_values(inst, pi)
    fin = np.isfinite(vals)
    contrib = np.where(fin, np.maximum(0.0, vals), 0.0)
    for j in must:
        if fin[j]:
            contrib[j] = vals[j]
    return float(sum(float(np.sum(x)) for x in pi) + np.sum(contrib)), vals


def heuristic_prices(inst: Instance) -> list[np.ndarray]:
    """Slot prices without an LP (fast mode): a fractional-knapsack threshold per examiner.

    For examiner e, rank the devices it may take by w/p and find the w/p at which their work
    fills the capacity of every examiner sharing a skill with e; price e's slots at that rate
    times the slot's remaining week. Any prices give a valid bound; these make it tight-ish.
    """
    pi = []
    ratio = inst.w / inst.p
    for e in range(inst.m):
        devs = np.flatnonzero(inst.elig_mask[:, e])
        if devs.size == 0:
            pi.append(np.zeros(int(inst.cap[e])))
            continue
        share = inst.elig_mask[devs].any(axis=0)
        room = float(inst.cap[share].sum())
        order = devs[np.argsort(-ratio[devs], kind="stable")]
        cum = np.cumsum(inst.p[order])
        k = int(np.searchsorted(cum, room))
        rho = float(ratio[order[min(k, order.size - 1)]]) if k < order.size else 0.0
        pi.append(rho * (inst.H - inst.clock[e]))
    return pi


def round_lp(inst: Instance, lp: LPResult) -> list[list[int]]:
    """Place columns by decreasing LP value (a device once, if it still fits), fill the rest by w/p.

    A column of an examiner group goes to the least-loaded member it fits on (ties by index).
    """
    from dfu_sched.optimiser.greedy import greedy
    from dfu_sched.optimiser.sequence import fits

    keep = lp.x > 1e-3
    J, G, S, x = lp.J[keep], lp.E[keep], lp.S[keep], lp.x[keep]
    reps = [g[0] for g in lp.groups]
    gain = inst.w[J] * (inst.H - np.array([inst.clock[reps[g]][s] for g, s in zip(G, S)]))
    order = np.lexsort((inst.tiebreak[J], -gain, -np.round(x, 6)))
    plan: list[list[int]] = [[] for _ in range(inst.m)]
    load = [0] * inst.m
    placed: set[int] = set()
    # due devices first, so that capacity never squeezes out a deadline the LP could keep
    for pass_due in (True, False):
        for k in order:
            j, g = int(J[k]), int(G[k])
            if j in placed or bool(inst.due[j]) != pass_due:
                continue
            for e in sorted(lp.groups[g], key=lambda e: (load[e], e)):
                if load[e] + inst.p[j] <= inst.cap[e] and fits(inst, e, plan[e] + [j]):
                    plan[e].append(j)
                    load[e] += int(inst.p[j])
                    placed.add(j)
                    break
    return greedy(inst, fixed=plan)

