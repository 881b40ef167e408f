"""Where the weekly plan starts on its week axis, and examiners' working windows on that axis.

Why it exists: the plan's hours run from a Monday 00:00 (``dfu_sched.calendar.monday_of``), and
turning "now" or ``--week`` and a staff row into hours on that axis is one idea, used by the
plan inputs, the explained rows and the CLI alike.

Where the plan starts: ``--week`` plans a whole week from its Monday 00:00; without it the plan
starts at the next working time after "now" (:func:`next_working_time`), because planning a
Tuesday from Monday 00:00 would place work in hours that have already gone. The week axis
stays Monday 00:00, so times and deadlines keep one meaning; only the examiners' windows are
cut at the start.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from dfu_sched.calendar import HOURS_PER_DAY, WEEKDAYS, WORKING_DAYS, monday_of
from dfu_sched.optimiser.model import UNIT_HOURS
from dfu_sched.plan.files import StaffRow


def week_label(hours: float) -> str:
    """'Tue 09:30' for an hour on the week axis.

    Rounded once, to the whole minute, before splitting into day, hour and minute: rounding
    only the minutes turned 8.9999 h into '08:60'.
    """
    minutes = int(round(hours * 60))
    day, rest = divmod(minutes, int(HOURS_PER_DAY) * 60)
    h, m = divmod(rest, 60)
    name = WEEKDAYS[day] if 0 <= day < len(WEEKDAYS) else f"day {day + 1}"
    return f"{name} {h:02d}:{m:02d}"


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


def slot_windows(s: StaffRow) -> list[tuple[float, float]]:
    """The examiner's working windows cut to whole 30-minute slots, so no hour is lost.

    ``staff_windows`` spreads the hours evenly (36 h over 5 days: 7.2 h a day), but the plan
    works in 30-minute slots and a 7.2 h day holds only 14 of them (7 h): 1 h a week silently
    lost. Here the slots are spread instead (15, 15, 14, 14, 14 = 36 h), earlier days first;
    only hours that are not a multiple of 30 minutes (36.2 h) cannot be planned, and the plan
    reports them (``hours_usable`` and a warning).
    """
    windows = staff_windows(s)
    if not windows:
        return windows
    slots = int(s.hours / UNIT_HOURS + 1e-9)
    base, extra = divmod(slots, len(windows))
    return [(a, a + UNIT_HOURS * (base + (1 if k < extra else 0)))
            for k, (a, _b) in enumerate(windows)]


def staff_windows(s: StaffRow) -> list[tuple[float, float]]:
    """Working windows on the week axis (hours from Monday 00:00): hours spread over days worked."""
    days = [d for d in range(len(WORKING_DAYS)) if d not in s.days_off]
    if not days or s.hours <= 0:
        return []
    per_day = s.hours / len(days)
    return [(HOURS_PER_DAY * d + s.start_hour, HOURS_PER_DAY * d + s.start_hour + per_day) for d in days]
