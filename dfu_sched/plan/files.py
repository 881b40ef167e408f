"""Read the weekly queue and staff files (CSV or XLSX) into validated rows.

Every problem is reported as one line naming the file, the row (spreadsheet numbering: the
header is row 1) and the column, e.g. ``queue.csv row 7, column 'date_submitted': cannot read
it as a date``. A file with a header and no rows is a valid, empty queue; a file with no header
at all is an error.

Messages describe the problem and never repeat a cell's value: a row shifted by a stray comma
puts a case reference under ``device_type``, and a queue exported without its header makes its
first device the header. So a message may list the *allowed* values, name known columns, and
give a column's position in the header, but never the text that was found.
"""
from __future__ import annotations

import csv
import datetime as dt
import difflib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel, ConfigDict

from dfu_sched.calendar import WEEKDAYS
from dfu_sched.errors import InputError
from dfu_sched.plan.risk import RiskModel, RiskResult, assess


QUEUE_REQUIRED = ["device_id", "case_id", "device_type", "date_submitted"]
#: The most hours one device may be estimated at (a year of one examiner's full-time work); the
#: optimiser works in 30-minute slots, so an absurd estimate (1e19) would overflow its arithmetic.
MAX_DEVICE_HOURS = 2000.0
QUEUE_OPTIONAL = ["tier", "risk_factors", "estimated_hours", "deadline", "deadline_type",
                  "victim_device", "expedite", "accreditation"]
STAFF_REQUIRED = ["examiner_id", "skills", "hours"]
STAFF_OPTIONAL = ["accreditation", "days_off", "start_hour", "name"]


@dataclass(frozen=True)
class TierSpec:
    name: str
    weight: float
    target_days: float


@dataclass(frozen=True)
class TypeSpec:
    name: str
    skill: str
    default_hours: float


def specs_from_scenario(scenario: Any) -> tuple[dict[str, TierSpec], dict[str, TypeSpec]]:
    """Tiers and device types from a Scenario (default hours = mean examination hours)."""
    tiers = {t.name: TierSpec(t.name, float(t.weight), float(t.target_days)) for t in scenario.tiers}
    types = {}
    for name, d in scenario.device_types.items():
        service = d.service
        exam = service.get("examination")
        hours = float(exam.mean()) if exam is not None else 1.0
        types[name] = TypeSpec(name, d.skill, hours)
    return tiers, types


class QueueRow(BaseModel):
    """One queued device after validation (dates resolved, factors parsed, risk assessed)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)
    row: int
    device_id: str
    case_id: str
    device_type: str
    date_submitted: dt.date
    tier: str
    risk: RiskResult
    estimated_hours: float
    hours_given: bool
    deadline: dt.datetime | None = None
    deadline_type: str = ""
    victim_device: bool = False
    expedite: bool = False
    accreditation: int = 1


class StaffRow(BaseModel):
    model_config = ConfigDict(frozen=True)
    row: int
    examiner_id: str
    skills: tuple[str, ...]
    hours: float
    accreditation: int = 1
    days_off: tuple[int, ...] = ()
    start_hour: float = 8.0
    name: str = ""


# ---------------------------------------------------------------- raw table reading

def _read_table(path: Path, what: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """Header (lower-cased, stripped) and rows as (row number, {column: raw value})."""
    if not path.exists():
        raise InputError("file not found", source=str(path))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    elif suffix in (".csv", ".txt", ""):
        rows = _csv_rows(path)
    else:
        raise InputError("expected a .csv or .xlsx file", source=str(path))
    rows = iter(rows)
    header = next(rows, None)
    if header is None or all(_blank(h) for h in header):
        raise InputError(f"no header row (an empty {what} still needs its header line)", source=path.name)
    names = [str(h).strip().lower() if not _blank(h) else "" for h in header]
    out = []
    for i, values in enumerate(rows, start=2):
        if all(_blank(v) for v in values):
            continue
        if any(not _blank(v) for v in values[len(names):]):
            raise InputError(f"row {i} has more cells than the header has columns ({len(names)}); "
                             "a stray separator may have shifted the row", source=path.name)
        out.append((i, {n: (values[k] if k < len(values) else None) for k, n in enumerate(names) if n}))
    return names, out


def _csv_rows(path: Path) -> Iterator[list[str]]:
    reader = None
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            yield from reader
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text (save the CSV as UTF-8)", source=path.name) from None
    except csv.Error:  # e.g. a NUL byte or an over-long field; its message quotes the line
        where = f" at line {reader.line_num}" if reader is not None else ""
        raise InputError(f"cannot be read as CSV{where}", source=path.name) from None


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a damaged workbook
        raise InputError(f"cannot open workbook ({exc.__class__.__name__})", source=path.name) from None
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception as exc:  # a damaged sheet fails while it is read, not only when opened
                raise InputError(f"cannot read the first sheet ({exc.__class__.__name__})", source=path.name) from None
            yield list(row)
    finally:
        wb.close()


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))


def _check_columns(names: list[str], required: list[str], optional: list[str], source: str) -> None:
    """Header names must be known (or start with ``x_``); columns are named by position, since a file
    exported without its header has a row of case references where the header should be."""
    known = set(required) | set(optional)
    seen: dict[str, int] = {}
    for pos, n in enumerate(names, start=1):
        if not n:
            continue
        if n in seen:
            raise InputError(f"column '{n}' appears twice" if n in known
                             else f"columns {seen[n]} and {pos} of the header have the same name", source=source)
        seen[n] = pos
        if n not in known and not n.startswith("x_") and n != "notes":
            hint = difflib.get_close_matches(n, sorted(known), n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else f" (known: {', '.join(required + optional)})"
            raise InputError(f"column {pos} of the header is not a known column{extra}; extra columns must "
                             "start with 'x_' (is the header row missing?)", source=source)
    for r in required:
        if r not in seen:
            raise InputError(f"missing column '{r}'", source=source)


class _Cell:
    """Parsers that raise one-line errors naming file, row and column."""

    def __init__(self, source: str, row: int, values: dict[str, Any]):
        self.source, self.row, self.values = source, row, values

    def fail(self, col: str, msg: str) -> InputError:
        return InputError(f"{self.source} row {self.row}, column '{col}': {msg}")

    def raw(self, col: str) -> Any:
        v = self.values.get(col)
        return None if _blank(v) else v

    def text(self, col: str, required: bool = False) -> str | None:
        v = self.raw(col)
        if v is None:
            if required:
                raise self.fail(col, "is empty")
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return str(v).strip()

    def number(self, col: str, *, minimum: float | None = None, positive: bool = False,
               maximum: float | None = None) -> float | None:
        v = self.raw(col)
        if v is None:
            return None
        try:
            x = float(str(v).strip()) if not isinstance(v, (int, float)) else float(v)
        except ValueError:
            raise self.fail(col, "cannot read it as a number") from None
        if not math.isfinite(x):
            raise self.fail(col, "is not a finite number")
        if positive and x <= 0:
            raise self.fail(col, "must be more than 0")
        if minimum is not None and x < minimum:
            raise self.fail(col, f"must be at least {minimum:g}")
        if maximum is not None and x > maximum:
            raise self.fail(col, f"must be at most {maximum:,g}")
        return x

    def integer(self, col: str, minimum: int = 1) -> int | None:
        x = self.number(col, minimum=minimum)
        if x is None:
            return None
        if not float(x).is_integer():
            raise self.fail(col, "must be a whole number")
        return int(x)

    def flag(self, col: str) -> bool:
        v = self.raw(col)
        if v is None:
            return False
        s = str(v).strip().lower()
        if s in ("1", "1.0", "y", "yes", "true", "t", "x"):
            return True
        if s in ("0", "0.0", "n", "no", "false", "f"):
            return False
        raise self.fail(col, "cannot read it as yes/no (use yes/no, y/n, true/false or 1/0)")

    def date(self, col: str, required: bool = False) -> dt.date | None:
        v = self.raw(col)
        if v is None:
            if required:
                raise self.fail(col, "is empty")
            return None
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        d = parse_date(str(v).strip())
        if d is None:
            raise self.fail(col, "cannot read it as a date (use YYYY-MM-DD or DD/MM/YYYY)")
        return d

    def datetime(self, col: str) -> dt.datetime | None:
        v = self.raw(col)
        if v is None:
            return None
        if isinstance(v, dt.datetime):
            return v
        if isinstance(v, dt.date):
            return dt.datetime.combine(v, dt.time())
        s = str(v).strip()
        for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S"):
            try:
                return dt.datetime.strptime(s, fmt)
            except ValueError:
                pass
        d = parse_date(s)
        if d is None:
            raise self.fail(col, "cannot read it as a date or date-time (use YYYY-MM-DD or YYYY-MM-DD HH:MM)")
        return dt.datetime.combine(d, dt.time())


def parse_date(s: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            pass
    return None


def _suggest(value: str, options: list[str]) -> str:
    """An allowed value close to the bad one, or the allowed values (the bad value is not repeated)."""
    hint = difflib.get_close_matches(value, options, n=1)
    return f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(options)}"


# ---------------------------------------------------------------- queue

def parse_factors(cell: _Cell, col: str, model: RiskModel) -> dict[str, float] | None:
    """``risk_factors``: names separated by ';' (or ','), optionally ``name=count``; 'none' = no factor."""
    text = cell.text(col)
    if text is None:
        return None
    out: dict[str, float] = {}
    if text.strip().lower() in ("none", "-"):
        return out
    for k, item in enumerate((i.strip() for i in text.replace(",", ";").split(";") if i.strip()), start=1):
        name, _, count = item.partition("=")
        name = name.strip().lower().replace(" ", "_").replace("-", "_")
        if name not in model.factors:
            raise cell.fail(col, f"item {k} is not a risk factor of the model{_suggest(name, sorted(model.factors))}")
        value = 1.0
        if count.strip():
            try:
                value = float(count)
            except ValueError:
                raise cell.fail(col, f"cannot read the count for {name!r} as a number") from None
            if value < 0 or not math.isfinite(value):
                raise cell.fail(col, f"count for {name!r} must be 0 or more")
        out[name] = out.get(name, 0.0) + value
    return out


def read_queue(path: str | Path, tiers: dict[str, TierSpec], types: dict[str, TypeSpec],
               model: RiskModel, week_start: dt.date) -> list[QueueRow]:
    """Validate a queue file against the scenario's tiers and device types and the risk model."""
    path = Path(path)
    names, rows = _read_table(path, "queue")
    _check_columns(names, QUEUE_REQUIRED, QUEUE_OPTIONAL, path.name)
    if "tier" not in names and "risk_factors" not in names:
        raise InputError("needs a 'tier' column, a 'risk_factors' column, or both", source=path.name)
    unknown_model_tiers = [t for t in model.tier_names if t not in tiers]
    if unknown_model_tiers:
        raise InputError(f"risk model tier {unknown_model_tiers[0]!r} is not a scenario tier "
                         f"({', '.join(tiers)})", source="risk model")
    out: list[QueueRow] = []
    seen: dict[str, int] = {}
    for rownum, values in rows:
        c = _Cell(path.name, rownum, values)
        device_id = c.text("device_id", required=True)
        if device_id in seen:
            raise c.fail("device_id", f"duplicate device id (first on row {seen[device_id]})")
        seen[device_id] = rownum
        case_id = c.text("case_id", required=True)
        dtype = c.text("device_type", required=True)
        if dtype not in types:
            raise c.fail("device_type", f"not a device type of the scenario{_suggest(dtype, sorted(types))}")
        submitted = c.date("date_submitted", required=True)
        if submitted > week_start:
            raise c.fail("date_submitted", f"is after the planning week starting {week_start.isoformat()}")
        given = c.text("tier")
        if given is not None:
            match = {t.lower(): t for t in tiers}.get(given.lower())
            if match is None:
                raise c.fail("tier", f"not a tier of the scenario{_suggest(given, list(tiers))}")
            given = match
        factors = parse_factors(c, "risk_factors", model)
        victim = c.flag("victim_device")
        if victim and "victim_device" in model.factors:
            factors = dict(factors or {})
            factors["victim_device"] = max(factors.get("victim_device", 0.0), 1.0)
        if given is None and factors is None:
            raise c.fail("tier", "give a tier or risk factors (or 'none')")
        risk = assess(model, factors, given)
        hours = c.number("estimated_hours", positive=True, maximum=MAX_DEVICE_HOURS)
        out.append(QueueRow(
            row=rownum, device_id=device_id, case_id=case_id, device_type=dtype,
            date_submitted=submitted, tier=risk.tier, risk=risk,
            estimated_hours=hours if hours is not None else types[dtype].default_hours,
            hours_given=hours is not None, deadline=c.datetime("deadline"),
            deadline_type=c.text("deadline_type") or "", victim_device=victim,
            expedite=c.flag("expedite"), accreditation=c.integer("accreditation") or 1))
    return out


# ---------------------------------------------------------------- staff

def read_staff(path: str | Path, skills: list[str]) -> list[StaffRow]:
    """Examiners this week: skills must be scenario skills; at least one examiner is required."""
    path = Path(path)
    names, rows = _read_table(path, "staff list")
    _check_columns(names, STAFF_REQUIRED, STAFF_OPTIONAL, path.name)
    out: list[StaffRow] = []
    seen: dict[str, int] = {}
    for rownum, values in rows:
        c = _Cell(path.name, rownum, values)
        eid = c.text("examiner_id", required=True)
        if eid in seen:
            raise c.fail("examiner_id", f"duplicate examiner id (first on row {seen[eid]})")
        seen[eid] = rownum
        sk = [s.strip().lower() for s in (c.text("skills", required=True) or "").replace(",", ";").split(";")
              if s.strip()]
        if not sk:
            raise c.fail("skills", "is empty")
        for k, s in enumerate(sk, start=1):
            if s not in skills:
                raise c.fail("skills", f"item {k} is not a skill of the scenario{_suggest(s, skills)}")
        hours = c.number("hours", minimum=0.0)
        if hours is None:
            raise c.fail("hours", "is empty")
        if hours > 80:
            raise c.fail("hours", "more than 80 hours in one week is not plausible")
        days = []
        tokens = [t.strip() for t in (c.text("days_off") or "").replace(",", ";").split(";") if t.strip()]
        for k, token in enumerate(tokens, start=1):
            key = token[:3].title()
            if key not in WEEKDAYS[:5]:
                raise c.fail("days_off", f"item {k} is not a weekday (use Mon, Tue, Wed, Thu or Fri)")
            days.append(WEEKDAYS.index(key))
        start = c.number("start_hour", minimum=0.0)
        if start is not None and start >= 24:
            raise c.fail("start_hour", "must be below 24")
        working = 5 - len(set(days))
        if hours > 0 and working == 0:
            raise c.fail("days_off", "every weekday is off but hours are more than 0")
        if working and hours / working > 12:
            raise c.fail("hours", f"more than 12 h a day over the {working} day(s) worked")
        out.append(StaffRow(row=rownum, examiner_id=eid, skills=tuple(sk), hours=hours,
                            accreditation=c.integer("accreditation") or 1,
                            days_off=tuple(sorted(set(days))),
                            start_hour=8.0 if start is None else start, name=c.text("name") or ""))
    if not out:
        raise InputError("no examiners (the staff file needs at least one row)", source=path.name)
    return out


def staff_windows(s: StaffRow) -> list[tuple[float, float]]:
    """Working windows on the week axis (hours from Monday 00:00): hours spread over days worked."""
    days = [d for d in range(5) if d not in s.days_off]
    if not days or s.hours <= 0:
        return []
    per_day = s.hours / len(days)
    return [(24.0 * d + s.start_hour, 24.0 * d + s.start_hour + per_day) for d in days]
