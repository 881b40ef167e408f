"""What a history says actually happened, month by month: the back-test's "actual" line.

Why pure functions over :class:`HistoryDevice` records: the back-test's verdict is only as good
as these three numbers, so each is small enough to check by hand on a made-up history (the tests
do). The simulated side (``calibrate.backtest``) computes the same three numbers in the same
calendar-day arithmetic, so a difference is the model's, not the bookkeeping's:

* backlog -- devices awaiting examination at the end of the month (``waiting_at`` the first day
  of the next window: submitted, not withdrawn or screened out, examination not yet started);
* median wait -- days from submission to the start of examination (date difference), over the
  examinations that started in the month (``None`` when none did);
* examined -- devices whose examination ended in the month.

A window is a calendar month clipped to the back-test period, ``[first day, day after last)``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dfu_sched.calibrate.history import History, HistoryDevice, waiting_at

#: The back-test's series, in report order, with the words a manager reads.
SERIES = {
    "backlog": "Devices awaiting examination at month end",
    "median_wait_days": "Median wait to start of examination, days (examinations started in the month)",
    "examined": "Devices examined in the month",
}


@dataclass(frozen=True)
class Window:
    """One month of the back-test: days ``first`` up to (not including) ``stop``."""

    first: dt.date
    stop: dt.date

    @property
    def label(self) -> str:
        return self.first.strftime("%Y-%m")


def month_windows(start: dt.date, end: dt.date) -> list[Window]:
    """Calendar months from ``start`` to ``end`` (both days included), the first and last clipped."""
    if end < start:
        raise ValueError("the back-test period ends before it starts")
    out, first = [], start
    stop_all = end + dt.timedelta(days=1)
    while first < stop_all:
        nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        stop = min(nxt, stop_all)
        out.append(Window(first, stop))
        first = stop
    return out


def backlog_at(history: History, day: dt.date) -> int:
    """Devices awaiting examination at the start of ``day`` (see ``calibrate.history.waiting_at``)."""
    return len(waiting_at(history, day))


def _started_in(devices: Sequence[HistoryDevice], w: Window) -> list[HistoryDevice]:
    return [d for d in devices if d.exam_start is not None and w.first <= d.exam_start < w.stop
            and d.status not in ("withdrawn", "screened_out")]


def median_wait_days(devices: Sequence[HistoryDevice], w: Window) -> float | None:
    """Median of (exam start - submitted) in days over examinations started in ``w``; ``None`` if none."""
    waits = [(d.exam_start - d.submitted).days for d in _started_in(devices, w) if d.exam_start is not None]
    return float(np.median(waits)) if waits else None


def examined_in(devices: Sequence[HistoryDevice], w: Window) -> int:
    """Devices whose examination ended in ``w``."""
    return sum(1 for d in devices if d.exam_end is not None and w.first <= d.exam_end < w.stop
               and d.status not in ("withdrawn", "screened_out"))


def actual_series(history: History, windows: Sequence[Window]) -> dict[str, list[float | None]]:
    """The three series of :data:`SERIES`, one value per window (``None`` = nothing to measure)."""
    devices = history.devices
    return {
        "backlog": [float(backlog_at(history, w.stop)) for w in windows],
        "median_wait_days": [median_wait_days(devices, w) for w in windows],
        "examined": [float(examined_in(devices, w)) for w in windows],
    }


def in_progress_at(history: History, day: dt.date) -> list[HistoryDevice]:
    """Devices under examination at the start of ``day``: started before it, not ended before it."""
    return [d for d in history.devices
            if d.status not in ("withdrawn", "screened_out") and d.submitted < day
            and d.exam_start is not None and d.exam_start < day
            and (d.exam_end is None and d.status != "completed" or d.exam_end is not None and d.exam_end >= day)]
