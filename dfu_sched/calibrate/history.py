"""A DFU's case history as data: one record per device, read from a CSV/XLSX export.

Why: a staffing bid is trusted when its inputs come from the unit's own history and the model is
shown to reproduce that history. Exports are messy (their own headers, mixed date formats, blank
tiers, duplicate rows, unknown device types, withdrawn devices), so the reader maps what it can,
counts every repair in one :class:`ReadSummary`, and refuses only what it cannot read -- in one
line naming file, row and column, never a cell's value (the values are case references about
children).

The history file (``tables.read_table`` with :data:`HISTORY_TABLE`): required ``device_id``,
``case_id``, ``device_type``, ``date_submitted``; optional ``tier`` or ``risk_factors``,
``date_triaged``, ``date_extraction_start``, ``date_extraction_end``, ``date_exam_start``,
``date_exam_end``, ``examiner_id``, ``exam_hours`` (booked), ``status`` (one of
:data:`STATUSES`), ``expedite``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dfu_sched.tables import TableSpec

#: What a device's record says happened to it.
STATUSES = ("waiting", "in_progress", "completed", "withdrawn", "screened_out")
REQUIRED_COLUMNS = ["device_id", "case_id", "device_type", "date_submitted"]
OPTIONAL_COLUMNS = ["tier", "risk_factors", "date_triaged", "date_extraction_start", "date_extraction_end",
                    "date_exam_start", "date_exam_end", "examiner_id", "exam_hours", "status", "expedite"]
HISTORY_TABLE = TableSpec.of("history", REQUIRED_COLUMNS, OPTIONAL_COLUMNS, unknown="ignore")


@dataclass(frozen=True)
class HistoryDevice:
    """One device of the history after validation. Dates are calendar days; ``None`` = not recorded.

    ``status`` is always set: taken from the file, or inferred (exam end -> completed, exam start ->
    in_progress, else waiting). ``tier`` is ``None`` when the file leaves it blank and no risk
    factors give it. ``device_id``/``case_id``/``examiner_id`` are case references: never log them.
    """

    row: int
    device_id: str
    case_id: str
    device_type: str
    submitted: dt.date
    status: str
    tier: str | None = None
    risk_factors: str | None = None
    triaged: dt.date | None = None
    extraction_start: dt.date | None = None
    extraction_end: dt.date | None = None
    exam_start: dt.date | None = None
    exam_end: dt.date | None = None
    examiner_id: str | None = None
    exam_hours: float | None = None
    expedite: bool = False


@dataclass
class ReadSummary:
    """Every repair the reader made, counted (never silently dropped). ``counts`` keys are short
    phrases ("duplicate rows dropped", "blank tiers", "unknown device types", ...) so that the
    terminal, the fit report and the app print the same summary."""

    rows_read: int = 0
    devices: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def lines(self) -> list[str]:
        """The summary as lines a manager reads."""
        out = [f"{self.rows_read:,} rows read, {self.devices:,} devices kept"]
        out += [f"{n:,} {what}" for what, n in self.counts.items() if n]
        if self.ignored_columns:
            out.append(f"{len(self.ignored_columns)} column(s) ignored")
        return out


@dataclass
class History:
    """A read history: its devices, the file it came from (name only) and what reading repaired."""

    source: str
    devices: list[HistoryDevice]
    summary: ReadSummary

    @property
    def first_day(self) -> dt.date:
        return min(d.submitted for d in self.devices)

    @property
    def last_day(self) -> dt.date:
        """The last day the history records anything happening."""
        days = [x for d in self.devices for x in (d.submitted, d.exam_start, d.exam_end) if x is not None]
        return max(days)

    def between(self, start: dt.date | None, end: dt.date | None) -> History:
        """The devices submitted in [start, end] (either bound optional)."""
        keep = [d for d in self.devices if (start is None or d.submitted >= start)
                and (end is None or d.submitted <= end)]
        return History(self.source, keep, self.summary)


def waiting_at(history: History, day: dt.date) -> list[HistoryDevice]:
    """Devices in the queue for examination at the start of ``day``: submitted before it, not
    withdrawn or screened out, and not yet started (no exam start, or an exam start on or after
    ``day``). A device with neither exam dates nor a final status is taken as still waiting."""
    out = []
    for d in history.devices:
        if d.submitted >= day or d.status in ("withdrawn", "screened_out"):
            continue
        if d.exam_start is not None and d.exam_start < day:
            continue
        if d.exam_start is None and d.status == "completed":
            continue  # completed with no start date recorded: not in the queue
        out.append(d)
    return out
