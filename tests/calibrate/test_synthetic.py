"""The example history: clean rows are the simulation's devices; messy rows differ only as documented."""
from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from dfu_sched.calendar import HOURS_PER_DAY, HOURS_PER_WEEK
from dfu_sched.calibrate import synthetic
from dfu_sched.calibrate.synthetic import EXPORT_HEADERS, Mess, export_date, history_from_rows, history_rows, messy
from dfu_sched.cli import main
from dfu_sched.reports.history_file import write_history
from dfu_sched.scenario.schema import Scenario, load_scenario
from dfu_sched.sim.experiment import replication_seed
from dfu_sched.sim.model import simulate_once
from dfu_sched.sim.records import EXAM
from tests.helpers import EXAMPLES

TRUTH = EXAMPLES / "history_truth.yaml"


def short_truth(weeks: int = 30) -> Scenario:
    sc = load_scenario(TRUTH)
    data = sc.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["calendar"]["horizon_weeks"] = weeks
    return Scenario.model_validate(data)


@pytest.fixture(scope="module")
def truth() -> Scenario:
    return short_truth()


def test_clean_rows_are_the_simulated_devices(truth):
    rows = history_rows(truth, seed=5)
    out, wl = simulate_once(truth, replication_seed(5, 0))
    rec, horizon = out.records, truth.calendar.horizon_weeks * HOURS_PER_WEEK
    assert len(rows) == wl.n
    tiers, types = np.array(truth.tier_names), np.array(list(truth.device_types))
    assert Counter(r["tier"] for r in rows) == Counter(tiers[wl.tier].tolist())
    assert Counter(r["device_type"] for r in rows) == Counter(types[wl.dtype].tolist())
    assert sum(r["expedite"] for r in rows) == int(wl.expedite.sum())
    # waits to start, in days between dates, equal the simulation's (floor of hours to days)
    start = rec.start[:, EXAM]
    started = np.isfinite(start) & (start < horizon)
    sim_waits = sorted((np.floor(start[started] / HOURS_PER_DAY) - np.floor(wl.submit[started] / HOURS_PER_DAY))
                       .astype(int).tolist())
    row_waits = sorted((r["date_exam_start"] - r["date_submitted"]).days for r in rows if r["date_exam_start"])
    assert row_waits == sim_waits
    done = np.isfinite(rec.end[:, EXAM]) & (rec.end[:, EXAM] < horizon)
    status = Counter(r["status"] for r in rows)
    assert status["completed"] == int(done.sum())
    assert status["in_progress"] == int((started & ~done).sum())
    assert status["waiting"] == wl.n - int(started.sum())
    assert sorted(r["exam_hours"] for r in rows if r["exam_hours"] is not None) == \
        sorted(np.round(wl.hours[done, EXAM], 2).tolist())
    # every date falls before the export date, backlog devices before the start
    last = export_date(truth)
    assert all(d < last for r in rows for d in (r["date_submitted"], r["date_exam_start"], r["date_exam_end"]) if d)
    assert sum(r["date_submitted"] < truth.calendar.start_date for r in rows) == int(wl.backlog.sum())
    assert {r["examiner_id"] for r in rows if r["examiner_id"]} <= {s.name for s in out.servers}
    # one case id per simulated case
    assert len({r["case_id"] for r in rows}) == len(set(wl.case.tolist()))


def test_same_seed_same_rows_other_seed_other_rows(truth):
    assert history_rows(truth, 3) == history_rows(truth, 3)
    assert history_rows(truth, 3) != history_rows(truth, 4)


def _parse(text: str) -> dt.date | None:
    if not text:
        return None
    fmt = synthetic.UK_DATE if "/" in text else synthetic.ISO_DATE
    return dt.datetime.strptime(text, fmt).date()


def _unmess(messy_rows: list[dict]) -> tuple[list[dict], int, int, int]:
    """Undo the documented mess: headers, values, dates; count and drop duplicates and added rows."""
    back = {v: k for k, v in EXPORT_HEADERS.items()}
    types = {v: k for k, v in synthetic.EXPORT_TYPES.items()}
    statuses = {v: k for k, v in synthetic.EXPORT_STATUSES.items()}
    out, seen, dups, added = [], set(), 0, 0
    for r in messy_rows:
        key = tuple(r.items())
        if key in seen:
            dups += 1
            continue
        seen.add(key)
        assert set(r) - set(back) == set(synthetic.EXTRA_COLUMNS)
        c = {back[h]: v for h, v in r.items() if h in back}
        for k in ("date_submitted", "date_exam_start", "date_exam_end"):
            c[k] = _parse(c[k])
        c["device_type"] = types.get(c["device_type"], c["device_type"])
        c["status"] = statuses[c["status"]]
        c["expedite"] = c["expedite"] == "Y"
        c["tier"] = c["tier"] or None
        for k in ("examiner_id", "exam_hours"):
            c[k] = c[k] if c[k] != "" else None
        if c["status"] == "withdrawn" or c["device_type"] == synthetic.UNKNOWN_TYPE:
            added += 1
            continue
        out.append(c)
    blanks = sum(c["tier"] is None for c in out)
    return out, dups, added, blanks


def test_messy_rows_differ_only_in_the_documented_ways(truth):
    clean = history_rows(truth, seed=5)
    rows, mess = messy(clean, np.random.default_rng(2), duplicate_share=0.03, blank_tier_share=0.05,
                       withdrawn_share=0.02, unknown_type_share=0.02)
    assert mess.duplicate_rows > 0 and mess.blank_tiers > 0 and mess.withdrawn_rows > 0 and mess.unknown_type_rows > 0
    assert mess.iso_dates > 0 and mess.uk_dates > mess.iso_dates
    assert len(rows) == len(clean) + mess.duplicate_rows + mess.withdrawn_rows + mess.unknown_type_rows
    back, dups, added, blanks = _unmess(rows)
    assert dups == mess.duplicate_rows
    assert added == mess.withdrawn_rows + mess.unknown_type_rows
    assert len(back) == len(clean)
    for b, c in zip(back, clean, strict=True):
        if b["tier"] is None:
            b["tier"] = c["tier"]  # a blanked tier: the one documented change to a clean row
        assert b == c
    assert 0 < blanks <= mess.blank_tiers  # blank tiers also fall on added rows, which the count includes


def test_messy_on_nothing_is_nothing():
    assert messy([], np.random.default_rng(0)) == ([], Mess())


def test_the_example_history_is_the_truth_scenario_with_its_mess():
    """scenarios/examples/history.csv is regenerated exactly by the README's command."""
    sc = load_scenario(TRUTH)
    rows, _ = messy(history_rows(sc, sc.run.seed), np.random.default_rng(sc.run.seed))
    shipped = EXAMPLES / "history.csv"
    assert shipped.stat().st_size < 1_000_000
    with shipped.open(encoding="utf-8", newline="") as fh:
        read = list(csv.DictReader(fh))
    assert read == [{k: str(v) for k, v in r.items()} for r in rows]


def _ok(text: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def test_the_column_map_names_every_export_header_and_value():
    cmap = yaml.safe_load((EXAMPLES / "history_columns.yaml").read_text(encoding="utf-8"))
    with (EXAMPLES / "history.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        header = reader.fieldnames or []
        rows = list(reader)
    assert set(cmap["columns"]) == set(header) - set(synthetic.EXTRA_COLUMNS)
    assert cmap["unknown_columns"] == "ignore"
    by_column = {v: k for k, v in cmap["columns"].items()}
    for column, mapping in cmap["values"].items():
        seen = {r[by_column[column]] for r in rows}
        assert seen - set(mapping) <= {synthetic.UNKNOWN_TYPE}, column
    for column, formats in cmap["dates"].items():
        texts = [r[by_column[column]] for r in rows if r[by_column[column]]]
        assert texts and all(any(_ok(t, f) for f in formats) for t in texts), column


def test_history_from_rows_keeps_every_device(truth):
    rows = history_rows(truth, seed=5)
    h = history_from_rows(rows)
    assert len(h.devices) == len(rows) and h.summary.devices == len(rows)
    assert [d.device_id for d in h.devices] == [r["device_id"] for r in rows]
    assert h.last_day < export_date(truth)


def _short_truth_file(folder: Path) -> Path:
    data = yaml.safe_load(TRUTH.read_text(encoding="utf-8"))
    data["calendar"]["horizon_weeks"] = 12
    path = folder / "truth.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_simulate_history_out_writes_replication_0_and_pseudonymises(tmp_path):
    sc_path = _short_truth_file(tmp_path)
    runner = CliRunner()
    res = runner.invoke(main, ["simulate", str(sc_path), "-n", "2", "--seed", "7", "--workers", "1",
                               "--history-out", str(tmp_path / "h.csv"), "-q"])
    assert res.exit_code == 0, res.output
    with (tmp_path / "h.csv").open(encoding="utf-8", newline="") as fh:
        read = list(csv.DictReader(fh))
    rows = history_rows(load_scenario(sc_path), 7)
    assert [r["device_id"] for r in read] == [r["device_id"] for r in rows]
    assert [r["date_exam_start"] for r in read] == [r["date_exam_start"].isoformat() if r["date_exam_start"] else ""
                                                    for r in rows]
    res = runner.invoke(main, ["simulate", str(sc_path), "-n", "2", "--seed", "7", "--workers", "1",
                               "--history-out", str(tmp_path / "p.xlsx"), "--pseudonymise", "-q"])
    assert res.exit_code == 0, res.output
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "p.xlsx").active
    cells = {str(c.value) for row in ws.iter_rows(min_row=2) for c in row if c.value is not None}
    refs = {r[k] for r in rows for k in ("device_id", "case_id", "examiner_id") if r[k]}
    assert refs and not cells & refs
    assert ws.max_row == len(rows) + 1


def test_history_out_with_a_bad_suffix_is_one_line_and_writes_nothing(tmp_path):
    sc_path = _short_truth_file(tmp_path)
    res = CliRunner().invoke(main, ["simulate", str(sc_path), "-n", "1", "--history-out", str(tmp_path / "h.txt"),
                                    "--out", str(tmp_path / "run"), "-q"])
    assert res.exit_code == 2
    assert "--history-out" in res.output and len(res.output.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists() and not (tmp_path / "h.txt").exists()


def test_write_history_makes_formula_text_safe(tmp_path):
    path = tmp_path / "x.csv"
    write_history(path, ["device_id", "date_submitted", "expedite"],
                  [{"device_id": "=HYPERLINK(1)", "date_submitted": dt.date(2024, 1, 2), "expedite": True}])
    assert path.read_text(encoding="utf-8").splitlines()[1] == "'=HYPERLINK(1),2024-01-02,yes"
