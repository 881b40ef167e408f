"""One-line reasons for the weekly plan's rows, built from the optimiser's own numbers.

Why it exists: a Monday meeting must be able to check why a device is in this week's plan or
not. Reasons are built from :func:`~dfu_sched.optimiser.model.weight_terms` and the slot lengths
of the instance the optimiser solved, so every figure printed in a reason is the one the plan
used, term by term. Honest about the mechanism: the plan fills examiner hours with the work
worth most per hour, and a reason says so.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from dfu_sched.optimiser.model import UNIT_HOURS, Instance, PlanConfig, PlanDevice, WeekPlan, WeightTerms, weight_terms
from dfu_sched.plan.clock import PlanStart, week_label
from dfu_sched.plan.files import QueueRow, TierSpec
from dfu_sched.plan.risk import RiskModel

#: A reference as an output prints it (itself, or its pseudonym).
RefFn = Callable[[str], str]

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
class ReasonContext:
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
    dev_ref: RefFn
    ex_ref: RefFn
    _rivals: dict[tuple[int, ...], tuple[list[int], list[float]]] = field(default_factory=dict)
    _lower: dict[tuple[tuple[int, ...], int], list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, inst: Instance, cfg: PlanConfig, plan: WeekPlan, tiers: dict[str, TierSpec],
           dev_ref, ex_ref) -> ReasonContext:
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


def reason(q: QueueRow, d: PlanDevice, tier: TierSpec, plan: WeekPlan, model: RiskModel, status: str,
            start: float | None, ctx: ReasonContext, plan_start: PlanStart,
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
        assert start is not None  # a planned device has a start
        parts.append(f"starts {week_label(start)}: {why}{weight}; {rate}" + _ahead_of(ctx, j))
    elif not len(inst.elig[j]):
        parts.append(f"not this week ({status}): no examiner with hours this week has skill '{d.skill}' "
                     f"at level {d.accreditation} or above; {weight}")
    else:
        parts.append(f"not this week ({status}): {weight}; {rate}; " + _lost_to(ctx, j))
    return "; ".join(parts)


def _lost_to(ctx: ReasonContext, j: int) -> str:
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
        text = (f"it would fit in the {num(ctx.free[best])} h {ctx.ex_ref(inst.examiners[best].id)} has left, "
                "but the plan's search did not place it")
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


def _ahead_of(ctx: ReasonContext, j: int) -> str:
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
