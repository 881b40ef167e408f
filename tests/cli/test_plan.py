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
    def strip(doc):
        return [(d["device"], d["examiner"], d["rank"]) for d in doc["devices"]]

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
    ("device_id,case_id,device_type,date_submitted,tier\nD1,C1,drone,2024-01-01,H\n", None,
     "not a device type of the scenario"),
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


# ---- reasons: every number is the optimiser's, recomputed here from the input files -------------------

NUM = r"(\d+(?:\.\d+)?)"


def _fmt(x: float) -> str:
    return f"{x:.3f}".rstrip("0").rstrip(".")


def _expected_terms(week: str = "2024-06-03"):
    """Per device, from queue.csv and the scenario alone: tier weight, aging, expedite, slot hours."""
    import csv
    import datetime as dt
    import math

    from dfu_sched.plan.files import specs_from_scenario
    from dfu_sched.scenario.schema import load_scenario

    tiers, types = specs_from_scenario(load_scenario("scenarios/north_yorkshire_2022.yaml"))
    monday = dt.date.fromisoformat(week)
    out = {}
    computed = {r["device"]: r["tier"] for r in json.loads(run(BASE + ["--json"]).output)["devices"]}
    for row in csv.DictReader(open(f"{EX}/queue.csv", newline="")):
        tier = row["tier"] or computed[row["device_id"]]
        age = (monday - dt.date.fromisoformat(row["date_submitted"])).days
        hours = float(row["estimated_hours"]) if row["estimated_hours"] else types[row["device_type"]].default_hours
        slot_hours = math.ceil(hours / 0.5 - 1e-9) * 0.5
        tw, aging, ex = tiers[tier].weight, 1 + age / 180, 1.5 if row["expedite"] == "yes" else 1.0
        out[row["device_id"]] = {"tier": tier, "tw": tw, "age": age, "aging": aging, "ex": ex, "w": tw * aging * ex,
                                 "hours": slot_hours, "rate": tw * aging * ex / slot_hours}
    return out


def test_reason_numbers_are_the_optimisers_term_by_term():
    """Issue 8 item 7: 'risk weight 8.0 (x4.0 for waiting)' folded the x1.5 expedite factor into
    the waiting factor. Each term is now printed apart, and each equals the one recomputed here."""
    import re

    doc = json.loads(run(BASE + ["--json"]).output)
    exp = _expected_terms()
    weight_re = re.compile(rf"weight {NUM} = {NUM} for tier (\w+)(?: x {NUM} for waiting {NUM} d "
                           rf"\(1 \+ {NUM}/{NUM}\))?(?: x {NUM} for the expedite request)?")
    rate_re = re.compile(rf"{NUM} / {NUM} h(?: \([^)]*\))? = {NUM} per examiner hour")
    seen_expedite = 0
    for r in doc["devices"]:
        e = exp[r["device"]]
        m = weight_re.search(r["reason"])
        assert m, r["reason"]
        w, tw, tier, aging, days, days2, div, ex = m.groups()
        assert (w, tw, tier) == (_fmt(e["w"]), _fmt(e["tw"]), e["tier"])
        assert aging == _fmt(e["aging"]) and days == days2 == str(e["age"]) and div == "180"
        assert (ex or "1") == _fmt(e["ex"])
        seen_expedite += ex is not None
        assert r["weight"] == round(e["w"], 3)              # the column the optimiser's weight fills
        m = rate_re.search(r["reason"])
        assert m and m.groups() == (_fmt(e["w"]), _fmt(e["hours"]), _fmt(e["rate"])), r["reason"]
        for ref, h, rate in re.findall(rf"(EX\d+) \(\w+, {NUM} h, {NUM}/h\)", r["reason"]):
            assert (h, rate) == (_fmt(exp[ref]["hours"]), _fmt(exp[ref]["rate"]))
    assert seen_expedite == 1  # EX2421 is the one expedited device: 2 x 2.667 x 1.5 = 8


def test_skipped_high_device_says_why_and_what_it_lost_to():
    """The H device 113 days past target left for later while L devices are planned: the reason
    says it is long (low weight per hour), that it does not fit the hours left of the examiners
    who could take it, and names the lower-tier devices that got those hours, with their rates."""
    import re

    doc = json.loads(run(BASE + ["--json"]).output)
    exp = _expected_terms()
    by = {r["device"]: r for r in doc["devices"]}
    r = by["EX2410"]
    assert r["status"] != "planned" and r["tier"] == "H" and r["days_past_target"] == 113
    reason = r["reason"]
    assert "cut-off" not in reason
    m = re.search(rf"the 3 examiners who could take it \(DFU02, DFU04, DFU05\) have at most {NUM} h left", reason)
    assert m, reason
    left = {}
    for ex in doc["examiners"]:
        used = sum(exp[d["device"]]["hours"] for d in doc["devices"] if d["examiner"] == ex["examiner"])
        left[ex["examiner"]] = ex["hours"] - used
    assert float(m.group(1)) == max(left[x] for x in ("DFU02", "DFU04", "DFU05")) < 30
    m = re.search(rf"worth more per hour than its {NUM} \(the lowest {NUM}, (EX\d+)\)", reason)
    assert m and m.group(1) == _fmt(exp["EX2410"]["rate"])
    assert by[m.group(3)]["examiner"] in ("DFU02", "DFU04", "DFU05")
    assert float(m.group(2)) == min(round(exp[d["device"]]["rate"], 3) for d in doc["devices"]
                                    if d["examiner"] in ("DFU02", "DFU04", "DFU05"))
    named = re.findall(r"(EX\d+) \((\w+), [\d.]+ h, [\d.]+/h\)", reason.split("lower-tier devices among them:")[1])
    assert named and all(t in ("M", "L") and by[ref]["examiner"] in ("DFU02", "DFU04", "DFU05")
                         for ref, t in named)
    # and each of those planned L devices says which higher-tier device waits behind it
    for ref, t in named:
        if t == "L":
            assert "planned although higher-tier EX2410 (H, 30 h, 0.222/h)" in by[ref]["reason"]


def test_rates_that_differ_never_print_equal():
    from dfu_sched.plan.reasons import num_apart

    assert num_apart(2.0556 / 8, 1.1667 / 4.5) == ("0.257", "0.259")
    a, b = num_apart(0.25691, 0.25694)
    assert a != b and float(a) < float(b)
    assert num_apart(0.5, 0.5) == ("0.5", "0.5")


def test_factor_list_adds_up_to_the_score():
    doc = json.loads(run(BASE + ["--json"]).output)
    r = next(d for d in doc["devices"] if d["device"] == "EX2410")   # three factors, 20 + 12 + 3
    assert "score 35: the device is the victim's (+20), incitement (+12), 1 more (+3)" in r["reason"]


# ---- item 8: without --week the plan starts at the next working time, not at a past Monday 00:00 ------

def _staff_rows():
    from dfu_sched.plan.files import read_staff

    return read_staff(f"{EX}/staff.csv", ["mobile", "computer"])


@pytest.mark.parametrize("now, monday, from_hour, first", [
    ("2024-06-04 10:17", "2024-06-03", 34.5, 34.5),   # Tuesday mid-morning: the next half-hour
    ("2024-06-04 07:10", "2024-06-03", 31.5, 32.0),   # before the working day: Tuesday 08:00
    ("2024-06-03 00:00", "2024-06-03", 0.0, 8.0),     # Monday 00:00 is the whole week
    ("2024-06-07 17:00", "2024-06-10", 0.0, 8.0),     # Friday evening: nothing left, so next week
    ("2024-06-08 10:00", "2024-06-10", 0.0, 8.0),     # Saturday: next week
])
def test_next_working_time(now, monday, from_hour, first):
    import datetime as dt

    from dfu_sched.plan.clock import next_working_time

    s = next_working_time(dt.datetime.fromisoformat(now), _staff_rows())
    assert (s.week_start.isoformat(), s.from_hour, s.first_work) == (monday, from_hour, first)


def test_plan_without_week_starts_now_and_says_so(tmp_path):
    """On Tuesday 4 June 10:17 the plan starts Tuesday 10:30: nothing is placed in hours already gone,
    days waited count to Tuesday, a Monday deadline is named as already past, and the output says
    which start was used; the plan's inputs reproduce it with the same --now."""
    from dfu_sched.reports.plan_html import replan_command

    q = tmp_path / "queue.csv"
    # a device submitted on the Tuesday itself is valid when planning from that Tuesday
    q.write_text(Path(f"{EX}/queue.csv").read_text() + "EX2499,NY/2024/1999,phone,2024-06-04,H,,2,,,,,\n")
    args = ["plan", str(q), "--staff", f"{EX}/staff.csv", "--time-limit", "5", "--now", "2024-06-04 10:17"]
    text = run(args)
    assert text.exit_code == 0, text.output
    assert "Planned from Tue 04 Jun 2024 10:30, the next working time after Tue 04 Jun 2024 10:17" in text.output
    doc = json.loads(run(args + ["--json"]).output)
    s = doc["summary"]
    assert s["week_start"] == "2024-06-03" and s["plan_start"] == "2024-06-04 10:30"
    planned = [r for r in doc["devices"] if r["status"] == "planned"]
    assert planned and min(r["start_hour"] for r in planned) >= 34.5
    assert all(a >= 34.5 for ex in doc["examiners"] for a, _ in ex["windows"])
    assert {ex["examiner"]: ex["hours"] for ex in doc["examiners"]}["DFU01"] == 37.5 - 7.5 - 2.5
    assert s["hours_available"] == round(sum(ex["hours"] for ex in doc["examiners"]), 1)
    by = {r["device"]: r for r in doc["devices"]}
    assert by["EX2401"]["days_waited"] == 3 and by["EX2499"]["days_waited"] == 0
    assert any("EX2412" in w and "before the plan start, 2024-06-04 10:30" in w for w in doc["warnings"])
    assert doc["inputs"]["now"] == "2024-06-04 10:17" and doc["inputs"]["week"] is None
    assert "--now '2024-06-04 10:17'" in replan_command(doc) and "--week" not in replan_command(doc)


def test_week_and_now_together_is_one_clear_error():
    r = run(BASE + ["--now", "2024-06-04 10:00"])
    assert r.exit_code == 2 and r.stderr.strip().splitlines() == [
        "error: use either --week DATE (a whole week) or --now TIME (from that time), not both"]
    r = run(["plan", f"{EX}/queue.csv", "--staff", f"{EX}/staff.csv", "--now", "31/13/2024"])
    assert r.exit_code == 2 and "--now: cannot read" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_plan_from_friday_afternoon_forecasts_later_weeks_as_whole_weeks():
    """A plan that starts Friday 14:00 has 1.5 h an examiner left this week; later weeks still have
    the staff file's whole week, so the forecast must not push the queue 'beyond horizon'."""
    doc = json.loads(run(["plan", f"{EX}/queue.csv", "--staff", f"{EX}/staff.csv", "--time-limit", "5",
                          "--now", "2024-06-07 14:00", "--json"]).output)
    assert doc["summary"]["plan_start"] == "2024-06-07 14:00"
    later = [r["status"] for r in doc["devices"] if r["status"] != "planned"]
    assert later and all(s in ("week +1", "week +2") for s in later), sorted(set(later))
    assert not any(w.startswith("deadline at risk") for w in doc["warnings"])


def test_reason_terms_with_aging_against_the_target():
    doc = json.loads(run(BASE + ["--aging-days", "target", "--json"]).output)
    by = {r["device"]: r for r in doc["devices"]}
    assert "weight 68.571 = 4 for tier H x 17.143 for 113 d past its 7-d target (1 + 113/7)" in by["EX2410"]["reason"]
    assert by["EX2410"]["weight"] == round(4 * (1 + 113 / 7), 3)
    assert "weight 4 (tier H, not yet raised for waiting)" in by["EX2401"]["reason"]   # 2 d of a 7-d target


def test_text_output_gives_the_reason_of_each_waiting_high_risk_device_past_target(outputs):
    """The README's EX2410 reason ("not this week ... it does not fit") was in the files only; the
    terminal said "Not this week: 10 week +1" and named EX2410 in a warning without a reason."""
    r, _ = outputs
    later = r.output.split("Not this week:", 1)[1]
    line = next(x for x in later.splitlines() if x.strip().startswith("EX2410"))
    assert "week +1: H (score 35" in line and "it does not fit: the 3 examiners who could take it" in line
    assert "EX2434" in later
    waiting_low = [x for x in later.splitlines() if x.strip()[:6] in ("EX2405", "EX2408")]
    assert waiting_low == []  # lower tiers and devices within target are counted, not listed
