"""Starting a run from today's real queue: ``simulate``, ``compare`` and ``invest`` with ``--queue``.

The example queue must become exactly the initial backlog (tiers and types counted, ages to the
day, estimated hours honoured); a bad queue is one line, exit 2, nothing written and no case
reference echoed; compare and invest run with it (tiny horizons, few replications).
"""
from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter

import numpy as np
import pytest
from click.testing import CliRunner

from dfu_sched.calendar import STAGES
from dfu_sched.cli import main
from dfu_sched.errors import InputError
from dfu_sched.plan.backlog import queue_start, read_queue_for, scenario_with_queue
from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim.workload import child_seed, generate
from tests.helpers import EXAMPLES, short_baseline_file, small, to_yaml

QUEUE = EXAMPLES / "queue.csv"
AS_OF = dt.date(2024, 6, 3)
EXAM = STAGES.index("examination")


def _csv_rows() -> list[dict]:
    with QUEUE.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    return short_baseline_file(tmp_path_factory.mktemp("q"), weeks=3)


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


# ---- the library: queue rows -> the scenario's backlog -> the workload ----------------------------

def test_example_queue_is_exactly_the_initial_backlog(short) -> None:
    sc = load_scenario(short)
    rows = read_queue_for(sc, QUEUE, AS_OF)
    started = scenario_with_queue(sc, rows, AS_OF)
    assert started.calendar.start_date == AS_OF and started.calendar.horizon_weeks == 3
    raw = _csv_rows()
    assert len(rows) == len(raw) == 36
    # A tier given in the file is kept; the others are the risk model's, as `plan` assigns them.
    for r, line in zip(rows, raw):
        if line["tier"]:
            assert r.tier == line["tier"]
    expected = Counter((r.tier, line["device_type"], (AS_OF - dt.date.fromisoformat(line["date_submitted"])).days,
                        float(line["estimated_hours"]) if line["estimated_hours"] else None)
                       for r, line in zip(rows, raw))
    wl = generate(started, child_seed(np.random.SeedSequence(3), 0))
    b = wl.backlog
    assert b.sum() == 36 and (wl.release[b] == 0).all()
    tiers, types = started.tier_names, list(started.device_types)
    got_fixed: Counter = Counter()
    got_all: Counter = Counter()
    estimated = {k for k in expected if k[3] is not None}
    for i in np.flatnonzero(b):
        age = -wl.submit[i] / 24.0
        assert abs(age - round(age)) < 1e-9
        key = (tiers[wl.tier[i]], types[wl.dtype[i]], round(age))
        got_all[key] += 1
        hours = float(wl.hours[i, EXAM])
        if (*key, hours) in estimated:
            got_fixed[(*key, hours)] += 1
        assert hours > 0
    expected_all: Counter = Counter()
    for k, n in expected.items():
        expected_all[k[:3]] += n
    assert got_all == expected_all
    assert got_fixed == Counter({k: n for k, n in expected.items() if k[3] is not None})
    assert sum(got_fixed.values()) == 32  # four rows give no estimate: their hours are drawn
    flagged = [(r.tier, line["device_type"]) for r, line in zip(rows, raw) if line["expedite"] == "yes"]
    assert len(flagged) == 1 and wl.expedite[b].sum() == 1  # the queue's flag, not policy.expedite_share
    i = np.flatnonzero(b & wl.expedite)[0]
    assert (tiers[wl.tier[i]], types[wl.dtype[i]]) == flagged[0]
    info = queue_start(QUEUE, started)
    assert (info.devices, info.fixed_hours, info.file, info.as_of) == (36, 32, "queue.csv", AS_OF)


def test_queue_replaces_the_backlog_and_defaults_to_the_scenario_start(short) -> None:
    sc = load_scenario(short)
    assert sum(e.count for e in sc.backlog) > 36
    rows = read_queue_for(sc, QUEUE, AS_OF)
    late = sc.with_updates({"calendar": {"start_date": "2024-06-10"}})
    started = scenario_with_queue(late, rows)  # as_of = the scenario's own start day
    assert started.calendar.start_date == dt.date(2024, 6, 10)
    assert sum(e.count for e in started.backlog) == 36
    assert max(e.age_days.value for e in started.backlog) == (dt.date(2024, 6, 10) - dt.date(2023, 4, 30)).days
    with pytest.raises(InputError, match="date_submitted"):  # a device submitted after the start day
        read_queue_for(sc, QUEUE, dt.date(2024, 5, 1))


# ---- simulate --queue ---------------------------------------------------------------------------------

def test_simulate_with_queue_records_it_and_starts_from_it(short, tmp_path) -> None:
    out = tmp_path / "run"
    r = _run("simulate", short, "--queue", QUEUE, "--as-of", "2024-06-03", "-n", "2", "--seed", "1",
             "--workers", "1", "--out", out, "--json", "-q")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["start_date"] == "2024-06-03"
    assert summary["inputs"] == {"backlog": "queue file", "queue": "queue.csv", "as_of": "2024-06-03",
                                 "queue_devices": 36, "queue_stage": "first",
                                 "queue_devices_with_estimated_hours": 32}
    assert json.loads((out / "summary.json").read_text())["inputs"] == summary["inputs"]
    with (out / "devices.csv").open(newline="") as f:
        assert sum(row["in_initial_backlog"] == "1" for row in csv.DictReader(f)) == 36


def test_queue_name_is_a_placeholder_when_pseudonymised(short, tmp_path) -> None:
    named = tmp_path / "NY-2024-1007 queue.csv"  # a file name can name a case
    named.write_bytes(QUEUE.read_bytes())
    report = tmp_path / "r.html"
    r = _run("simulate", short, "--queue", named, "--as-of", "2024-06-03", "-n", "2", "--workers", "1",
             "--pseudonymise", "--report", report, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["inputs"]["queue"] == "(pseudonymised)"
    page = report.read_text(encoding="utf-8")
    assert "1007" not in r.output and "1007" not in page
    assert "36 devices from the queue file (pseudonymised)" in page and "--queue QUEUE.csv --as-of 2024-06-03" in page


def test_reports_and_tables_say_the_backlog_came_from_the_queue(short, tmp_path) -> None:
    report = tmp_path / "r.html"
    r = _run("simulate", short, "--queue", QUEUE, "--as-of", "2024-06-03", "-n", "2", "--workers", "1",
             "--report", report, "-q")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("backlog: 36 devices from queue file queue.csv as of 2024-06-03")
    page = report.read_text(encoding="utf-8")
    assert "36 devices from the queue file queue.csv as of 2024-06-03 (32 with estimated hours)" in page
    assert "--queue queue.csv --as-of 2024-06-03" in page


def _bad_queue(tmp_path, column: str, value: str, row: int = 3):
    lines = QUEUE.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, cells


@pytest.mark.parametrize("column,value", [("device_type", "drone-NY2024"), ("tier", "URGENT-NY2024"),
                                          ("estimated_hours", "-3")])
def test_bad_queue_is_one_line_exit_2_nothing_written(short, tmp_path, column, value) -> None:
    path, cells = _bad_queue(tmp_path, column, value)
    out, report = tmp_path / "never", tmp_path / "never.html"
    r = _run("simulate", short, "--queue", path, "--as-of", "2024-06-03", "-n", "2", "--out", out,
             "--report", report, "-q")
    assert r.exit_code == 2, r.output
    err = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(err) == 1 and err[0].startswith("error: bad.csv row 3, column ") and repr(column) in err[0], err
    for ref in (cells[0], cells[1], value):  # device id, case id, the bad cell: never echoed
        assert ref not in r.output
    assert not out.exists() and not report.exists() and not list(tmp_path.glob(".never*"))


def test_queue_options_need_a_queue(short) -> None:
    r = _run("simulate", short, "--as-of", "2024-06-03", "-n", "2", "-q")
    assert r.exit_code == 2 and "--as-of needs --queue" in r.stderr


# ---- compare and invest --queue ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    d = tmp_path_factory.mktemp("qc")
    base = small(horizon_weeks=3, keep=("overtime", "training"), budget=30_000)
    data = base.model_dump(mode="json", by_alias=True)
    data["name"], data["investment"]["mix"] = "with overtime", {"overtime": 1}
    from dfu_sched.scenario.schema import Scenario

    return to_yaml(base, d / "a.yaml"), to_yaml(Scenario.model_validate(data), d / "b.yaml")


def test_compare_with_queue(tiny, tmp_path) -> None:
    r = _run("compare", *tiny, "--queue", QUEUE, "--as-of", "2024-06-03", "-n", "2", "--seed", "3",
             "--workers", "1", "--json", "-q")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["inputs"]["queue"] == "queue.csv" and out["inputs"]["queue_devices"] == 36
    assert out["paired"] is True  # both start from the same queue: common random numbers hold
    plain = json.loads(_run("compare", *tiny, "-n", "2", "--seed", "3", "--workers", "1", "--json", "-q").stdout)
    assert "inputs" not in plain
    assert out["scenarios"][0]["measures"] != plain["scenarios"][0]["measures"]  # 36 devices, not the backlog:
    report = tmp_path / "c.html"
    r = _run("compare", *tiny, "--queue", QUEUE, "--as-of", "2024-06-03", "-n", "2", "--seed", "3",
             "--workers", "1", "--report", report, "-q")
    assert r.exit_code == 0 and r.stdout.startswith("backlog: 36 devices from queue file queue.csv"), r.output
    assert "--queue queue.csv --as-of 2024-06-03" in report.read_text(encoding="utf-8")


def test_invest_with_queue(tiny) -> None:
    r = _run("invest", tiny[0], "--budget", "30k", "--queue", QUEUE, "--as-of", "2024-06-03", "-n", "4",
             "--seed", "3", "--workers", "1", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["kind"] == "invest" and out["inputs"]["as_of"] == "2024-06-03"
    assert out["inputs"]["queue_devices"] == 36 and out["start_date"] == "2024-06-03"
    assert "backlog: 36 devices from queue file queue.csv" in r.stderr  # stdout is the JSON


def test_an_export_with_its_own_headers_starts_the_same_run_through_a_column_map(short, tmp_path) -> None:
    """--columns: the example queue with a case system's headers and type names, read through a map,
    gives the same initial backlog as the example file itself; the extra column is counted, not named."""
    import csv

    rows = list(csv.DictReader(QUEUE.open(encoding="utf-8")))
    rename = {"device_id": "Exhibit Ref", "case_id": "Case Number", "device_type": "Item Type"}
    export = tmp_path / "export.csv"
    with export.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([rename.get(k, k) for k in rows[0]] + ["Officer"])
        for r in rows:
            w.writerow([("Mobile Phone" if v == "phone" else v) if k == "device_type" else v for k, v in r.items()]
                       + ["PC 123"])
    cmap = tmp_path / "map.yaml"
    cmap.write_text("columns:\n  Exhibit Ref: device_id\n  Case Number: case_id\n  Item Type: device_type\n"
                    "values:\n  device_type: {Mobile Phone: phone}\n", encoding="utf-8")
    plain = _run("simulate", short, "--queue", QUEUE, "--as-of", "2024-06-03", "-n", "2", "--seed", "1",
                 "--workers", "1", "--json")
    mapped = _run("simulate", short, "--queue", export, "--columns", cmap, "--as-of", "2024-06-03", "-n", "2",
                  "--seed", "1", "--workers", "1", "--json")
    assert plain.exit_code == 0 and mapped.exit_code == 0, mapped.output
    a, b = json.loads(plain.stdout), json.loads(mapped.stdout)
    assert a["inputs"]["queue_devices"] == b["inputs"]["queue_devices"] == len(rows)
    assert a["overall"] == b["overall"]  # the same devices: the same run
    assert "1 unknown column(s) ignored" in mapped.stderr
    assert "Officer" not in mapped.stderr and "PC 123" not in mapped.stderr
