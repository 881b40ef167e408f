"""Forecast beyond week 1: which week each remaining device is expected to start.

docs/optimiser.md §3: over a continuous multi-week horizon WSPT list scheduling is within 1% of the
flow bound, so weeks 2+ are a greedy forecast, re-planned every Monday, never a commitment.
Later weeks are whole weeks even when this one started mid-week (``Instance.later_cap``).
"""
from __future__ import annotations

from dfu_sched.optimiser.model import Instance
from dfu_sched.optimiser.sequence import ratio_order


def forecast(inst: Instance, plan: list[list[int]], weeks: int) -> tuple[dict[int, int], list[int]]:
    """Expected start week (0 = this week) per device, and the devices beyond the horizon."""
    start = {j: 0 for x in plan for j in x}
    if weeks <= 0:
        return start, [j for j in range(inst.n) if j not in start]
    cap = [int(c) for c in (inst.cap if inst.later_cap is None else inst.later_cap)]
    elig = inst.elig if inst.later_cap is None else _later_eligible(inst)
    # work carried over: the rest of devices split into phases, on the same examiner
    load = [0] * inst.m
    for e, x in enumerate(plan):
        load[e] = sum(int(raw) - int(inst.p[j]) for j in x
                      for raw in [max(inst.p[j], round(inst.devices[j].hours / 0.5))])
    beyond = []
    for j in ratio_order(inst, (j for j in range(inst.n) if j not in start)):
        best = None
        for e in elig[j]:
            if cap[e] and load[e] < weeks * cap[e]:
                key = (load[e] / cap[e], int(e))
                if best is None or key < best:
                    best = key
        if best is None:
            beyond.append(j)
            continue
        e = best[1]
        start[j] = 1 + load[e] // cap[e]
        load[e] += max(int(inst.p[j]), round(inst.devices[j].hours / 0.5))
    return start, beyond


def _later_eligible(inst: Instance) -> list[list[int]]:
    """Who could take each device in a whole later week (a mid-week start may leave someone with
    no hours this week who works the next)."""
    assert inst.later_cap is not None
    return [[e for e, x in enumerate(inst.examiners)
             if d.skill in x.skills and x.accreditation >= d.accreditation and inst.later_cap[e] > 0]
            for d in inst.devices]
