"""A bound without the LP: Lagrangian relaxation of the device rows, solved by counted subgradient.

Why: the priced TI-LP bound needs GLOP to finish. When it does not (its iteration limit, or the
wall-clock safety net on an overloaded machine), the old fallback priced the queue with rough
heuristic slot prices and reported gaps of 17-39 % for plans that were within 0.5 % of the LP.

Relax "each device at most once" with prices sigma_j >= 0. What is left splits by examiner into
a longest path over its slots (start device j at slot s for ``w_j (H - clock[s]) - sigma_j``, or
stay idle), an exact DP. Its value-to-go lambda_t gives slot prices ``pi_t = lambda_t -
lambda_{t+1} >= 0``; :func:`lp.priced_bound` turns any such prices into a bound valid for the
whole queue (weak duality), and that re-optimises every device's sigma, so it is much tighter
than the Lagrangian value itself (measured 2,000 x 16: 0.6 % above the LP, against 3 % for the
Lagrangian and 230 % for the heuristic prices). The sigma are improved by subgradient steps of
Polyak size towards the best plan found; the work is a fixed number of DP passes, so the bound
is the same on any machine, however loaded.

Two further counted steps (issue 8's 1 % target without the LP): the priced bound is itself
convex in the slot prices, so :func:`refine_prices` runs a projected subgradient on them from
the Lagrangian's best (2,000 x 16 seed 1: 0.58 % above the LP -> about 0.45 %); and
:func:`lagrange_plan` rounds device prices into a plan (each examiner's exact best subset at
gain minus price), which the local search then improves (there: 0.85 % below the LP for the
improved greedy plan -> about 0.56 %). Measured and dropped: starting the subgradient from the
prices implied by the heuristic slot prices or by a 200-iteration LP's duals (looser), other
step rules (theta 0.5 or 2, patience 5-40: no better), more Lagrangian passes (600: 0.57 %).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dfu_sched.optimiser.model import Instance


class _PathDP:
    """Longest path over the slots of every examiner group at once (the relaxed problem).

    Arrays are over (device, group) pairs sorted by group, each group's segment closed by a
    sentinel that never fits, so one backwards pass over the slot index serves all groups with
    a segmented max; ``V[g, t]`` is group g's value-to-go from slot t. The path is recovered
    afterwards by re-evaluating only the slots it passes through.
    """

    def __init__(self, inst: Instance, groups: list[list[int]], cand: np.ndarray):
        self.inst, self.groups = inst, groups
        reps = [g[0] for g in groups]
        self.reps = np.array(reps, dtype=np.int64)
        self.caps = np.array([int(inst.cap[e]) for e in reps], dtype=np.int64)
        self.C = int(self.caps.max()) if len(reps) else 0
        J: list[np.ndarray] = []
        G: list[np.ndarray] = []
        starts: list[int] = []
        for g, e in enumerate(reps):
            devs = cand[inst.elig_mask[cand, e]]
            starts.append(sum(x.size for x in J))
            J.append(np.concatenate([devs, [-1]]))
            G.append(np.full(devs.size + 1, g))
        self.starts = np.array(starts, dtype=np.int64)
        self.J = np.concatenate(J).astype(np.int64) if J else np.zeros(0, dtype=np.int64)
        self.G = np.concatenate(G).astype(np.int64) if G else np.zeros(0, dtype=np.int64)
        real = self.J >= 0
        jj = np.where(real, self.J, 0)
        self.P = np.where(real, inst.p[jj], 1).astype(np.int64)
        self.W = np.where(real, inst.w[jj], 0.0)
        le = inst.latest_end[jj, self.reps[self.G]] if self.J.size else np.zeros(0, dtype=np.int64)
        self.LE = np.where(real, np.minimum(self.caps[self.G], le), -1)
        self.A = np.zeros((len(reps), self.C))     # H - clock per group slot (0 past capacity)
        for g, e in enumerate(reps):
            self.A[g, :self.caps[g]] = inst.H - inst.clock[e]
        self.mult = np.array([len(g) for g in groups], dtype=float)

    def _vals(self, t: int, V: np.ndarray, sig: np.ndarray, idx=slice(None)) -> np.ndarray:
        end = t + self.P[idx]
        g = self.G[idx]
        ok = end <= self.LE[idx]
        v = self.W[idx] * self.A[g, t] - sig[idx] + V[g, np.minimum(end, self.C)]
        return np.where(ok, v, -np.inf)

    def solve(self, sigma: np.ndarray) -> tuple[float, np.ndarray, list[list[int]]]:
        """(sum over groups of members x value, V per group, best path per group)."""
        ng, C = len(self.groups), self.C
        V = np.zeros((ng, C + 1))
        if self.J.size == 0:
            return 0.0, V, [[] for _ in range(ng)]
        sig = np.where(self.J >= 0, sigma[np.maximum(self.J, 0)], 0.0)
        for t in range(C - 1, -1, -1):
            best = np.maximum.reduceat(self._vals(t, V, sig), self.starts)
            V[:, t] = np.maximum(V[:, t + 1], best)
        paths: list[list[int]] = []
        for g in range(ng):
            seg = np.arange(self.starts[g], self.starts[g + 1] if g + 1 < ng else self.J.size)
            path, t = [], 0
            while t < self.caps[g]:
                if V[g, t] > V[g, t + 1]:
                    k = int(seg[np.argmax(self._vals(t, V, sig, seg))])
                    path.append(int(self.J[k]))
                    t += int(self.P[k])
                else:
                    t += 1
            paths.append(path)
        return float(self.mult @ V[:, 0]), V, paths


@dataclass
class LagrangeResult:
    """The counted Lagrangian's outcome: the bound, and the device prices at its best pass."""

    bound: float
    sigma: np.ndarray     # device prices (>= 0) of the pass with the smallest Lagrangian value
    value: float          # that Lagrangian value (itself a valid, looser bound)
    pi: list[np.ndarray]  # the slot prices that gave ``bound``


def lagrangian_bound(inst: Instance, cand: list[int], must: set[int], target: float,
                     iterations: int = 300, price_every: int = 25) -> float:
    """Deterministic upper bound on every plan of the whole queue (see :func:`lagrangian`)."""
    return lagrangian(inst, cand, must, target, iterations, price_every).bound


def start_prices(inst: Instance, pi: list[np.ndarray]) -> np.ndarray:
    """Device prices implied by slot prices ``pi``: each device's priced value, clipped at 0.

    With an LP's optimal duals these are its device duals; with the slot prices of the
    Lagrangian's best bound they are the device prices that bound re-optimised."""
    from dfu_sched.optimiser.lp import priced_values

    vals = priced_values(inst, pi)
    return np.where(np.isfinite(vals), np.maximum(0.0, vals), 0.0)


def lagrangian(inst: Instance, cand: list[int], must: set[int], target: float,
               iterations: int = 300, price_every: int = 25) -> LagrangeResult:
    """Deterministic upper bound on every plan of the whole queue (see the module docstring).

    ``cand``: the devices whose rows are relaxed with prices (the others are priced at the end
    through the slot prices, like the LP's outside devices); ``target``: the best plan value
    known (the Polyak step aims at it).
    ``iterations`` DP passes; every ``price_every`` of them (and at the end) the slot prices
    are priced over the whole queue; the smallest bound wins.
    """
    from dfu_sched.optimiser.lp import examiner_groups, priced_bound

    if inst.n == 0 or inst.m == 0:
        return LagrangeResult(0.0, np.zeros(inst.n), 0.0, [])
    cand_arr = np.asarray(sorted(set(cand)), dtype=np.int64)
    groups = examiner_groups(inst)
    dp = _PathDP(inst, groups, cand_arr)
    group_of = {e: g for g, members in enumerate(groups) for e in members}
    sigma = np.zeros(inst.n)
    best_bound, theta, stall, best_lag = float("inf"), 1.0, 0, float("inf")
    best_sigma, best_pi = sigma.copy(), []
    def priced(V):
        """Slot prices from the DP's value-to-go (its marginal values), and their priced bound."""
        pi = [np.zeros(int(inst.cap[e])) for e in range(inst.m)]
        for e, g in group_of.items():
            x = V[g, :int(inst.cap[e]) + 1]
            pi[e] = np.maximum(0.0, x[:-1] - x[1:])
        return priced_bound(inst, pi, must)[0], pi

    for it in range(max(1, iterations)):
        val, V, paths = dp.solve(sigma)
        lag = float(sigma[cand_arr].sum()) + val
        used = np.zeros(inst.n)
        for g, path in enumerate(paths):
            for j in path:
                used[j] += len(groups[g])
        last = it == iterations - 1
        if (it + 1) % price_every == 0 or last or it == 0:
            b, pi = priced(V)
            if b < best_bound:
                best_bound, best_pi = b, pi
        if lag < best_lag - 1e-9 * max(1.0, abs(lag)):
            best_lag, stall, best_sigma = lag, 0, sigma.copy()
        else:
            stall += 1
            if stall >= 10:
                theta, stall = theta / 2, 0
        grad = np.zeros(inst.n)
        grad[cand_arr] = 1.0 - used[cand_arr]
        grad[(sigma <= 0.0) & (grad > 0.0)] = 0.0     # projected: those prices cannot go lower
        norm = float(grad @ grad)
        if norm == 0.0 or last:   # projected subgradient 0: the Lagrangian optimum is reached
            if norm == 0.0:
                b, pi = priced(V)
                if b < best_bound:
                    best_bound, best_pi = b, pi
            break
        step = theta * max(lag - target, 1e-6 * max(1.0, abs(lag))) / norm
        sigma = np.maximum(0.0, sigma - step * grad)
    return LagrangeResult(best_bound, best_sigma, best_lag, best_pi)


def lagrange_plan(inst: Instance, sigma: np.ndarray, cand: list[int]) -> list[list[int]]:
    """A plan from the Lagrangian's device prices (a Lagrangian heuristic, no LP needed).

    The relaxed problem gives every examiner its best path at prices ``sigma`` independently,
    so paths overlap. Repair: examiners in turn (those eligible for the fewest devices first)
    take their exact best subset (:func:`improve.best_subset`) of the candidates still free,
    each valued at its gain minus its price, so a device goes where it beats its price most;
    the feasible deadlines are placed first, and the greedy rule fills what is left.
    """
    from dfu_sched.optimiser.greedy import greedy, place_due
    from dfu_sched.optimiser.improve import best_subset

    plan, _, _ = place_due(inst)
    taken = {j for x in plan for j in x}
    bonus = {int(j): -float(sigma[j]) for j in cand}
    counts = inst.elig_mask.sum(axis=0)
    for e in sorted((e for e in range(inst.m) if inst.cap[e] > 0), key=lambda e: (int(counts[e]), e)):
        items = [j for j in cand if j not in taken and inst.elig_mask[j, e]] + plan[e]
        chosen = best_subset(inst, e, items, bonus)
        if chosen is not None:
            plan[e] = chosen
            taken.update(chosen)
    return greedy(inst, fixed=plan)


def _priced_columns(inst: Instance, pi: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Like :func:`lp.priced_values`, with each device's best column (examiner, start slot)."""
    best = np.full(inst.n, -np.inf)
    be = np.full(inst.n, -1, dtype=np.int64)
    bs = np.zeros(inst.n, dtype=np.int64)
    for e in range(inst.m):
        cap = int(inst.cap[e])
        devs = np.flatnonzero(inst.elig_mask[:, e]) if cap else np.zeros(0, dtype=np.int64)
        if devs.size == 0:
            continue
        P = np.concatenate([[0.0], np.cumsum(pi[e])])
        A = inst.H - inst.clock[e]
        for j_set, hi_of in ((devs[~inst.due[devs]], None), (devs[inst.due[devs]], True)):
            ps = inst.p[j_set]
            for p in np.unique(ps):
                js = j_set[ps == p]
                n_s = cap - int(p) + 1
                if n_s <= 0:
                    continue
                W = P[p:cap + 1] - P[:n_s]
                M = inst.w[js, None] * A[None, :n_s] - W[None, :]
                if hi_of:   # a deadline: only starts that end by it
                    hi = np.minimum(cap, inst.latest_end[js, e]) - int(p)
                    M = np.where(np.arange(n_s)[None, :] <= hi[:, None], M, -np.inf)
                k = np.argmax(M, axis=1)
                v = M[np.arange(js.size), k]
                better = v > best[js]
                best[js[better]], be[js[better]], bs[js[better]] = v[better], e, k[better]
    return best, be, bs


def refine_prices(inst: Instance, pi0: list[np.ndarray], must: set[int], target: float,
                  iterations: int, patience: int = 10, theta0: float = 1.0,
                  ) -> tuple[float, list[np.ndarray]]:
    """Lower the priced bound itself by projected subgradient on the slot prices.

    ``L(pi)`` of :func:`lp.priced_bound` is convex in pi; its subgradient at slot t of examiner
    e is 1 minus the number of devices whose best priced column (counted in the bound) covers
    t. Polyak steps towards ``target`` (the best plan), from ``pi0``, a fixed number of passes;
    every pi >= 0 gives a valid bound, so the smallest one seen is returned with its prices.
    """
    from dfu_sched.optimiser.lp import examiner_groups, priced_bound

    groups = [g for g in examiner_groups(inst) if len(g) > 1]
    pi = _symmetric([np.maximum(0.0, np.asarray(x, dtype=float)) for x in pi0], groups)
    best, best_pi = priced_bound(inst, pi, must)[0], pi
    must_mask = np.zeros(inst.n, dtype=bool)
    must_mask[list(must)] = True
    theta, stall = theta0, 0
    for _ in range(max(0, iterations)):
        vals, be, bs = _priced_columns(inst, pi)
        fin = np.isfinite(vals)
        counted = fin & ((vals > 0) | must_mask)
        value = float(sum(float(x.sum()) for x in pi) + vals[counted].sum())
        if value < best - 1e-12 * max(1.0, abs(best)):
            best, best_pi, stall = value, pi, 0
        else:
            stall += 1
            if stall >= patience:
                theta, stall = theta / 2, 0
        grad = [np.ones_like(x) for x in pi]
        for j in np.flatnonzero(counted).tolist():
            s = int(bs[j])
            grad[int(be[j])][s:s + int(inst.p[j])] -= 1.0
        for x, g in zip(pi, grad):
            g[(x <= 0.0) & (g > 0.0)] = 0.0
        norm = float(sum(float(g @ g) for g in grad))
        if norm == 0.0:
            break
        step = theta * max(value - target, 1e-6 * max(1.0, abs(value))) / norm
        pi = _symmetric([np.maximum(0.0, x - step * g) for x, g in zip(pi, grad)], groups)
    return best, best_pi


def _symmetric(pi: list[np.ndarray], groups: list[list[int]]) -> list[np.ndarray]:
    """Identical examiners (one :func:`lp.examiner_groups` group) get their mean prices: the
    priced bound is convex and symmetric in them, so the mean is never worse."""
    for g in groups:
        mean = np.mean([pi[e] for e in g], axis=0)
        for e in g:
            pi[e] = mean.copy()
    return pi
