"""The time-indexed LP (GLOP) on candidate devices, its priced bound over the whole queue, and
LP rounding (docs/optimiser.md §2 steps 2-4).

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

#: Simplex iterations allowed per GLOP solve: the LP's deterministic effort. The synthetic weeks
#: of the benchmark need at most ~10,000 (10,000 devices x 20 examiners), so a normal run never
#: reaches it; a solve cut by it is handled like a failed LP (see ``plan_week``).
DEFAULT_LP_ITERATIONS = 50_000


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
    J: list[np.ndarray] = []
    G: list[np.ndarray] = []
    S: list[np.ndarray] = []
    for j in cand:
        for g, members in enumerate(groups):
            rep = members[0]
            if not inst.elig_mask[j, rep]:
                continue
            hi = min(int(inst.cap[rep]), int(inst.latest_end[j, rep])) - int(inst.p[j])
            if hi >= 0:
                s = np.arange(hi + 1)
                J.append(np.full(s.size, j))
                G.append(np.full(s.size, g))
                S.append(s)
    if not J:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    return np.concatenate(J), np.concatenate(G), np.concatenate(S)


class TiLP:
    """The TI-LP over candidate devices (identical examiners aggregated), kept in a GLOP solver so
    that devices can be added later and the LP re-solved warm from the previous basis.

    Devices in ``must`` (feasible deadlines) are covered exactly. Examiners of one
    :func:`examiner_groups` group become one resource whose slot t holds as many devices as the
    group has members working slot t. Any plan maps onto this LP (add up the members' columns;
    the gains are equal because the members' clocks agree on the slots they share), so its
    optimum is still an upper bound, equal to the plain TI-LP when the members are identical.
    The slot prices are shared by the members (``pi`` is given per examiner): the priced bound
    of :func:`priced_bound` is then exactly this LP's dual objective, and it is valid for any
    prices >= 0 anyway (weak duality), so aggregation can only change how tight it is.

    Flow form (the same LP, ~1.5-2x faster in GLOP): with a slack u_t >= 0 per slot row
    ``cover_t(x) + u_t = c_t``, row t is replaced by row t minus row t-1. The rows transform
    invertibly, so the feasible set and optimum are unchanged, but a column starting at s now
    has +1 in row s and -1 in row s+p (two entries instead of p): a flow over the slots with the
    device rows as side constraints. The slot prices come back as ``pi_t = lambda_t -
    lambda_{t+1}`` (clipped at 0, which :func:`priced_bound` allows).

    Column generation by device (:meth:`add_devices`): the model is built with ``spare`` empty
    device rows, so that adding a device only adds columns; GLOP (without presolve) then
    restarts from the last basis, a few dozen iterations instead of thousands. The model is
    filled with model_builder (vectorised) and loaded into pywraplp's GLOP through its proto;
    the time limit is a safety net.
    """

    def __init__(self, inst: Instance, cand: list[int], must: set[int], aggregate: bool = True,
                 spare: int = 64):
        from ortools.linear_solver import pywraplp
        from ortools.linear_solver.python import model_builder as mb

        self.inst, self.must = inst, set(must)
        self.groups = groups = examiner_groups(inst, aggregate)
        self.cand = list(cand)
        J, G, S = _columns(inst, self.cand, groups)
        self.J, self.G, self.S = J, G, S
        self.solver = None
        self.iterations = 0
        if J.size == 0:
            return
        reps = np.array([g[0] for g in groups], dtype=np.int64)
        self.gcap = gcap = inst.cap[reps]
        self.off = off = np.concatenate([[0], np.cumsum(gcap)])
        T = int(off[-1])
        self.clock_rep = np.concatenate([inst.clock[e] for e in reps])
        obj = inst.w[J] * (inst.H - self.clock_rep[off[G] + S])
        row_of = {j: i for i, j in enumerate(self.cand)}
        nd, ncol = len(self.cand), J.size
        self.nd, self.T, self.spare_rows = nd, T, list(range(nd + T, nd + T + spare))
        rj = np.fromiter((row_of[j] for j in J), dtype=np.int64, count=ncol)
        end = S + inst.p[J]
        has_end = end < gcap[G]
        ug = np.repeat(np.arange(len(groups)), gcap)          # slack u_t: group, slot
        ut = np.arange(T) - off[ug]
        self.u_has = u_has = ut + 1 < gcap[ug]
        rows = np.concatenate([rj, nd + off[G] + S, nd + off[G][has_end] + end[has_end],
                               nd + np.arange(T), nd + np.flatnonzero(u_has) + 1])
        cols = np.concatenate([np.arange(ncol), np.arange(ncol), np.flatnonzero(has_end),
                               ncol + np.arange(T), ncol + np.flatnonzero(u_has)])
        vals = np.concatenate([np.ones(2 * ncol), -np.ones(int(has_end.sum())), np.ones(T),
                               -np.ones(int(u_has.sum()))])
        A = sp.csr_matrix((vals, (rows, cols)), shape=(nd + T + spare, ncol + T))
        c = np.zeros(T)
        for g, members in enumerate(groups):   # slot t of a group: members still working at t
            caps = np.sort(inst.cap[members])
            c[off[g]:off[g + 1]] = caps.size - np.searchsorted(caps, np.arange(int(gcap[g])),
                                                                 side="right")
        rhs = c.copy()
        first = np.zeros(T, dtype=bool)
        first[off[:-1]] = True
        rhs[~first] = c[~first] - c[np.flatnonzero(~first) - 1]
        lo = np.concatenate([np.full(nd, -np.inf), rhs, np.full(spare, -np.inf)])
        hi = np.concatenate([np.ones(nd), rhs, np.ones(spare)])
        for j in self.must:
            if j in row_of:
                lo[row_of[j]] = 1.0
        model = mb.Model()
        model.helper.fill_model_from_sparse_data(
            np.zeros(ncol + T), np.concatenate([np.ones(ncol), np.full(T, np.inf)]),
            np.concatenate([obj, np.zeros(T)]), lo, hi, A)
        model.helper.set_maximize(True)
        self.ncol_model, self.nslack = ncol, T
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        self.solver.LoadModelFromProto(model.export_to_proto())
        self.solver.SetSolverSpecificParametersAsString("use_preprocessing: false")
        self._vars = self.solver.variables()
        self._rows = self.solver.constraints()
        self.iterations = 0

    def add_devices(self, devs: list[int]) -> list[int]:
        """Add the columns of ``devs`` (not yet in the LP), as many as spare rows allow."""
        if self.solver is None:
            return []
        inst, s = self.inst, self.solver
        have = set(self.cand)
        devs = [j for j in devs if j not in have][:len(self.spare_rows)]
        if not devs:
            return []
        J, G, S = _columns(inst, devs, self.groups)
        obj = inst.w[J] * (inst.H - self.clock_rep[self.off[G] + S])
        row_of = {}
        for j in devs:
            row_of[j] = self._rows[self.spare_rows.pop(0)]
            if j in self.must:
                row_of[j].SetLB(1.0)
        objective = s.Objective()
        base = self.nd
        for j, g, st, gain in zip(J.tolist(), G.tolist(), S.tolist(), obj.tolist()):
            v = s.NumVar(0.0, 1.0, "")
            objective.SetCoefficient(v, gain)
            row_of[j].SetCoefficient(v, 1.0)
            r = base + int(self.off[g]) + st
            self._rows[r].SetCoefficient(v, 1.0)
            if st + int(inst.p[j]) < int(self.gcap[g]):
                self._rows[r + int(inst.p[j])].SetCoefficient(v, -1.0)
        self.J, self.G, self.S = (np.concatenate([self.J, J]), np.concatenate([self.G, G]),
                                  np.concatenate([self.S, S]))
        self.cand += devs
        return devs

    def solve(self, time_limit_s: float, max_iterations: int = DEFAULT_LP_ITERATIONS,
              ) -> LPResult | None:
        """Solve (warm after :meth:`add_devices`). The effort is ``max_iterations`` simplex
        iterations (deterministic); ``time_limit_s`` is only a safety net. A solve cut by
        either comes back with ``optimal=False``: its duals are not an LP optimum, callers
        must not rely on it (it would depend on where it was cut)."""
        from ortools.linear_solver import linear_solver_pb2, pywraplp

        if self.solver is None:
            return None
        s = self.solver
        s.SetTimeLimit(max(1, int(1000 * time_limit_s)))
        s.SetSolverSpecificParametersAsString(
            f"use_preprocessing: false max_number_of_iterations: {int(max(1, max_iterations))}")
        status = s.Solve()
        self.iterations += int(s.iterations())
        if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return None
        resp = linear_solver_pb2.MPSolutionResponse()
        s.FillSolutionResponseProto(resp)
        xs = np.asarray(resp.variable_value, dtype=float)
        x = np.concatenate([xs[:self.ncol_model], xs[self.ncol_model + self.nslack:]])
        lam = np.asarray(resp.dual_value, dtype=float)[self.nd:self.nd + self.T]
        lam_next = np.where(self.u_has, np.concatenate([lam[1:], [0.0]]), 0.0)
        slot_price = np.maximum(0.0, lam - lam_next)
        inst = self.inst
        pi = [np.zeros(int(inst.cap[e])) for e in range(inst.m)]
        for g, members in enumerate(self.groups):
            for e in members:
                pi[e] = slot_price[self.off[g]:self.off[g] + int(inst.cap[e])].copy()
        return LPResult(float(resp.objective_value), x, self.J.copy(), self.G.copy(), self.S.copy(),
                        pi, status == pywraplp.Solver.OPTIMAL, self.groups)


def solve_ti_lp(inst: Instance, cand: list[int], time_limit_s: float,
                must: set[int], aggregate: bool = True) -> LPResult | None:
    """Solve the TI-LP over ``cand`` once (see :class:`TiLP`)."""
    return TiLP(inst, cand, must, aggregate, spare=0).solve(time_limit_s)


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



def _device_group_mass(lp: LPResult) -> dict[tuple[int, int], float]:
    keep = lp.x > 1e-7
    out: dict[tuple[int, int], float] = {}
    for j, g, x in zip(lp.J[keep].tolist(), lp.E[keep].tolist(), lp.x[keep].tolist()):
        out[(j, g)] = out.get((j, g), 0.0) + x
    return out


def round_mean_start(inst: Instance, lp: LPResult, theta: float = 0.5) -> list[list[int]]:
    """LP-guided list scheduling (Hall-Schulz-Shmoys-Wein): devices with LP mass >= ``theta`` in
    order of their LP mean start, each on the member of its LP groups (>= 20 % of its mass) that
    is free earliest; then the greedy rule fills the rest."""
    from dfu_sched.optimiser.greedy import greedy, place_due

    keep = lp.x > 1e-7
    J, G, S, x = lp.J[keep], lp.E[keep], lp.S[keep], lp.x[keep]
    reps = [g[0] for g in lp.groups]
    t = np.array([inst.clock[reps[g]][s] for g, s in zip(G.tolist(), S.tolist())])
    mass = np.bincount(J, weights=x, minlength=inst.n)
    mean = np.bincount(J, weights=x * t, minlength=inst.n) / np.maximum(mass, 1e-12)
    allowed: dict[int, set[int]] = {}
    for (j, g), v in _device_group_mass(lp).items():
        if v >= 0.2 * mass[j]:
            allowed.setdefault(j, set()).update(lp.groups[g])
    devs = sorted(np.flatnonzero(mass >= theta).tolist(), key=lambda j: (mean[j], inst.tiebreak[j]))
    plan, load, _ = place_due(inst)
    placed = {j for p in plan for j in p}
    for j in devs:
        if j in placed:
            continue
        best = None
        for e in inst.elig[j].tolist():
            if e in allowed.get(j, ()) and load[e] + inst.p[j] <= inst.cap[e]:
                key = (inst.clock[e][load[e]], e)
                if best is None or key < best:
                    best = key
        if best is not None:
            plan[best[1]].append(j)
            load[best[1]] += int(inst.p[j])
            placed.add(j)
    return greedy(inst, fixed=plan)


def round_dp(inst: Instance, lp: LPResult, tau: float, scarce_first: bool) -> list[list[int]]:
    """Per examiner, the exact best subset (DP of :func:`improve.best_subset`) of the devices with
    LP mass >= ``tau`` on its group and not yet taken; examiners in index order or, with
    ``scarce_first``, those eligible for the fewest devices first; then the greedy rule fills."""
    from dfu_sched.optimiser.greedy import greedy, place_due
    from dfu_sched.optimiser.improve import best_subset

    group_of = {e: g for g, members in enumerate(lp.groups) for e in members}
    by_group: dict[int, list[int]] = {}
    for (j, g), v in sorted(_device_group_mass(lp).items()):
        if v >= tau:
            by_group.setdefault(g, []).append(j)
    plan, _, _ = place_due(inst)
    taken = {j for p in plan for j in p}
    order = [e for e in range(inst.m) if e in group_of]
    if scarce_first:
        counts = inst.elig_mask.sum(axis=0)
        order.sort(key=lambda e: (int(counts[e]), e))
    for e in order:
        items = [j for j in by_group.get(group_of[e], []) if j not in taken] + plan[e]
        chosen = best_subset(inst, e, items)
        if chosen is not None:
            plan[e] = chosen
            taken.update(chosen)
    return greedy(inst, fixed=plan)
