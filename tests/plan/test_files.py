"""Queue and staff readers: examples load; every bad input is one line naming row and column."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dfu_sched.errors import InputError
from dfu_sched.plan.clock import staff_windows
from dfu_sched.plan.files import TierSpec, TypeSpec, read_queue, read_staff
from dfu_sched.plan.risk import load_risk_model

EXAMPLES = Path("scenarios/examples")
WEEK = dt.date(2024, 6, 3)
TIERS = {"VH": TierSpec("VH", 8, 1), "H": TierSpec("H", 4, 7), "M": TierSpec("M", 2, 14), "L": TierSpec("L", 1, 30)}
TYPES = {"phone": TypeSpec("phone", "mobile", 7.0), "computer": TypeSpec("computer", "computer", 30.0),
         "storage": TypeSpec("storage", "computer", 5.0)}
SKILLS = ["computer", "mobile"]
HEADER = "device_id,case_id,device_type,date_submitted,tier,risk_factors,estimated_hours,deadline\n"


def queue(tmp_path, body: str, header: str = HEADER, name="queue.csv"):
    p = tmp_path / name
    p.write_text(header + body)
    return read_queue(p, TIERS, TYPES, load_risk_model(), WEEK)


def staff(tmp_path, body: str, header="examiner_id,skills,hours,accreditation,days_off\n"):
    p = tmp_path / "staff.csv"
    p.write_text(header + body)
    return read_staff(p, SKILLS)


def test_examples_csv_and_xlsx_agree():
    a = read_queue(EXAMPLES / "queue.csv", TIERS, TYPES, load_risk_model(), WEEK)
    b = read_queue(EXAMPLES / "queue.xlsx", TIERS, TYPES, load_risk_model(), WEEK)
    assert len(a) == len(b) == 36
    for x, y in zip(a, b):
        assert x.model_dump(exclude={"row"}) == y.model_dump(exclude={"row"})
    assert read_staff(EXAMPLES / "staff.csv", SKILLS)


def test_defaults_and_parsing(tmp_path):
    rows = queue(tmp_path, "D1,C1,phone,01/05/2024,,grooming_indicators;access_to_children,,2024-06-05 14:00\n"
                           "D2,C1,computer,2024-05-01,h,,12.5,2024-06-07\n")
    assert rows[0].estimated_hours == 7.0 and not rows[0].hours_given
    assert rows[0].tier == "H" and rows[0].risk.score == 30
    assert rows[0].deadline == dt.datetime(2024, 6, 5, 14, 0)
    assert rows[1].tier == "H" and rows[1].estimated_hours == 12.5 and rows[1].risk.score is None


def test_header_only_is_an_empty_queue(tmp_path):
    assert queue(tmp_path, "") == []


@pytest.mark.parametrize("body, header, message", [
    ("D1,C1,phone,31/13/2024,H,,,\n", HEADER,
     "queue.csv row 2, column 'date_submitted': cannot read it as a date"),
    ("D1,C1,phone,2024-05-01,H,,,\nD1,C2,phone,2024-05-01,H,,,\n", HEADER,
     "queue.csv row 3, column 'device_id': duplicate device id (first on row 2)"),
    ("D1,C1,tablet,2024-05-01,H,,,\n", HEADER,
     "queue.csv row 2, column 'device_type': not a device type of the scenario; known: computer, phone, storage"),
    ("D1,C1,phone,2024-05-01,H,,-3,\n", HEADER, "queue.csv row 2, column 'estimated_hours': must be more than 0"),
    # 1e19 hours used to overflow the optimiser's slot arithmetic (a traceback)
    ("D1,C1,phone,2024-05-01,H,,1e19,\n", HEADER, "queue.csv row 2, column 'estimated_hours': must be at most 2,000"),
    ("D1,C1,phone,2024-05-01,X,,,\n", HEADER,
     "queue.csv row 2, column 'tier': not a tier of the scenario; known: VH, H, M, L"),
    ("D1,C1,phone,2024-05-01,,,,\n", HEADER, "queue.csv row 2, column 'tier': give a tier or risk factors"),
    ("D1,C1,phone,2024-05-01,,groming,,\n", HEADER,
     "column 'risk_factors': item 1 is not a risk factor of the model; known: access_to_children"),
    ("D1,C1,phone,2024-05-01,H,,,next week\n", HEADER,
     "queue.csv row 2, column 'deadline': cannot read it as a date or date-time"),
    ("D1,C1,phone,2024-07-01,H,,,\n", HEADER, "is after the planning week"),
    ("D1,C1,2024-05-01,H\n", "device_id,case_id,date_submitted,tier\n", "queue.csv: missing column 'device_type'"),
    ("D1,C1,phone,2024-05-01,H,x\n", "device_id,case_id,device_type,date_submitted,tier,deadine\n",
     "queue.csv: column 6 of the header is not a known column (did you mean 'deadline'?)"),
    ("", "", "queue.csv: no header row"),
])
def test_bad_queue_one_line(tmp_path, body, header, message):
    with pytest.raises(InputError) as exc:
        queue(tmp_path, body, header)
    text = str(exc.value)
    assert message in text and "\n" not in text
    assert "C1" not in text and "C2" not in text  # never echo case references
    for value in ("31/13/2024", "tablet", "'X'", "groming", "next week", "deadine", "-3"):
        assert value not in text  # nor any other cell value (issue 9, item 2)


def test_xlsx_errors_name_row(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["device_id", "case_id", "device_type", "date_submitted", "tier"])
    ws.append(["D1", "C1", "phone", dt.date(2024, 5, 1), "H"])
    ws.append(["D2", "C1", "phone", "someday", "H"])
    p = tmp_path / "q.xlsx"
    wb.save(p)
    with pytest.raises(InputError, match=r"q.xlsx row 3, column 'date_submitted'"):
        read_queue(p, TIERS, TYPES, load_risk_model(), WEEK)


@pytest.mark.parametrize("body, message", [
    ("E1,mobile;video,37.5,1,\n", "staff.csv row 2, column 'skills': item 2 is not a skill of the scenario"),
    ("E1,mobile,-1,1,\n", "staff.csv row 2, column 'hours': must be at least 0"),
    ("E1,mobile,37.5,1,\nE1,mobile,37.5,1,\n", "row 3, column 'examiner_id': duplicate examiner id"),
    ("E1,mobile,37.5,1,Funday\n", "column 'days_off': item 1 is not a weekday"),
    ("E1,mobile,37.5,0,\n", "column 'accreditation': must be at least 1"),
    ("", "staff.csv: no examiners"),
])
def test_bad_staff_one_line(tmp_path, body, message):
    with pytest.raises(InputError) as exc:
        staff(tmp_path, body)
    assert message in str(exc.value)
    assert not any(v in str(exc.value) for v in ("video", "Funday", "-1", "E1"))


def test_staff_windows_spread_hours_over_days_worked(tmp_path):
    rows = staff(tmp_path, "E1,mobile;computer,30,2,Fri\nE2,mobile,0,1,\n")
    w = staff_windows(rows[0])
    assert len(w) == 4 and w[0] == (8.0, 15.5) and w[3] == (72 + 8.0, 72 + 15.5)
    assert staff_windows(rows[1]) == []


# ---- a unit's own export, through a column map ---------------------------------------------------

EXPORT_NAMES = {"device_id": "Exhibit Ref", "case_id": "Case Number", "device_type": "Item Type",
                "date_submitted": "Received", "examiner_id": "Staff No", "hours": "Weekly Hours"}
TYPE_CODES = {"phone": "Mobile Phone", "computer": "Desktop", "storage": "USB Stick"}
MAP = """\
queue:
  columns: {Exhibit Ref: device_id, Case Number: case_id, Item Type: device_type, Received: date_submitted}
  dates: {date_submitted: ["%d/%m/%Y"]}
  values: {device_type: {Mobile Phone: phone, Desktop: computer, USB Stick: storage}}
staff:
  columns: {Staff No: examiner_id, Weekly Hours: hours}
"""


def _as_export(src: Path, dst: Path, extra: bool) -> None:
    """The example file as a case system would export it: its headers, UK dates, type names, and
    (``extra``) a column the tool does not know."""
    import csv

    with open(src, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    names = [EXPORT_NAMES.get(k, k) for k in rows[0]] + (["Officer In Case"] if extra else [])
    with open(dst, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(names)
        for r in rows:
            if "date_submitted" in r:
                r["date_submitted"] = dt.date.fromisoformat(r["date_submitted"]).strftime("%d/%m/%Y")
                r["device_type"] = TYPE_CODES[r["device_type"]]
            w.writerow(list(r.values()) + (["PC Someone"] if extra else []))


def test_an_export_through_a_sectioned_map_reads_as_the_example(tmp_path):
    from dfu_sched.tables import load_column_map

    (tmp_path / "map.yaml").write_text(MAP, encoding="utf-8")
    cmap = load_column_map(tmp_path / "map.yaml")
    _as_export(EXAMPLES / "queue.csv", tmp_path / "queue.csv", extra=True)
    _as_export(EXAMPLES / "staff.csv", tmp_path / "staff.csv", extra=False)
    said: list[str] = []
    got = read_queue(tmp_path / "queue.csv", TIERS, TYPES, load_risk_model(), WEEK, columns=cmap, warnings=said)
    want = read_queue(EXAMPLES / "queue.csv", TIERS, TYPES, load_risk_model(), WEEK)
    assert [q.model_dump() for q in got] == [q.model_dump() for q in want]
    assert len(said) == 1 and "1 unknown column(s) ignored" in said[0]
    assert read_staff(tmp_path / "staff.csv", SKILLS, columns=cmap) == read_staff(EXAMPLES / "staff.csv", SKILLS)
    # without the map the export is refused as before (a misspelt or missing header)
    with pytest.raises(InputError, match="queue.csv: column 1 of the header is not a known column"):
        read_queue(tmp_path / "queue.csv", TIERS, TYPES, load_risk_model(), WEEK)
