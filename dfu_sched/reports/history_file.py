"""Write history rows (``calibrate.synthetic``) as a history file: CSV or XLSX by suffix.

Why here: every cell the tool writes goes through ``reports.cells`` (no formula can ride in on a
reference), and the calibrate wing returns data without writing files. Dates are ISO text in CSV
and real dates in a workbook; ``expedite`` is ``yes``/``no``; a blank is an empty cell.
``pseudonymise`` replaces device, case and examiner references by keyed pseudonyms
(``dfu_sched.privacy``), so an example history can be shared without its references.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dfu_sched.privacy import Pseudonymiser
from dfu_sched.reports.cells import write_csv_rows, write_sheet

#: Columns that hold case references, and the pseudonym prefix of each.
REFERENCE_COLUMNS = {"device_id": "D-", "case_id": "C-", "examiner_id": "E-"}
HISTORY_SUFFIXES = (".csv", ".xlsx")


def _cell(value: Any, xlsx: bool) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value if xlsx else value.isoformat()
    return value


def pseudonymised(rows: Sequence[dict], salt: str | None = None) -> list[dict]:
    """``rows`` with every reference column replaced by its pseudonym (one key for the whole file)."""
    makers = {c: Pseudonymiser(salt, prefix=p) for c, p in REFERENCE_COLUMNS.items()}
    return [{k: (makers[k](v) if k in makers and v not in (None, "") else v) for k, v in r.items()} for r in rows]


def write_history(path: Path, columns: Sequence[str], rows: Sequence[dict]) -> None:
    """Write ``rows`` (dicts keyed by ``columns``) to ``path``: ``.xlsx`` a workbook, else CSV."""
    xlsx = path.suffix.lower() == ".xlsx"
    table = [[_cell(r.get(c), xlsx) for c in columns] for r in rows]
    if xlsx:
        from openpyxl import Workbook

        wb = Workbook()
        write_sheet(wb, "history", list(columns), table, formats={
            j: "yyyy-mm-dd" for j, c in enumerate(columns) if c.startswith("date_")}, ws=wb.active)
        wb.save(path)
        return
    with path.open("w", encoding="utf-8", newline="") as fh:
        write_csv_rows(fh, list(columns), table)
