"""A case history written from a known scenario: the example data and the round-trip tests.

Why: fitting and back-testing are only trustworthy if they recover a truth that is known. Here
one replication of a scenario (``sim.model.simulate_once`` with its records) is written as the
history file a case-management system would export -- one row per device, dated from the
scenario's calendar start -- so ``fit`` can be asked to find the scenario again and ``backtest``
can be shown to cover what "actually" happened. :func:`messy` then adds what real exports have
(their own headers and value names, mixed date formats, blank tiers, duplicate rows, withdrawn
devices, an unknown device type, extra columns), each counted in a :class:`Mess`, so the reader's
repair summary can be checked against it.

The references written (``D000001``, ``C00001``, examiner names from the scenario) are invented;
the format is the same as a unit's real export.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from dfu_sched.calendar import HOURS_PER_DAY, HOURS_PER_WEEK, STAGES
from dfu_sched.calibrate.history import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, History, HistoryDevice, ReadSummary
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import replication_seed
from dfu_sched.sim.model import simulate_once
from dfu_sched.sim.records import EXAM

#: Columns of a clean history row, in file order (the history file's own names).
HISTORY_COLUMNS = REQUIRED_COLUMNS + [c for c in OPTIONAL_COLUMNS if c != "risk_factors"]
#: Stage columns written when the stage is enabled in the scenario.
_STAGE_DATES = {"triage": ("date_triaged", None), "extraction": ("date_extraction_start", "date_extraction_end")}


def export_date(sc: Scenario) -> dt.date:
    """The day the example export is taken: the end of the scenario's horizon."""
    return sc.calendar.start_date + dt.timedelta(weeks=sc.calendar.horizon_weeks)


def _day(start: dt.date, hours: float) -> dt.date | None:
    """The calendar day an hour of the simulation falls on (``None`` for NaN: never happened)."""
    if not np.isfinite(hours):
        return None
    return start + dt.timedelta(days=int(np.floor(hours / HOURS_PER_DAY)))


def _status(screened: bool, exam_start: float, exam_end: float) -> str:
    if screened:
        return "screened_out"
    if np.isfinite(exam_end):
        return "completed"
    if np.isfinite(exam_start):
        return "in_progress"
    return "waiting"


def history_rows(sc: Scenario, seed: int, rep: int = 0) -> list[dict]:
    """One replication of ``sc`` (seed ``seed``, replication ``rep``: the same stream as
    ``run_experiment``) as clean history rows, in submission order.

    Each row has :data:`HISTORY_COLUMNS` (``date_triaged``/extraction dates only when those stages
    are enabled): dates are ``datetime.date`` (the day of the simulated hour), ``exam_hours`` the
    drawn examination hours of devices whose examination ended (what a unit books on completion;
    blank otherwise), ``status`` the device's state on :func:`export_date`, ``examiner_id`` the
    examining server's name. Devices of the scenario's initial backlog are dated before its start.
    """
    out, wl = simulate_once(sc, replication_seed(seed, rep))
    rec = out.records
    start = sc.calendar.start_date
    horizon_h = sc.calendar.horizon_weeks * HOURS_PER_WEEK
    tiers, types = sc.tier_names, list(sc.device_types)
    names = [s.name for s in out.servers]
    order = np.argsort(wl.submit, kind="stable")
    case_ids: dict[int, str] = {}
    rows: list[dict] = []
    for i in order:
        s0, e0 = rec.start[i, EXAM], rec.end[i, EXAM]
        s0 = s0 if s0 < horizon_h else np.nan
        e0 = e0 if e0 < horizon_h else np.nan
        case = case_ids.setdefault(int(wl.case[i]), f"C{len(case_ids) + 1:05d}")
        status = _status(bool(rec.screened[i]) and rec.done[i] < horizon_h, s0, e0)
        row: dict = {
            "device_id": f"D{len(rows) + 1:06d}", "case_id": case, "device_type": types[wl.dtype[i]],
            "date_submitted": _day(start, wl.submit[i]), "tier": tiers[wl.tier[i]],
        }
        for stage, (first, second) in _STAGE_DATES.items():
            if stage in sc.enabled_stages:
                k = STAGES.index(stage)
                row[first] = _day(start, _before(rec.start[i, k], horizon_h))
                if second:
                    row[second] = _day(start, _before(rec.end[i, k], horizon_h))
        server = int(rec.server[i, EXAM])
        row.update({
            "date_exam_start": _day(start, s0), "date_exam_end": _day(start, e0),
            "examiner_id": names[server] if server >= 0 and np.isfinite(s0) else None,
            "exam_hours": round(float(wl.hours[i, EXAM]), 2) if np.isfinite(e0) else None,
            "status": status, "expedite": bool(wl.expedite[i]),
        })
        rows.append(row)
    return rows


def _before(hours: float, horizon_h: float) -> float:
    return hours if hours < horizon_h else np.nan


def row_columns(rows: list[dict]) -> list[str]:
    """The columns of ``rows`` in :data:`HISTORY_COLUMNS` order (then any others, as first seen)."""
    seen: list[str] = []
    for r in rows:
        seen += [k for k in r if k not in seen]
    return [c for c in HISTORY_COLUMNS if c in seen] + [c for c in seen if c not in HISTORY_COLUMNS]


def history_from_rows(rows: list[dict], source: str = "synthetic") -> History:
    """A :class:`History` straight from clean rows (``calibrate.synthetic.history_rows``), without a file."""
    devices = [HistoryDevice(row=i + 2, device_id=r["device_id"], case_id=r["case_id"],
                             device_type=r["device_type"], submitted=r["date_submitted"], status=r["status"],
                             tier=r.get("tier"), exam_start=r.get("date_exam_start"),
                             exam_end=r.get("date_exam_end"), examiner_id=r.get("examiner_id"),
                             exam_hours=r.get("exam_hours"), expedite=bool(r.get("expedite")))
               for i, r in enumerate(rows)]
    return History(source, devices, ReadSummary(rows_read=len(rows), devices=len(devices)))


# ---- mess ---------------------------------------------------------------------------------------

#: The example export's headers for the history file's columns (``history_columns.yaml`` maps them back).
EXPORT_HEADERS = {
    "device_id": "Exhibit Ref", "case_id": "Case Number", "device_type": "Exhibit Type",
    "date_submitted": "Date Received", "tier": "Risk Grade", "date_triaged": "Triage Date",
    "date_extraction_start": "Imaging Started", "date_extraction_end": "Imaging Completed",
    "date_exam_start": "Exam Started", "date_exam_end": "Exam Completed", "examiner_id": "Examiner",
    "exam_hours": "Hours Booked", "status": "Exhibit Status", "expedite": "Expedited",
}
#: How the export names device types and statuses (value maps in ``history_columns.yaml``).
EXPORT_TYPES = {"phone": "Mobile Phone", "computer": "Computer/Laptop", "storage": "Storage Media"}
EXPORT_STATUSES = {"waiting": "Awaiting Examination", "in_progress": "In Progress", "completed": "Completed",
                   "withdrawn": "Withdrawn", "screened_out": "Screened Out"}
#: A device type the unit's scenario does not know (the reader counts and reports it).
UNKNOWN_TYPE = "Drone"
#: Columns real exports carry that the tool does not use (the reader ignores them, counted once).
EXTRA_COLUMNS = {"Officer In Case": "OIC", "Storage Location": "Store B", "Notes": ""}
#: Date formats of the export: most cells day-first UK style, some ISO (a system migration).
UK_DATE, ISO_DATE = "%d/%m/%Y", "%Y-%m-%d"


@dataclass
class Mess:
    """What :func:`messy` did, counted: the reader's summary must account for each of these."""

    duplicate_rows: int = 0
    blank_tiers: int = 0
    withdrawn_rows: int = 0
    unknown_type_rows: int = 0
    iso_dates: int = 0
    uk_dates: int = 0
    #: row index (in the messy output) -> which clean row it copies (``None`` for added rows)
    source: list[int | None] = field(default_factory=list)


def messy(rows: list[dict], rng: np.random.Generator, duplicate_share: float = 0.01,
          blank_tier_share: float = 0.03, withdrawn_share: float = 0.01, unknown_type_share: float = 0.005,
          iso_share: float = 0.2) -> tuple[list[dict], Mess]:
    """Clean history rows as a real export: export headers and value names (:data:`EXPORT_HEADERS`,
    :data:`EXPORT_TYPES`, :data:`EXPORT_STATUSES`), dates as text (``iso_share`` ISO, the rest
    dd/mm/yyyy), ``blank_tier_share`` tiers blanked, added rows -- ``withdrawn_share`` withdrawn
    devices and ``unknown_type_share`` devices of :data:`UNKNOWN_TYPE`, never examined -- and
    ``duplicate_share`` rows repeated exactly, plus :data:`EXTRA_COLUMNS`. Nothing else changes:
    mapping headers and values back, parsing the dates, dropping exact duplicates and the added
    rows gives the clean rows again with some tiers blank (the test checks exactly that)."""
    mess = Mess()
    n = len(rows)
    if n == 0:
        return [], mess
    pool = [dict(r) for r in rows]
    sources: list[int | None] = list(range(n))
    for kind, share in (("withdrawn", withdrawn_share), ("unknown", unknown_type_share)):
        for j in sorted(rng.choice(n, size=int(round(share * n)), replace=False)):
            extra = dict(rows[j])
            extra.update({"device_id": f"X{len(pool) + 1:06d}", "date_exam_start": None, "date_exam_end": None,
                          "examiner_id": None, "exam_hours": None, "status": "withdrawn" if kind == "withdrawn"
                          else "waiting"})
            if kind == "unknown":
                extra["device_type"] = UNKNOWN_TYPE
                mess.unknown_type_rows += 1
            else:
                mess.withdrawn_rows += 1
            pool.append(extra)
            sources.append(None)
    out: list[dict] = []
    for r, src in zip(pool, sources, strict=True):
        out.append(_export_row(r, rng, iso_share, mess))
        mess.source.append(src)
    for j in range(len(out)):
        if out[j]["Risk Grade"] and rng.random() < blank_tier_share:
            out[j]["Risk Grade"] = ""
            mess.blank_tiers += 1
    dup = sorted(rng.choice(len(out), size=int(round(duplicate_share * n)), replace=False))
    for j in reversed(dup):
        out.insert(j + 1, dict(out[j]))
        mess.source.insert(j + 1, mess.source[j])
        mess.duplicate_rows += 1
    return out, mess


def _export_row(r: dict, rng: np.random.Generator, iso_share: float, mess: Mess) -> dict:
    row: dict = {}
    for col, value in r.items():
        head = EXPORT_HEADERS[col]
        if isinstance(value, dt.date):
            iso = rng.random() < iso_share
            mess.iso_dates += iso
            mess.uk_dates += not iso
            value = value.strftime(ISO_DATE if iso else UK_DATE)
        elif col == "device_type":
            value = EXPORT_TYPES.get(value, value)
        elif col == "status":
            value = EXPORT_STATUSES[value]
        elif col == "expedite":
            value = "Y" if value else "N"
        row[head] = "" if value is None else value
    row.update(EXTRA_COLUMNS)
    return row
