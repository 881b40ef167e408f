"""Read the weekly queue and staff files (CSV or XLSX) into validated rows.

Every problem is reported as one line naming the file, the row (spreadsheet numbering: the
header is row 1) and the column, e.g. ``queue.csv row 7, column 'date_submitted': cannot read
it as a date``. A file with a header and no rows is a valid, empty queue; a file with no header
at all is an error.

Messages describe the problem and never repeat a cell's value: a row shifted by a stray comma
puts a case reference under ``device_type``, and a queue exported without its header makes its
first device the header. So a message may list the *allowed* values, name known columns, and
give a column's position in the header, but never the text that was found.

A unit's own export is read through a column map (``columns=``, see ``dfu_sched.columnmap``): its
``queue:`` and ``staff:`` sections, or a flat map for the queue alone. With a map, unknown columns
are ignored (one counted warning, appended to ``warnings``) unless the map says ``error``.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from dfu_sched.calendar import WEEKDAYS, WORKING_DAYS
from dfu_sched.errors import InputError
from dfu_sched.plan.risk import RiskModel, RiskResult, assess
from dfu_sched.tables import Cell, ColumnMap, TableSpec, read_table, suggest

QUEUE_REQUIRED = ["device_id", "case_id", "device_type", "date_submitted"]
#: The most hours one device may be estimated at (a year of one examiner's full-time work); the
#: optimiser works in 30-minute slots, so an absurd estimate (1e19) would overflow its arithmetic.
MAX_DEVICE_HOURS = 2000.0
QUEUE_OPTIONAL = ["tier", "risk_factors", "estimated_hours", "deadline", "deadline_type",
                  "victim_device", "expedite", "accreditation"]
STAFF_REQUIRED = ["examiner_id", "skills", "hours"]
STAFF_OPTIONAL = ["accreditation", "days_off", "start_hour", "name"]
QUEUE_TABLE = TableSpec.of("queue", QUEUE_REQUIRED, QUEUE_OPTIONAL)
STAFF_TABLE = TableSpec.of("staff list", STAFF_REQUIRED, STAFF_OPTIONAL)


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


# ---------------------------------------------------------------- queue

def parse_factors(cell: Cell, col: str, model: RiskModel) -> dict[str, float] | None:
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
            raise cell.fail(col, f"item {k} is not a risk factor of the model{suggest(name, sorted(model.factors))}")
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
               model: RiskModel, week_start: dt.date, columns: ColumnMap | None = None,
               warnings: list[str] | None = None) -> list[QueueRow]:
    """Validate a queue file against the scenario's tiers and device types and the risk model.

    ``columns``: a column map (its ``queue:`` section, or the whole map if flat); the table's
    warnings (unknown columns ignored, counted) are appended to ``warnings`` when given."""
    path = Path(path)
    table = read_table(path, QUEUE_TABLE, columns)
    if warnings is not None:
        warnings.extend(table.warnings)
    names = table.header
    if "tier" not in names and "risk_factors" not in names:
        raise InputError("needs a 'tier' column, a 'risk_factors' column, or both", source=path.name)
    unknown_model_tiers = [t for t in model.tier_names if t not in tiers]
    if unknown_model_tiers:
        raise InputError(f"risk model tier {unknown_model_tiers[0]!r} is not a scenario tier "
                         f"({', '.join(tiers)})", source="risk model")
    out: list[QueueRow] = []
    seen: dict[str, int] = {}
    for c in table.cells():
        rownum = c.row
        device_id = c.unique_text("device_id", seen, "device id")
        case_id = c.required_text("case_id")
        dtype = c.required_text("device_type")
        if dtype not in types:
            raise c.fail("device_type", f"not a device type of the scenario{suggest(dtype, sorted(types))}")
        submitted = c.required_date("date_submitted")
        if submitted > week_start:
            raise c.fail("date_submitted", f"is after the planning week starting {week_start.isoformat()}")
        given = c.text("tier")
        if given is not None:
            match = {t.lower(): t for t in tiers}.get(given.lower())
            if match is None:
                raise c.fail("tier", f"not a tier of the scenario{suggest(given, list(tiers))}")
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

def read_staff(path: str | Path, skills: list[str], columns: ColumnMap | None = None,
               warnings: list[str] | None = None) -> list[StaffRow]:
    """Examiners this week: skills must be scenario skills; at least one examiner is required.

    ``columns``: a column map; only its ``staff:`` section applies (a flat map is for the queue)."""
    path = Path(path)
    table = read_table(path, STAFF_TABLE, columns.for_file("staff", flat_ok=False) if columns else None)
    if warnings is not None:
        warnings.extend(table.warnings)
    out: list[StaffRow] = []
    seen: dict[str, int] = {}
    for c in table.cells():
        rownum = c.row
        eid = c.unique_text("examiner_id", seen, "examiner id")
        sk = [s.strip().lower() for s in c.required_text("skills").replace(",", ";").split(";")
              if s.strip()]
        if not sk:
            raise c.fail("skills", "is empty")
        for k, s in enumerate(sk, start=1):
            if s not in skills:
                raise c.fail("skills", f"item {k} is not a skill of the scenario{suggest(s, skills)}")
        hours = c.number("hours", minimum=0.0)
        if hours is None:
            raise c.fail("hours", "is empty")
        if hours > 80:
            raise c.fail("hours", "more than 80 hours in one week is not plausible")
        days = []
        tokens = [t.strip() for t in (c.text("days_off") or "").replace(",", ";").split(";") if t.strip()]
        for k, token in enumerate(tokens, start=1):
            key = token[:3].title()
            if key not in WORKING_DAYS:
                raise c.fail("days_off", f"item {k} is not a weekday (use Mon, Tue, Wed, Thu or Fri)")
            days.append(WEEKDAYS.index(key))
        start = c.number("start_hour", minimum=0.0)
        if start is not None and start >= 24:
            raise c.fail("start_hour", "must be below 24")
        working = len(WORKING_DAYS) - len(set(days))
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
