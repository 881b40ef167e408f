"""A table of rows written as JSON, CSV or XLSX by suffix: what ``risk``/``plan --out`` and the app write.

Why one writer: the web app's downloads must be the same bytes as the command's files, so both call
this. Every cell goes through ``reports.cells`` (queue text is never a live formula).
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from dfu_sched.errors import InputError


def public_row(row: dict) -> dict:
    """A row without the raw hour columns (the CSV's columns)."""
    return {k: v for k, v in row.items() if k not in ("start_hour", "end_hour")}


def write_table(path: Path, staged: Path, table: list[dict], doc: dict, title: str,
                week_start: dt.date | None = None) -> None:
    """Write ``path``'s format (by its suffix) into ``staged`` (its temporary in a transaction).

    The CSV leaves out the raw hour columns; the workbook turns them into the start and end
    date-times of the planning week (``week_start``).
    """
    suffix = path.suffix.lower()
    if suffix == ".json":
        with open(staged, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=2, default=str)
    elif suffix == ".csv":
        from dfu_sched.reports.cells import write_csv_rows

        public = [public_row(r) for r in table]
        fields = list(public[0]) if public else ["device"]
        with open(staged, "w", encoding="utf-8", newline="") as fh:
            write_csv_rows(fh, fields, ([r.get(k) for k in fields] for r in public))
    elif suffix == ".xlsx":
        from dfu_sched.reports.table_xlsx import table_workbook

        wb = table_workbook(table, doc, title, week_start)
        with open(staged, "wb") as fh:
            wb.save(fh)
    else:
        raise InputError(f"--out {path.name}: unsupported type")
