"""Today's real queue as a simulation's starting backlog: queue rows -> ``BacklogDevice`` -> scenario.

Why: ``plan`` reads the unit's queue file every Monday, but ``simulate``, ``compare`` and ``invest``
started from the scenario's invented ``backlog:`` counts and age spreads. A manager asking "what
does an extra examiner do to *our* queue" needs the run to start from those very devices: each
with its age on the start day, its tier (given, or the risk model's from its factors, exactly as
``plan`` assigns it), its type and, when the file estimates them, its examination hours.

The conversion lives in the plan wing because the queue rows (``plan.files.QueueRow``) do; the
result is an ordinary validated ``Scenario`` whose ``backlog:`` lists those devices, so every
engine downstream (the runner, the investment search, the reports) is unchanged. The command
line and a notebook call the same functions::

    sc = load_scenario("scenarios/north_yorkshire_2022.yaml")
    rows = read_queue_for(sc, "queue.csv", as_of=dt.date(2024, 6, 3))
    sc_today = scenario_with_queue(sc, rows, dt.date(2024, 6, 3))
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dfu_sched.columnmap import load_column_map
from dfu_sched.errors import InputError
from dfu_sched.plan.files import QueueRow, read_queue, specs_from_scenario
from dfu_sched.plan.risk import load_risk_model
from dfu_sched.scenario.backlog import BacklogDevice, backlog_entries
from dfu_sched.scenario.schema import Scenario, parse_scenario

#: Where queue devices wait on the start day ('first' = the scenario's first enabled stage, as for
#: ``backlog:`` entries; 'examination' when the queue holds devices already triaged and extracted).
QUEUE_STAGES = ("first", "triage", "extraction", "examination")
#: What outputs show instead of the queue file's name under ``--pseudonymise`` (a name can name a case).
PSEUDONYMISED_NAME = "(pseudonymised)"


@dataclass(frozen=True)
class QueueStart:
    """Where a run's backlog came from: recorded in the outputs under the run's ``inputs``."""

    file: str          # the queue file's name (no folder), or PSEUDONYMISED_NAME
    as_of: dt.date     # the run's first day; ages are as_of - date_submitted
    devices: int
    stage: str
    fixed_hours: int   # devices whose examination hours come from the file's estimated_hours

    def inputs(self) -> dict[str, Any]:
        """The ``inputs`` block of a summary: enough to say the backlog is a real queue's."""
        return {"backlog": "queue file", "queue": self.file, "as_of": self.as_of.isoformat(),
                "queue_devices": self.devices, "queue_stage": self.stage,
                "queue_devices_with_estimated_hours": self.fixed_hours}

    def note(self) -> str:
        """One line for the terminal and reports."""
        return (f"backlog: {self.devices} devices from queue file {self.file} as of {self.as_of.isoformat()} "
                f"({self.fixed_hours} with estimated hours), instead of the scenario's backlog")


def queue_devices(rows: Iterable[QueueRow], as_of: dt.date) -> list[BacklogDevice]:
    """One ``BacklogDevice`` per queue row: age ``as_of - date_submitted`` in days, the row's tier
    and type, its examination hours when the file gave them (``None``: drawn from the type's
    distribution, as the scenario's own backlog is), and its expedite flag as ``plan`` reads it
    (blank = not expedited: the queue is today's record, not a share to draw from)."""
    out = []
    for r in rows:
        age = (as_of - r.date_submitted).days
        if age < 0:
            raise InputError(f"row {r.row}, column 'date_submitted': is after the start day {as_of.isoformat()}",
                             source="queue")
        out.append(BacklogDevice(r.device_type, r.tier, float(age), r.estimated_hours if r.hours_given else None,
                                 r.expedite))
    return out


def scenario_with_queue(sc: Scenario, queue_rows: Iterable[QueueRow], as_of: dt.date | None = None,
                        stage: str = "first") -> Scenario:
    """``sc`` starting on ``as_of`` (default: its ``calendar.start_date``) with the queue's devices
    as its whole backlog (the scenario's ``backlog:`` entries are replaced, not added to)."""
    if stage not in QUEUE_STAGES:
        raise InputError(f"queue stage must be one of {', '.join(QUEUE_STAGES)}")
    day = sc.calendar.start_date if as_of is None else as_of
    entries = backlog_entries(queue_devices(queue_rows, day))
    for e in entries:
        e["stage"] = stage
    data = sc.model_dump(mode="json", by_alias=True)
    data["backlog"] = entries
    data["calendar"]["start_date"] = day.isoformat()
    return parse_scenario(data, source=f"{sc.name} with the queue")


def read_queue_for(sc: Scenario, path: str | Path, as_of: dt.date | None = None,
                   risk_model: str | Path | None = None, columns: str | Path | None = None,
                   warnings: list[str] | None = None) -> list[QueueRow]:
    """Read a queue file against ``sc``'s tiers and device types (and the risk model, for rows that
    give factors instead of a tier), as ``plan`` does; no device may be submitted after ``as_of``.
    ``columns``: a column map file (its ``queue:`` section, or the whole map if flat); the reader's
    warnings (unknown columns ignored, counted) are appended to ``warnings`` when given."""
    tiers, types = specs_from_scenario(sc)
    model = load_risk_model(risk_model)
    day = sc.calendar.start_date if as_of is None else as_of
    cmap = None if columns is None else load_column_map(columns)
    return read_queue(path, tiers, types, model, day, columns=cmap, warnings=warnings)


def queue_start(path: str | Path, sc: Scenario, pseudonymise: bool = False) -> QueueStart:
    """What the outputs record about a scenario built by ``scenario_with_queue`` from ``path``."""
    fixed = sum(e.count for e in sc.backlog if e.exam_hours is not None)
    stage = sc.backlog[0].stage if sc.backlog else "first"
    return QueueStart(PSEUDONYMISED_NAME if pseudonymise else Path(path).name, sc.calendar.start_date,
                      sum(e.count for e in sc.backlog), stage, fixed)


def start_from_queue(sc: Scenario, path: str | Path, as_of: dt.date | None = None,
                     risk_model: str | Path | None = None, columns: str | Path | None = None, stage: str = "first",
                     pseudonymise: bool = False, warnings: list[str] | None = None) -> tuple[Scenario, QueueStart]:
    """What ``--queue`` does before a run (``simulate``, ``compare``, ``invest``, the web app): ``sc``
    with the queue file's devices as its backlog, and what the outputs record about it."""
    rows = read_queue_for(sc, path, as_of, risk_model, columns, warnings)
    started = scenario_with_queue(sc, rows, as_of, stage)
    return started, queue_start(path, started, pseudonymise)
