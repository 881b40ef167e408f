"""Targets a manager can ask for ('VH+H.wait_to_start_days.p90<=7 by 2024-04-01') and the window measures they need.

Why a module: a target is read from the command line (``parse_target``, ``parse_by``), names a
measure the core does not compute (waits of examinations starting *from* a week to the horizon),
and is judged by the search; the reading, the measure and the judgement live here together.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import numpy as np

from dfu_sched.calendar import HOURS_PER_WEEK
from dfu_sched.errors import InputError
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.workload import Workload

NAMED_TARGETS = {
    "high-risk-week": "VH+H.wait_to_start_days.p90<=7",
    "vh-day": "VH.wait_to_start_days.p90<=1",
    "72h": "overall.wait_to_start_days.mean<=3",
    "30d": "overall.wait_to_start_days.mean<=30",
}
_TARGET_RE = re.compile(r"^\s*([A-Za-z0-9_.+\-]+)\s*(<=|>=|<|>)\s*(-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*$")
WINDOW_STATS = ("mean", "p50", "p90", "p95", "max")


@dataclass(frozen=True)
class Target:
    """``KEY OP VALUE``; wait keys (``SCOPE.wait_to_start_days.STAT``, SCOPE a tier, tiers joined by
    '+', or 'overall') are measured on examinations starting from ``from_week`` to the horizon."""

    expression: str
    key: str
    op: str
    value: float
    from_week: float

    @property
    def window(self) -> tuple[str, str] | None:
        parts = self.key.split(".")
        if len(parts) == 3 and parts[1] == "wait_to_start_days":
            return parts[0], parts[2]
        if len(parts) == 2 and parts[1] == "within_target_share":
            return parts[0], "within_target_share"
        return None

    @property
    def result_key(self) -> str:
        w = self.window
        return f"window.{w[0]}.{w[1]}" if w else self.key

    def met(self, value: float) -> bool:
        if value is None or not np.isfinite(value):
            return False
        return {"<=": value <= self.value + 1e-12, "<": value < self.value, ">=": value >= self.value - 1e-12,
                ">": value > self.value}[self.op]

    def improvement(self, base: float, value: float) -> float:
        """Positive when ``value`` is closer to meeting the target than ``base``."""
        return (base - value) if self.op in ("<=", "<") else (value - base)


def parse_target(text: str, sc: Scenario, from_week: float) -> Target:
    expr = NAMED_TARGETS.get(text.strip(), text)
    m = _TARGET_RE.match(expr)
    if not m:
        raise InputError(f"--target: cannot read '{text}'; write KEY<=VALUE (e.g. 'VH+H.wait_to_start_days.p90<=7') "
                         f"or a name ({', '.join(NAMED_TARGETS)})")
    key, op, value = m.group(1), m.group(2), float(m.group(3))
    if not math.isfinite(value):  # 400 digits read as inf
        raise InputError("--target: the value must be a finite number")
    t = Target(expr, key, op, value, from_week)
    if t.window:
        scope, stat = t.window
        for tier in scope.split("+"):
            if tier != "overall" and tier not in sc.tier_names:
                raise InputError(f"--target: unknown tier '{tier}' (known: {', '.join(sc.tier_names)}, overall)")
        if stat not in WINDOW_STATS + ("within_target_share",):
            raise InputError(f"--target: unknown statistic '{stat}' (use one of {', '.join(WINDOW_STATS)})")
    return t


def parse_by(text: str | None, sc: Scenario) -> float:
    """``--by``: a date (YYYY-MM-DD) or a week number, as a week from the calendar start."""
    if text is None:
        return 0.0
    try:
        week = float(text)
    except ValueError:
        try:
            d = dt.date.fromisoformat(text)
        except ValueError:
            raise InputError(f"--by: '{text}' is neither a date (YYYY-MM-DD) nor a week number") from None
        week = (d - sc.calendar.start_date).days / 7.0
    if not math.isfinite(week) or week < 0 or week > sc.calendar.horizon_weeks - 4:  # nan fails every comparison
        raise InputError(f"--by: week {week:.1f} must lie between 0 and 4 weeks before the horizon "
                         f"({sc.calendar.horizon_weeks} weeks from {sc.calendar.start_date})")
    return week


def window_measures(sc: Scenario, wl: Workload, start_h: np.ndarray, wait: np.ndarray, window: dict,
                    out: dict) -> None:
    """Waits of examinations starting in [from_week, horizon), for the scopes a target names."""
    w0 = window["from_week"] * HOURS_PER_WEEK
    H = sc.calendar.horizon_weeks * HOURS_PER_WEEK
    started = (start_h >= w0) & (start_h < H)
    targets = np.array([t.target_days for t in sc.tiers])
    for scope in window["scopes"]:
        if scope == "overall":
            rows = started
        else:
            idx = [sc.tier_names.index(t) for t in scope.split("+")]
            rows = started & np.isin(wl.tier, idx)
        x = wait[rows]
        for stat in WINDOW_STATS:
            if x.size == 0:
                v = np.nan
            elif stat == "mean":
                v = float(x.mean())
            elif stat == "max":
                v = float(x.max())
            else:
                v = float(np.percentile(x, int(stat[1:])))
            out[f"window.{scope}.{stat}"] = v
        out[f"window.{scope}.within_target_share"] = float((x <= targets[wl.tier[rows]]).mean()) if x.size else np.nan


def target_value_or_worst(v: float | None, tgt: Target) -> float:
    """The value, or the worst possible one when it is unknown (no examination started in the window)."""
    if v is None or not np.isfinite(v):
        return np.inf if tgt.op in ("<=", "<") else -np.inf
    return float(v)


def window_request(tgt: Target | None) -> dict | None:
    """What ``window_measures`` must compute for a target (None: the target needs no window)."""
    if tgt is None or not tgt.window:
        return None
    return {"from_week": tgt.from_week, "scopes": sorted({tgt.window[0], "overall"})}
