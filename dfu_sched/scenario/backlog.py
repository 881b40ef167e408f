"""Backlog entries from a list of real devices: a queue file or a history's state on one day.

Why: the scenario's ``backlog:`` was a count and an age spread; a unit's real queue is a list of
devices, each with its own age, tier and type (and, from a queue file, estimated hours). One
function turns such a list into ordinary scenario backlog entries (``count`` devices of one type,
tier and exact age), so ``simulate --queue``, ``fit`` and ``backtest`` all start from the same
thing and the scenario file stays a normal, readable scenario.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class BacklogDevice:
    """One waiting device: type, tier, age in days at hour 0, optional examination hours and
    expedite flag (``None``: drawn as for the scenario's own backlog)."""

    device_type: str
    tier: str
    age_days: float
    exam_hours: float | None = None
    expedite: bool | None = None


def backlog_entries(devices: Iterable[BacklogDevice], age_resolution_days: float = 1.0) -> list[dict]:
    """Scenario ``backlog:`` entries, one per (type, tier, age rounded to ``age_resolution_days``,
    hours, expedite), with ``age_days`` a fixed distribution; ordered oldest first. ``exam_hours``
    and ``expedite`` are only written when given (the schema fields that carry them are optional)."""
    groups: Counter[tuple[str, str, float, float | None, bool | None]] = Counter()
    for d in devices:
        age = round(max(0.0, d.age_days) / age_resolution_days) * age_resolution_days
        groups[(d.device_type, d.tier, age, d.exam_hours, d.expedite)] += 1
    out = []
    for (dtype, tier, age, hours, expedite), n in sorted(
            groups.items(), key=lambda kv: (-kv[0][2], kv[0][0], kv[0][1], kv[0][3] or 0.0,
                                            -1 if kv[0][4] is None else int(kv[0][4]))):
        e: dict = {"device_type": dtype, "tier": tier, "count": n, "age_days": {"dist": "fixed", "value": age}}
        if hours is not None:
            e["exam_hours"] = hours
        if expedite is not None:
            e["expedite"] = expedite
        out.append(e)
    return out
