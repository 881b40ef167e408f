"""The raw output of one run: per-device stage times, server facts, the event count.

Why a module of its own: the model writes these shapes and the measures (and the weekly planner,
and the investment model's outsourcing contracts) read them. Keeping them apart from the SimPy
model lets ``measures`` stay pure functions over plain arrays without importing the engine, and
gives the stage indices (``EXAM``, ``TRIAGE``) one home below every sim module.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dfu_sched.calendar import STAGES

#: Column of each stage in the record arrays (``STAGES`` order).
EXAM = STAGES.index("examination")
TRIAGE = STAGES.index("triage")


@dataclass
class Records:
    """Per-device stage times (hours, NaN = never) and servers: the raw output of a run."""

    qenter: np.ndarray
    start: np.ndarray
    end: np.ndarray
    server: np.ndarray
    done: np.ndarray          # left the DFU (examined and reported, or screened out)
    screened: np.ndarray      # bool

    @classmethod
    def empty(cls, n: int) -> Records:
        shape = (n, len(STAGES))
        return cls(np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan),
                   np.full(shape, -1, dtype=np.int64), np.full(n, np.nan), np.zeros(n, bool))


@dataclass
class ServerInfo:
    """Static facts about one server, for utilisation by group."""

    stage: int
    group: str
    name: str
    rostered_hours: float = 0.0   # inside the measurement window
    busy_hours: float = 0.0       # inside the measurement window


@dataclass
class RunOutput:
    """What one replication hands to the measures."""

    records: Records
    servers: list[ServerInfo]
    events: int = 0           # events SimPy scheduled (a cost measure, for benchmarks)
    plan_stats: dict[str, list[float]] = field(default_factory=dict)
    measures: dict[str, float] = field(default_factory=dict)  # contributed by the model's hooks
