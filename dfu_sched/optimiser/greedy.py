"""The greedy rule every plan is compared with: risk weight per hour, skills matched.

Due devices are placed first, earliest deadline first, each on the eligible examiner that
finishes it soonest; a due device no examiner can finish in time is reported, not forced.
Then WSPT list scheduling: by w/p, each device goes to the eligible examiner who can start it
earliest (preferring one already working on the same case), if it fits in the week.
"""
from __future__ import annotations

from dfu_sched.optimiser.model import UNIT_HOURS, Instance
from dfu_sched.optimiser.sequence import forget_py, ratio_order, sequence


def place_due(inst: Instance) -> tuple[list[list[int]], list[int], list[int]]:
    """EDD placement of due devices. Returns (lists per examiner, loads, infeasible devices)."""
    plan: list[list[int]] = [[] for _ in range(inst.m)]
    load = [0] * inst.m
    infeasible: list[int] = []
    due = sorted((j for j in range(inst.n) if inst.due[j]),
                 key=lambda j: (inst.deadline[j], inst.tiebreak[j]))
    for j in due:
        best = None
        for e in inst.elig[j]:
            end = load[e] + int(inst.p[j])
            if end <= inst.latest_end[j, e]:
                finish = inst.clock[e][end - 1] + UNIT_HOURS
                if best is None or finish < best[0]:
                    best = (finish, int(e))
        if best is None:
            infeasible.append(j)
        else:
            plan[best[1]].append(j)
            load[best[1]] += int(inst.p[j])
    return plan, load, infeasible


def release_infeasible(inst: Instance, infeasible: list[int]) -> None:
    """Deadlines no plan can meet become ordinary devices (they are reported, not forced)."""
    for j in infeasible:
        inst.due[j] = False
        inst.latest_end[j, :] = inst.cap
    forget_py(inst)


def greedy(inst: Instance, fixed: list[list[int]] | None = None,
           pool: list[int] | None = None) -> list[list[int]]:
    """WSPT list scheduling of ``pool`` (default: all devices not in ``fixed``)."""
    if fixed is None:
        fixed, _, _ = place_due(inst)
    plan = [list(x) for x in fixed]
    load = [sum(int(inst.p[j]) for j in x) for x in plan]
    cases = [{inst.devices[j].case_id for j in x} for x in plan]
    taken = {j for x in plan for j in x}
    if pool is None:
        pool = [j for j in range(inst.n) if j not in taken]
    for j in ratio_order(inst, (j for j in pool if j not in taken)):
        pj, case = int(inst.p[j]), inst.devices[j].case_id
        best = None
        for e in inst.elig[j]:
            if load[e] + pj <= inst.cap[e]:
                key = (inst.clock[e][load[e]], case not in cases[e], int(e))
                if best is None or key < best:
                    best = key
        if best is not None:
            e = best[2]
            plan[e].append(j)
            load[e] += pj
            cases[e].add(case)
    return [sequence(inst, e, x) for e, x in enumerate(plan)]
