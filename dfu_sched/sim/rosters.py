"""Rosters as numbers: each server's shifts over the horizon, its ramp-up, its runs of shifts.

Why a module of its own: the model's processes only read these lists; how a roster, absence,
start and leave weeks become shift starts and ends is plain numpy, checked on its own
(``tests/sim/test_model.py``), and kept apart so the SimPy model stays a readable size.

Two pure functions walk a server's shifts where the model once spent events (issue 13): a job
over its shifts to its end (``walk_job``), and an idle server through the shifts it slept
(``idle_until``). Each returns the times those events would have had, float for float.
"""
from __future__ import annotations

from bisect import bisect_right

import numpy as np

from dfu_sched.calendar import HOURS_PER_WEEK, WEEKDAYS
from dfu_sched.scenario.schema import ExaminerGroup, Roster

EPS = 1e-9


def shift_table(roster: Roster | ExaminerGroup, start_weekday: int, horizon_h: float,
                absent_days: np.ndarray | None = None, start_h: float = 0.0,
                end_h: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sorted shift starts and ends (hours) over the horizon for one server."""
    end_h = horizon_h if end_h is None else min(end_h, horizon_h)
    if end_h <= start_h:
        return np.zeros(0), np.zeros(0)
    if roster.continuous:
        # Week-long back-to-back segments, so ramp-up (a per-shift rate) still moves weekly.
        cuts = np.arange(np.floor(start_h / HOURS_PER_WEEK) + 1, np.ceil(end_h / HOURS_PER_WEEK)) * HOURS_PER_WEEK
        edges = np.concatenate([[start_h], cuts, [end_h]])
        return edges[:-1], edges[1:]
    days = sorted({WEEKDAYS.index(d) for d in roster.days})
    per_day = (roster.hours_per_week / len(days)) if isinstance(roster, ExaminerGroup) else roster.hours_per_day
    n_days = int(np.ceil(horizon_h / 24.0)) + 1
    d = np.arange(n_days)
    on_day: np.ndarray = np.zeros(7, bool)
    on_day[days] = True
    mask = on_day[(start_weekday + d) % 7]  # ``np.isin`` on seven weekdays, as a lookup
    if absent_days is not None:
        mask &= ~absent_days[:n_days]
    starts = d[mask] * 24.0 + roster.start_hour
    ends = starts + per_day
    starts = np.maximum(starts, start_h)
    ends = np.minimum(ends, end_h)
    keep = ends > starts + EPS
    return starts[keep], ends[keep]


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def ramp_factor(group: ExaminerGroup, starts: np.ndarray) -> np.ndarray:
    """Share of full productivity at each shift start: linear from ``ramp_up_start`` to 1."""
    if group.ramp_up_weeks <= 0:
        return np.ones(len(starts))
    weeks_in = (starts - group.start_week * HOURS_PER_WEEK) / HOURS_PER_WEEK
    frac = np.clip(weeks_in / group.ramp_up_weeks, 0.0, 1.0)
    return group.ramp_up_start + (1.0 - group.ramp_up_start) * frac


def run_ends(starts: list[float], ends: list[float]) -> list[float]:
    """For each shift, the end of the unbroken run of shifts it belongs to (each next shift
    starting exactly where the last ended)."""
    n = len(ends)
    if n == 0:
        return []
    s, e = np.asarray(starts, float), np.asarray(ends, float)
    last: np.ndarray = np.append(np.flatnonzero(s[1:] != e[:-1]), n - 1)  # the last shift of each run
    return e[last[np.searchsorted(last, np.arange(n))]].tolist()


def walk_job(starts: list[float], ends: list[float], rates: list[float], t: float, rem: float,
             window: tuple[float, float]) -> tuple[float, float, float, bool]:
    """A job of ``rem`` working hours taken up at ``t`` by a server with these shifts, walked over
    its shifts to its end: ``(time, work left, busy hours in the window, done)``. Not done: the
    shifts ran out at ``time`` with that work left (the device goes back to the queue).

    The float operations are those the model did with one event per segment: SimPy adds each
    delay to the clock (``t + (seg_end - t)``, pauses to the next shift likewise), a segment ends at
    the shift's end or ``t + rem / rate``, and a job within ``EPS`` of its end is done. So the
    time returned is, bit for bit, the time of the last of those events."""
    n = len(starts)
    w0, w1 = window
    busy = 0.0
    while rem > EPS:
        j = bisect_right(ends, t)
        if j >= n:
            return t, rem, busy, False
        if t < starts[j]:  # paused between shifts
            t = t + (starts[j] - t)
            continue
        rate = rates[j]
        finish = t + rem / rate
        seg_end = ends[j]
        if finish < seg_end:
            seg_end = finish
        # busy += max(0, min(seg_end, w1) - max(t, w0)), without three calls a segment
        a, b = (seg_end if seg_end < w1 else w1), (t if t > w0 else w0)
        if a > b:
            busy += a - b
        if seg_end >= finish - EPS:
            return t + (seg_end - t), 0.0, busy, True
        rem -= (seg_end - t) * rate
        t = t + (seg_end - t)
    return t, rem, busy, True


def idle_until(starts: list[float], ends: list[float], run_end: list[float], t: float, now: float,
               horizon: float) -> tuple[int, float, bool] | None:
    """Where a server that has had nothing to do since ``t`` (off shift then) stands at ``now``,
    had it woken at each shift start, found nothing, waited to the end of its run of shifts and
    slept again, with the event times that chain would have had (each delay added to the clock):
    ``(j, woke, True)`` when it is on shift ``j`` since ``woke`` (waiting for work there);
    ``(j, woke, False)`` when it sleeps until ``woke`` (at or after ``now``), the start of shift ``j``;
    ``None`` when no shift is left."""
    n = len(starts)
    while True:
        j = bisect_right(ends, t)
        if j >= n:
            return None
        if t < starts[j]:
            woke = t + (starts[j] - t)
            if woke >= now:
                return j, woke, False
            t = woke
            continue
        until = run_end[j]
        if until >= horizon or t + (until - t) > now:
            return j, t, True
        t = t + (until - t)
