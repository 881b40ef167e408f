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


# ---- the column map -----------------------------------------------------------------------------

MAP_EXAMPLE = """\
columns:                 # export header -> dfu_sched column
  Exhibit Ref: device_id
  Case Number: case_id
  Item Type: device_type
  Received: date_submitted
dates:                   # per dfu_sched column: strptime formats tried in order
  date_submitted: ["%d/%m/%Y", "%Y-%m-%d"]
values:                  # per dfu_sched column: export value -> dfu_sched value
  device_type: {Mobile Phone: phone, Laptop: computer, Desktop: computer}
  tier: {P1: VH, P2: H, P3: M, P4: L}
unknown_columns: ignore  # or 'error' (strict: today's behaviour)
"""
EXPORT = ("Exhibit Ref,Case Number,Item Type,Received,Tier,Officer In Case,Store Location,Risk_Factors\n"
          "EX-1,NY/2024/1,  mobile phone ,31/05/2024,p1,PC SECRET-NAME,Shelf 9,\n"
          "EX-2,NY/2024/1,Desktop,2024-05-30,P4,PC SECRET-NAME,Shelf 9,\n")


def column_map(tmp_path, text: str = MAP_EXAMPLE, name: str = "map.yaml"):
    from dfu_sched.tables import load_column_map

    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return load_column_map(p)


def test_the_readme_example_map_renames_maps_values_and_reads_dates(tmp_path):
    cmap = column_map(tmp_path)
    assert cmap.columns["exhibit ref"] == "device_id" and cmap.unknown_columns == "ignore"
    t = read_table(write(tmp_path, EXPORT, "queue.csv"), QUEUE_TABLE, cmap)
    assert t.header[:5] == ["device_id", "case_id", "device_type", "date_submitted", "tier"]
    assert [r.values["device_type"] for r in t.rows] == ["phone", "computer"]  # trimmed, any case
    assert [r.values["tier"] for r in t.rows] == ["VH", "L"]
    cells = list(t.cells())
    assert cells[0].date_as("date_submitted") == (dt.date(2024, 5, 31), "%d/%m/%Y")
    assert cells[1].date_as("date_submitted") == (dt.date(2024, 5, 30), "%Y-%m-%d")
    # the two unknown columns: one counted warning, positions only, never their text
    assert t.ignored == (6, 7)
    assert t.warnings == ["queue.csv: 2 unknown column(s) ignored (header position(s) 6, 7)"]
    assert all(v not in repr(t.rows) for v in ("SECRET", "Shelf"))


def test_the_map_feeds_read_queue_and_an_unmapped_value_is_refused_without_echo(tmp_path):
    cmap = column_map(tmp_path)
    said: list[str] = []
    rows = read_queue(write(tmp_path, EXPORT, "queue.csv"), TIERS, TYPES, load_risk_model(), WEEK,
                      columns=cmap, warnings=said)
    assert [(q.device_type, q.tier, q.date_submitted) for q in rows] == [
        ("phone", "VH", dt.date(2024, 5, 31)), ("computer", "L", dt.date(2024, 5, 30))]
    assert said == ["queue.csv: 2 unknown column(s) ignored (header position(s) 6, 7)"]
    bad = EXPORT.replace("Desktop", "Tablet-XYZ")
    with pytest.raises(InputError) as exc:
        read_queue(write(tmp_path, bad, "queue.csv"), TIERS, TYPES, load_risk_model(), WEEK, columns=cmap)
    assert "queue.csv row 3, column 'device_type': not a device type" in str(exc.value)
    assert "XYZ" not in str(exc.value)


def test_a_date_outside_the_map_formats_is_refused_naming_the_formats(tmp_path):
    cmap = column_map(tmp_path, MAP_EXAMPLE.replace('["%d/%m/%Y", "%Y-%m-%d"]', '"%d/%m/%Y"'))
    t = read_table(write(tmp_path, EXPORT, "queue.csv"), QUEUE_TABLE, cmap)
    cells = list(t.cells())
    assert cells[0].date("date_submitted") == dt.date(2024, 5, 31)
    with pytest.raises(InputError) as exc:
        cells[1].date("date_submitted")
    assert str(exc.value) == ("queue.csv row 3, column 'date_submitted': cannot read it as a date "
                              "(use %d/%m/%Y)")


def test_unknown_columns_error_keeps_the_strict_refusal(tmp_path):
    cmap = column_map(tmp_path, MAP_EXAMPLE.replace("unknown_columns: ignore", "unknown_columns: error"))
    with pytest.raises(InputError) as exc:
        read_table(write(tmp_path, EXPORT, "queue.csv"), QUEUE_TABLE, cmap)
    assert "queue.csv: column 6 of the header is not a known column" in str(exc.value)
    assert "officer" not in str(exc.value).lower()


@pytest.mark.parametrize("edit, message", [
    (("Exhibit Ref: device_id", "Exhibit Reff: device_id"),
     "column map map.yaml: header 'exhibit reff' is not in the queue file"),
    (("Item Type: device_type", "Item Type: kind"),
     "column map map.yaml: header 'item type' is mapped to 'kind', not a column of a queue (known: device_id"),
    (("  tier: {P1", "  grade: {P1"), "column map map.yaml: 'grade' is not a column of a queue"),
])
def test_a_map_that_does_not_fit_the_file_is_one_line_naming_map_and_header(tmp_path, edit, message):
    cmap = column_map(tmp_path, MAP_EXAMPLE.replace(*edit))
    with pytest.raises(InputError) as exc:
        read_table(write(tmp_path, EXPORT, "queue.csv"), QUEUE_TABLE, cmap)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert "NY/2024" not in str(exc.value) and "SECRET" not in str(exc.value)


def test_one_map_serves_exports_with_and_without_an_optional_column(tmp_path):
    """A lenient map's entry for an optional header this export lacks is one warning (naming the
    map's header, never a cell), and the column is blank; a strict map still refuses it."""
    lenient = column_map(tmp_path, MAP_EXAMPLE.replace("Received: date_submitted",
                                                       "Received: date_submitted\n  Seized By: notes"))
    table = read_table(write(tmp_path, EXPORT, "queue.csv"), QUEUE_TABLE, lenient)
    assert len(table.rows) == 2
    assert any("1 mapped header(s) not in queue.csv (seized by)" in w for w in table.warnings), table.warnings
    assert not any("SECRET" in w or "NY/2024" in w for w in table.warnings)
    strict = column_map(tmp_path, MAP_EXAMPLE.replace("Received: date_submitted",
                                                      "Received: date_submitted\n  Seized By: notes")
                        .replace("unknown_columns: ignore", "unknown_columns: error"), name="strict.yaml")
    with pytest.raises(InputError, match="header 'seized by' is not in the queue file"):
        read_table(write(tmp_path, EXPORT, "queue.csv"), QUEUE_TABLE, strict)


def test_sections_apply_per_file_and_a_flat_map_is_for_the_queue_only(tmp_path):
    staff_text = "Examiner,Skills,Weekly Hours,Line Manager\nE1,mobile,37.5,Someone\n"
    sectioned = column_map(tmp_path, "queue:\n" + "".join("  " + line + "\n" for line in MAP_EXAMPLE.splitlines())
                           + "staff:\n  columns: {Examiner: examiner_id, Skills: skills, Weekly Hours: hours}\n")
    assert set(sectioned.sections) == {"queue", "staff"}
    rows = read_queue(write(tmp_path, EXPORT, "queue.csv"), TIERS, TYPES, load_risk_model(), WEEK,
                      columns=sectioned)
    assert len(rows) == 2
    said: list[str] = []
    staff_rows = read_staff(write(tmp_path, staff_text, "staff.csv"), ["mobile", "computer"],
                            columns=sectioned, warnings=said)
    assert [(s.examiner_id, s.hours) for s in staff_rows] == [("E1", 37.5)]
    assert said == ["staff.csv: 1 unknown column(s) ignored (header position(s) 4)"]
    flat = column_map(tmp_path)
    assert flat.for_file("staff", flat_ok=False) is None and flat.for_file("queue") is flat
    with pytest.raises(InputError, match="staff.csv: column 1 of the header is not a known column"):
        read_staff(write(tmp_path, staff_text, "staff.csv"), ["mobile"], columns=flat)


@pytest.mark.parametrize("text, message", [
    ("columns: [a, b]\n", "map.yaml: key 'columns': must be a mapping"),
    ("columns: {A: {b: c}}\n", "map.yaml: key 'columns.A': must map one text to one text"),
    ("columns: {A: x, ' a ': y}\n", "map.yaml: key 'columns. a ': given twice"),
    ("dates: {date_submitted: 7}\n", "map.yaml: key 'dates.date_submitted': must be a list of strptime formats"),
    ("dates: {date_submitted: ['%Q']}\n", "map.yaml: key 'dates.date_submitted': a format cannot be read back"),
    ("values: {tier: P1}\n", "map.yaml: key 'values.tier': must be a mapping"),
    ("unknown_columns: maybe\n", "map.yaml: key 'unknown_columns': must be 'ignore' or 'error'"),
    ("colums: {A: b}\n", "map.yaml: key 'colums': not a column-map key"),
    ("queue: {}\ncolumns: {A: b}\n", "map.yaml: key 'columns': a map with sections holds only"),
    ("queue: [1]\n", "map.yaml: key 'queue': must be a mapping"),
    ("- a\n", "a column map must be a mapping"),
    ("columns: {A: b\n", "YAML syntax error"),
])
def test_bad_maps_are_one_line_naming_the_key(tmp_path, text, message):
    with pytest.raises(InputError) as exc:
        column_map(tmp_path, text)
    assert message in str(exc.value) and "\n" not in str(exc.value)


_yaml_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                       st.text(max_size=8))
_yaml_value = st.recursive(_yaml_leaf, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=3)),
    max_leaves=12)
_map_key = st.sampled_from(["columns", "dates", "values", "unknown_columns", "queue", "staff", "history", "x"])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(_yaml_value, st.dictionaries(_map_key, _yaml_value, max_size=4),
                      st.dictionaries(_map_key, st.dictionaries(_map_key, _yaml_value, max_size=3), max_size=3)))
def test_fuzzed_map_shapes_load_or_fail_in_one_line(tmp_path, data):
    import yaml

    from dfu_sched.tables import ColumnMap

    try:
        cmap = column_map(tmp_path, yaml.safe_dump(data), "fuzz.yaml")
    except InputError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(("fuzz.yaml", str(tmp_path)))
    else:
        assert isinstance(cmap, ColumnMap)


def test_a_bad_map_through_the_cli_is_one_line_exit_2_and_no_output(tmp_path):
    from click.testing import CliRunner

    from dfu_sched.cli import main

    bad = tmp_path / "map.yaml"
    bad.write_text("columns: {Exhibit Ref: [device_id]}\n", encoding="utf-8")
    out = tmp_path / "scores.csv"
    r = CliRunner().invoke(main, ["risk", "scenarios/examples/queue.csv", "--columns", str(bad),
                                  "--week", "2024-06-03", "--out", str(out)])
    assert r.exit_code == 2 and not out.exists()
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and "map.yaml: key 'columns.Exhibit Ref': must map one text to one text" in lines[0]


def test_risk_reads_an_export_through_the_map_and_warns_once(tmp_path):
    from click.testing import CliRunner

    from dfu_sched.cli import main

    (tmp_path / "map.yaml").write_text(MAP_EXAMPLE, encoding="utf-8")
    write(tmp_path, EXPORT.replace("Store Location,Risk_Factors", "Store Location,risk_factors"), "queue.csv")
    r = CliRunner().invoke(main, ["risk", str(tmp_path / "queue.csv"), "--columns", str(tmp_path / "map.yaml"),
                                  "--week", "2024-06-03"])
    assert r.exit_code == 0, r.output
    assert "2 device(s) scored" in r.output
    assert r.output.count("unknown column(s) ignored") == 1 and "SECRET" not in r.output


def test_workbook_codes_and_map_date_times(tmp_path):
    import openpyxl

    from dfu_sched.tables import ColumnMap

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Ref", "Case", "device_type", "date_submitted", "Priority", "deadline"])
    ws.append(["SECRET-1", "SECRET-C", "phone", dt.date(2024, 5, 1), 1, "05/06/2024 14:30"])
    ws.append(["SECRET-2", "SECRET-C", "phone", dt.date(2024, 5, 1), 4.0, "nonsense SECRET"])
    wb.save(tmp_path / "q.xlsx")
    cmap = ColumnMap("m.yaml", columns={"ref": "device_id", "case": "case_id", "priority": "tier"},
                     dates={"deadline": ("%d/%m/%Y %H:%M",)}, values={"tier": {"1": "VH", "4": "L"}})
    t = read_table(tmp_path / "q.xlsx", QUEUE_TABLE, cmap)
    cells = list(t.cells())
    assert [c.text("tier") for c in cells] == ["VH", "L"]  # a workbook's numbers are codes too
    assert cells[0].date_as("date_submitted") == (dt.date(2024, 5, 1), "workbook date")
    assert cells[0].datetime("deadline") == dt.datetime(2024, 6, 5, 14, 30)
    with pytest.raises(InputError) as exc:
        cells[1].datetime("deadline")
    assert str(exc.value) == ("q.xlsx row 3, column 'deadline': cannot read it as a date or date-time "
                              "(use %d/%m/%Y %H:%M)")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(_map_key, _yaml_value, max_size=3))
def test_fuzzed_maps_through_the_cli_exit_0_or_one_line_exit_2(tmp_path, data):
    import yaml
    from click.testing import CliRunner

    from dfu_sched.cli import main

    (tmp_path / "fuzz.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    r = CliRunner().invoke(main, ["risk", "scenarios/examples/queue.csv", "--columns", str(tmp_path / "fuzz.yaml"),
                                  "--week", "2024-06-03", "--json"])
    assert r.exit_code in (0, 2), r.output
    if r.exit_code == 2:
        assert len(r.output.strip().splitlines()) == 1 and r.output.startswith("error: ")
