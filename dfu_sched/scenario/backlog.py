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
    """One waiting device: type, tier, age in days at hour 0, optional examination hours."""

    device_type: str
    tier: str
    age_days: float
    exam_hours: float | None = None


def backlog_entries(devices: Iterable[BacklogDevice], age_resolution_days: float = 1.0) -> list[dict]:
    """Scenario ``backlog:`` entries, one per (type, tier, age rounded to ``age_resolution_days``,
    hours), with ``age_days`` a fixed distribution; ordered oldest first. ``exam_hours`` is only
    written when given (the schema field that carries it is optional)."""
    groups: Counter[tuple[str, str, float, float | None]] = Counter()
    for d in devices:
        age = round(max(0.0, d.age_days) / age_resolution_days) * age_resolution_days
        groups[(d.device_type, d.tier, age, d.exam_hours)] += 1
    out = []
    for (dtype, tier, age, hours), n in sorted(groups.items(), key=lambda kv: (-kv[0][2], kv[0][0], kv[0][1],
                                                                              kv[0][3] or 0.0)):
        e: dict = {"device_type": dtype, "tier": tier, "count": n, "age_days": {"dist": "fixed", "value": age}}
        if hours is not None:
            e["exam_hours"] = hours
        out.append(e)
    return out
