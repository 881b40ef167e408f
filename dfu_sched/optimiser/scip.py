"""Optional SCIP step (``PlanConfig.scip``, mode "full"): the time-indexed MIP over the LP's
columns, warm-started with the best plan found (docs/optimiser.md §2 step 5).

The MIP is the final TI-LP of :class:`lp.TiLP` (flow form, aggregated examiner groups, candidate
and priced-in devices) with integral columns. A solution of an aggregated group is split over
its identical members by start order (interval colouring: at most ``c_t`` columns cover slot t,
so the member free earliest is always free). The limits are deterministic (node and solution
counts); the time limit is only a safety net, so a run that reaches it may differ between
machines. The result is used only if it is valid and better than the plan it was given.

Measured (issue 3, 2 cores): see the README of the optimiser / the benchmark notes. SCIP
rarely improves on the hint within the 10 s default budget, so the step is opt-in.
"""
from __future__ import annotations

import numpy as np

from dfu_sched.optimiser.model import Instance


def scip_improve(inst: Instance, model, plan: list[list[int]], time_limit_s: float,
                 node_limit: int = 200, seed: int = 0) -> list[list[int]] | None:
    """Solve the TI MIP over ``model``'s columns from the hint ``plan``; None if nothing usable."""
    from ortools.linear_solver import linear_solver_pb2, pywraplp

    from dfu_sched.optimiser.sequence import check_plan, sequence, starts, total_score

    if model.solver is None:
        return None
    # every planned device must have columns for the hint to be complete
    planned = [j for x in plan for j in x]
    model.add_devices([j for j in planned if j not in set(model.cand)])
    if any(j not in set(model.cand) for j in planned):
        return None
    proto = linear_solver_pb2.MPModelProto()
    model.solver.ExportModelToProto(proto)
    ncol, nslack = model.ncol_model, model.nslack
    is_x = np.ones(len(proto.variable), dtype=bool)
    is_x[ncol:ncol + nslack] = False
    for i in np.flatnonzero(is_x).tolist():
        proto.variable[i].is_integer = True
    # hint: the plan's columns at 1
    col_of = {}
    xs = np.flatnonzero(is_x)
    for k, (j, g, s) in enumerate(zip(model.J.tolist(), model.G.tolist(), model.S.tolist())):
        col_of[(j, g, s)] = int(xs[k])
    group_of = {e: g for g, members in enumerate(model.groups) for e in members}
    hint_cols = []
    for e, order in enumerate(plan):
        for j, s in zip(order, starts(inst, order)):
            key = (j, group_of.get(e, -1), s)
            if key not in col_of:
                return None
            hint_cols.append(col_of[key])
    solver = pywraplp.Solver.CreateSolver("SCIP")
    if solver is None:
        return None
    solver.LoadModelFromProto(proto)
    solver.SetNumThreads(1)
    solver.SetSolverSpecificParametersAsString(
        f"limits/nodes = {int(node_limit)}\nrandomization/randomseedshift = {int(seed)}\n")
    solver.SetTimeLimit(int(1000 * time_limit_s))
    variables = solver.variables()
    hint = np.zeros(len(variables))
    hint[hint_cols] = 1.0
    xvars = [variables[i] for i in xs.tolist()]
    solver.SetHint(xvars, hint[xs].tolist())
    import os
    if os.environ.get("DFU_SCIP_LOG"):
        solver.EnableOutput()
    status = solver.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    resp = linear_solver_pb2.MPSolutionResponse()
    solver.FillSolutionResponseProto(resp)
    val = np.asarray(resp.variable_value)[xs]
    chosen = np.flatnonzero(val > 0.5)
    out: list[list[int]] = [[] for _ in range(inst.m)]
    by_group: dict[int, list[tuple[int, int]]] = {}
    for k in chosen.tolist():
        by_group.setdefault(int(model.G[k]), []).append((int(model.S[k]), int(model.J[k])))
    for g, cols in by_group.items():
        members = model.groups[g]
        free = dict.fromkeys(members, 0)
        for s, j in sorted(cols):
            who = min((e for e in members if free[e] <= s), key=lambda e: (free[e], e), default=None)
            if who is None:
                return None
            out[who].append(j)
            free[who] = s + int(inst.p[j])
    # keep the MIP's order (gaps closed) or Smith's, whichever scores better per examiner
    from dfu_sched.optimiser.sequence import score
    final = []
    for e, order in enumerate(out):
        alt = sequence(inst, e, order)
        final.append(order if score(inst, e, order) >= score(inst, e, alt) else alt)
    if check_plan(inst, final) or total_score(inst, final) <= total_score(inst, plan) + 1e-9:
        return None
    return final
