"""The CSV/XLSX table reader: header checks, shifted rows, size and encoding guards, and no echo.

Moved here from tests/plan/test_files.py (the reader is shared): an empty staff file, the csv
module's field limit and a shifted row. Every message is one line naming file, row or column
and never a cell's value (a cell can be a case reference).
"""
from __future__ import annotations

import datetime as dt
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dfu_sched.errors import InputError
from dfu_sched.plan.files import QUEUE_TABLE, STAFF_TABLE, read_queue, read_staff
from dfu_sched.plan.risk import load_risk_model
from dfu_sched.tables import Cell, Column, TableSpec, parse_date, read_table
from tests.plan.test_files import HEADER, TIERS, TYPES, WEEK, queue

SPEC = TableSpec.of("table", ["a", "b"], ["c"])


def write(tmp_path, text: str, name: str = "t.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ---- moved from tests/plan/test_files.py --------------------------------------------------------

def test_an_empty_staff_file_is_not_called_a_queue(tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text("")
    with pytest.raises(InputError) as exc:
        read_staff(path, ["mobile", "computer"])
    assert "staff.csv: no header row (an empty staff list" in str(exc.value)
    assert "queue" not in str(exc.value)


def test_a_csv_field_over_the_csv_module_limit_is_one_line(tmp_path):
    # a field over 131,072 characters used to raise _csv.Error (a traceback)
    path = tmp_path / "queue.csv"
    path.write_text(HEADER + "D1,C1,phone,2024-05-01,H,," + "9" * 140_000 + ",\n")
    with pytest.raises(InputError) as exc:
        read_queue(path, TIERS, TYPES, load_risk_model(), WEEK)
    assert "queue.csv: cannot be read as CSV" in str(exc.value) and "9999" not in str(exc.value)


def test_a_row_longer_than_the_header_is_a_shifted_row(tmp_path):
    # trailing empty cells (a common export habit) are fine; a value past the header is not
    assert len(queue(tmp_path, "D1,C1,phone,2024-05-01,H,,,,,\n")) == 1
    with pytest.raises(InputError) as exc:
        queue(tmp_path, "D1,NY/2024,1007,phone,2024-05-01,H,,8,2024-06-07\n")
    text = str(exc.value)
    assert "queue.csv: row 2 has more cells than the header has columns (8)" in text
    assert "1007" not in text and "NY/2024" not in text


# ---- the reader itself --------------------------------------------------------------------------

def test_header_is_normalised_and_blank_rows_skipped(tmp_path):
    t = read_table(write(tmp_path, "\ufeff A ,B,c\n1,2,3\n,,\n  ,,\n4,5\n"), SPEC)
    assert t.source == "t.csv" and t.header == ["a", "b", "c"]
    assert [(r.number, r.values) for r in t.rows] == [(2, {"a": "1", "b": "2", "c": "3"}),
                                                     (5, {"a": "4", "b": "5", "c": None})]
    assert t.warnings == []


@pytest.mark.parametrize("text, message", [
    ("a\n1\n", "t.csv: missing column 'b'"),
    ("a,b,a\n", "t.csv: column 'a' appears twice"),
    ("a,b,x_C12345,x_C12345\n", "t.csv: columns 3 and 4 of the header have the same name"),
    ("a,b,cc\n", "t.csv: column 3 of the header is not a known column (did you mean 'c'?)"),
    ("a,b,NY/2024/77\n", "column 3 of the header is not a known column (known: a, b, c)"),
    ("", "t.csv: no header row (an empty table still needs its header line)"),
])
def test_header_errors_name_the_column_by_position(tmp_path, text, message):
    with pytest.raises(InputError) as exc:
        read_table(write(tmp_path, text), SPEC)
    assert message in str(exc.value)
    assert "C12345" not in str(exc.value) and "NY/2024" not in str(exc.value)


def test_extra_columns_x_prefix_and_notes_are_kept_out_of_the_way(tmp_path):
    t = read_table(write(tmp_path, "a,b,x_mine,notes\n1,2,3,4\n"), SPEC)
    assert t.rows[0].values == {"a": "1", "b": "2", "x_mine": "3", "notes": "4"}


def test_ignore_mode_drops_unknown_columns_with_one_counted_warning(tmp_path):
    spec = TableSpec.of("table", ["a", "b"], ["c"], unknown="ignore")
    t = read_table(write(tmp_path, "a,CASE-9,b,other\n1,2,3,4\n"), spec)
    assert t.header == ["a", "", "b", ""]
    assert t.rows[0].values == {"a": "1", "b": "3"}
    assert t.warnings == ["t.csv: 2 unknown column(s) ignored (header position(s) 2, 4)"]
    assert "CASE-9" not in t.warnings[0]


def test_an_alias_is_read_as_its_column(tmp_path):
    spec = TableSpec("table", (Column("device_id", required=True, aliases=("exhibit_ref",)),))
    t = read_table(write(tmp_path, "Exhibit_Ref\nD1\n"), spec)
    assert t.header == ["device_id"] and t.rows[0].values == {"device_id": "D1"}


@pytest.mark.parametrize("name, content, message", [
    ("t.csv", b"a,b\n\xff\xfe1,2\n", "t.csv: not UTF-8 text (save the CSV as UTF-8)"),
    ("t.xlsx", b"not a zip", "t.xlsx: cannot open workbook"),
    ("t.ods", b"", "expected a .csv or .xlsx file"),
])
def test_unreadable_files_are_one_line(tmp_path, name, content, message):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(InputError) as exc:
        read_table(p, SPEC)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_a_missing_file_and_a_too_large_file(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_table(tmp_path / "none.csv", SPEC)
    p = write(tmp_path, "a,b\n" + "1,2\n" * 100)
    small = TableSpec.of("queue", ["a", "b"], [], max_bytes=100)
    with pytest.raises(InputError) as exc:
        read_table(p, small)
    assert "t.csv: the file is larger than the" in str(exc.value) and "a queue may be" in str(exc.value)


def test_the_shipped_specs_list_the_reader_columns():
    assert [c.name for c in QUEUE_TABLE.columns if c.required] == ["device_id", "case_id", "device_type",
                                                                   "date_submitted"]
    assert STAFF_TABLE.what == "staff list"


def test_xlsx_values_keep_their_types(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["A", "b", None])
    ws.append([dt.date(2024, 5, 1), 7.0, None])
    ws.append([None, None, None])
    p = tmp_path / "t.xlsx"
    wb.save(p)
    t = read_table(p, SPEC)
    assert len(t.rows) == 1
    c = next(t.cells())
    assert c.date("a") == dt.date(2024, 5, 1) and c.text("b") == "7" and c.number("b") == 7.0


def test_cell_parsers_name_row_and_column_never_the_value():
    c = Cell("q.csv", 4, {"d": "31/13/2024", "n": "lots", "f": "perhaps", "i": "2.5", "e": " "})
    for call, message in [(lambda: c.date("d"), "q.csv row 4, column 'd': cannot read it as a date"),
                          (lambda: c.number("n"), "column 'n': cannot read it as a number"),
                          (lambda: c.flag("f"), "column 'f': cannot read it as yes/no"),
                          (lambda: c.integer("i"), "column 'i': must be a whole number"),
                          (lambda: c.required_text("e"), "column 'e': is empty")]:
        with pytest.raises(InputError) as exc:
            call()
        assert message in str(exc.value)
        assert not any(v in str(exc.value) for v in ("31/13/2024", "lots", "perhaps", "2.5"))
    assert parse_date("01/05/2024") == dt.date(2024, 5, 1) and parse_date("2024-13-01") is None


# ---- fuzz: any text either reads or fails in one line that never repeats a cell -------------------

SECRET = "SECRETREF"
cell_text = st.one_of(st.text(alphabet=string.printable, max_size=8),
                      st.just(SECRET + "1"), st.just('"' + SECRET + ',2"'), st.just(""))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.lists(st.sampled_from(["a", "b", "c", "x_n", SECRET, "", "A "]), max_size=5),
       rows=st.lists(st.lists(cell_text, max_size=6), max_size=6),
       unknown=st.sampled_from(["error", "ignore"]))
def test_fuzz_the_reader_never_echoes_a_cell(tmp_path, header, rows, unknown):
    text = "\n".join([",".join(header)] + [",".join(r) for r in rows])
    p = tmp_path / "fuzz.csv"
    p.write_text(text, encoding="utf-8")
    spec = TableSpec.of("table", ["a"], ["b", "c"], unknown=unknown)
    try:
        t = read_table(p, spec)
    except InputError as exc:
        msg = str(exc)
        assert msg.startswith("fuzz.csv") and "\n" not in msg
        assert SECRET not in msg and SECRET.lower() not in msg
        return
    assert "a" in t.header
    for r in t.rows:
        assert r.number >= 2 and set(r.values) <= {"a", "b", "c", "x_n"}
    assert all(SECRET.lower() not in w for w in t.warnings)
