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
    """Placement of due devices. Returns (lists per examiner, loads, infeasible devices).

    First the EDD rule (each on the eligible examiner that finishes it soonest). When that
    leaves a deadline unmet, the assignment is decided exactly (:func:`exact_due_assignment`):
    the greedy rule can block a deadline that another assignment meets (a phone given to the
    only computer examiner). Either way each examiner's due devices are in EDD order, which
    meets all their deadlines whenever any order does (Jackson's rule).
    """
    due = sorted((j for j in range(inst.n) if inst.due[j]),
                 key=lambda j: (inst.deadline[j], inst.tiebreak[j]))
    plan, load, infeasible = _edd_greedy(inst, due)
    if infeasible:
        where = exact_due_assignment(inst, due)
        if len(where) >= len(due) - len(infeasible):   # exact: most deadlines, then weight
            plan = [[] for _ in range(inst.m)]
            for j in due:                       # EDD order on each examiner
                if j in where:
                    plan[where[j]].append(j)
            load = [sum(int(inst.p[j]) for j in x) for x in plan]
            infeasible = [j for j in due if j not in where]
    return plan, load, infeasible


def _edd_greedy(inst: Instance, due: list[int]) -> tuple[list[list[int]], list[int], list[int]]:
    plan: list[list[int]] = [[] for _ in range(inst.m)]
    load = [0] * inst.m
    infeasible: list[int] = []
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


def exact_due_assignment(inst: Instance, due: list[int]) -> dict[int, int]:
    """Device -> examiner meeting as many deadlines as possible (then the most weight), exactly.

    CP-SAT over the (few) due devices: one optional interval per eligible examiner on its slot
    axis, ending by the deadline; at most one per device; no overlap per examiner. One worker,
    fixed seed and a deterministic-time limit (a safety net: a week's deadlines solve in
    milliseconds), so the answer never depends on the machine. Cached per due set.
    """
    key = tuple(due)
    cache = inst.__dict__.setdefault("_due_exact", {})
    if key in cache:
        return cache[key]
    from ortools.sat.python import cp_model

    m = cp_model.CpModel()
    lits: dict[int, list[tuple[int, object]]] = {}
    per_exam: dict[int, list] = {}
    wmax = max([float(inst.w[j]) for j in due] + [1e-9])
    objective = []
    for j in due:
        p = int(inst.p[j])
        for e in inst.elig[j]:
            e = int(e)
            hi = int(min(inst.cap[e], inst.latest_end[j, e]))
            if hi < p:
                continue
            x = m.NewBoolVar("")
            start = m.NewIntVar(0, hi - p, "")
            per_exam.setdefault(e, []).append(m.NewOptionalFixedSizeIntervalVar(start, p, x, ""))
            lits.setdefault(j, []).append((e, x))
            objective.append((1_000_000 + int(round(1000 * float(inst.w[j]) / wmax)), x))
    for opts in lits.values():
        m.AddAtMostOne(x for _, x in opts)
    for intervals in per_exam.values():
        m.AddNoOverlap(intervals)
    m.Maximize(sum(c * x for c, x in objective))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = 10.0
    status = solver.Solve(m)
    out: dict[int, int] = {}
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for j, opts in lits.items():
            for e, x in opts:
                if solver.Value(x):
                    out[j] = e
    cache[key] = out
    return out


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
