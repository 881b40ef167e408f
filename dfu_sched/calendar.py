"""One clock for every wing: the simulation's hour axis, weekdays, stages, Monday-of-week.

The simulation runs in hours from the scenario's start date; the weekly plan runs in hours from a
Monday 00:00; files and reports speak in dates and weekday names. Before this module each of those
spelled its own ``["Mon", "Tue", ...]`` and its own 168, and a rename in one place silently broke
another. Everything that converts between days, hours and weekdays imports from here.

(The name shadows the standard library's ``calendar`` only inside this package's namespace; it is
always imported as ``dfu_sched.calendar``.)
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

#: Weekday names as files, scenarios and reports spell them, Monday first (``date.weekday()`` order).
WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
Weekday = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
#: The default working week.
WORKING_DAYS: tuple[str, ...] = WEEKDAYS[:5]

HOURS_PER_DAY = 24.0
HOURS_PER_WEEK = 168.0
DAYS_PER_WEEK = 7

#: The stages a device passes through, in order (the simulation's and the reports' names).
STAGES: tuple[str, ...] = ("triage", "extraction", "examination", "report")


def days(hours: float) -> float:
    """Hours on the simulation axis as days."""
    return hours / HOURS_PER_DAY


def hours(days_: float) -> float:
    """Days as hours on the simulation axis."""
    return days_ * HOURS_PER_DAY


def monday_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week (weeks run Monday to Sunday, as the weekly plan does)."""
    return day - dt.timedelta(days=day.weekday())


def weekday_index(name: str) -> int:
    """0 for ``"Mon"`` ... 6 for ``"Sun"``; ``ValueError`` for anything else."""
    return WEEKDAYS.index(name)
