"""Examiners from a history: headcount per skill by quarter, capacity per examiner-week.

Why from the exam records: a case system rarely exports HR data, but every examined device names its
examiner, its dates and often its booked hours. An examiner's skills are the skills of the device
types they examined; the fitted scenario's groups are the skill sets seen in the latest quarter.

Why *saturated* weeks: booked hours divided by every week in post counts idle time (nothing waiting)
as slow work, and at a utilisation near 1 a few per cent too little capacity makes a simulated
backlog explode. So capacity is measured only in examiner-weeks in which the examiner could not have
been idle for want of work: a device of one of their skills was waiting at the start of every
weekday of the week and of the following Saturday (the ``waiting_at`` rule, day by day; a Monday-only
test lets in weeks whose queue emptied mid-week, and under-stated capacity by 5% on the example).
Each device's booked hours are spread evenly over the working days (Mon-Fri) of its examination,
and summed per examiner-week. Weeks outside the window, outside the examiner's
time in post, or touching a device of theirs without booked hours or still open are left out (they
would under-count). The result is hours actually delivered per examiner-week, absences included: in
the scenario's terms ``hours_per_week x productivity x (1 - absence)``. Its standard error comes from
means of blocks of four consecutive weeks per examiner (a device's hours are shared between weeks, so
single weeks are not independent). ``absence_share`` (weeks in post with nothing open) is reported
only: a device spans an absent day, so the history cannot separate absence from slower work.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from dfu_sched.calendar import monday_of
from dfu_sched.calibrate.history import HistoryDevice

BLOCK_WEEKS = 4  #: consecutive saturated weeks per block for the standard error
WEEK = dt.timedelta(weeks=1)
DAY = dt.timedelta(days=1)


def quarter_of(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class StaffFit:
    """What the history says about examiners (no examiner reference is kept)."""

    headcount: dict[str, dict[str, int]]        #: quarter -> skill -> distinct examiners
    latest_quarter: str
    groups: dict[tuple[str, ...], int]          #: skill set -> examiners in the latest quarter
    examiners: int
    examiner_weeks: int                         #: saturated examiner-weeks the capacity is measured on
    booked_hours: float
    #: mean booked hours per saturated examiner-week (None without booked hours or saturated weeks)
    productive_hours_per_week: float | None
    absence_share: float | None                 #: weeks in post with nothing open / weeks in post (reported only)
    booked_share: float                         #: share of examined devices with booked hours
    #: the same per skill set (examiners grouped by the skills they used)
    productive_by_group: dict[tuple[str, ...], float] = field(default_factory=dict)
    productive_se: float | None = None          #: SE of productive_hours_per_week (4-week block means)
    productive_se_by_group: dict[tuple[str, ...], float] = field(default_factory=dict)
    weeks_in_post: int = 0                      #: examiner-weeks in post inside the window


def fit_staff(devices: Sequence[HistoryDevice], skill_of: Mapping[str, str], start: dt.date | None = None,
              end: dt.date | None = None) -> StaffFit | None:
    """Examiner statistics from ``devices`` (the whole history: work on devices submitted before ``start``
    counts too); capacity measured in saturated weeks inside [start, end]. ``None`` without examiners."""
    known = [d for d in devices if d.device_type in skill_of]
    worked = [d for d in known if d.examiner_id and d.exam_start is not None]
    if not worked:
        return None
    skills: dict[str, set[str]] = defaultdict(set)
    weeks: dict[str, set[dt.date]] = defaultdict(set)
    by_quarter: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    booked, n_booked = 0.0, 0
    for d in worked:
        assert d.examiner_id is not None and d.exam_start is not None
        skill = skill_of[d.device_type]
        skills[d.examiner_id].add(skill)
        week = monday_of(d.exam_start)
        while week <= (d.exam_end or d.exam_start):
            weeks[d.examiner_id].add(week)
            by_quarter[quarter_of(week)][skill].add(d.examiner_id)
            week += WEEK
        if d.exam_hours is not None and d.exam_hours > 0:
            booked += d.exam_hours
            n_booked += 1
    quarters = sorted(by_quarter)
    latest = quarters[-1]
    last_day = max(d.exam_end or d.exam_start or d.submitted for d in worked)
    if len(quarters) > 1 and _partial(latest, last_day):
        latest = quarters[-2]
    in_latest = {e for s in by_quarter[latest].values() for e in s}
    groups: dict[tuple[str, ...], int] = defaultdict(int)
    for e in in_latest:
        groups[tuple(sorted(skills[e]))] += 1
    lo = start or min(d.submitted for d in known)
    hi = end or last_day
    sat = saturated_week_hours(known, worked, skill_of, skills, lo, hi)
    tenure = sum((max(w) - min(w)).days // 7 + 1 for w in weeks.values())
    active = sum(len(w) for w in weeks.values())
    everyone = [h for per in sat.values() for h in per.values()]
    by_group: dict[tuple[str, ...], dict[str, dict[dt.date, float]]] = defaultdict(dict)
    for e, per in sat.items():
        by_group[tuple(sorted(skills[e]))][e] = per
    mean, se = _mean_se(sat) if everyone and n_booked else (None, None)
    group_stats = {k: _mean_se(v) for k, v in sorted(by_group.items()) if any(v.values())} if n_booked else {}
    return StaffFit(
        headcount={q: {s: len(by_quarter[q][s]) for s in sorted(by_quarter[q])} for q in quarters},
        latest_quarter=latest, groups=dict(sorted(groups.items())), examiners=len(skills),
        examiner_weeks=len(everyone), booked_hours=booked, productive_hours_per_week=mean,
        absence_share=1 - active / tenure if tenure >= 26 else None,
        booked_share=n_booked / len(worked),
        productive_by_group={k: m for k, (m, _) in group_stats.items() if m is not None},
        productive_se=se,
        productive_se_by_group={k: s for k, (_, s) in group_stats.items() if s is not None},
        weeks_in_post=sum(len([m for m in _span(w) if lo <= m and m + 4 * DAY <= hi]) for w in weeks.values()))



def _span(w: set[dt.date]) -> list[dt.date]:
    out, m = [], min(w)
    while m <= max(w):
        out.append(m)
        m += WEEK
    return out


def saturated_week_hours(known: Sequence[HistoryDevice], worked: Sequence[HistoryDevice],
                         skill_of: Mapping[str, str], skills: Mapping[str, set[str]], start: dt.date,
                         end: dt.date) -> dict[str, dict[dt.date, float]]:
    """examiner -> Monday -> booked hours delivered that week, for the examiner's saturated weeks only.

    A week counts when it lies inside [start, end] and the examiner's time in post, a device of one of
    their skills was waiting at the start of each of its weekdays and of the following Saturday, and
    no device of theirs without booked hours (or still open) touches it. Booked hours are spread
    evenly over the exam's working days (all its days if none is a weekday)."""
    waiting = _Waiting(known, skill_of)
    hours: dict[str, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    blocked: dict[str, set[dt.date]] = defaultdict(set)
    first: dict[str, dt.date] = {}
    last: dict[str, dt.date] = {}
    for d in worked:
        assert d.examiner_id is not None and d.exam_start is not None
        e = d.examiner_id
        first[e] = min(first.get(e, d.exam_start), monday_of(d.exam_start))
        stop = d.exam_end if d.exam_end is not None else end
        last[e] = max(last.get(e, stop), stop)
        days = [d.exam_start + k * DAY for k in range((stop - d.exam_start).days + 1)]
        if d.exam_end is None or d.exam_hours is None or d.exam_hours <= 0:
            blocked[e].update(monday_of(x) for x in days)
            continue
        work = [x for x in days if x.weekday() < 5] or days
        for x in work:
            hours[e][monday_of(x)] += d.exam_hours / len(work)
    out: dict[str, dict[dt.date, float]] = {}
    for e in first:
        per: dict[dt.date, float] = {}
        m = first[e]
        while m + 4 * DAY <= last[e]:  # the week's Friday still in post
            if m >= start and m + 4 * DAY <= end and m not in blocked[e] \
                    and waiting.saturated(skills[e], m):
                per[m] = hours[e].get(m, 0.0)
            m += WEEK
        out[e] = per
    return out


class _Waiting:
    """Devices of each skill waiting at the start of each day (``waiting_at``'s rule), by day offset."""

    def __init__(self, known: Sequence[HistoryDevice], skill_of: Mapping[str, str]):
        days = [d.submitted for d in known] + [x for d in known for x in (d.exam_start, d.exam_end) if x]
        self.first = min(days)
        n = (max(days) - self.first).days + 9
        diff: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(n + 1, dtype=np.int64))
        for d in known:
            if d.status in ("withdrawn", "screened_out") or (d.exam_start is None and d.status == "completed"):
                continue
            # waiting at the start of day t when submitted < t <= exam_start (or still unstarted)
            lo = (d.submitted - self.first).days + 1
            hi = (d.exam_start - self.first).days + 1 if d.exam_start is not None else n
            if hi > lo:
                arr = diff[skill_of[d.device_type]]
                arr[lo] += 1
                arr[hi] -= 1
        self.counts = {k: np.cumsum(v)[:n] for k, v in diff.items()}
        self.n = n

    def saturated(self, skills: set[str], monday: dt.date) -> bool:
        """A device of one of ``skills`` waiting at the start of every weekday of the week and of the
        following Saturday (so the examiner never ran out of work that week)."""
        i = (monday - self.first).days
        if i < 0 or i + 6 > self.n:
            return False
        total = sum((self.counts[s][i:i + 6] for s in skills if s in self.counts), np.zeros(6, dtype=np.int64))
        return bool(np.all(total >= 1))


def _mean_se(per_examiner: Mapping[str, Mapping[dt.date, float]]) -> tuple[float | None, float | None]:
    """Mean hours per saturated examiner-week, and its SE from 4-week block means per examiner."""
    values = [h for per in per_examiner.values() for h in per.values()]
    if not values:
        return None, None
    blocks = []
    for per in per_examiner.values():
        hs = [per[m] for m in sorted(per)]
        blocks += [float(np.mean(hs[i:i + BLOCK_WEEKS])) for i in range(0, len(hs) - BLOCK_WEEKS + 1, BLOCK_WEEKS)]
    se = float(np.std(blocks, ddof=1) / math.sqrt(len(blocks))) if len(blocks) >= 2 else None
    return float(np.mean(values)), se


def _partial(quarter: str, last_day: dt.date) -> bool:
    """True when the history ends before the last month of ``quarter`` is half over."""
    year, q = int(quarter[:4]), int(quarter[-1])
    return (last_day.year, last_day.month) == (year, 3 * q) and last_day.day < 15 or \
        (last_day.year == year and last_day.month < 3 * q)
