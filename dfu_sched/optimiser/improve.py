"""Local search on a plan: fill idle time, swap in better devices, move work between examiners.

Every move is scored exactly (re-sequenced per examiner), and only improving moves are kept,
so the result is never worse than its start. The work limit is a count of evaluations, not
seconds, so the same input always gives the same plan.
"""
from __future__ import annotations

from dfu_sched.optimiser.model import Instance
from dfu_sched.optimiser.sequence import fits, score, sequence

EPS = 1e-7


class _State:
    def __init__(self, inst: Instance, plan: list[list[int]], pool: list[int], budget: int):
        self.inst = inst
        self.sets = [list(x) for x in plan]
        self.load = [sum(int(inst.p[j]) for j in x) for x in self.sets]
        self.val = [score(inst, e, sequence(inst, e, x)) for e, x in enumerate(self.sets)]
        self.where = {j: e for e, x in enumerate(self.sets) for j in x}
        self.pool = [j for j in pool if j not in self.where]   # kept in w/p order
        self.budget = budget
        self.evals = 0

    def value(self, e: int, devs: list[int]) -> float | None:
        """Exact value of ``devs`` on ``e``, or None if it does not fit."""
        self.evals += 1
        inst = self.inst
        if not fits(inst, e, devs):
            return None
        return score(inst, e, sequence(inst, e, devs))

    def free(self, e: int) -> int:
        return int(self.inst.cap[e]) - self.load[e]

    def apply(self, e: int, devs: list[int], val: float) -> None:
        for j in self.sets[e]:
            self.where.pop(j, None)
        for j in devs:
            self.where[j] = e
        self.sets[e], self.val[e] = devs, val
        self.load[e] = sum(int(self.inst.p[j]) for j in devs)

    def refresh_pool(self) -> None:
        self.pool = [j for j in self.pool if j not in self.where]

    @property
    def out_of_budget(self) -> bool:
        return self.evals >= self.budget


def _best_insert(st: _State, e: int, base: list[int], room: int, k: int) -> tuple[float | None, int]:
    """Best unassigned device to add to ``base`` on ``e`` within ``room`` slots (first k tried)."""
    inst, tried = st.inst, 0
    best: tuple[float | None, int] = (None, -1)
    for u in st.pool:
        if tried >= k:
            break
        if u in st.where or not inst.elig_mask[u, e] or inst.p[u] > room:
            continue
        tried += 1
        v = st.value(e, base + [u])
        if v is not None and (best[0] is None or v > best[0]):
            best = (v, u)
    return best


def _fill(st: _State, k: int) -> bool:
    improved = False
    for e in range(st.inst.m):
        while st.free(e) > 0 and not st.out_of_budget:
            v, u = _best_insert(st, e, st.sets[e], st.free(e), k)
            if v is None or v <= st.val[e] + EPS:
                break
            st.apply(e, st.sets[e] + [u], v)
            improved = True
    st.refresh_pool()
    return improved


def _replace(st: _State, k: int) -> bool:
    """Swap an assigned device for an unassigned one (plus a refill of what is left)."""
    inst, improved = st.inst, False
    for e in range(inst.m):
        for a in list(st.sets[e]):
            if st.out_of_budget:
                return improved
            if a not in st.sets[e] or inst.due[a]:  # a kept deadline is never dropped
                continue
            base = [j for j in st.sets[e] if j != a]
            v, u = _best_insert(st, e, base, st.free(e) + int(inst.p[a]), k)
            if v is not None and v > st.val[e] + EPS:
                st.apply(e, base + [u], v)
                improved = True
    st.refresh_pool()
    return improved


def _move(st: _State, k: int) -> bool:
    """Move a device to another examiner with room, then refill the examiner it left."""
    inst, improved = st.inst, False
    for e1 in range(inst.m):
        for a in list(st.sets[e1]):
            if a not in st.sets[e1]:
                continue
            for e2 in inst.elig[a]:
                e2 = int(e2)
                if st.out_of_budget:
                    return improved
                if e2 == e1 or st.free(e2) < inst.p[a]:
                    continue
                v2 = st.value(e2, st.sets[e2] + [a])
                if v2 is None:
                    continue
                base = [j for j in st.sets[e1] if j != a]
                v1 = st.value(e1, base)
                if v1 is None:
                    continue
                vi, u = _best_insert(st, e1, base, st.free(e1) + int(inst.p[a]), k)
                new1, set1 = (vi, base + [u]) if vi is not None and vi > v1 else (v1, base)
                if v2 + new1 > st.val[e1] + st.val[e2] + EPS:
                    st.apply(e2, st.sets[e2] + [a], v2)
                    st.apply(e1, set1, new1)
                    improved = True
                    break
    st.refresh_pool()
    return improved


def _swap(st: _State) -> bool:
    """Exchange two devices between examiners when both still fit and the total rises."""
    inst, improved = st.inst, False
    for e1 in range(inst.m):
        for e2 in range(e1 + 1, inst.m):
            for a in list(st.sets[e1]):
                if not inst.elig_mask[a, e2] or a not in st.sets[e1]:
                    continue
                for b in list(st.sets[e2]):
                    if st.out_of_budget:
                        return improved
                    if not inst.elig_mask[b, e1] or b not in st.sets[e2]:
                        continue
                    if st.free(e1) + inst.p[a] < inst.p[b] or st.free(e2) + inst.p[b] < inst.p[a]:
                        continue
                    s1 = [j for j in st.sets[e1] if j != a] + [b]
                    s2 = [j for j in st.sets[e2] if j != b] + [a]
                    v1 = st.value(e1, s1)
                    v2 = st.value(e2, s2) if v1 is not None else None
                    if v1 is not None and v2 is not None and v1 + v2 > st.val[e1] + st.val[e2] + EPS:
                        st.apply(e1, s1, v1)
                        st.apply(e2, s2, v2)
                        improved = True
                        break
    return improved


def local_search(inst: Instance, plan: list[list[int]], pool: list[int], budget: int,
                 k: int = 25, swaps: bool = True) -> list[list[int]]:
    """Improve ``plan`` with fill / replace / move / swap moves until none helps or budget ends."""
    st = _State(inst, plan, pool, budget)
    for _ in range(50):
        changed = _fill(st, k)
        changed |= _replace(st, k)
        changed |= _move(st, k)
        if swaps:
            changed |= _swap(st)
        changed |= _fill(st, k)
        if not changed or st.out_of_budget:
            break
    return [sequence(inst, e, x) for e, x in enumerate(st.sets)]


def best_subset(inst: Instance, e: int, items: list[int], bonus: dict[int, float] | None = None,
                ) -> list[int] | None:
    """Exact best subset of ``items`` on examiner ``e`` when worked in w/p order (a DP over time).

    Due devices must be taken and end by their deadline. ``bonus`` adds (usually negative)
    value to a device, e.g. the loss of taking it away from another examiner. None if the due
    devices cannot all be placed in w/p order.
    """
    import numpy as np

    cap = int(inst.cap[e])
    items = sorted(set(items), key=lambda j: (-inst.w[j] / inst.p[j], inst.tiebreak[j]))
    gain_at = inst.H - inst.clock[e]
    dp = np.full(cap + 1, -np.inf)
    dp[0] = 0.0
    took = np.zeros((len(items), cap + 1), dtype=bool)
    for i, j in enumerate(items):
        p = int(inst.p[j])
        new = np.full(cap + 1, -np.inf) if inst.due[j] else dp.copy()
        if p <= cap:
            cand = dp[:cap + 1 - p] + inst.w[j] * gain_at[:cap + 1 - p] + (bonus or {}).get(j, 0.0)
            if inst.due[j]:
                cand[max(0, int(inst.latest_end[j, e]) - p + 1):] = -np.inf
            better = cand > new[p:]
            new[p:][better] = cand[better]
            took[i, p:] = better
        dp = new
    if not np.isfinite(dp).any():
        return None
    t = int(np.argmax(dp))
    chosen = []
    for i in range(len(items) - 1, -1, -1):
        if took[i, t]:
            chosen.append(items[i])
            t -= int(inst.p[items[i]])
    return chosen[::-1]


def dp_sweep(inst: Instance, plan: list[list[int]], pool: list[int], rounds: int = 3,
             k: int = 80) -> list[list[int]]:
    """Re-choose each examiner's devices exactly (DP), also pulling work from other examiners.

    A device on another examiner is offered at its value minus what its examiner loses; the
    exchange is kept only if the exact total rises, so the plan never gets worse.
    """
    sets = [list(x) for x in plan]
    val = [score(inst, e, sequence(inst, e, x)) for e, x in enumerate(sets)]
    for _ in range(rounds):
        changed = False
        for e in range(inst.m):
            where = {j: f for f, x in enumerate(sets) for j in x}
            free = [j for j in pool if j not in where and inst.elig_mask[j, e]][:k]
            others, bonus = [], {}
            for f, x in enumerate(sets):
                if f == e:
                    continue
                for j in x:
                    if inst.elig_mask[j, e] and not inst.due[j]:
                        rest = [i for i in x if i != j]
                        bonus[j] = score(inst, f, sequence(inst, f, rest)) - val[f]
                        others.append(j)
            chosen = best_subset(inst, e, sets[e] + free + others, bonus)
            if chosen is None or set(chosen) == set(sets[e]):
                continue
            new_sets = [list(x) for x in sets]
            new_sets[e] = chosen
            taken = set(chosen)
            touched = {e}
            for f in range(inst.m):
                if f != e and taken.intersection(new_sets[f]):
                    new_sets[f] = [j for j in new_sets[f] if j not in taken]
                    touched.add(f)
            new_val = list(val)
            for f in touched:
                new_val[f] = score(inst, f, sequence(inst, f, new_sets[f]))
            if sum(new_val) > sum(val) + EPS and all(fits(inst, f, new_sets[f]) for f in touched):
                sets, val, changed = new_sets, new_val, True
        if not changed:
            break
    return [sequence(inst, e, x) for e, x in enumerate(sets)]


def case_splits(inst: Instance, plan: list[list[int]]) -> int:
    """Cases whose planned devices are spread over more than one examiner."""
    where: dict[str, set[int]] = {}
    for e, order in enumerate(plan):
        for j in order:
            where.setdefault(inst.devices[j].case_id, set()).add(e)
    return sum(1 for es in where.values() if len(es) > 1)


def keep_cases_together(inst: Instance, plan: list[list[int]], tolerance: float,
                        max_evals: int = 4000) -> list[list[int]]:
    """Soft case links: regroup a split case's devices onto one examiner when it costs little.

    For each split case (by w/p of its best device, ties by id), each device away from the
    examiner holding most of the case's work is moved there, or swapped with one of that
    examiner's devices from another case, taking the cheapest exact option. A regrouping is
    kept only if it does not raise the number of split cases and the total loss of the pass
    stays within ``tolerance`` x the plan's value (so with ``tolerance=0`` only ties are taken:
    between equal plans, the one keeping cases together wins). Counted work, deterministic.
    """
    if tolerance < 0 or inst.m < 2:
        return plan
    sets = [list(x) for x in plan]
    val = [score(inst, e, sequence(inst, e, x)) for e, x in enumerate(sets)]
    allowance = tolerance * max(sum(val), 0.0) + EPS
    spent, evals = 0.0, 0
    case_of = [d.case_id for d in inst.devices]

    def holders(case: str) -> dict[int, int]:
        out: dict[int, int] = {}
        for e, x in enumerate(sets):
            h = sum(int(inst.p[j]) for j in x if case_of[j] == case)
            if h:
                out[e] = h
        return out

    cases = sorted({case_of[j] for x in sets for j in x})
    for case in cases:
        hold = holders(case)
        if len(hold) < 2:
            continue
        target = max(hold, key=lambda e: (hold[e], -e))
        for e1 in sorted(hold):
            if e1 == target:
                continue
            for a in [j for j in sets[e1] if case_of[j] == case]:
                if evals >= max_evals or not inst.elig_mask[a, target]:
                    continue
                base1 = [j for j in sets[e1] if j != a]
                options = [(base1, sets[target] + [a])]
                for b in sets[target]:
                    if case_of[b] != case and inst.elig_mask[b, e1] and not inst.due[b]:
                        options.append((base1 + [b], [j for j in sets[target] if j != b] + [a]))
                best = None
                for s1, s2 in options:
                    evals += 2
                    if not (fits(inst, e1, s1) and fits(inst, target, s2)):
                        continue
                    v1 = score(inst, e1, sequence(inst, e1, s1))
                    v2 = score(inst, target, sequence(inst, target, s2))
                    loss = val[e1] + val[target] - v1 - v2
                    if best is None or loss < best[0] - EPS:
                        best = (loss, s1, s2, v1, v2)
                if best is None or spent + max(best[0], 0.0) > allowance:
                    continue
                trial = [list(x) for x in sets]
                trial[e1], trial[target] = best[1], best[2]
                if case_splits(inst, trial) > case_splits(inst, sets) or \
                        _case_spread(inst, trial, case) >= _case_spread(inst, sets, case):
                    continue
                sets = trial
                val[e1], val[target] = best[3], best[4]
                spent += max(best[0], 0.0)
    return [sequence(inst, e, x) for e, x in enumerate(sets)]


def _case_spread(inst: Instance, sets: list[list[int]], case: str) -> int:
    """Planned devices of ``case`` not on its main examiner (0 = together)."""
    counts = [sum(1 for j in x if inst.devices[j].case_id == case) for x in sets]
    return sum(counts) - max(counts) if counts else 0
