"""From the optimiser's plan to the ranked, explained weekly list the outputs show (used by the CLI).

Why it exists: the plan is an assignment of device ids to examiners' hours; the Monday meeting
needs rows (who, what, when, why), warnings (deadlines that cannot be met, high-risk devices
past target) and a summary. References are passed through the run's :class:`RefMasker` here,
so no output path can leak a case reference by accident. The reasons are ``plan.reasons``'.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dfu_sched.optimiser.model import PlanConfig, PlanDevice, PlanExaminer, WeekPlan, build_instance
from dfu_sched.plan.clock import PlanStart, week_label
from dfu_sched.plan.files import QueueRow, StaffRow, TierSpec
from dfu_sched.plan.inputs import to_plan_inputs
from dfu_sched.plan.labels import GREEDY_OBJECTIVE_KEY, OBJECTIVE_KEY, aging_text
from dfu_sched.plan.masking import RefMasker
from dfu_sched.plan.reasons import ReasonContext, RefFn, reason
from dfu_sched.plan.risk import RiskModel

HIGH_TIERS_COUNT = 2  # the first two tiers (VH, H by default) get past-target warnings


@dataclass
class PlanReport:
    """Everything the outputs show: summary numbers, rows per device, warnings."""

    week_start: dt.date
    summary: dict[str, Any]
    rows: list[dict[str, Any]]
    warnings: list[str]
    examiners: list[dict[str, Any]] = field(default_factory=list)


def build_report(plan: WeekPlan, queue: Sequence[QueueRow], devices: Sequence[PlanDevice],
                 staff: Sequence[StaffRow], tiers: dict[str, TierSpec], model: RiskModel,
                 week_start: dt.date | PlanStart, pseudo: RefMasker | None, cfg: PlanConfig,
                 examiners: Sequence[PlanExaminer] | None = None) -> PlanReport:
    """Rows, reasons, warnings and summary of ``plan``.

    ``examiners`` are the ones the plan was made for (default: the staff rows for a whole week);
    the instance is rebuilt from them, so the hours and weights the reasons print are the
    optimiser's own (checked against ``plan.weights``).
    """
    start = week_start if isinstance(week_start, PlanStart) else PlanStart(week_start)
    if examiners is None:
        examiners = to_plan_inputs([], staff, tiers, {}, start)[1]
    refs = _Refs.of(pseudo)
    pdev = {d.id: d for d in devices}
    inst = build_instance(devices, examiners, plan.week_hours, cfg)
    for j, d in enumerate(inst.devices):
        if d.id in plan.weights and plan.weights[d.id] != float(inst.w[j]):
            raise AssertionError(f"weight of device #{j} differs between the plan and its reasons")
    ctx = ReasonContext.of(inst, cfg, plan, tiers, refs.device, refs.examiner)
    where: dict[str, tuple[str, int, float, float]] = {}
    for eid, assigned in plan.assignments.items():
        for k, a in enumerate(assigned, start=1):
            where[a.device_id] = (eid, k, a.start, a.end)
    rows = _device_rows(plan, queue, pdev, tiers, model, start, ctx, where, refs)
    warnings = _warnings(plan, queue, pdev, tiers, where, start, refs.device,
                         {x.id: x.hours for x in examiners})
    out_examiners = _examiner_rows(plan, staff, examiners, pdev, refs.examiner)
    summary = _summary(plan, queue, staff, examiners, start, cfg, model, len(where), refs.device)
    return PlanReport(start.week_start, summary, rows, warnings, out_examiners)


@dataclass(frozen=True)
class _Refs:
    """How device, case and examiner references are printed: as they are, or as pseudonyms."""

    device: RefFn
    case: RefFn
    examiner: RefFn

    @classmethod
    def of(cls, pseudo: RefMasker | None) -> _Refs:
        if pseudo is None:
            return cls(_same, _same, _same)
        return cls(lambda r: pseudo("D", r), lambda r: pseudo("C", r), lambda r: pseudo("E", r) if r else r)


def _same(ref: str) -> str:
    return ref


def _device_rows(plan: WeekPlan, queue: Sequence[QueueRow], pdev: dict[str, PlanDevice],
                 tiers: dict[str, TierSpec], model: RiskModel, start: PlanStart, ctx: ReasonContext,
                 where: dict[str, tuple[str, int, float, float]], refs: _Refs) -> list[dict[str, Any]]:
    """One row per queued device, planned ones first in each examiner's order, then those waiting."""
    infeasible = set(plan.infeasible_deadlines)
    split_ids = set(plan.split_devices)
    rows: list[dict[str, Any]] = []
    for q in queue:
        d = pdev[q.device_id]
        tier = tiers[q.tier]
        waited = d.age_days
        status, eid, rank, start_h, end_h = "later", "", None, None, None
        if q.device_id in where:
            eid, rank, start_h, end_h = where[q.device_id]
            status = "planned"
        week = plan.expected_start_week.get(q.device_id)
        if status != "planned":
            status = "beyond horizon" if week is None else f"week +{week}"
        rows.append({
            "examiner": eid, "rank": rank, "device": refs.device(q.device_id), "case": refs.case(q.case_id),
            "device_type": q.device_type, "tier": q.tier,
            "score": None if q.risk.score is None else round(q.risk.score, 1),
            "computed_tier": q.risk.computed_tier or "", "days_waited": int(waited),
            "target_days": tier.target_days, "days_past_target": round(waited - tier.target_days, 1),
            "hours": d.hours, "start": week_label(start_h) if start_h is not None else "",
            "end": week_label(end_h) if end_h is not None else "",
            "start_hour": start_h, "end_hour": end_h,
            "deadline": q.deadline.strftime("%Y-%m-%d %H:%M") if q.deadline else "",
            "expected_start_week": week, "status": status,
            "weight": round(plan.weights.get(q.device_id, d.weight), 3),
            "reason": reason(q, d, tier, plan, model, status, start_h, ctx, start,
                             q.device_id in infeasible, q.device_id in split_ids),
            "_tier_rank": ctx.tier_rank.get(q.tier, 99),
        })
    rows.sort(key=lambda r: (r["status"] != "planned", r["examiner"], r["rank"] or 0,
                             r["_tier_rank"], -r["weight"], r["device"]))
    for r in rows:
        del r["_tier_rank"]
        r["examiner"] = refs.examiner(r["examiner"])  # after sorting: pseudonyms do not reorder the plan
    return rows


def _examiner_rows(plan: WeekPlan, staff: Sequence[StaffRow], examiners: Sequence[PlanExaminer],
                   pdev: dict[str, PlanDevice], ex_ref: RefFn) -> list[dict[str, Any]]:
    """Per examiner: skills, hours, hours planned, devices and working windows."""
    out = []
    for s, x in zip(staff, examiners):
        rows_e = plan.assignments.get(s.examiner_id, [])
        out.append({"examiner": ex_ref(s.examiner_id), "skills": list(s.skills), "hours": x.hours,
                    "accreditation": s.accreditation, "planned_hours": round(sum(
                        pdev[a.device_id].hours if a.device_id not in plan.split_devices
                        else a.end - a.start for a in rows_e), 1),
                    "devices": len(rows_e),
                    "usable_hours": plan.usable_hours.get(s.examiner_id, 0.0),
                    "windows": [list(w) for w in (x.windows or [])]})
    return out


def _summary(plan: WeekPlan, queue: Sequence[QueueRow], staff: Sequence[StaffRow],
             examiners: Sequence[PlanExaminer], start: PlanStart, cfg: PlanConfig, model: RiskModel,
             planned: int, dev_ref: RefFn) -> dict[str, Any]:
    """The plan's headline numbers: objective, greedy baseline, bound and gap, effort, method."""
    return {
        "week_start": start.week_start.isoformat(),
        "plan_start": start.start.strftime("%Y-%m-%d %H:%M"), "plan_start_note": start.how,
        "devices_in_queue": len(queue), "examiners": len(staff),
        "hours_available": round(sum(x.hours for x in examiners), 1), "devices_planned": planned,
        OBJECTIVE_KEY: round(plan.objective, 2),
        GREEDY_OBJECTIVE_KEY: round(plan.greedy_objective, 2),
        "improvement_over_greedy": round(plan.improvement_over_greedy, 6),
        "bound": round(plan.bound, 2) if plan.bound == plan.bound else None,
        "gap_to_bound": round(plan.gap, 6),
        "gap_to_bound_working_hours": round(plan.gap_working_hours, 6),
        "lp_complete": plan.lp_complete, "effort": dict(plan.effort),
        "hours_usable": round(sum(plan.usable_hours.values()), 1), "method": plan.method,
        "cases_split": plan.cases_split,
        "infeasible_deadlines": [dev_ref(x) for x in plan.infeasible_deadlines],
        "aging": aging_text(cfg.aging_days),
        "expedite_factor": cfg.expedite_factor, "risk_model": model.name,
        "solve_seconds": round(plan.timings.get("total", 0.0), 2),
    }


def _warnings(plan: WeekPlan, queue: Sequence[QueueRow], pdev: dict[str, PlanDevice],
              tiers: dict[str, TierSpec], where: dict[str, tuple[str, int, float, float]], start: PlanStart,
              dev_ref: RefFn,
              hours_of: dict[str, float] | None = None) -> list[str]:
    out = []
    hours_of = hours_of or {}
    high = list(tiers)[:HIGH_TIERS_COUNT]
    for j in plan.infeasible_deadlines:
        q = next(x for x in queue if x.device_id == j)
        gone = q.deadline is not None and q.deadline <= start.start
        out.append(f"deadline cannot be met: {dev_ref(j)} ({q.tier}, due {q.deadline:%Y-%m-%d %H:%M}"
                   f"{', ' + q.deadline_type if q.deadline_type else ''})"
                   + (f": it is before the plan start, {start.start:%Y-%m-%d %H:%M}" if gone else ""))
    for q in queue:
        d = pdev[q.device_id]
        if d.deadline_hours is not None and d.deadline_hours > plan.week_hours and q.device_id not in where:
            week = plan.expected_start_week.get(q.device_id)
            due_week = int(d.deadline_hours // 168)
            if week is None or week >= due_week:
                out.append(f"deadline at risk: {dev_ref(q.device_id)} due {q.deadline:%Y-%m-%d} but expected "
                           f"to start {'after the horizon' if week is None else f'in week +{week}'}")
    late = [q for q in queue if q.tier in high and pdev[q.device_id].age_days > tiers[q.tier].target_days]
    if late:
        unplanned = [q for q in late if q.device_id not in where]
        out.append(f"{len(late)} {'/'.join(high)} device(s) past their target; {len(unplanned)} of them "
                   "are not in this week's plan" + (": " + ", ".join(dev_ref(q.device_id) for q in unplanned[:10])
                                                     + (" ..." if len(unplanned) > 10 else "") if unplanned else ""))
    mism = [q for q in queue if q.risk.mismatch]
    if mism:
        out.append(f"{len(mism)} device(s) have a given tier that differs from their risk factors "
                   "(the given tier was used): " + ", ".join(dev_ref(q.device_id) for q in mism[:10]))
    if plan.split_devices:
        out.append(f"{len(plan.split_devices)} device(s) are longer than a week and are planned in parts")
    lost = [(s_id, h - plan.usable_hours.get(s_id, h)) for s_id, h in hours_of.items()]
    lost = [(s_id, x) for s_id, x in lost if x > 1e-9]
    if lost:
        out.append(f"{sum(x for _, x in lost):g} h of {len(lost)} examiner(s) cannot be planned: the plan "
                   "works in whole 30-minute slots within the working days")
    if not plan.lp_complete and "safety net" in plan.method:
        out.append("the LP did not finish within --time-limit: the bound is a looser fallback and the plan "
                   "may differ on another machine; rerun with a larger --time-limit")
    elif not plan.lp_complete:
        out.append("the LP reached its iteration limit: the bound is the looser Lagrangian fallback "
                   "(the plan and bound are still the same on any machine)")
    return out
