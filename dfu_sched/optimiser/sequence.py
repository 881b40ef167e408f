"""Per-examiner sequencing and exact scoring.

Once the devices of an examiner are chosen, Smith's rule (w/p descending) is the optimal order
for a contiguous week; with nights and weekends between windows it is nearly so, and an
adjacent-swap pass scored on the real clock closes the difference. Hard deadlines are kept by
only ever taking a device next when the remaining deadline devices still fit (Jackson/EDD).
"""
from __future__ import annotations

import numpy as np

from dfu_sched.optimiser.model import Instance


def edd_feasible(inst: Instance, e: int, devs: list[int], t0: int = 0) -> bool:
    """Can the due devices in ``devs`` all meet their deadlines on ``e`` from slot ``t0``?"""
    due = sorted((int(inst.latest_end[j, e]), int(inst.p[j])) for j in devs if inst.due[j])
    t = t0
    for end, p in due:
        t += p
        if t > end:
            return False
    return True


def fits(inst: Instance, e: int, devs: list[int]) -> bool:
    """Total work within the examiner's slots, and every due device on time."""
    return sum(int(inst.p[j]) for j in devs) <= inst.cap[e] and edd_feasible(inst, e, devs)


def sequence(inst: Instance, e: int, devs: list[int]) -> list[int]:
    """Order ``devs`` on examiner ``e``: Smith's rule under deadlines, then exact adjacent swaps."""
    w, p, tb = inst.w, inst.p, inst.tiebreak
    order = sorted(devs, key=lambda j: (-w[j] / p[j], tb[j]))
    if any(inst.due[j] for j in devs):
        order = _deadline_aware(inst, e, order)
    return _swap_pass(inst, e, order)


def _deadline_aware(inst: Instance, e: int, order: list[int]) -> list[int]:
    rest, out, t = list(order), [], 0
    while rest:
        for k, j in enumerate(rest):
            remaining = rest[:k] + rest[k + 1:]
            if (not inst.due[j] or t + inst.p[j] <= inst.latest_end[j, e]) and \
                    edd_feasible(inst, e, remaining, t + int(inst.p[j])):
                break
        else:  # infeasible set: fall back to EDD for what is left (caller reports it)
            k = min(range(len(rest)), key=lambda i: (inst.latest_end[rest[i], e], i))
        j = rest.pop(k)
        out.append(j)
        t += int(inst.p[j])
    return out


def _swap_pass(inst: Instance, e: int, order: list[int]) -> list[int]:
    c, w, p, H = inst.clock[e], inst.w, inst.p, inst.H
    order = list(order)
    for _ in range(len(order)):
        improved = False
        t = 0
        for k in range(len(order) - 1):
            a, b = order[k], order[k + 1]
            ta2 = t + int(p[b])
            delta = (w[b] * (H - c[t]) + w[a] * (H - c[ta2])) - (w[a] * (H - c[t]) + w[b] * (H - c[t + int(p[a])]))
            if delta > 1e-9 and _swap_keeps_deadlines(inst, e, a, b, t):
                order[k], order[k + 1] = b, a
                improved = True
            t += int(p[order[k]])
        if not improved:
            break
    return order


def _swap_keeps_deadlines(inst: Instance, e: int, a: int, b: int, t: int) -> bool:
    end_b, end_a = t + int(inst.p[b]), t + int(inst.p[b]) + int(inst.p[a])
    return ((not inst.due[b] or end_b <= inst.latest_end[b, e])
            and (not inst.due[a] or end_a <= inst.latest_end[a, e]))


def score(inst: Instance, e: int, order: list[int]) -> float:
    """Exact objective of an ordered list on examiner ``e``."""
    c, w, p, H = inst.clock[e], inst.w, inst.p, inst.H
    t, total = 0, 0.0
    for j in order:
        total += w[j] * (H - c[t])
        t += int(p[j])
    return float(total)


def starts(inst: Instance, order: list[int]) -> list[int]:
    """Start slot of each device in an ordered list."""
    out, t = [], 0
    for j in order:
        out.append(t)
        t += int(inst.p[j])
    return out


def total_score(inst: Instance, plan: list[list[int]]) -> float:
    return sum(score(inst, e, order) for e, order in enumerate(plan))


def check_plan(inst: Instance, plan: list[list[int]]) -> list[str]:
    """Every broken rule of a plan (empty when valid); used by tests and as a final guard."""
    problems, seen = [], set()
    for e, order in enumerate(plan):
        if sum(int(inst.p[j]) for j in order) > inst.cap[e]:
            problems.append(f"examiner {inst.examiners[e].id} over hours")
        for j, s in zip(order, starts(inst, order)):
            if j in seen:
                problems.append(f"device {inst.devices[j].id} planned twice")
            seen.add(j)
            if not inst.elig_mask[j, e]:
                problems.append(f"device {inst.devices[j].id} lacks skill on {inst.examiners[e].id}")
            if inst.due[j] and s + inst.p[j] > inst.latest_end[j, e]:
                problems.append(f"device {inst.devices[j].id} misses its deadline")
    return problems


def ratio_order(inst: Instance, idx) -> list[int]:
    """Devices by w/p descending, ties by id: the greedy rule's priority."""
    idx = np.asarray(list(idx), dtype=np.int64)
    if idx.size == 0:
        return []
    key = np.lexsort((inst.tiebreak[idx], -(inst.w[idx] / inst.p[idx])))
    return [int(j) for j in idx[key]]
