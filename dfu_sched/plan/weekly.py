"""From validated queue and staff rows to a ranked, explained weekly list (used by the CLI).

Kept apart from the algorithms: this is where dates become hours on the week axis, where each
row gets its one-line reason and where warnings are raised. Pseudonymisation happens here too,
so no output path can leak a case reference by accident.

Where the plan starts: ``--week`` plans a whole week from its Monday 00:00; without it the plan
starts at the next working time after "now" (:func:`next_working_time`), because planning a
Tuesday from Monday 00:00 would place work in hours that have already gone. The week axis
stays Monday 00:00, so times and deadlines keep one meaning; only the examiners' windows are
cut at the start.

Reasons are built from the optimiser's own numbers (:func:`~dfu_sched.optimiser.model.weight_terms`
and the slot lengths of the instance it solved), so every figure printed in a reason is the one
the plan used, term by term, in words a Monday meeting can check.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Sequence

from dfu_sched.optimiser.model import (
    UNIT_HOURS, Instance, PlanConfig, PlanDevice, PlanExaminer, WeekPlan, WeightTerms, build_instance,
    weight_terms,
)
from dfu_sched.calendar import WEEKDAYS, monday_of
from dfu_sched.plan.files import QueueRow, StaffRow, TierSpec, TypeSpec, staff_windows
from dfu_sched.plan.risk import RiskModel

DAYS = list(WEEKDAYS)
HIGH_TIERS_COUNT = 2  # the first two tiers (VH, H by default) get past-target warnings


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
    """Device, case and examiner references replaced by keyed HMAC pseudonyms (the shared helper).

    Same ``salt`` -> same pseudonyms across runs; no salt -> one per-run secret key for all three
    sets. Each set is lengthened together until no two references collide. ``marker`` is the
    record the output carries, so a report knows it is pseudonymised from what the file says.
    """

    def __init__(self, salt: str | None, device_ids, case_ids, examiner_ids=()):
        import secrets

        from dfu_sched.privacy import PLAN_FIELDS, Pseudonymiser, marker

        key = salt if salt else secrets.token_bytes(32)
        self.devices = Pseudonymiser(key, prefix="D-").mapping(device_ids)
        self.cases = Pseudonymiser(key, prefix="C-").mapping(case_ids)
        self.examiners = Pseudonymiser(key, prefix="E-").mapping(examiner_ids)
        self.marker = marker(Pseudonymiser(key), PLAN_FIELDS)

    def __call__(self, prefix: str, ref: str) -> str:
        table = {"D": self.devices, "C": self.cases, "E": self.examiners}[prefix]
        return table[str(ref).strip()]


@dataclass(frozen=True)
class PlanStart:
    """Hour 0 of the week axis (a Monday), the first hour work may be planned, and why."""

    week_start: dt.date          # Monday: hour 0 of the week axis
    from_hour: float = 0.0       # no work is planned before this hour of the axis
    first_work: float | None = None  # first working half-hour of any examiner at or after from_hour
    how: str = "the whole week, from Monday 00:00 (--week)"
    now: dt.datetime | None = None   # the "now" it was derived from (None: --week)

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.week_start, dt.time()) + dt.timedelta(hours=self.from_hour)

    @property
    def day(self) -> dt.date:
        """The day days waited are counted to: the plan start's date."""
        return self.start.date()


def clip_windows(windows: Sequence[tuple[float, float]], from_hour: float) -> list[tuple[float, float]]:
    """Working windows cut at ``from_hour``; windows left shorter than one slot are dropped."""
    out = []
    for a, b in windows:
        a = max(a, from_hour)
        if b - a >= UNIT_HOURS - 1e-9:
            out.append((a, b))
    return out


def whole_week(day: dt.date) -> PlanStart:
    """``--week DAY``: the whole week of ``day``, from its Monday 00:00 (reproducible by date)."""
    return PlanStart(monday_of(day))


def next_working_time(now: dt.datetime, staff: Sequence[StaffRow]) -> PlanStart:
    """No ``--week``: plan from ``now`` rounded up to the next half-hour slot of this week.

    If no examiner has a working half-hour left this week (Friday evening, the weekend), the
    plan is the whole of next week. ``first_work`` is the first working slot of anyone from the
    start, which is what the outputs name as the start used.
    """
    monday = monday_of(now.date())
    since = (now - dt.datetime.combine(monday, dt.time())).total_seconds() / 3600.0
    from_hour = math.ceil(since / UNIT_HOURS - 1e-9) * UNIT_HOURS
    wins = [slot_windows(s) for s in staff]
    first = _first_work(wins, from_hour)
    stamp = f"{now:%a %d %b %Y %H:%M}"
    if first is None and (any(wins) or now.weekday() >= 5):
        nxt = monday + dt.timedelta(days=7)
        return PlanStart(nxt, 0.0, _first_work(wins, 0.0),
                         f"the whole of next week, from Monday {nxt:%d %b %Y} (no working hours left this "
                         f"week after {stamp})", now)
    when = dt.datetime.combine(monday, dt.time()) + dt.timedelta(hours=first if first is not None else from_hour)
    return PlanStart(monday, from_hour, first,
                     f"from {when:%a %d %b %Y %H:%M}, the next working time after {stamp} "
                     "(use --week DATE to plan a whole week)", now)


def _first_work(wins: Sequence[Sequence[tuple[float, float]]], from_hour: float) -> float | None:
    starts = [a for w in wins for a, _ in clip_windows(w, from_hour)]
    return min(starts) if starts else None


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


def slot_windows(s: StaffRow) -> list[tuple[float, float]]:
    """The examiner's working windows cut to whole 30-minute slots, so no hour is lost.

    ``staff_windows`` spreads the hours evenly (36 h over 5 days: 7.2 h a day), but the plan
    works in 30-minute slots and a 7.2 h day holds only 14 of them (7 h): 1 h a week silently
    lost. Here the slots are spread instead (15, 15, 14, 14, 14 = 36 h), earlier days first;
    only hours that are not a multiple of 30 minutes (36.2 h) cannot be planned, and the plan
    reports them (``hours_usable`` and a warning).
    """
    from dfu_sched.optimiser.model import UNIT_HOURS

    windows = staff_windows(s)
    if not windows:
        return windows
    slots = int(s.hours / UNIT_HOURS + 1e-9)
    base, extra = divmod(slots, len(windows))
    return [(a, a + UNIT_HOURS * (base + (1 if k < extra else 0)))
            for k, (a, _b) in enumerate(windows)]


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
    dev_ref = (lambda r: pseudo("D", r)) if pseudo else (lambda r: r)
    case_ref = (lambda r: pseudo("C", r)) if pseudo else (lambda r: r)
    ex_ref = (lambda r: pseudo("E", r) if r else r) if pseudo else (lambda r: r)
    pdev = {d.id: d for d in devices}
    inst = build_instance(devices, examiners, plan.week_hours, cfg)
    for j, d in enumerate(inst.devices):
        if d.id in plan.weights and plan.weights[d.id] != float(inst.w[j]):
            raise AssertionError(f"weight of device #{j} differs between the plan and its reasons")
    ctx = _ReasonContext.of(inst, cfg, plan, tiers, dev_ref, ex_ref)
    where: dict[str, tuple[str, int, float, float]] = {}
    for eid, rows in plan.assignments.items():
        for k, a in enumerate(rows, start=1):
            where[a.device_id] = (eid, k, a.start, a.end)
    infeasible = set(plan.infeasible_deadlines)
    split_ids = set(plan.split_devices)
    rows = []
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
            "examiner": eid, "rank": rank, "device": dev_ref(q.device_id), "case": case_ref(q.case_id),
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
            "reason": _reason(q, d, tier, plan, model, status, start_h, ctx, start,
                              q.device_id in infeasible, q.device_id in split_ids),
            "_tier_rank": ctx.tier_rank.get(q.tier, 99),
        })
    rows.sort(key=lambda r: (r["status"] != "planned", r["examiner"], r["rank"] or 0,
                             r["_tier_rank"], -r["weight"], r["device"]))
    for r in rows:
        del r["_tier_rank"]
        r["examiner"] = ex_ref(r["examiner"])  # after sorting: pseudonyms do not reorder the plan
    warnings = _warnings(plan, queue, pdev, tiers, where, start, dev_ref,
                         {x.id: x.hours for x in examiners})
    out_examiners = []
    for s, x in zip(staff, examiners):
        rows_e = plan.assignments.get(s.examiner_id, [])
        out_examiners.append({"examiner": ex_ref(s.examiner_id), "skills": list(s.skills), "hours": x.hours,
                              "accreditation": s.accreditation, "planned_hours": round(sum(
                                  pdev[a.device_id].hours if a.device_id not in plan.split_devices
                                  else a.end - a.start for a in rows_e), 1),
                              "devices": len(rows_e),
                              "usable_hours": plan.usable_hours.get(s.examiner_id, 0.0),
                              "windows": [list(w) for w in (x.windows or [])]})
    planned = len(where)
    summary = {
        "week_start": start.week_start.isoformat(),
        "plan_start": start.start.strftime("%Y-%m-%d %H:%M"), "plan_start_note": start.how,
        "devices_in_queue": len(queue), "examiners": len(staff),
        "hours_available": round(sum(x.hours for x in examiners), 1), "devices_planned": planned,
        "objective_risk_hours_saved": round(plan.objective, 2),
        "greedy_objective": round(plan.greedy_objective, 2),
        "improvement_over_greedy": round(plan.improvement_over_greedy, 6),
        "bound": round(plan.bound, 2) if plan.bound == plan.bound else None,
        "gap_to_bound": round(plan.gap, 6),
        "gap_to_bound_working_hours": round(plan.gap_working_hours, 6),
        "lp_complete": plan.lp_complete, "effort": dict(plan.effort),
        "hours_usable": round(sum(plan.usable_hours.values()), 1), "method": plan.method,
        "cases_split": plan.cases_split,
        "infeasible_deadlines": [dev_ref(x) for x in plan.infeasible_deadlines],
        "aging": (f"weight x (1 + age/{cfg.aging_days:g} days)" if cfg.aging_days
                  else "weight x (1 + days past tier target / tier target)"),
        "expedite_factor": cfg.expedite_factor, "risk_model": model.name,
        "solve_seconds": round(plan.timings.get("total", 0.0), 2),
    }
    return PlanReport(start.week_start, summary, rows, warnings, out_examiners)


# ---- reasons ---------------------------------------------------------------------------------------

def num(x: float, digits: int = 3) -> str:
    """A number as reasons print it: at most ``digits`` decimals, no trailing zeros (2.667, 1.5, 4)."""
    text = f"{x:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def num_apart(a: float, b: float) -> tuple[str, str]:
    """``a`` and ``b`` printed with enough decimals that different values never look equal."""
    for digits in (3, 4, 5, 6):
        sa, sb = num(a, digits), num(b, digits)
        if sa != sb or a == b:
            return sa, sb
    return sa, sb


def work_hours(inst: Instance, j: int) -> float:
    """Hours of examiner time the optimiser reserves for device ``j`` this week (whole slots)."""
    return float(inst.p[j]) * UNIT_HOURS


def per_hour(inst: Instance, j: int) -> float:
    """Weight per examiner hour, the optimiser's ranking ratio ``w / p`` in hours."""
    return float(inst.w[j]) / work_hours(inst, j)


def weight_text(t: WeightTerms, d: PlanDevice) -> str:
    """'weight 8 = 2 for tier M x 2.667 for waiting 300 d (1 + 300/180) x 1.5 for the expedite request'."""
    terms = [f"{num(t.tier)} for tier {d.tier}"]
    if t.aging != 1.0:
        if t.aging_days is not None:
            terms.append(f"{num(t.aging)} for waiting {d.age_days:g} d (1 + {d.age_days:g}/{t.aging_days:g})")
        else:
            past = d.age_days - d.target_days
            terms.append(f"{num(t.aging)} for {past:g} d past its {d.target_days:g}-d target "
                         f"(1 + {past:g}/{d.target_days:g})")
    if t.expedite != 1.0:
        terms.append(f"{num(t.expedite)} for the expedite request")
    if len(terms) == 1:
        return f"weight {num(t.value)} (tier {d.tier}, not yet raised for waiting)"
    return f"weight {num(t.value)} = " + " x ".join(terms)


def hours_text(inst: Instance, j: int) -> str:
    """'30 h', or how the estimate became whole half-hours / a first part this week."""
    d, h = inst.devices[j], work_hours(inst, j)
    if bool(inst.split[j]):
        return f"{num(h)} h this week (first part of {d.hours:g} h)"
    if abs(h - d.hours) > 1e-9:
        return f"{num(h)} h (its {d.hours:g} h in whole half-hours)"
    return f"{num(h)} h"


@dataclass
class _ReasonContext:
    """What reasons compare a device with: who could take it, what they were given, hours left.

    Built once per report; the rivals of a device depend only on which examiners could take it,
    so they are grouped by that set (a handful of groups whatever the queue length).
    """

    inst: Instance
    cfg: PlanConfig
    index: dict[str, int]
    tier_rank: dict[str, int]
    on: list[list[int]]            # per examiner index: planned device indices, in order
    free: list[float]              # per examiner index: hours left after the plan
    waiting_on: list[list[int]]    # per examiner index: unplanned devices it could take, highest tier first
    dev_ref: Any
    ex_ref: Any
    _rivals: dict[tuple[int, ...], tuple[list[int], list[float]]] = field(default_factory=dict)
    _lower: dict[tuple[tuple[int, ...], int], list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, inst: Instance, cfg: PlanConfig, plan: WeekPlan, tiers: dict[str, TierSpec],
           dev_ref, ex_ref) -> "_ReasonContext":
        index = {d.id: j for j, d in enumerate(inst.devices)}
        ex_index = {x.id: e for e, x in enumerate(inst.examiners)}
        on: list[list[int]] = [[] for _ in inst.examiners]
        for eid, rows in plan.assignments.items():
            on[ex_index[eid]] = [index[a.device_id] for a in rows]
        free = [float(inst.cap[e] - sum(int(inst.p[j]) for j in on[e])) * UNIT_HOURS
                for e in range(inst.m)]
        tier_rank = {name: i for i, name in enumerate(tiers)}
        planned = {j for rows in on for j in rows}
        waiting_on: list[list[int]] = [[] for _ in inst.examiners]
        for k in range(inst.n):
            if k not in planned:
                for e in inst.elig[k]:
                    waiting_on[int(e)].append(k)
        ctx = cls(inst, cfg, index, tier_rank, on, free, waiting_on, dev_ref, ex_ref)
        for lst in waiting_on:
            lst.sort(key=lambda k: (ctx.rank_of(k), -per_hour(inst, k), k))
        return ctx

    def rank_of(self, j: int) -> int:
        return self.tier_rank.get(self.inst.devices[j].tier, 99)

    def rivals(self, elig: tuple[int, ...]) -> tuple[list[int], list[float]]:
        """Devices planned on any of ``elig``, by weight per hour (highest first), and those rates."""
        if elig not in self._rivals:
            ks = sorted({k for e in elig for k in self.on[e]}, key=lambda k: (-per_hour(self.inst, k), k))
            self._rivals[elig] = (ks, [per_hour(self.inst, k) for k in ks])
        return self._rivals[elig]

    def lower_tier(self, elig: tuple[int, ...], rank: int) -> list[int]:
        """The rivals on ``elig`` of a tier below ``rank``, in the same order."""
        key = (elig, rank)
        if key not in self._lower:
            self._lower[key] = [k for k in self.rivals(elig)[0] if self.rank_of(k) > rank]
        return self._lower[key]

    def ref(self, j: int) -> str:
        d = self.inst.devices[j]
        return f"{self.dev_ref(d.id)} ({d.tier}, {num(work_hours(self.inst, j))} h, {num(per_hour(self.inst, j))}/h)"


def _reason(q: QueueRow, d: PlanDevice, tier: TierSpec, plan: WeekPlan, model: RiskModel, status: str,
            start: float | None, ctx: _ReasonContext, plan_start: PlanStart,
            infeasible: bool, split: bool) -> str:
    inst, j = ctx.inst, ctx.index[d.id]
    parts = [f"{q.tier}" + (f" (score {q.risk.score:g}" + (f": {q.risk.factors_text(model, 2)}"
                                                             if q.risk.contributions else "") + ")"
                            if q.risk.score is not None else "")]
    past = d.age_days - tier.target_days
    parts.append(f"waited {d.age_days:g} d, {past:g} d past its {tier.target_days:g}-d target" if past > 0
                 else f"waited {d.age_days:g} d of a {tier.target_days:g}-d target")
    if q.risk.mismatch:
        parts.append(f"given tier {q.tier}, factors say {q.risk.computed_tier}")
    due_now = d.deadline_hours is not None and d.deadline_hours <= plan.week_hours
    if infeasible:
        gone = d.deadline_hours is not None and d.deadline_hours <= plan_start.from_hour
        parts.append("DEADLINE CANNOT BE MET this week" + (" (it is before the plan start)" if gone else ""))
    elif due_now and status == "planned":
        parts.append(f"deadline {q.deadline:%a %H:%M}{' (' + q.deadline_type + ')' if q.deadline_type else ''}"
                     " kept")
    weight = weight_text(weight_terms(d, ctx.cfg), d)
    rate = f"{num(float(inst.w[j]))} / {hours_text(inst, j)} = {num(per_hour(inst, j))} per examiner hour"
    if status == "planned":
        if split:
            parts.append("first part this week, continues next week")
        why = "placed to meet its deadline; " if due_now and not infeasible else ""
        parts.append(f"starts {week_label(start)}: {why}{weight}; {rate}" + _ahead_of(ctx, j))
    elif not len(inst.elig[j]):
        parts.append(f"not this week ({status}): no examiner with hours this week has skill '{d.skill}' "
                     f"at level {d.accreditation} or above; {weight}")
    else:
        parts.append(f"not this week ({status}): {weight}; {rate}; " + _lost_to(ctx, j))
    return "; ".join(parts)


def _lost_to(ctx: _ReasonContext, j: int) -> str:
    """Why an unplanned device that some examiner could take is not in this week's plan.

    Honest about the mechanism: the plan fills examiner hours with the work worth most per hour
    (a long device has a low rate even at a high weight), so the reason says whether it fitted
    at all, what its rate is against the devices that got those hours, and names lower-tier ones.
    """
    inst = ctx.inst
    elig = tuple(int(e) for e in inst.elig[j])
    names = ", ".join(ctx.ex_ref(inst.examiners[e].id) for e in elig)
    need = work_hours(inst, j)
    most = max(ctx.free[e] for e in elig)
    if most + 1e-9 < need:
        who = (f"the {len(elig)} examiners who could take it ({names}) have" if len(elig) > 1
               else f"the one examiner who could take it ({names}) has")
        text = f"it does not fit: {who} at most {num(most)} h left"
    else:
        best = max(elig, key=lambda e: (ctx.free[e], -e))
        text = (f"it would fit in the {num(ctx.free[best])} h {ctx.ex_ref(inst.examiners[best].id)} has left, but the plan's "
                "search did not place it")
    rivals, rates = ctx.rivals(elig)
    if not rivals:
        return text
    mine = per_hour(inst, j)
    richer = sum(r > mine for r in rates)
    a, b = num_apart(mine, rates[-1])
    if richer == len(rivals):
        text += (f"; their hours went to {len(rivals)} device(s) worth more per hour than its {a} "
                 f"(the lowest {b}, {ctx.dev_ref(inst.devices[rivals[-1]].id)}): the plan gives examiner hours "
                 "first to the work that removes the most risk per hour")
    else:
        text += (f"; their hours went to {len(rivals)} device(s): {richer} worth more per hour than its {a}, "
                 f"{len(rivals) - richer} worth no more per hour but short enough to fit")
    lower = ctx.lower_tier(elig, ctx.rank_of(j))
    if lower:
        text += ("; lower-tier devices among them: " + ", ".join(ctx.ref(k) for k in lower[:3])
                 + (f" and {len(lower) - 3} more" if len(lower) > 3 else ""))
    return text


def _ahead_of(ctx: _ReasonContext, j: int) -> str:
    """For a planned device: higher-tier devices that could use its examiner and wait."""
    e = next(e for e, rows in enumerate(ctx.on) if j in rows)
    rank = ctx.rank_of(j)
    waiting = []
    for k in ctx.waiting_on[e]:
        if ctx.rank_of(k) >= rank:
            break
        waiting.append(k)
    if not waiting:
        return ""
    return ("; planned although higher-tier " + ", ".join(ctx.ref(k) for k in waiting[:2])
            + (f" and {len(waiting) - 2} more" if len(waiting) > 2 else "")
            + " could use this examiner and wait (see their reasons)")


def _warnings(plan: WeekPlan, queue: Sequence[QueueRow], pdev: dict[str, PlanDevice],
              tiers: dict[str, TierSpec], where: dict, start: PlanStart, dev_ref,
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
