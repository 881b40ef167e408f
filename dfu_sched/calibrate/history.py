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
:data:`STATUSES`), ``expedite``. :func:`read_history` reads it, through a column map if given.

Choices the reader makes (the README's "History file" section says the same to a manager):

- fatal, one line naming file, row and column: an unreadable or blank ``date_submitted``, a blank
  ``device_id``/``case_id``/``device_type``, a ``status`` that is not a status, ``exam_hours``
  that is not a number, negative or over :data:`MAX_EXAM_HOURS` (a booked-hours column holding
  text is not booked hours: refusing it is safer than fitting hours to part of the data), an
  ``expedite`` that is not yes/no;
- repaired and counted: dates in a second format (per column); dates read day-first when the day
  and month could be swapped (UK order; only when the column map gives no formats); unreadable
  optional dates (dropped); impossible dates (an exam start before submission, an end before its
  start: the later date dropped); exact duplicate rows (dropped); rows repeating a device id with
  other content (the most advanced record kept: furthest status, then latest date, then last row);
  blank statuses (inferred from the dates); completed devices without an exam end; blank tiers
  (kept as ``None``) and tiers left to the risk factors (kept; the fit assesses them with
  ``plan.risk``, which the architecture lets calibrate import); device types not in the scenario
  (only when ``known_types`` is given; kept as written after the value map);
- counted by status: waiting, in progress, completed, withdrawn, screened out.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from dfu_sched.errors import InputError
from dfu_sched.tables import Cell, ColumnMap, TableSpec, read_table, suggest

#: What a device's record says happened to it.
STATUSES = ("waiting", "in_progress", "completed", "withdrawn", "screened_out")
REQUIRED_COLUMNS = ["device_id", "case_id", "device_type", "date_submitted"]
OPTIONAL_COLUMNS = ["tier", "risk_factors", "date_triaged", "date_extraction_start", "date_extraction_end",
                    "date_exam_start", "date_exam_end", "examiner_id", "exam_hours", "status", "expedite"]
HISTORY_TABLE = TableSpec.of("history", REQUIRED_COLUMNS, OPTIONAL_COLUMNS, unknown="ignore")
#: The history's date columns and the :class:`HistoryDevice` field each fills.
DATE_FIELDS = {"date_submitted": "submitted", "date_triaged": "triaged",
               "date_extraction_start": "extraction_start", "date_extraction_end": "extraction_end",
               "date_exam_start": "exam_start", "date_exam_end": "exam_end"}
#: Each optional date and the earlier date it cannot precede (the first recorded one is used).
DATE_ORDER = (("triaged", ("submitted",)), ("extraction_start", ("submitted",)),
              ("extraction_end", ("extraction_start", "submitted")), ("exam_start", ("submitted",)),
              ("exam_end", ("exam_start", "submitted")))
#: How far along a status is, to keep the most advanced of two records of one device.
STATUS_RANK = {"waiting": 0, "in_progress": 1, "completed": 2, "withdrawn": 2, "screened_out": 2}
#: The most booked hours one device may have (a year of one examiner's time), as the queue file.
MAX_EXAM_HOURS = 2000.0


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
    terminal, the fit report and the app print the same summary. ``ignored_columns`` holds the
    header positions (as text, e.g. "12") of unknown columns ignored: positions, never names, since a
    file without its header has case references there."""

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


# ---------------------------------------------------------------- the reader

def read_history(path: str | Path, columns: ColumnMap | None = None, strict: bool = False,
                 known_types: Collection[str] | None = None) -> History:
    """Read a history export (CSV/XLSX) into a :class:`History`, every repair counted.

    ``columns``: a column map (its ``history:`` section, or the whole map if flat). Unknown columns
    are ignored and counted unless ``strict`` (today's refusal, whatever the map says).
    ``known_types``: the scenario's device types; others are kept and counted. Raises
    :class:`InputError` (one line naming file, row and column, no cell value) for what cannot be
    read; see the module docstring for what is fatal and what is repaired.
    """
    cmap = columns.for_file("history") if columns is not None else None
    if strict and cmap is not None:
        cmap = replace(cmap, unknown_columns="error")
    table = read_table(path, replace(HISTORY_TABLE, unknown="error") if strict else HISTORY_TABLE, cmap)
    summary = ReadSummary(rows_read=len(table.rows), ignored_columns=[str(p) for p in table.ignored])
    seen: set[tuple] = set()
    cells = []
    for c in table.cells():
        key = tuple(_norm(v) for v in c.values.values())  # every row has the same columns, in order
        if key in seen:
            summary.add("duplicate rows dropped")
            continue
        seen.add(key)
        cells.append(c)
    dates = _DateLog()
    devices = [_device(c, dates, summary) for c in cells]
    dates.report(summary, cmap.dates if cmap is not None else {})
    devices = _most_advanced(devices, summary)
    _count_kinds(devices, summary, known_types)
    summary.devices = len(devices)
    return History(table.source, devices, summary)


def _norm(v: object) -> str:
    """A cell as compared for exact duplicates: trimmed text (a blank cell is '')."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return str(v).strip()


class _DateLog:
    """How each date column was written: formats seen (per column) and day-first guesses."""

    def __init__(self) -> None:
        self.formats: dict[str, Counter[str]] = {}
        self.ambiguous: Counter[str] = Counter()

    def note(self, col: str, day: dt.date, fmt: str) -> None:
        self.formats.setdefault(col, Counter())[fmt] += 1
        if fmt.startswith("%d") and "%m" in fmt and day.day <= 12 and day.day != day.month:
            self.ambiguous[col] += 1

    def report(self, summary: ReadSummary, mapped: Mapping[str, object]) -> None:
        for col, seen in self.formats.items():
            if len(seen) > 1:
                summary.add(f"dates in a second format ({col})", sum(seen.values()) - seen.most_common(1)[0][1])
        for col, n in self.ambiguous.items():
            if col not in mapped:  # a map's formats are the user's statement of the order
                summary.add(f"dates read day-first, UK order, where day and month could swap ({col})", n)


def _date(c: Cell, col: str, log: _DateLog, summary: ReadSummary) -> dt.date | None:
    if col == "date_submitted":
        day, fmt = c.date_as(col, required=True)
    else:
        try:
            day, fmt = c.date_as(col)
        except InputError:
            summary.add(f"unreadable dates dropped ({col})")
            return None
    if day is not None and fmt is not None:
        log.note(col, day, fmt)
    return day


def _status(c: Cell) -> str | None:
    text = c.text("status")
    if text is None:
        return None
    s = text.lower().replace(" ", "_").replace("-", "_")
    if s not in STATUSES:
        raise c.fail("status", f"not a status{suggest(s, list(STATUSES))}")
    return s


def _device(c: Cell, log: _DateLog, summary: ReadSummary) -> HistoryDevice:
    """One row as a device: fatal problems raised, repairs made and counted."""
    device_id, case_id = c.required_text("device_id"), c.required_text("case_id")
    device_type = c.required_text("device_type")
    days = {f: _date(c, col, log, summary) for col, f in DATE_FIELDS.items()}
    for later, earlier in DATE_ORDER:
        ref = next((e for e in earlier if days[e] is not None), None)
        value, before = days[later], days[ref] if ref is not None else None
        if ref is not None and value is not None and before is not None and value < before:
            what = "submission" if ref == "submitted" else ref.replace("_", " ")
            summary.add(f"impossible dates dropped ({later.replace('_', ' ')} before {what})")
            days[later] = None
    status = _status(c)
    if status is None:
        status = "completed" if days["exam_end"] else "in_progress" if days["exam_start"] else "waiting"
        summary.add("statuses inferred from the dates")
    if status == "completed" and days["exam_end"] is None:
        summary.add("completed devices without an exam end date")
    hours = c.number("exam_hours", minimum=0.0, maximum=MAX_EXAM_HOURS)
    return HistoryDevice(
        row=c.row, device_id=device_id, case_id=case_id, device_type=device_type,
        status=status, tier=c.text("tier"), risk_factors=c.text("risk_factors"),
        examiner_id=c.text("examiner_id"), exam_hours=hours, expedite=c.flag("expedite"),
        **days)  # type: ignore[arg-type]


def _advance(d: HistoryDevice) -> tuple:
    """How far along a record is: status, then its latest date, then its row (later wins)."""
    latest = max(x for x in (d.submitted, d.triaged, d.extraction_start, d.extraction_end, d.exam_start,
                             d.exam_end) if x is not None)
    return STATUS_RANK[d.status], latest, d.row


def _most_advanced(devices: Iterable[HistoryDevice], summary: ReadSummary) -> list[HistoryDevice]:
    """One record per device id: the most advanced; the others counted."""
    best: dict[str, HistoryDevice] = {}
    for d in devices:
        old = best.get(d.device_id)
        if old is not None:
            summary.add("rows repeating a device id with other content (most advanced kept)")
            if _advance(old) >= _advance(d):
                continue
        best[d.device_id] = d
    return sorted(best.values(), key=lambda d: d.row)


def _count_kinds(devices: list[HistoryDevice], summary: ReadSummary,
                 known_types: Collection[str] | None) -> None:
    """Blank tiers, tiers left to risk factors, unknown types, and devices by status."""
    summary.add("blank tiers (no tier, no risk factors)", sum(d.tier is None and d.risk_factors is None
                                                              for d in devices))
    summary.add("tiers to assess from risk factors", sum(d.tier is None and d.risk_factors is not None
                                                          for d in devices))
    if known_types is not None:
        known = set(known_types)
        summary.add("devices of types not in the scenario", sum(d.device_type not in known for d in devices))
    by_status = Counter(d.status for d in devices)
    for s in STATUSES:
        summary.add(f"devices {s.replace('_', ' ')}", by_status[s])
