"""Privacy of outputs and messages (issue 9, items 1-3; issue 8, item 8).

* No workbook the tool writes holds a formula, and every CSV cell from input that a spreadsheet
  could run (``= + - @``, tab, CR) is neutralised with a leading quote.
* Error messages never repeat a cell value (a shifted row or a missing header puts case
  references where other values belong).
* ``report --pseudonymise`` decides from the file's own record, not from the look of values, and
  pseudonymised plans hide file names and examiner ids.
* Workbooks have a styled, frozen header row, fitted widths, and real times and numbers.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from dfu_sched.cli import main
from dfu_sched.reports.cells import FORMULA_START, is_own_formula, safe_text
from tests.helpers import ROOT

EX = ROOT / "scenarios" / "examples"
WEEK = "2024-06-03"
INJECT = ['=HYPERLINK("http://evil.example/x","click")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
          "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "=1+1"]


def run(args):
    return CliRunner().invoke(main, [str(a) for a in args])


# ---- item 1: formula injection ---------------------------------------------------------------------

def injected_queue(tmp: Path) -> Path:
    """The example queue with injection strings as device and case ids, in a file named like a formula."""
    rows = list(csv.reader((EX / "queue.csv").open(newline="")))
    for i, r in enumerate(rows[1:]):
        r[0] = f"{INJECT[i % len(INJECT)]}#{i}"
        r[1] = f"{INJECT[(i + 3) % len(INJECT)]}/case{i // 2}"
    p = tmp / "=1+1 queue.csv"
    with p.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return p


def injected_staff(tmp: Path) -> Path:
    rows = list(csv.reader((EX / "staff.csv").open(newline="")))
    for i, r in enumerate(rows[1:]):
        r[0] = f"{INJECT[i % len(INJECT)]}E{i}"
        r[-1] = f"=HYPERLINK(\"http://evil.example/{i}\")"  # the name column
    p = tmp / "@staff.csv"
    with p.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return p


def injected_scenarios(tmp: Path) -> tuple[Path, Path, Path]:
    """A tiny invest scenario and two compare scenarios whose names, sources and file names are formulas."""
    from tests.helpers import raw, small

    data = raw(small(horizon_weeks=6, keep=("overtime", "triage_kiosk", "training"), budget=150_000))
    data["name"] = '=HYPERLINK("http://evil.example/name","scenario")'
    data["description"] = "+cmd|' /C calc'!A0"
    for o in data["investment"]["options"]:
        o["source"] = f"=HYPERLINK(\"http://evil.example/{o['name']}\",\"source\")"
    data["investment"]["options"][0]["name"] = "-overtime"
    inv = tmp / "=invest.yaml"
    inv.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    data.pop("investment")
    a, b = tmp / "=1+1.yaml", tmp / "+cmd.yaml"
    a.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    data["name"] = "@SUM(1+1)"
    data["policy"] = {"discipline": "priority"}
    b.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return inv, a, b


@pytest.fixture(scope="module")
def injected_outputs(tmp_path_factory):
    """Every workbook and CSV the tool writes, from inputs full of formula-like strings."""
    tmp = tmp_path_factory.mktemp("inject")
    out = tmp / "out"
    q, s = injected_queue(tmp), injected_staff(tmp)
    inv, a, b = injected_scenarios(tmp)
    for args in (
        ["plan", q, "--staff", s, "--week", WEEK, "--time-limit", 5,
         "--out", out / "plan.xlsx", "--out", out / "plan.csv", "--out", out / "plan.json"],
        ["risk", q, "--week", WEEK, "--out", out / "risk.xlsx", "--out", out / "risk.csv"],
        ["simulate", a, "-n", 2, "--workers", 1, "--out", out / "sim", "-q"],
        ["compare", a, b, "-n", 2, "--workers", 1, "--out", out / "cmp", "--xlsx", out / "compare.xlsx", "-q"],
        ["invest", inv, "-n", 4, "--workers", 1, "--out", out / "inv", "--xlsx", out / "invest.xlsx", "-q"],
    ):
        res = run(args)
        assert res.exit_code == 0, (args[0], res.output)
    return out


def test_no_workbook_holds_a_formula_but_its_own(injected_outputs):
    """Input text never becomes a formula; the only formulas are the live workbook's own arithmetic
    on cell references (``reports.cells.is_own_formula``: no text, no function outside a short list)."""
    books = sorted(injected_outputs.rglob("*.xlsx"))
    assert {p.name for p in books} >= {"plan.xlsx", "risk.xlsx", "compare.xlsx", "invest.xlsx"}
    for book in books:
        wb = openpyxl.load_workbook(book)  # not data_only: a formula would load as a formula
        texts = set()
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if c.data_type == "f":
                        assert is_own_formula(c.value), f"{book.name}!{ws.title}!{c.coordinate}: {c.value!r}"
                        continue
                    if isinstance(c.value, str):
                        texts.add(c.value)
        # the input text is still there, word for word, as text
        assert any(t.startswith(("=", "+", "-", "@", "\t")) for t in texts), book.name


def test_injection_strings_survive_as_text_in_the_plan_workbook(injected_outputs):
    ws = openpyxl.load_workbook(injected_outputs / "plan.xlsx")["Weekly plan"]
    header = [c.value for c in ws[1]]
    devices = {ws.cell(row=r, column=header.index("device") + 1).value for r in range(2, ws.max_row + 1)}
    assert f"{INJECT[0]}#0" in devices and f"{INJECT[1]}#1" in devices
    examiners = {ws.cell(row=r, column=header.index("examiner") + 1).value for r in range(2, ws.max_row + 1)}
    assert f"{INJECT[0]}E0" in examiners


def test_every_csv_cell_that_could_run_is_neutralised(injected_outputs):
    files = sorted(injected_outputs.rglob("*.csv"))
    names = {p.name for p in files}
    assert {"plan.csv", "risk.csv", "weekly.csv", "devices.csv", "measures.csv", "differences.csv",
            "evaluated.csv", "cost_by_month.csv"} <= names
    quoted = 0
    for f in files:
        for row in csv.reader(f.open(newline="", encoding="utf-8")):
            for cell in row:
                if cell.startswith(FORMULA_START):
                    try:
                        float(cell)  # a number the tool computed (e.g. a negative difference)
                    except ValueError:
                        pytest.fail(f"{f.name}: live formula text {cell!r}")
                quoted += cell.startswith("'") and cell[1:].startswith(FORMULA_START)
    assert quoted > 20  # the injected ids, scenario ids and option names were written, quoted
    plan_rows = list(csv.DictReader((injected_outputs / "plan.csv").open(newline="")))
    assert "'" + INJECT[0] + "#0" in {r["device"] for r in plan_rows}


def test_safe_text_rules():
    assert safe_text("=1+1") == "'=1+1" and safe_text("@x") == "'@x" and safe_text("\tx") == "'\tx"
    assert safe_text("NY/2024/1007") == "NY/2024/1007" and safe_text(-3.5) == -3.5 and safe_text(None) is None


# ---- issue 8 item 8: the plan workbook reads like a spreadsheet ---------------------------------------

def test_plan_and_risk_workbooks_are_styled_with_real_times(tmp_path):
    res = run(["plan", EX / "queue.csv", "--staff", EX / "staff.csv", "--week", WEEK, "--time-limit", 5,
               "--out", tmp_path / "plan.xlsx", "--out", tmp_path / "plan.json"])
    assert res.exit_code == 0, res.output
    res = run(["risk", EX / "queue.csv", "--week", WEEK, "--out", tmp_path / "risk.xlsx"])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "plan.json").read_text())
    wb = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    for ws in list(wb.worksheets) + list(openpyxl.load_workbook(tmp_path / "risk.xlsx").worksheets):
        assert ws.freeze_panes == "A2", ws.title
        assert all(c.font.bold and c.fill.fgColor.rgb.endswith("1F3864") for c in ws[1] if c.value is not None)
        for col in range(1, ws.max_column + 1):
            assert ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width >= 8
    ws = wb["Weekly plan"]
    header = [c.value for c in ws[1]]
    assert "start_hour" not in header
    col = {h: header.index(h) + 1 for h in header}
    planned = [r for r in doc["devices"] if r["status"] == "planned"]
    monday = dt.datetime(2024, 6, 3)
    for i, r in enumerate(doc["devices"], start=2):
        start = ws.cell(row=i, column=col["start"]).value
        if r["status"] == "planned":
            assert isinstance(start, dt.datetime)
            assert abs((start - monday).total_seconds() / 3600 - r["start_hour"]) < 1 / 60
            assert ws.cell(row=i, column=col["start"]).number_format == "ddd dd/mm hh:mm"
        if r["deadline"]:
            assert ws.cell(row=i, column=col["deadline"]).value == dt.datetime.strptime(r["deadline"], "%Y-%m-%d %H:%M")
        for k in ("hours", "days_waited", "weight"):
            assert isinstance(ws.cell(row=i, column=col[k]).value, (int, float))
    assert planned
    summary = {ws_row[0].value: ws_row[1].value for ws_row in wb["Summary"].iter_rows(min_row=2)}
    assert isinstance(summary["devices_planned"], int) and summary["pseudonymised"] == "no"


def test_every_workbook_has_a_styled_frozen_header_and_real_dates(injected_outputs):
    for book in sorted(injected_outputs.rglob("*.xlsx")):
        for ws in openpyxl.load_workbook(book).worksheets:
            assert ws.freeze_panes is not None, (book.name, ws.title)
            header_row = int(re.sub(r"\D", "", ws.freeze_panes)) - 1
            cells = [c for c in ws[header_row] if c.value is not None]
            assert cells and all(c.font.bold for c in cells), (book.name, ws.title)
    wb = openpyxl.load_workbook(injected_outputs / "invest.xlsx")
    months = [r[0].value for r in wb["Cost by month"].iter_rows(min_row=2)]
    assert months and all(isinstance(m, dt.datetime) and m.day == 1 for m in months)
    start = [r[3] for r in wb["Assumptions"].iter_rows(min_row=2) if r[2].value == "start_date"]
    assert isinstance(start[0].value, dt.datetime) and start[0].number_format == "yyyy-mm-dd"
    numbers = [r[3] for r in wb["Assumptions"].iter_rows(min_row=2) if isinstance(r[3].value, (int, float))]
    assert numbers and all(c.number_format == "General" for c in numbers)  # no date format on a number


# ---- item 2: messages never repeat a cell value ------------------------------------------------------

SECRET = "NY/2024/1007"
HEADER = ("device_id,case_id,device_type,date_submitted,tier,risk_factors,estimated_hours,deadline,victim_device,"
          "accreditation")
GOOD = "EX2401,NY/2024/1001,phone,2024-06-01,H,,8,,,"
STAFF_OK = (EX / "staff.csv").read_text()
PROBES = {
    # a stray comma in the device id shifts the case reference into device_type
    "device_type": (HEADER + "\nEX24,01," + SECRET + ",phone,2024-06-01,H,,8,,\n", "column 'device_type'"),
    # exported without its header: the first device becomes the header
    "header": (GOOD.replace("EX2401", "ex2401").replace("NY/2024/1001", SECRET) + "\n" + GOOD + "\n",
               "column 1 of the header is not a known column"),
    "tier": (HEADER + "\nEX2401,C9,phone,2024-06-01," + SECRET + ",,8,,,\n", "row 2, column 'tier'"),
    "risk_factors": (HEADER + "\nEX2401,C9,phone,2024-06-01,," + SECRET + ",8,,,\n", "row 2, column 'risk_factors'"),
    "date_submitted": (HEADER + "\nEX2401,C9,phone," + SECRET + ",H,,8,,,\n", "row 2, column 'date_submitted'"),
    "estimated_hours": (HEADER + "\nEX2401,C9,phone,2024-06-01,H,," + SECRET + ",,,\n",
                        "row 2, column 'estimated_hours'"),
    "deadline": (HEADER + "\nEX2401,C9,phone,2024-06-01,H,,8," + SECRET + ",,\n", "row 2, column 'deadline'"),
    "victim_device": (HEADER + "\nEX2401,C9,phone,2024-06-01,H,,8,," + SECRET + ",\n", "row 2, column 'victim_device'"),
    "accreditation": (HEADER + "\nEX2401,C9,phone,2024-06-01,H,,8,,," + SECRET + "\n", "row 2, column 'accreditation'"),
    # numbers are cell values too: the digits of a case reference in the wrong column
    "hours_number": (HEADER + "\nEX2401,C9,phone,2024-06-01,H,,-1007,,,\n", "row 2, column 'estimated_hours'"),
    "accreditation_number": (HEADER + "\nEX2401,C9,phone,2024-06-01,H,,8,,,10.07\n", "row 2, column 'accreditation'"),
}


@pytest.mark.parametrize("probe", sorted(PROBES))
def test_probe_messages_name_row_and_column_not_the_value(tmp_path, probe):
    text, where = PROBES[probe]
    q = tmp_path / "queue.csv"
    q.write_text(text)
    (tmp_path / "staff.csv").write_text(STAFF_OK)
    res = run(["plan", q, "--staff", tmp_path / "staff.csv", "--week", WEEK, "--out", tmp_path / "plan.csv"])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and where in lines[0], lines
    for value in (SECRET, "1007", "10.07", "ex2401", "EX24"):
        assert value not in lines[0], lines[0]
    assert not (tmp_path / "plan.csv").exists()


def test_staff_without_header_names_the_position_not_the_examiner(tmp_path):
    s = tmp_path / "staff.csv"
    s.write_text("".join(STAFF_OK.splitlines(keepends=True)[1:]))
    res = run(["plan", EX / "queue.csv", "--staff", s, "--week", WEEK])
    assert res.exit_code == 2
    assert "column 1 of the header is not a known column" in res.stderr and "dfu01" not in res.stderr.lower()


# ---- item 3: pseudonymisation is decided from the record, and hides file names ----------------------

def lookalike_queue(tmp: Path) -> Path:
    """The example queue with real references that look like pseudonyms (D-240101, C-10072024)."""
    rows = list(csv.reader((EX / "queue.csv").open(newline="")))
    cases: dict[str, str] = {}
    for i, r in enumerate(rows[1:]):
        r[0] = f"D-24{i:04d}"
        r[1] = cases.setdefault(r[1], f"C-1007{2024 + len(cases):04d}")
    p = tmp / "NYSECRET-2024-1007 queue.csv"
    with p.open("w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return p


def test_report_pseudonymises_real_references_that_look_like_pseudonyms(tmp_path):
    q = lookalike_queue(tmp_path)
    real = [r[0] for r in csv.reader(q.open())][1:] + [r[1] for r in csv.reader(q.open())][1:]
    plan_json = tmp_path / "plan.json"
    res = run(["plan", q, "--staff", EX / "staff.csv", "--week", WEEK, "--time-limit", 5, "--out", plan_json])
    assert res.exit_code == 0, res.output
    assert "pseudonymised" not in json.loads(plan_json.read_text())
    res = run(["report", plan_json, "--pseudonymise", "--salt", "k", "-o", tmp_path / "r.html", "-q"])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "r.html").read_text()
    left = [ref for ref in set(real) if re.search(rf"(?<![\w-]){re.escape(ref)}(?![\w-])", page)]
    assert left == [], f"{len(left)} real references stayed"
    assert "NYSECRET" not in page and "pseudonymised: yes (keyed pseudonyms" in page
    # and without the flag the page says plainly that it is not pseudonymised
    res = run(["report", plan_json, "-o", tmp_path / "plain.html", "-q"])
    assert "pseudonymised: no" in (tmp_path / "plain.html").read_text()


def test_pseudonymised_plan_records_the_key_and_hides_file_names_and_examiners(tmp_path):
    q = lookalike_queue(tmp_path)
    outs = [tmp_path / f"p.{x}" for x in ("json", "csv", "xlsx", "html")]
    args = ["plan", q, "--staff", EX / "staff.csv", "--week", WEEK, "--time-limit", 5,
            "--pseudonymise", "--salt", "k1", "--report", tmp_path / "r.html"]
    res = run(args + sum((["--out", o] for o in outs), []))
    assert res.exit_code == 0, res.output
    doc = json.loads(outs[0].read_text())
    from dfu_sched.privacy import Pseudonymiser

    assert doc["pseudonymised"]["key_fingerprint"] == Pseudonymiser("k1").fingerprint()
    assert "devices.device" in doc["pseudonymised"]["fields"] and "inputs" in doc["pseudonymised"]["fields"]
    assert doc["inputs"]["queue"] == doc["inputs"]["staff"] == "(pseudonymised)"
    xlsx_text = " ".join(str(c.value) for ws in openpyxl.load_workbook(outs[2]).worksheets
                         for row in ws.iter_rows() for c in row)
    texts = [res.output, outs[0].read_text(), outs[1].read_text(), xlsx_text, outs[3].read_text(),
             (tmp_path / "r.html").read_text()]
    for text in texts:
        assert "NYSECRET" not in text and "queue.csv" not in text and "staff.csv" not in text
        assert not re.search(r"DFU0\d", text), "an examiner id survived"
        assert not re.search(r"D-24\d{4}(?![0-9a-f])", text) and "C-1007" not in text
    page = (tmp_path / "r.html").read_text()
    assert "dfu-sched plan QUEUE.csv --staff STAFF.csv" in page and "pseudonymised: yes (in the plan file)" in page
    # the report of the pseudonymised file, with or without the flag, is that same page
    res = run(["report", outs[0], "--pseudonymise", "-o", tmp_path / "again.html", "-q"])
    assert (tmp_path / "again.html").read_text() == page
    # and a report asked for another key says that its pseudonyms will not match
    res = run(["report", outs[0], "--pseudonymise", "--salt", "k2", "-o", tmp_path / "other.html", "-q"])
    assert "under another key than --salt" in (tmp_path / "other.html").read_text()
    res = run(["report", outs[0], "--pseudonymise", "--salt", "k1", "-o", tmp_path / "same.html", "-q"])
    assert (tmp_path / "same.html").read_text() == page


def test_report_and_plan_give_the_same_examiner_pseudonyms(tmp_path):
    plain, masked = tmp_path / "plain.json", tmp_path / "masked.json"
    base = ["plan", EX / "queue.csv", "--staff", EX / "staff.csv", "--week", WEEK, "--time-limit", 5]
    assert run(base + ["--out", plain]).exit_code == 0
    assert run(base + ["--out", masked, "--pseudonymise", "--salt", "k2"]).exit_code == 0
    from dfu_sched.reports.plan_html import pseudonymise_plan

    again = pseudonymise_plan(json.loads(plain.read_text()), "k2")
    doc = json.loads(masked.read_text())
    assert [e["examiner"] for e in again["examiners"]] == [e["examiner"] for e in doc["examiners"]]
    assert again["pseudonymised"] == doc["pseudonymised"]
    assert sorted(r["device"] for r in again["devices"]) == sorted(r["device"] for r in doc["devices"])


# ---- fuzzing the readers: exit 2 or success, never a traceback, never an identifying value ----------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

QUEUE_COLUMNS = ["device_id", "case_id", "device_type", "date_submitted", "tier", "risk_factors", "estimated_hours",
                 "deadline", "deadline_type", "victim_device", "expedite", "accreditation"]
STAFF_COLUMNS = ["examiner_id", "skills", "hours", "accreditation", "days_off", "start_hour", "name"]
IDENTIFYING = {"device_id", "case_id", "examiner_id"}
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# An identifying value is distinctive (prefix + 5 digits), so finding it in a message is never chance.
ident = st.builds(lambda pre, n: f"{pre}{n:05d}",
                  st.sampled_from(["NY/2024/", "EX", "DFU", "C-", "D-", '=HYPERLINK("http://e.example/', "+cmd|",
                                   "-", "@", "\t", "ex", "Case ", "ref,"]),
                  st.integers(0, 99_999))
plain_value = st.one_of(
    st.sampled_from(["phone", "computer", "storage", "tablet", "2024-06-01", "01/06/2024", "31/13/2024", "H", "vh",
                     "X", "grooming_indicators", "access_to_children=2", "groming", "none", "8", "-3", "0", "abc",
                     "yes", "no", "maybe", "1", "2", "2024-06-05 14:00", "next week", "", "mobile", "mobile;computer",
                     "cloud", "37.5", "90", "Fri", "Funday", "Mon;Tue;Wed;Thu;Fri", "25", "=1+1", "@x", "+1"]),
    st.text(max_size=6), st.integers(-5, 200), st.floats(allow_nan=True, allow_infinity=True))
xlsx_only = st.one_of(st.dates(dt.date(2020, 1, 1), dt.date(2025, 1, 1)), st.booleans(),
                      st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2025, 1, 1)))


@st.composite
def table(draw, columns: list[str], required: int, xlsx: bool):
    """A header (kept, missing, with an unknown or a repeated column) and rows, some shifted."""
    cols = columns[:required] + draw(st.lists(st.sampled_from(columns[required:]), unique=True))
    cols = draw(st.permutations(cols))
    shape = draw(st.sampled_from(["ok", "ok", "missing", "unknown", "repeated", "dropped"]))
    if shape == "unknown":
        cols = cols + [draw(st.sampled_from(["deadine", "x_notes", "colour", "EXTRA"]))]
    elif shape == "repeated":
        cols = cols + [draw(st.sampled_from(cols))]
    elif shape == "dropped" and len(cols) > 1:
        cols = cols[1:]
    value = st.one_of(plain_value, xlsx_only) if xlsx else plain_value
    rows, secrets = [], []
    for _ in range(draw(st.integers(0, 4))):
        row = []
        for c in cols:
            if c in IDENTIFYING:
                v = draw(ident)
                secrets.append(v)
            else:
                v = draw(value)
            row.append(v)
        move = draw(st.sampled_from(["none", "none", "stray", "short"]))
        if move == "stray":  # a stray separator: every later cell moves one column right
            row.insert(draw(st.integers(0, len(row))), draw(st.one_of(ident, plain_value)))
        elif move == "short" and row:
            row.pop(draw(st.integers(0, len(row) - 1)))
        rows.append(row)
    for r in rows:
        secrets += [v for v in r if isinstance(v, str) and re.fullmatch(r".*\d{5}", v or "")]
    body = rows if shape == "missing" else [cols] + rows
    return body, sorted(set(secrets))


def _write(path: Path, body: list[list]) -> Path:
    if path.suffix == ".xlsx":
        wb = openpyxl.Workbook()
        for r in body:
            wb.active.append([_XML_ILLEGAL.sub("", v) if isinstance(v, str) else v for v in r])
        wb.save(path)
    else:
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["" if v is None else v for v in r] for r in body])
    return path


def _check(res, secrets: list[str]) -> None:
    assert res.exit_code in (0, 2), res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    if res.exit_code == 2:
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    for s in secrets:
        assert s.strip() not in res.stderr, (s, res.stderr)


FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


@FUZZ
@given(data=st.data(), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_fuzzed_queue_files(tmp_path, data, suffix):
    body, secrets = data.draw(table(QUEUE_COLUMNS, 4, suffix == ".xlsx"))
    q = _write(tmp_path / f"queue{suffix}", body)
    res = run(["risk", q, "--week", WEEK])
    _check(res, secrets)


@FUZZ
@given(data=st.data(), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_fuzzed_staff_files(tmp_path, data, suffix):
    body, secrets = data.draw(table(STAFF_COLUMNS, 3, suffix == ".xlsx"))
    s = _write(tmp_path / f"staff{suffix}", body)
    q = tmp_path / "queue.csv"
    q.write_text("device_id,case_id,device_type,date_submitted,tier\n")  # empty queue: the staff file is the test
    res = run(["plan", q, "--staff", s, "--week", WEEK, "--time-limit", 1])
    _check(res, secrets)
