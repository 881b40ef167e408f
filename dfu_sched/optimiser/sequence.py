"""Per-examiner sequencing and exact scoring.

Once the devices of an examiner are chosen, Smith's rule (w/p descending) is the optimal order
for a contiguous week; with nights and weekends between windows it is nearly so, and an
adjacent-swap pass scored on the real clock closes the difference. Hard deadlines are kept by
only ever taking a device next when the remaining deadline devices still fit (Jackson/EDD).
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from dfu_sched.optimiser.model import Instance


def py(inst: Instance) -> SimpleNamespace:
    """The instance arrays as Python lists (cached): the per-examiner loops below run on short
    lists, where indexing numpy arrays costs more than the arithmetic. Same values, same results.
    Anything that changes ``inst`` in place must call :func:`forget_py`."""
    c = inst.__dict__.get("_py")
    if c is None:
        c = SimpleNamespace(w=inst.w.tolist(), p=[int(x) for x in inst.p.tolist()],
                            tb=inst.tiebreak.tolist(), due=[bool(x) for x in inst.due.tolist()],
                            clock=[x.tolist() for x in inst.clock],
                            le=inst.latest_end.tolist(), cap=[int(x) for x in inst.cap.tolist()])
        inst.__dict__["_py"] = c
    return c


def forget_py(inst: Instance) -> None:
    inst.__dict__.pop("_py", None)


def edd_feasible(inst: Instance, e: int, devs: list[int], t0: int = 0) -> bool:
    """Can the due devices in ``devs`` all meet their deadlines on ``e`` from slot ``t0``?"""
    c = py(inst)
    due = sorted((c.le[j][e], c.p[j]) for j in devs if c.due[j])
    t = t0
    for end, p in due:
        t += p
        if t > end:
            return False
    return True


def fits(inst: Instance, e: int, devs: list[int]) -> bool:
    """Total work within the examiner's slots, and every due device on time."""
    c = py(inst)
    p = c.p
    return sum(p[j] for j in devs) <= c.cap[e] and edd_feasible(inst, e, devs)


def sequence(inst: Instance, e: int, devs: list[int]) -> list[int]:
    """Order ``devs`` on examiner ``e``: Smith's rule under deadlines, then exact adjacent swaps."""
    c = py(inst)
    w, p, tb, due = c.w, c.p, c.tb, c.due
    order = sorted(devs, key=lambda j: (-w[j] / p[j], tb[j]))
    if any(due[j] for j in devs):
        order = _deadline_aware(inst, e, order)
    return _swap_pass(inst, e, order)


def _deadline_aware(inst: Instance, e: int, order: list[int]) -> list[int]:
    c = py(inst)
    p, due, le = c.p, c.due, c.le
    rest, out, t = list(order), [], 0
    while rest:
        # EDD check of the due devices left, computed once per step: taking j first keeps every
        # deadline iff j itself is on time and the due devices other than j pass EDD from t+p_j
        dues = sorted((le[i][e], p[i], i) for i in rest if due[i])
        for k, j in enumerate(rest):  # noqa: B007 - the device taken is rest[k] after the break
            tj = t + p[j]
            if due[j] and tj > le[j][e]:
                continue
            ok, tt = True, tj
            for end, pi, i in dues:
                if i == j:
                    continue
                tt += pi
                if tt > end:
                    ok = False
                    break
            if ok:
                break
        else:  # infeasible set: fall back to EDD for what is left (caller reports it)
            k = min(range(len(rest)), key=lambda i: (le[rest[i]][e], i))
        j = rest.pop(k)
        out.append(j)
        t += p[j]
    return out


def _swap_pass(inst: Instance, e: int, order: list[int]) -> list[int]:
    cc = py(inst)
    c, w, p, H, due, le = cc.clock[e], cc.w, cc.p, inst.H, cc.due, cc.le
    order = list(order)
    for _ in range(len(order)):
        improved = False
        t = 0
        for k in range(len(order) - 1):
            a, b = order[k], order[k + 1]
            ta2 = t + p[b]
            delta = (w[b] * (H - c[t]) + w[a] * (H - c[ta2])) - (w[a] * (H - c[t]) + w[b] * (H - c[t + p[a]]))
            if delta > 1e-9 and (not due[b] or ta2 <= le[b][e]) and (not due[a] or ta2 + p[a] <= le[a][e]):
                order[k], order[k + 1] = b, a
                improved = True
            t += p[order[k]]
        if not improved:
            break
    return order


def score(inst: Instance, e: int, order: list[int]) -> float:
    """Exact objective of an ordered list on examiner ``e``."""
    cc = py(inst)
    c, w, p, H = cc.clock[e], cc.w, cc.p, inst.H
    t, total = 0, 0.0
    for j in order:
        total += w[j] * (H - c[t])
        t += p[j]
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
