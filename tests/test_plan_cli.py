"""``dfu-sched plan``: outputs in every format, pseudonyms, and bad input -> one line, exit 2, no file."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from dfu_sched.cli import main

EX = "scenarios/examples"
BASE = ["plan", f"{EX}/queue.csv", "--staff", f"{EX}/staff.csv", "--week", "2024-06-03", "--time-limit", "5"]


def run(args):
    return CliRunner().invoke(main, args)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("plan")
    files = [d / "plan.csv", d / "plan.xlsx", d / "plan.html", d / "plan.json"]
    r = run(BASE + sum((["--out", str(f)] for f in files), []))
    assert r.exit_code == 0, r.output
    return r, files


def test_text_output_ranks_per_examiner_and_warns(outputs):
    r, _ = outputs
    assert "Weekly plan, week of 2024-06-03" in r.output
    assert "DFU01" in r.output and "within" in r.output and "greedy rule" in r.output
    assert "warning: deadline cannot be met" in r.output
    assert "past their target" in r.output


def test_all_formats_written(outputs):
    _, (csv_, xlsx, html, js) = outputs
    header = csv_.read_text().splitlines()[0].split(",")
    for col in ("examiner", "rank", "device", "tier", "score", "days_waited", "target_days", "reason"):
        assert col in header
    import openpyxl

    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["Weekly plan", "Summary"]
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<script" not in page
    doc = json.loads(js.read_text())
    s = doc["summary"]
    assert s["objective_risk_hours_saved"] >= s["greedy_objective"]
    assert s["bound"] >= s["objective_risk_hours_saved"]
    for ex in doc["examiners"]:
        assert ex["planned_hours"] <= ex["hours"] + 1e-9


def test_json_stdout_and_csv_xlsx_queue_agree():
    a = json.loads(run(BASE + ["--json"]).output)
    b = json.loads(run(["plan", f"{EX}/queue.xlsx"] + BASE[2:] + ["--json"]).output)
    strip = lambda doc: [(d["device"], d["examiner"], d["rank"]) for d in doc["devices"]]
    assert strip(a) == strip(b)


def test_pseudonymise_hides_references_everywhere(tmp_path):
    outs = [tmp_path / f"p.{x}" for x in ("csv", "html", "json")]
    r = run(BASE + ["--pseudonymise", "--salt", "s1"] + sum((["--out", str(f)] for f in outs), []))
    assert r.exit_code == 0
    for text in [r.output] + [f.read_text() for f in outs]:
        assert "NY/2024" not in text and "EX24" not in text
    again = run(BASE + ["--pseudonymise", "--salt", "s1"])
    assert again.output == r.output


def test_empty_queue_is_a_valid_explained_plan(tmp_path):
    q = tmp_path / "empty.csv"
    q.write_text(Path(f"{EX}/queue.csv").read_text().splitlines()[0] + "\n")
    out = tmp_path / "plan.json"
    r = run(["plan", str(q), "--staff", f"{EX}/staff.csv", "--week", "2024-06-03", "--out", str(out)])
    assert r.exit_code == 0 and "queue is empty" in r.output
    assert json.loads(out.read_text())["summary"]["devices_planned"] == 0


def test_zero_hours_is_a_valid_explained_plan(tmp_path):
    s = tmp_path / "staff.csv"
    s.write_text("examiner_id,skills,hours\nE1,mobile,0\n")
    r = run(["plan", f"{EX}/queue.csv", "--staff", str(s), "--week", "2024-06-03"])
    assert r.exit_code == 0 and "No examiner hours" in r.output


@pytest.mark.parametrize("queue_text, staff_text, message", [
    ("", None, "no header row"),
    ("device_id,case_id,device_type,tier\nD1,C1,phone,H\n", None, "missing column 'date_submitted'"),
    ("device_id,case_id,device_type,date_submitted,tier\nD1,C1,phone,31/13/2024,H\n", None,
     "queue.csv row 2, column 'date_submitted': cannot read it as a date"),
    ("device_id,case_id,device_type,date_submitted,tier\nD1,C1,phone,2024-01-01,H\nD1,C1,phone,2024-01-01,H\n",
     None, "row 3, column 'device_id': duplicate device id"),
    ("device_id,case_id,device_type,date_submitted,tier\nD1,C1,drone,2024-01-01,H\n", None, "not a device type of the scenario"),
    ("device_id,case_id,device_type,date_submitted,tier,estimated_hours\nD1,C1,phone,2024-01-01,H,-2\n", None,
     "column 'estimated_hours': must be more than 0"),
    (None, "examiner_id,skills,hours\nE1,mobile;cloud,30\n", "column 'skills': item 2 is not a skill"),
    (None, "examiner_id,skills,hours\nE1,mobile,-5\n", "column 'hours': must be at least 0"),
    (None, "examiner_id,skills,hours\n", "no examiners"),
])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, queue_text, staff_text, message):
    q = tmp_path / "queue.csv"
    s = tmp_path / "staff.csv"
    q.write_text(queue_text if queue_text is not None else Path(f"{EX}/queue.csv").read_text())
    s.write_text(staff_text if staff_text is not None else Path(f"{EX}/staff.csv").read_text())
    out = tmp_path / "out" / "plan.csv"
    r = CliRunner().invoke(main, ["plan", str(q), "--staff", str(s), "--week", "2024-06-03",
                                                  "--out", str(out)])
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "C1" not in lines[0] and "31/13/2024" not in lines[0] and "drone" not in lines[0] and "cloud" not in lines[0]
    assert not out.exists() and not (tmp_path / "out").exists()


def test_bad_out_suffix_rejected(tmp_path):
    r = run(BASE + ["--out", str(tmp_path / "plan.pdf")])
    assert r.exit_code == 2 and not (tmp_path / "plan.pdf").exists()


def test_plan_records_what_reproduces_it():
    from dfu_sched.reports.plan_html import replan_command

    res = CliRunner().invoke(main, BASE + ["--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["inputs"]["queue"] == "queue.csv" and doc["inputs"]["week"] == "2024-06-03"
    cmd = replan_command(doc)
    assert cmd.startswith("dfu-sched plan queue.csv --staff staff.csv --week 2024-06-03")
    assert "--time-limit 5.0" in cmd
