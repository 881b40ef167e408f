"""Examiners from a history: headcount per skill by quarter, productive hours, weeks without work.

Why from the exam records: a case system rarely exports HR data, but every examined device names its
examiner, its dates and often its booked hours. An examiner's skills are the skills of the device
types they examined; the fitted scenario's groups are the skill sets seen in the latest quarter.
Productive hours per examiner-week = booked hours / weeks in which the examiner had a device open;
the absence share = weeks in post (first to last examination) with no device open. In a unit with a
backlog examiners are never short of work, so these measure capacity; in a unit without one they
understate it (the report says so).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dfu_sched.calendar import monday_of
from dfu_sched.calibrate.history import HistoryDevice


def quarter_of(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class StaffFit:
    """What the history says about examiners (no examiner reference is kept)."""

    headcount: dict[str, dict[str, int]]        #: quarter -> skill -> distinct examiners
    latest_quarter: str
    groups: dict[tuple[str, ...], int]          #: skill set -> examiners in the latest quarter
    examiners: int
    examiner_weeks: int                         #: weeks with a device open, summed over examiners
    booked_hours: float
    productive_hours_per_week: float | None     #: booked hours / examiner-weeks (None without booked hours)
    absence_share: float | None                 #: weeks in post with nothing open / weeks in post
    booked_share: float                         #: share of examined devices with booked hours
    #: booked hours / examiner-weeks per skill set (examiners grouped by the skills they used)
    productive_by_group: dict[tuple[str, ...], float] = field(default_factory=dict)


def fit_staff(devices: Sequence[HistoryDevice], skill_of: Mapping[str, str]) -> StaffFit | None:
    """Examiner statistics from devices with an examiner and an exam start; ``None`` if there are none."""
    worked = [d for d in devices if d.examiner_id and d.exam_start is not None and d.device_type in skill_of]
    if not worked:
        return None
    skills: dict[str, set[str]] = defaultdict(set)
    weeks: dict[str, set[dt.date]] = defaultdict(set)
    by_quarter: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    booked, n_booked = 0.0, 0
    booked_by: dict[str, float] = defaultdict(float)
    for d in worked:
        assert d.examiner_id is not None and d.exam_start is not None
        skill = skill_of[d.device_type]
        skills[d.examiner_id].add(skill)
        end = d.exam_end or d.exam_start
        week = monday_of(d.exam_start)
        while week <= end:
            weeks[d.examiner_id].add(week)
            by_quarter[quarter_of(week)][skill].add(d.examiner_id)
            week += dt.timedelta(weeks=1)
        if d.exam_hours is not None and d.exam_hours > 0:
            booked += d.exam_hours
            booked_by[d.examiner_id] += d.exam_hours
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
    active = sum(len(w) for w in weeks.values())
    by_group: dict[tuple[str, ...], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for e, w in weeks.items():
        acc = by_group[tuple(sorted(skills[e]))]
        acc[0] += booked_by[e]
        acc[1] += len(w)
    tenure = sum((max(w) - min(w)).days // 7 + 1 for w in weeks.values())
    return StaffFit(
        headcount={q: {s: len(by_quarter[q][s]) for s in sorted(by_quarter[q])} for q in quarters},
        latest_quarter=latest, groups=dict(sorted(groups.items())), examiners=len(skills),
        examiner_weeks=active, booked_hours=booked,
        productive_hours_per_week=booked / active if n_booked else None,
        absence_share=1 - active / tenure if tenure >= 26 else None,
        booked_share=n_booked / len(worked),
        productive_by_group={k: h / n for k, (h, n) in sorted(by_group.items()) if n and h} if n_booked else {})


def _partial(quarter: str, last_day: dt.date) -> bool:
    """True when the history ends before the last month of ``quarter`` is half over."""
    year, q = int(quarter[:4]), int(quarter[-1])
    return (last_day.year, last_day.month) == (year, 3 * q) and last_day.day < 15 or \
        (last_day.year == year and last_day.month < 3 * q)
