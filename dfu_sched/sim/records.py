"""The raw output of one run: per-device stage times, server facts, the event count.

Why a module of its own: the model writes these shapes and the measures (and the weekly planner,
and the investment model's outsourcing contracts) read them. Keeping them apart from the SimPy
model lets ``measures`` stay pure functions over plain arrays without importing the engine, and
gives the stage indices (``EXAM``, ``TRIAGE``) one home below every sim module.

Why per-stage columns (``StageTable``): a run stores times only for the stages it routes devices
through. A (devices x every stage) array cost 128 bytes a device whatever the route; an M/M/c
theory case or a unit without triage and extraction needs a quarter of that, and a million-device
run a hundred megabytes less. Each column is contiguous, so the model writes it through a
``memoryview`` (a Python float in, no numpy scalar on the hot path).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dfu_sched.calendar import STAGES

#: Server indices in the records: two bytes a device and stage, not eight (-1 = none; the size
#: guard allows at most 1,000 examiners and stations, ``sim.experiment.MAX_SERVERS``).
SERVER_DTYPE = np.int16
#: Column of each stage in the record arrays (``STAGES`` order).
EXAM = STAGES.index("examination")
TRIAGE = STAGES.index("triage")


def cells(column: np.ndarray) -> Any:
    """A 1-D array's elements as a ``memoryview``: ``m[i]`` reads a Python float or int and
    ``m[i] = x`` writes one, without a numpy scalar (for the model's per-event reads and writes).
    Typed ``Any``: the stubs type memoryview items as ``int`` whatever the array's format."""
    return memoryview(column)  # type: ignore[arg-type]


class StageTable:
    """A devices x ``STAGES`` table stored as one column per routed stage.

    Indexed like the 2-D array it replaces: ``t[i, k]`` and ``t[:, k]`` read (a stage the run does
    not route through reads as ``fill``, from a read-only view that holds no memory), ``t[i, k] = x``
    writes (only to a routed stage: writing elsewhere is a bug and raises ``KeyError``)."""

    __slots__ = ("n", "fill", "dtype", "cols")

    def __init__(self, n: int, stages: Iterable[int], fill: float, dtype: Any = float):
        self.n, self.fill, self.dtype = n, fill, np.dtype(dtype)
        self.cols: dict[int, np.ndarray] = {k: np.full(n, fill, dtype=self.dtype) for k in stages}

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, len(STAGES))

    def column(self, k: int) -> np.ndarray:
        """Stage ``k``'s column (writable if routed, else a read-only view of ``fill``)."""
        col = self.cols.get(k)
        return col if col is not None else np.broadcast_to(np.array(self.fill, self.dtype), (self.n,))

    def __getitem__(self, key: tuple[Any, int]) -> Any:
        rows, k = key
        return self.column(k)[rows]

    def __setitem__(self, key: tuple[Any, int], value: Any) -> None:
        rows, k = key
        self.cols[k][rows] = value

    def full(self) -> np.ndarray:
        """The whole table as a (devices, len(STAGES)) array (a copy)."""
        return np.stack([self.column(k) for k in range(len(STAGES))], axis=1)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """``np.asarray(table)``: the whole table, so numpy functions see the 2-D array it replaces."""
        out = self.full()
        return out if dtype is None else out.astype(dtype)


class Records:
    """Per-device stage times (hours, NaN = never) and servers (-1 = none): the raw output of a run.

    ``done`` (when the device left the DFU) is stored only when it cannot be read off the others:
    a device leaves at the end of its route's last stage, or at the end of triage when screened
    out, and the model writes both times at the same instant, so when the route ends at
    examination (the usual case, and where hooks such as outsourcing write an examination's end
    with its ``done``), ``done`` is derived from ``end`` and ``screened`` (8 bytes a device saved).
    Derived, it reads as a read-only array, so a write that would be lost fails instead; write it
    with ``set_done``."""

    __slots__ = ("qenter", "start", "end", "server", "screened", "_done", "_last")

    def __init__(self, qenter: StageTable, start: StageTable, end: StageTable, server: StageTable,
                 done: np.ndarray | None, screened: np.ndarray, last: int = EXAM):
        self.qenter, self.start, self.end, self.server, self.screened = qenter, start, end, server, screened
        self._done, self._last = done, last

    @classmethod
    def empty(cls, n: int, stages: Iterable[int] | None = None) -> Records:
        """Records for ``n`` devices routed through ``stages`` (indices into ``STAGES``; None: all)."""
        stages = tuple(range(len(STAGES)) if stages is None else stages)
        last = max(stages, default=EXAM)
        return cls(StageTable(n, stages, np.nan), StageTable(n, stages, np.nan), StageTable(n, stages, np.nan),
                   StageTable(n, stages, -1, SERVER_DTYPE), None if last == EXAM else np.full(n, np.nan),
                   np.zeros(n, bool), last)

    @property
    def done(self) -> np.ndarray:
        """When each device left the DFU (examined and reported, or screened out; NaN: not yet)."""
        return self.done_rows(slice(None))

    def done_rows(self, rows: slice) -> np.ndarray:
        """``done[rows]`` without deriving the whole column (for a pass over chunks of devices)."""
        if self._done is not None:
            return self._done[rows]
        out = np.where(self.screened[rows], self.end.column(TRIAGE)[rows], self.end.column(self._last)[rows])
        out.flags.writeable = False
        return out

    def done_cells(self) -> Any:
        """The stored ``done`` column as ``cells`` for the model to write, or None when derived."""
        return None if self._done is None else cells(self._done)

    def set_done(self, i: int, t: float) -> None:
        """Record that device ``i`` left at ``t`` (derived: its last stage's end must say so already)."""
        if self._done is not None:
            self._done[i] = t


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
