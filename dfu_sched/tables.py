"""Read a CSV or XLSX table that a person exported, with errors that name file, row and column.

Why it exists: the weekly queue and staff files (``dfu_sched.plan.files``) and, next, the history
import of a calibration all start from a spreadsheet someone saved by hand. Reading one well is
the same work each time -- a header to normalise, blank rows to skip, a row shifted by a stray
separator, a workbook that will not open, a file far too big -- so it is done once, here, and each
reader only says which columns it expects (a :class:`TableSpec`) and parses cells with :class:`Cell`.

Messages never repeat a cell's value. A row shifted by a stray comma puts a case reference under
``device_type``, and a file exported without its header makes its first row (case references) the
header. So a message may list the *allowed* values, name the spec's columns and give a column's
position in the header, but never the text that was found. Rows are numbered as a spreadsheet
numbers them: the header is row 1.

Extension: a :class:`Column` carries everything known about one column (today its name, whether it
is required, and other header spellings that mean it). ``TableSpec.unknown`` chooses between
refusing an unknown column (the default: it may be a misspelt one, or a missing header) and
ignoring unknown columns with one counted warning.

A unit's own export has its own headers, date spellings and codes, so a column map
(``dfu_sched.columnmap``, re-exported here) says what they mean. It is applied here, before the
spec's header check and cell parsing, so every reader (queue, staff, history) gets it for free.
"""
from __future__ import annotations

import csv
import datetime as dt
import difflib
import functools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from dfu_sched.columnmap import ColumnMap, load_column_map, short_key
from dfu_sched.errors import InputError

__all__ = ["Cell", "Column", "ColumnMap", "Row", "Table", "TableSpec", "load_column_map", "read_table"]

#: The largest file a table may be (bytes): far above any weekly queue, small enough to read at once.
MAX_TABLE_BYTES = 50 * 1024 * 1024
#: Suffixes read as CSV and as workbooks.
CSV_SUFFIXES = (".csv", ".txt", "")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
#: Date spellings accepted in a date cell, tried in this order (day first: a UK force's files).
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%Y/%m/%d")
#: Date-time spellings accepted in a date-time cell before falling back to a date alone.
DATETIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M:%S")
#: How :meth:`Cell.date_as` says a date came from a workbook's own date cell, not from text.
WORKBOOK_DATE = "workbook date"
TRUE_WORDS = ("1", "1.0", "y", "yes", "true", "t", "x")
FALSE_WORDS = ("0", "0.0", "n", "no", "false", "f")


@dataclass(frozen=True)
class Column:
    """One column a table may have: its name (lower case) and other header spellings meaning it."""

    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    """The columns a table may have, and what to do with any other column.

    ``what`` names the table in messages ("queue", "staff list"). A header name that is not a
    column is refused (``unknown="error"``) unless it starts with one of ``extra_prefixes`` or is
    one of ``free_columns``; with ``unknown="ignore"`` it is dropped and counted in one warning.
    """

    what: str
    columns: tuple[Column, ...]
    extra_prefixes: tuple[str, ...] = ("x_",)
    free_columns: frozenset[str] = frozenset({"notes"})
    unknown: Literal["error", "ignore"] = "error"
    max_bytes: int = MAX_TABLE_BYTES

    @classmethod
    def of(cls, what: str, required: list[str], optional: list[str], **options: Any) -> TableSpec:
        """A spec from lists of required and optional column names."""
        cols = tuple(Column(n, required=True) for n in required) + tuple(Column(n) for n in optional)
        return cls(what, cols, **options)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def canonical(self, header_name: str) -> str:
        """The column a (normalised) header name means: itself, or the column it is an alias of."""
        for c in self.columns:
            if header_name in c.aliases:
                return c.name
        return header_name

    def is_extra(self, name: str) -> bool:
        return name in self.free_columns or any(name.startswith(p) for p in self.extra_prefixes)

    @property
    def section(self) -> str:
        """The column-map section for this table: the first word of ``what`` ("staff list" -> staff)."""
        return self.what.split()[0].lower() if self.what.strip() else ""


@dataclass(frozen=True)
class Row:
    """One non-blank row: its spreadsheet number and ``{column: value as read}`` (text from a CSV,
    the cell's value from a workbook; cells past the end of a short row are ``None``)."""

    number: int
    values: dict[str, Any]


@dataclass(frozen=True)
class Table:
    """A table as read: the file's name (never its folder), normalised header, rows and warnings.

    ``ignored`` holds the header positions of unknown columns that were dropped (positions, never
    names: a file without its header has case references there); ``date_formats`` the column map's
    date formats per column, handed to each :class:`Cell`.
    """

    source: str
    header: list[str]
    rows: list[Row]
    warnings: list[str] = field(default_factory=list)
    ignored: tuple[int, ...] = ()
    date_formats: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def cells(self) -> Iterator[Cell]:
        """Each row as a :class:`Cell` parser naming this file."""
        for r in self.rows:
            yield Cell(self.source, r.number, r.values, self.date_formats)


def read_table(path: str | Path, spec: TableSpec, columns: ColumnMap | None = None) -> Table:
    """Read ``path`` (CSV by UTF-8 text, or the first sheet of a workbook) and check its header.

    With ``columns`` (a :class:`ColumnMap`, flat or with a section for ``spec``) export headers are
    renamed before the check, value codes are mapped and the map's date formats are used; unknown
    columns follow the map's ``unknown_columns``. Raises :class:`InputError` for a missing,
    unreadable or too large file, no header, a row with values past the header, a header that does
    not fit ``spec`` (a repeated or unknown column, a missing required one), and a map naming a
    column the spec does not have. A map entry for a header this file lacks is an error when it
    maps onto a required column or the map is strict (``unknown_columns: error``); otherwise one
    warning names those headers (the map's own text), so one map serves exports with and without
    optional columns. A header with no rows is a valid, empty table.
    """
    path = Path(path)
    cmap = columns.for_file(spec.section) if columns is not None else None
    if cmap is not None:
        spec = replace(spec, unknown=cmap.unknown_columns)
    header, raw_rows = _read_raw(path, spec)
    names = [normalise_header(h) for h in header]
    unmapped: list[str] = []
    if cmap is not None:
        names, unmapped = apply_column_names(names, cmap, spec)
    rows: list[Row] = []
    for i, values in enumerate(raw_rows, start=2):
        if all(is_blank(v) for v in values):
            continue
        if any(not is_blank(v) for v in values[len(names):]):
            raise InputError(f"row {i} has more cells than the header has columns ({len(names)}); "
                             "a stray separator may have shifted the row", source=path.name)
        rows.append(Row(i, {n: (values[k] if k < len(values) else None) for k, n in enumerate(names) if n}))
    keep, warnings = check_header(names, spec, path.name)
    if unmapped and cmap is not None:
        warnings = [f"column map {cmap.source}: {len(unmapped)} mapped header(s) not in {path.name} "
                    f"({', '.join(unmapped)}): those columns are left blank", *warnings]
    if keep != names:
        wanted = {n for n in keep if n}
        renamed = dict(zip(names, keep, strict=True))
        rows = [Row(r.number, {renamed[n]: v for n, v in r.values.items() if renamed[n] in wanted})
                for r in rows]
    ignored = tuple(pos for pos, (n, k) in enumerate(zip(names, keep, strict=True), start=1) if n and not k)
    if cmap is not None and cmap.values:
        rows = [Row(r.number, map_values(r.values, cmap.values)) for r in rows]
    return Table(path.name, keep, rows, warnings, ignored, dict(cmap.dates) if cmap is not None else {})


def apply_column_names(names: list[str], cmap: ColumnMap, spec: TableSpec) -> tuple[list[str], list[str]]:
    """The header renamed by the map, and the map's headers this file lacks (optional columns of a
    lenient map). A map entry onto a column the spec does not have, or for a missing header that maps
    onto a required column (or in a strict map), is one line naming the map and the header (the map's
    own text, never a cell)."""
    known = set(spec.names)
    required = {c.name for c in spec.columns if c.required}
    missing: list[str] = []
    for export, target in cmap.columns.items():
        if target not in known and not spec.is_extra(target):
            raise InputError(f"header '{short_key(export)}' is mapped to '{short_key(target)}', not a column of a "
                             f"{spec.what} (known: {', '.join(spec.names)})", source=f"column map {cmap.source}")
        if export not in names:
            if target in required or cmap.unknown_columns == "error":
                raise InputError(f"header '{short_key(export)}' is not in the {spec.what} file",
                                 source=f"column map {cmap.source}")
            missing.append(short_key(export))
    for col in list(cmap.dates) + list(cmap.values):
        if col not in known:
            raise InputError(f"'{short_key(col)}' is not a column of a {spec.what} (known: {', '.join(spec.names)})",
                             source=f"column map {cmap.source}")
    return [cmap.columns.get(n, n) for n in names], missing


def map_values(values: dict[str, Any], maps: Mapping[str, Mapping[str, str]]) -> dict[str, Any]:
    """A row's cells with the map's value codes applied (compared trimmed, ignoring case)."""
    out = dict(values)
    for col, codes in maps.items():
        v = out.get(col)
        if v is None or is_blank(v):
            continue
        key = (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)).strip().lower()
        if key in codes:
            out[col] = codes[key]
    return out


def normalise_header(value: Any) -> str:
    """A header cell as a column name: stripped, lower case ('' for a blank cell)."""
    return "" if is_blank(value) else str(value).strip().lower()


def check_header(names: list[str], spec: TableSpec, source: str) -> tuple[list[str], list[str]]:
    """The header mapped to the spec's column names ('' for a dropped column), and warnings.

    Columns are named by position, since a file exported without its header has a row of case
    references where the header should be.
    """
    known = set(spec.names)
    seen: dict[str, int] = {}
    out: list[str] = []
    ignored: list[int] = []
    for pos, raw in enumerate(names, start=1):
        n = spec.canonical(raw) if raw else raw
        if not n:
            out.append(n)
            continue
        if n in seen:
            raise InputError(f"column '{n}' appears twice" if n in known
                             else f"columns {seen[n]} and {pos} of the header have the same name", source=source)
        seen[n] = pos
        if n not in known and not spec.is_extra(n):
            if spec.unknown == "ignore":
                ignored.append(pos)
                out.append("")
                continue
            hint = difflib.get_close_matches(n, sorted(known), n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else f" (known: {', '.join(spec.names)})"
            raise InputError(f"column {pos} of the header is not a known column{extra}; extra columns must "
                             "start with 'x_' (is the header row missing?)", source=source)
        out.append(n)
    for c in spec.columns:
        if c.required and c.name not in seen:
            raise InputError(f"missing column '{c.name}'", source=source)
    warnings = []
    if ignored:
        warnings.append(f"{source}: {len(ignored)} unknown column(s) ignored (header position(s) "
                        f"{', '.join(map(str, ignored))})")
    return out, warnings


def _read_raw(path: Path, spec: TableSpec) -> tuple[list[Any], Iterator[list[Any]]]:
    """The header cells and an iterator over the remaining rows' cells."""
    if not path.exists():
        raise InputError("file not found", source=str(path))
    suffix = path.suffix.lower()
    if suffix not in XLSX_SUFFIXES + CSV_SUFFIXES:
        raise InputError("expected a .csv or .xlsx file", source=str(path))
    if path.is_file() and path.stat().st_size > spec.max_bytes:
        raise InputError(f"the file is larger than the {spec.max_bytes / 2 ** 20:g} MB a {spec.what} may be",
                         source=path.name)
    rows = xlsx_rows(path) if suffix in XLSX_SUFFIXES else csv_rows(path)
    header = next(rows, None)
    if header is None or all(is_blank(h) for h in header):
        raise InputError(f"no header row (an empty {spec.what} still needs its header line)", source=path.name)
    return header, rows


def csv_rows(path: Path) -> Iterator[list[Any]]:
    """The rows of a UTF-8 CSV (a byte-order mark is dropped); errors never quote the file's text."""
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


def xlsx_rows(path: Path) -> Iterator[list[Any]]:
    """The rows of a workbook's first sheet, read-only; a damaged workbook is one line."""
    import openpyxl  # lazy: only workbooks need it

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


def is_blank(v: Any) -> bool:
    """An empty cell: missing, only spaces, or a workbook's NaN."""
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))


def parse_date(s: str) -> dt.date | None:
    """A date in one of :data:`DATE_FORMATS`, or None."""
    found = parse_date_as(s, DATE_FORMATS)
    return None if found is None else found[0]


@functools.lru_cache(maxsize=1 << 16)
def parse_date_as(s: str, formats: tuple[str, ...]) -> tuple[dt.date, str] | None:
    """The date and the first of ``formats`` that reads ``s``, or None. Cached: an export of five
    years repeats a few thousand distinct dates, and strptime is the slow part of reading it."""
    for fmt in formats:
        try:
            return dt.datetime.strptime(s, fmt).date(), fmt
        except ValueError:
            pass
    return None


def suggest(value: str, options: list[str]) -> str:
    """An allowed value close to the bad one, or the allowed values (the bad value is not repeated)."""
    hint = difflib.get_close_matches(value, options, n=1)
    return f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(options)}"


class Cell:
    """Parsers of one row's cells that raise one-line errors naming file, row and column."""

    def __init__(self, source: str, row: int, values: dict[str, Any],
                 date_formats: Mapping[str, tuple[str, ...]] | None = None):
        self.source, self.row, self.values = source, row, values
        self.date_formats = date_formats or {}

    def fail(self, col: str, msg: str) -> InputError:
        return InputError(f"{self.source} row {self.row}, column '{col}': {msg}")

    def raw(self, col: str) -> Any:
        v = self.values.get(col)
        return None if is_blank(v) else v

    def text(self, col: str, required: bool = False) -> str | None:
        v = self.raw(col)
        if v is None:
            if required:
                raise self.fail(col, "is empty")
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return str(v).strip()

    def required_text(self, col: str) -> str:
        """The cell's text; an empty cell is an error."""
        text = self.text(col, required=True)
        assert text is not None  # text(required=True) raises instead
        return text

    def unique_text(self, col: str, seen: dict[str, int], what: str) -> str:
        """The cell's required text, which no earlier row may repeat (``seen``: text -> first row,
        updated); the message names the rows, never the text (it is a case or staff reference)."""
        text = self.required_text(col)
        if text in seen:
            raise self.fail(col, f"duplicate {what} (first on row {seen[text]})")
        seen[text] = self.row
        return text

    def number(self, col: str, *, minimum: float | None = None, positive: bool = False,
               maximum: float | None = None) -> float | None:
        v = self.raw(col)
        if v is None:
            return None
        try:
            x = float(str(v).strip()) if not isinstance(v, int | float) else float(v)
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
        if s in TRUE_WORDS:
            return True
        if s in FALSE_WORDS:
            return False
        raise self.fail(col, "cannot read it as yes/no (use yes/no, y/n, true/false or 1/0)")

    def date(self, col: str, required: bool = False) -> dt.date | None:
        return self.date_as(col, required)[0]

    def date_as(self, col: str, required: bool = False) -> tuple[dt.date | None, str | None]:
        """The cell's date and how it was written: the strptime format that read it, or
        :data:`WORKBOOK_DATE` for a workbook's own date cell; ``(None, None)`` when empty.
        The column map's formats for ``col`` replace :data:`DATE_FORMATS` (tried in order)."""
        v = self.raw(col)
        if v is None:
            if required:
                raise self.fail(col, "is empty")
            return None, None
        if isinstance(v, dt.datetime):
            return v.date(), WORKBOOK_DATE
        if isinstance(v, dt.date):
            return v, WORKBOOK_DATE
        formats = self.date_formats.get(col)
        found = parse_date_as(str(v).strip(), tuple(formats) if formats else DATE_FORMATS)
        if found is None:
            said = " or ".join(formats[:3]) if formats else "YYYY-MM-DD or DD/MM/YYYY"
            raise self.fail(col, f"cannot read it as a date (use {said})")
        return found

    def required_date(self, col: str) -> dt.date:
        """The cell's date; an empty cell is an error."""
        d = self.date(col, required=True)
        assert d is not None  # date(required=True) raises instead
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
        mapped = self.date_formats.get(col)  # the column map's formats replace the defaults
        for fmt in mapped or DATETIME_FORMATS:
            try:
                return dt.datetime.strptime(s, fmt)
            except ValueError:
                pass
        d = None if mapped else parse_date(s)
        if d is None:
            said = " or ".join(mapped[:3]) if mapped else "YYYY-MM-DD or YYYY-MM-DD HH:MM"
            raise self.fail(col, f"cannot read it as a date or date-time (use {said})")
        return dt.datetime.combine(d, dt.time())
