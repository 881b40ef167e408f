"""The workbook of ``plan --out plan.xlsx`` and ``risk --out risk.xlsx``: one table sheet and a summary.

Built for the Monday meeting, who open it in Excel: the header row is styled and frozen, columns
are wide enough to read, and times are real date-times (the planned start and end on the
week's calendar, the deadline), so the sheet sorts and filters by time. Every cell goes through
:mod:`dfu_sched.reports.cells`, so no text from the queue file can become a formula.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from dfu_sched.reports.cells import write_sheet

TIME = "ddd dd/mm hh:mm"
DATETIME = "yyyy-mm-dd hh:mm"
FORMATS = {"start": TIME, "end": TIME, "deadline": DATETIME, "score": "0.0", "hours": "0.0",
           "days_past_target": "0.0", "weight": "0.000"}
HOUR_COLUMNS = ("start_hour", "end_hour")


def at_hour(week_start: dt.date, hours: float | None) -> dt.datetime | None:
    """Hours from Monday 00:00 of the planning week as a date-time (to the minute)."""
    if hours is None:
        return None
    return dt.datetime.combine(week_start, dt.time()) + dt.timedelta(minutes=round(hours * 60))


def _deadline(text: Any) -> Any:
    if isinstance(text, str) and text:
        try:
            return dt.datetime.strptime(text, "%Y-%m-%d %H:%M")
        except ValueError:
            return text
    return text or None


def sheet_rows(table: Sequence[dict], week_start: dt.date | None) -> tuple[list[str], list[list[Any]]]:
    """Header and rows for the table sheet: start/end as date-times, the raw hour columns dropped."""
    fields = [k for k in (table[0] if table else {"device": None}) if k not in HOUR_COLUMNS]
    rows = []
    for r in table:
        row = []
        for k in fields:
            v = r.get(k)
            if week_start is not None and k in ("start", "end") and f"{k}_hour" in r:
                v = at_hour(week_start, r[f"{k}_hour"])
            elif k == "deadline":
                v = _deadline(v)
            row.append(v)
        rows.append(row)
    return fields, rows


def table_workbook(table: Sequence[dict], doc: dict, title: str, week_start: dt.date | None = None):
    """An openpyxl Workbook: the table sheet, and (for a plan) the summary with warnings and privacy."""
    import openpyxl

    wb = openpyxl.Workbook()
    fields, rows = sheet_rows(table, week_start)
    write_sheet(wb, title, fields, rows, {j: FORMATS[k] for j, k in enumerate(fields) if k in FORMATS},
                ws=wb.active)
    if "summary" in doc:
        srows: list[list[Any]] = [[k, v] for k, v in doc["summary"].items()]
        srows += [["warning", w] for w in doc.get("warnings", [])]
        marker = doc.get("pseudonymised")
        srows.append(["pseudonymised", "yes, key fingerprint " + marker["key_fingerprint"]
                      if isinstance(marker, dict) else "no"])
        write_sheet(wb, "Summary", ["item", "value"], srows, max_width=100)
    return wb
