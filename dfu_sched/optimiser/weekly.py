"""From validated queue and staff rows to a ranked, explained weekly list (used by the CLI).

Kept apart from the algorithms: this is where dates become hours on the week axis, where each
row gets its one-line reason and where warnings are raised. Pseudonymisation happens here too,
so no output path can leak a case reference by accident.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Sequence

from dfu_sched.optimiser.model import PlanConfig, PlanDevice, PlanExaminer, WeekPlan
from dfu_sched.queue_io import QueueRow, StaffRow, TierSpec, TypeSpec, staff_windows
from dfu_sched.risk import RiskModel

DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
HIGH_TIERS_COUNT = 2  # the first two tiers (VH, H by default) get past-target warnings


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_label(hours: float) -> str:
    """'Tue 09:30' for an hour on the week axis.

    Rounded once, to the whole minute, before splitting into day, hour and minute: rounding
    only the minutes turned 8.9999 h into '08:60'.
    """
    minutes = int(round(hours * 60))
    day, rest = divmod(minutes, 24 * 60)
    h, m = divmod(rest, 60)
    name = DAYS[day] if 0 <= day < 7 else f"day {day + 1}"
    return f"{name} {h:02d}:{m:02d}"


class RefMasker:
    """Device and case references replaced by keyed HMAC pseudonyms (the shared helper).

    Same ``salt`` -> same pseudonyms across runs; no salt -> a per-run secret key. Each set is
    lengthened together until no two references collide.
    """

    def __init__(self, salt: str | None, device_ids, case_ids):
        from dfu_sched.reports.pseudonym import Pseudonymiser

        self.devices = Pseudonymiser(salt, prefix="D-").mapping(device_ids)
        self.cases = Pseudonymiser(salt, prefix="C-").mapping(case_ids)

    def __call__(self, prefix: str, ref: str) -> str:
        return (self.devices if prefix == "D" else self.cases)[str(ref).strip()]


def to_plan_inputs(queue: Sequence[QueueRow], staff: Sequence[StaffRow], tiers: dict[str, TierSpec],
                   types: dict[str, TypeSpec], week_start: dt.date,
                   ) -> tuple[list[PlanDevice], list[PlanExaminer]]:
    t0 = dt.datetime.combine(week_start, dt.time())
    devices = []
    for q in queue:
        tier = tiers[q.tier]
        deadline = None if q.deadline is None else (q.deadline - t0).total_seconds() / 3600.0
        devices.append(PlanDevice(
            id=q.device_id, case_id=q.case_id, tier=q.tier, weight=tier.weight,
            target_days=tier.target_days, age_days=float((week_start - q.date_submitted).days),
            hours=q.estimated_hours, skill=types[q.device_type].skill, accreditation=q.accreditation,
            deadline_hours=deadline, expedite=q.expedite, victim_device=q.victim_device,
            score=q.risk.score))
    examiners = [PlanExaminer(id=s.examiner_id, skills=frozenset(s.skills), hours=s.hours,
                              accreditation=s.accreditation, windows=staff_windows(s)) for s in staff]
    return devices, examiners


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
                 week_start: dt.date, pseudo: RefMasker | None, cfg: PlanConfig) -> PlanReport:
    dev_ref = (lambda r: pseudo("D", r)) if pseudo else (lambda r: r)
    case_ref = (lambda r: pseudo("C", r)) if pseudo else (lambda r: r)
    pdev = {d.id: d for d in devices}
    tier_rank = {name: i for i, name in enumerate(tiers)}
    where: dict[str, tuple[str, int, float, float]] = {}
    cutoff: dict[str, float] = {}
    for eid, rows in plan.assignments.items():
        for k, a in enumerate(rows, start=1):
            where[a.device_id] = (eid, k, a.start, a.end)
    for did, (eid, *_rest) in where.items():
        d = pdev[did]
        ratio = plan.weights[did] / max(d.hours, 0.5)
        cutoff[d.skill] = min(cutoff.get(d.skill, float("inf")), ratio)
    skills_offered = {(sk, s.accreditation) for s in staff if s.hours > 0 for sk in s.skills}
    infeasible = set(plan.infeasible_deadlines)
    rows = []
    for q in queue:
        d = pdev[q.device_id]
        tier = tiers[q.tier]
        waited = d.age_days
        status, eid, rank, start, end = "later", "", None, None, None
        if q.device_id in where:
            eid, rank, start, end = where[q.device_id]
            status = "planned"
        week = plan.expected_start_week.get(q.device_id)
        if status != "planned":
            status = "beyond horizon" if week is None else f"week +{week}"
        rows.append({
            "examiner": eid, "rank": rank, "device": dev_ref(q.device_id), "case": case_ref(q.case_id),
            "device_type": q.device_type, "tier": q.tier,
            "score": None if q.risk.score is None else round(q.risk.score, 1),
            "computed_tier": q.risk.computed_tier or "", "days_waited": int(waited),
            "target_days": tier.target_days, "days_past_target": round(waited - tier.target_days, 1),
            "hours": d.hours, "start": week_label(start) if start is not None else "",
            "end": week_label(end) if end is not None else "",
            "start_hour": start, "end_hour": end,
            "deadline": q.deadline.strftime("%Y-%m-%d %H:%M") if q.deadline else "",
            "expected_start_week": week, "status": status,
            "weight": round(plan.weights.get(q.device_id, d.weight), 3),
            "reason": _reason(q, d, tier, plan, model, status, start, cutoff, skills_offered,
                              q.device_id in infeasible, q.device_id in set(plan.split_devices)),
            "_tier_rank": tier_rank.get(q.tier, 99),
        })
    rows.sort(key=lambda r: (r["status"] != "planned", r["examiner"], r["rank"] or 0,
                             r["_tier_rank"], -r["weight"], r["device"]))
    for r in rows:
        del r["_tier_rank"]
    warnings = _warnings(plan, queue, pdev, tiers, where, week_start, dev_ref)
    examiners = []
    for s in staff:
        rows_e = plan.assignments.get(s.examiner_id, [])
        examiners.append({"examiner": s.examiner_id, "skills": list(s.skills), "hours": s.hours,
                          "accreditation": s.accreditation, "planned_hours": round(sum(
                              pdev[a.device_id].hours if a.device_id not in plan.split_devices
                              else a.end - a.start for a in rows_e), 1),
                          "devices": len(rows_e),
                          "windows": [list(w) for w in staff_windows(s)]})
    planned = len(where)
    summary = {
        "week_start": week_start.isoformat(), "devices_in_queue": len(queue), "examiners": len(staff),
        "hours_available": round(sum(s.hours for s in staff), 1), "devices_planned": planned,
        "objective_risk_hours_saved": round(plan.objective, 2),
        "greedy_objective": round(plan.greedy_objective, 2),
        "improvement_over_greedy": round(plan.improvement_over_greedy, 6),
        "bound": round(plan.bound, 2) if plan.bound == plan.bound else None,
        "gap_to_bound": round(plan.gap, 6), "method": plan.method,
        "cases_split": plan.cases_split,
        "infeasible_deadlines": [dev_ref(x) for x in plan.infeasible_deadlines],
        "aging": (f"weight x (1 + age/{cfg.aging_days:g} days)" if cfg.aging_days
                  else "weight x (1 + days past tier target / tier target)"),
        "expedite_factor": cfg.expedite_factor, "risk_model": model.name,
        "solve_seconds": round(plan.timings.get("total", 0.0), 2),
    }
    return PlanReport(week_start, summary, rows, warnings, examiners)


def _reason(q: QueueRow, d: PlanDevice, tier: TierSpec, plan: WeekPlan, model: RiskModel, status: str,
            start: float | None, cutoff: dict[str, float], offered: set[tuple[str, int]],
            infeasible: bool, split: bool) -> str:
    parts = [f"{q.tier}" + (f" (score {q.risk.score:g}" + (f": {q.risk.factors_text(model, 2)}"
                                                             if q.risk.contributions else "") + ")"
                            if q.risk.score is not None else "")]
    past = d.age_days - tier.target_days
    parts.append(f"waited {d.age_days:g} d, {past:g} d past its {tier.target_days:g}-d target" if past > 0
                 else f"waited {d.age_days:g} d of a {tier.target_days:g}-d target")
    if q.risk.mismatch:
        parts.append(f"given tier {q.tier}, factors say {q.risk.computed_tier}")
    if q.expedite:
        parts.append("expedite requested")
    if infeasible:
        parts.append("DEADLINE CANNOT BE MET this week")
    elif d.deadline_hours is not None and d.deadline_hours <= plan.week_hours and status == "planned":
        parts.append(f"deadline {q.deadline:%a %H:%M}{' (' + q.deadline_type + ')' if q.deadline_type else ''}"
                     " kept")
    if status == "planned":
        if split:
            parts.append("first part this week, continues next week")
        aged = plan.weights[d.id] / d.weight if d.weight else 1.0
        why = ("placed to meet its deadline" if d.deadline_hours is not None and d.deadline_hours <= plan.week_hours
               and not infeasible else f"risk weight {plan.weights[d.id]:.1f}"
               + (f" (x{aged:.1f} for waiting)" if aged > 1.05 else "")
               + f" per {d.hours:g} h is among the highest for {d.skill} work")
        parts.append(f"starts {week_label(start)}: {why}")
    else:
        if not any(sk == d.skill and acc >= d.accreditation for sk, acc in offered):
            parts.append(f"not this week: no examiner with skill '{d.skill}' at level {d.accreditation}+")
        else:
            ratio = plan.weights[d.id] / max(d.hours, 0.5)
            c = cutoff.get(d.skill)
            why = (f"risk per hour {ratio:.2f} below this week's {d.skill} cut-off {c:.2f}"
                   if c is not None and ratio < c else "did not fit the examiners' remaining hours")
            parts.append(f"not this week: {why}; {status}")
    return "; ".join(parts)


def _warnings(plan: WeekPlan, queue: Sequence[QueueRow], pdev: dict[str, PlanDevice],
              tiers: dict[str, TierSpec], where: dict, week_start: dt.date, dev_ref) -> list[str]:
    out = []
    high = list(tiers)[:HIGH_TIERS_COUNT]
    for j in plan.infeasible_deadlines:
        q = next(x for x in queue if x.device_id == j)
        out.append(f"deadline cannot be met: {dev_ref(j)} ({q.tier}, due {q.deadline:%Y-%m-%d %H:%M}"
                   f"{', ' + q.deadline_type if q.deadline_type else ''})")
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
    return out
