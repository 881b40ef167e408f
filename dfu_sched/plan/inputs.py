"""Validated queue and staff rows -> the optimiser's plain devices and examiners on the week axis.

Why it exists: the optimiser (``dfu_sched.optimiser``) never sees a file, a date or a tier table;
this is the one place where dates become hours from Monday 00:00, tiers become weights and
targets, device types become skills, and staff rows become working windows cut at the plan start.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from dfu_sched.optimiser.model import PlanDevice, PlanExaminer
from dfu_sched.plan.clock import PlanStart, clip_windows, slot_windows
from dfu_sched.plan.files import QueueRow, StaffRow, TierSpec, TypeSpec


def to_plan_inputs(queue: Sequence[QueueRow], staff: Sequence[StaffRow], tiers: dict[str, TierSpec],
                   types: dict[str, TypeSpec], week_start: dt.date | PlanStart,
                   ) -> tuple[list[PlanDevice], list[PlanExaminer]]:
    """Rows -> the optimiser's devices and examiners on the week axis (hours from Monday 00:00).

    Days waited are counted to the plan start's day; examiners' windows are cut at the start,
    and their hours are what is left of them from there (``StaffRow.hours`` for a whole week).
    """
    start = week_start if isinstance(week_start, PlanStart) else PlanStart(week_start)
    t0 = dt.datetime.combine(start.week_start, dt.time())
    devices = []
    for q in queue:
        tier = tiers[q.tier]
        deadline = None if q.deadline is None else (q.deadline - t0).total_seconds() / 3600.0
        devices.append(PlanDevice(
            id=q.device_id, case_id=q.case_id, tier=q.tier, weight=tier.weight,
            target_days=tier.target_days, age_days=float((start.day - q.date_submitted).days),
            hours=q.estimated_hours, skill=types[q.device_type].skill, accreditation=q.accreditation,
            deadline_hours=deadline, expedite=q.expedite, victim_device=q.victim_device,
            score=q.risk.score))
    examiners = []
    for s in staff:
        full = slot_windows(s)
        wins = clip_windows(full, start.from_hour)
        cut = wins != list(full)
        hours = min(s.hours, round(sum(b - a for a, b in wins), 6)) if cut else s.hours
        examiners.append(PlanExaminer(id=s.examiner_id, skills=frozenset(s.skills), hours=hours,
                                      accreditation=s.accreditation, windows=wins,
                                      later_hours=s.hours if cut else None,
                                      later_windows=list(full) if cut else None))
    return devices, examiners
