"""The Weekly plan page: its plain functions, and the Streamlit page through AppTest (no browser)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from dfu_sched.app import plan_page
from dfu_sched.app.state import Upload, session_upload
from dfu_sched.cli import main
from dfu_sched.errors import InputError

if not os.environ.get("CI"):  # the app is an extra: skipped without it, except under CI (which installs it)
    pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from dfu_sched.app.server import SCRIPT  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "scenarios" / "examples"
WEEK = dt.date(2024, 6, 3)


def example(name: str) -> Upload:
    return Upload(name, (EXAMPLES / name).read_bytes())


def references() -> set[str]:
    """Every device_id, case_id and examiner_id in the example files."""
    found: set[str] = set()
    for name, cols in (("queue.csv", ("device_id", "case_id")), ("staff.csv", ("examiner_id",))):
        with open(EXAMPLES / name, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                found.update(row[c] for c in cols if row[c])
    return found


def xlsx_text(data: bytes) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
                     if c.value is not None)


def all_text(outcome: plan_page.PlanOutcome) -> str:
    return "\n".join([json.dumps(outcome.doc), outcome.csv.decode("utf-8"), xlsx_text(outcome.xlsx), outcome.html,
                      *outcome.read_warnings])


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory) -> tuple[dict, bytes, bytes]:
    """``dfu-sched plan`` on the example files for the week of 2024-06-03: its --json, --out CSV and XLSX."""
    out = tmp_path_factory.mktemp("cli") / "plan.csv"
    got = CliRunner().invoke(main, ["plan", str(EXAMPLES / "queue.csv"), "--staff", str(EXAMPLES / "staff.csv"),
                                    "--week", WEEK.isoformat(), "--json", "--out", str(out),
                                    "--out", str(out.with_suffix(".xlsx"))])
    assert got.exit_code == 0, got.output
    return json.loads(got.stdout), out.read_bytes(), out.with_suffix(".xlsx").read_bytes()


@pytest.fixture(scope="module")
def plain() -> plan_page.PlanOutcome:
    files = plan_page.PlanFiles(example("queue.csv"), example("staff.csv"))
    return plan_page.make_plan(files, WEEK + dt.timedelta(days=2), pseudonymise=False)  # a Wednesday: its Monday


@pytest.fixture(scope="module")
def masked() -> plan_page.PlanOutcome:
    return plan_page.make_plan(plan_page.PlanFiles(example("queue.csv"), example("staff.csv")), WEEK)


def test_plan_matches_the_command_line(plain, cli_run):
    doc, cli_csv, cli_xlsx = cli_run
    assert len(plain.doc["devices"]) == len(doc["devices"]) == 36
    assert plain.doc["devices"] == doc["devices"] and plain.doc["summary"]["week_start"] == "2024-06-03"
    assert plain.doc["inputs"] == doc["inputs"]
    assert plain.csv == cli_csv  # the same writer, the same bytes
    # the same cells, but for the measured solve time (and a workbook's zip holds its save time)
    untimed = [re.sub(r"solve_seconds\n[0-9.e+-]+", "solve_seconds", xlsx_text(b)) for b in (plain.xlsx, cli_xlsx)]
    assert untimed[0] == untimed[1] and "solve_seconds" in untimed[0]
    planned = sum(len(v) for v in plan_page.examiner_lists(plain.doc).values())
    assert planned == doc["summary"]["devices_planned"] == 26
    assert planned + len(plan_page.waiting_rows(plain.doc)) == 36
    lines = plan_page.summary_lines(plain.doc)
    assert len(lines) == 3 and "bound" in lines[2] and "gap" in lines[2]
    assert plain.charts and plain.charts[0][1].lstrip().startswith("<")


def test_pseudonymised_outputs_carry_no_reference(masked, plain):
    refs = references()
    assert len(refs) > 30
    text = all_text(masked)
    assert not [r for r in refs if r in text]
    assert masked.doc["pseudonymised"] and masked.doc["inputs"]["queue"] != "queue.csv"
    shown = all_text(plain)  # switched off, the references are there (the test can fail)
    assert {"EX2421", "NY/2024/1098", "DFU01"} <= {r for r in refs if r in shown}


@pytest.mark.parametrize("data, where", [
    (b"device_id,case_id\nEX1,NY/1\n", "queue.csv"),
    (b"\xff\xfe\x00", "queue.csv"),
])
def test_bad_queue_is_one_line_without_a_cell_value(data, where):
    files = plan_page.PlanFiles(Upload("dir/queue.csv", data), example("staff.csv"))
    with pytest.raises(InputError) as exc:
        plan_page.make_plan(files, WEEK)
    message = str(exc.value)
    assert "\n" not in message and message.startswith(where) and "EX1" not in message and "NY/1" not in message


def test_bad_cell_names_row_and_column_not_the_value():
    text = (EXAMPLES / "queue.csv").read_text(encoding="utf-8").splitlines()
    cells = text[3].split(",")
    cells[2] = "SECRET-TYPE"  # the device_type column (third)
    text[3] = ",".join(cells)
    files = plan_page.PlanFiles(Upload("queue.csv", "\n".join(text).encode()), example("staff.csv"))
    with pytest.raises(InputError) as exc:
        plan_page.make_plan(files, WEEK)
    message = str(exc.value)
    assert "\n" not in message and "SECRET-TYPE" not in message and "row" in message and "device_type" in message


def test_a_column_map_reads_a_units_own_headers():
    text = (EXAMPLES / "queue.csv").read_text(encoding="utf-8").replace("device_id,case_id", "Exhibit Ref,Case No", 1)
    cmap = Upload("map.yaml", b"queue:\n  columns:\n    Exhibit Ref: device_id\n    Case No: case_id\n")
    files = plan_page.PlanFiles(Upload("export.csv", text.encode()), example("staff.csv"), cmap)
    got = plan_page.make_plan(files, WEEK, pseudonymise=False)
    assert len(got.doc["devices"]) == 36 and got.doc["inputs"]["columns"] == "map.yaml"
    with pytest.raises(InputError, match="not in the queue file") as exc:
        plan_page.make_plan(plan_page.PlanFiles(Upload("export.csv", text.encode()), example("staff.csv"),
                                                Upload("map.yaml", b"queue:\n  columns:\n    Exhibit: device_id\n")),
                            WEEK)
    assert "\n" not in str(exc.value)


def test_an_xlsx_queue_plans_and_no_upload_is_left_on_disk(monkeypatch, tmp_path):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the private folders are made here
    files = plan_page.PlanFiles(example("queue.xlsx"), example("staff.csv"))
    got = plan_page.make_plan(files, WEEK, pseudonymise=False)
    assert len(got.doc["devices"]) == 36 and got.doc["inputs"]["queue"] == "queue.xlsx"
    assert list(tmp_path.iterdir()) == []  # read, then removed


def test_this_monday_is_a_monday():
    assert plan_page.this_monday(dt.date(2024, 6, 9)) == WEEK and plan_page.this_monday().weekday() == 0


# ---- the Streamlit page (AppTest) -------------------------------------------------------------


def plan_app() -> AppTest:
    at = AppTest.from_file(str(SCRIPT), default_timeout=60)
    at.run()
    at.radio(key="page").set_value("Weekly plan").run()
    return at


def put(at: AppTest, kind: str, upload: Upload) -> AppTest:
    at.file_uploader(key=f"plan_{kind}").set_value((upload.name, upload.data, "text/csv")).run()
    return at


def page_text(at: AppTest) -> str:
    """What the page shows, Markdown escapes removed (so a reference is found as the file spells it)."""
    parts = [m.value for m in at.markdown] + [w.value for w in at.warning] + [s.value for s in at.subheader]
    parts += [df.value.to_csv() for df in at.dataframe]
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))


def test_page_plans_the_week_pseudonymised_by_default():
    at = put(put(plan_app(), "queue", example("queue.csv")), "staff", example("staff.csv"))
    assert at.checkbox(key="plan_pseudo").value is True
    at.date_input(key="plan_week").set_value(WEEK)
    at.button(key="plan_run").click().run()
    assert not at.exception and not at.error
    text = page_text(at)
    assert "26 of 36 device(s)" in text and len(at.dataframe) == 5 + 1  # five examiners, and what waits
    assert not [r for r in references() if r in text]
    assert len(at.get("download_button")) == 3


def test_bad_queue_on_the_page_is_one_line():
    at = put(put(plan_app(), "queue", Upload("q.csv", b"device_id,case_id\nEX1,NY/1\n")), "staff",
             example("staff.csv"))
    at.button(key="plan_run").click().run()
    assert not at.exception and len(at.error) == 1
    message = at.error[0].value
    assert "\n" not in message and "Traceback" not in message and "EX1" not in message and "NY/1" not in message


def test_two_sessions_do_not_see_each_others_uploads():
    one = put(plan_app(), "queue", example("queue.csv"))
    two = plan_app()
    assert session_upload(one.session_state, "queue") is not None
    assert session_upload(two.session_state, "queue") is None
    assert any("Upload the queue" in i.value for i in two.info) and not two.error


def test_a_bad_column_map_names_the_upload_not_the_private_folder():
    bad = Upload("columns.yaml", b"queue: [\n")
    with pytest.raises(InputError) as exc:
        plan_page.make_plan(plan_page.PlanFiles(example("queue.csv"), example("staff.csv"), bad), WEEK)
    message = str(exc.value)
    assert message.startswith("columns.yaml") and "dfu-app-" not in message and "/" not in message.split(":")[0]
