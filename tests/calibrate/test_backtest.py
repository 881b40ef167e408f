"""The back-test: actual series by hand, the moved scenario, the comparison, and the whole run."""
from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from click.testing import CliRunner

from dfu_sched.calibrate import backtest as bt
from dfu_sched.calibrate.actuals import (
    Window,
    actual_series,
    backlog_at,
    examined_in,
    in_progress_at,
    median_wait_days,
    month_windows,
)
from dfu_sched.calibrate.history import History, HistoryDevice, ReadSummary
from dfu_sched.calibrate.synthetic import history_from_rows, history_rows
from dfu_sched.cli import main
from dfu_sched.errors import InputError
from dfu_sched.reports.backtest_html import BACKTEST, render_backtest
from dfu_sched.reports.backtest_text import backtest_text, month_rows
from dfu_sched.reports.run_files import validate_run_document
from dfu_sched.scenario.backlog import BacklogDevice
from dfu_sched.scenario.schema import Scenario, load_scenario
from dfu_sched.sim.experiment import ProcessExecutor
from tests.helpers import EXAMPLES

D = dt.date
TRUTH = EXAMPLES / "history_truth.yaml"


def dev(i: int, submitted: D, status: str = "waiting", start: D | None = None, end: D | None = None,
        dtype: str = "phone", tier: str | None = "M") -> HistoryDevice:
    return HistoryDevice(row=i + 2, device_id=f"REF{i}", case_id=f"CASE{i}", device_type=dtype, submitted=submitted,
                         status=status, tier=tier, exam_start=start, exam_end=end)


def hist(*devices: HistoryDevice) -> History:
    return History("made.csv", list(devices), ReadSummary(rows_read=len(devices), devices=len(devices)))


# ---- actuals by hand ---------------------------------------------------------------------------------

def test_month_windows_are_calendar_months_clipped_to_the_period():
    w = month_windows(D(2024, 1, 15), D(2024, 3, 3))
    assert [(x.first, x.stop) for x in w] == [(D(2024, 1, 15), D(2024, 2, 1)), (D(2024, 2, 1), D(2024, 3, 1)),
                                              (D(2024, 3, 1), D(2024, 3, 4))]
    assert [x.label for x in w] == ["2024-01", "2024-02", "2024-03"]
    assert [x.label for x in month_windows(D(2024, 12, 31), D(2025, 1, 1))] == ["2024-12", "2025-01"]
    with pytest.raises(ValueError):
        month_windows(D(2024, 2, 1), D(2024, 1, 1))


def test_the_three_actual_series_of_a_made_up_history():
    h = hist(
        dev(0, D(2024, 1, 2), "completed", D(2024, 1, 12), D(2024, 1, 20)),   # waits 10 days, done in Jan
        dev(1, D(2024, 1, 5), "completed", D(2024, 1, 25), D(2024, 2, 3)),    # waits 20, done in Feb
        dev(2, D(2024, 1, 30), "completed", D(2024, 2, 1), D(2024, 2, 1)),    # starts on Feb 1: waiting at Jan end
        dev(3, D(2024, 1, 31), "waiting"),                                    # submitted on the last day: waiting
        dev(4, D(2024, 1, 10), "withdrawn"),                                  # never counted
        dev(5, D(2024, 2, 10), "in_progress", D(2024, 2, 20)),                # waits 10, under examination
        dev(6, D(2024, 1, 3), "completed"),                                   # completed, no dates: not waiting
    )
    w = month_windows(D(2024, 1, 1), D(2024, 2, 29))
    s = actual_series(h, w)
    assert s["backlog"] == [2.0, 1.0]              # Jan end: devices 2, 3; Feb end: 3
    assert s["median_wait_days"] == [15.0, 6.0]    # Jan: 10 and 20; Feb: device 2 (2 days) and 5 (10 days)
    assert s["examined"] == [1.0, 2.0]
    assert backlog_at(h, D(2024, 1, 12)) == 2      # devices 0 (starts that day) and 1
    assert median_wait_days(h.devices, Window(D(2024, 3, 1), D(2024, 4, 1))) is None
    assert examined_in(h.devices, Window(D(2024, 2, 3), D(2024, 2, 4))) == 1
    assert [d.device_id for d in in_progress_at(h, D(2024, 1, 26))] == ["REF1"]
    assert [d.device_id for d in in_progress_at(h, D(2024, 3, 1))] == ["REF5"]


# ---- the scenario moved to the start -------------------------------------------------------------------

@pytest.fixture(scope="module")
def truth() -> Scenario:
    return load_scenario(TRUTH)


def test_the_moved_scenario_carries_arrivals_forward_and_starts_from_the_devices(truth):
    devices = [BacklogDevice("phone", "H", 30.0), BacklogDevice("phone", "H", 30.0), BacklogDevice("storage", "L", 3)]
    start, end = D(2024, 1, 1), D(2024, 6, 30)
    sc = bt.moved_scenario(truth, devices, start, end)
    offset = (start - truth.calendar.start_date).days / 7
    assert sc.calendar.start_date == start and sc.calendar.warmup_weeks == 0
    assert sc.calendar.horizon_weeks == 26                      # 182 days
    for w in (0.0, 10.5, 25.0):
        assert sc.arrivals.rate_at_week(w) == pytest.approx(truth.arrivals.rate_at_week(offset + w), rel=1e-12)
    assert sum(e.count for e in sc.backlog) == 3
    assert {(e.device_type, e.tier, e.count) for e in sc.backlog} == {("phone", "H", 2), ("storage", "L", 1)}
    assert sc.examiners == truth.examiners and sc.device_types == truth.device_types


def test_moved_arrivals_keep_later_periods_and_examiner_weeks_shift(truth):
    data = truth.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["arrivals"]["periods"] = [{"from_week": 10, "cases_per_week": 20.0}, {"from_week": 60, "cases_per_week": 5.0}]
    data["examiners"][0].update({"start_week": 30, "ramp_up_weeks": 20, "ramp_up_start": 0.2})
    data["examiners"][1].update({"leave_week": 35})
    base = Scenario.model_validate(data)
    start = base.calendar.start_date + dt.timedelta(weeks=40)
    sc = bt.moved_scenario(base, [], start, start + dt.timedelta(days=200))
    for w in (0.0, 19.0, 20.5, 28.0):
        assert sc.arrivals.rate_at_week(w) == pytest.approx(base.arrivals.rate_at_week(40 + w), rel=1e-12)
    names = [g.name for g in sc.examiners]
    assert "computer" not in names                              # left in week 35, before the start
    mobile = sc.examiners[names.index("mobile")]
    assert mobile.start_week == 0 and mobile.ramp_up_weeks == pytest.approx(10)
    assert mobile.ramp_up_start == pytest.approx(0.2 + 0.8 * 0.5)   # half-way up the ramp at week 40


def test_start_devices_count_blank_tiers_unknown_types_and_those_under_examination(truth):
    h = hist(dev(0, D(2024, 1, 2)), dev(1, D(2024, 1, 3), tier=None), dev(2, D(2024, 1, 4), dtype="drone"),
             dev(3, D(2024, 1, 5), "in_progress", D(2024, 1, 8)), dev(4, D(2024, 1, 5), "completed", D(2024, 1, 6),
                                                                     D(2024, 1, 7)))
    devices, state = bt.start_devices(h, truth, D(2024, 1, 10))
    assert (state.waiting, state.in_progress, state.blank_tiers, state.unknown_types) == (3, 1, 1, 1)
    assert sorted((d.device_type, d.tier, d.age_days) for d in devices) == [
        ("phone", "L", 7.0), ("phone", "M", 5.0), ("phone", "M", 8.0)]
    assert any("blank tier" in line for line in state.lines())
    assert not any("REF" in line or "CASE" in line for line in state.lines())


# ---- the comparison --------------------------------------------------------------------------------------

def test_compare_series_coverage_and_mape_by_hand():
    sims = np.array([[0.0, 10, 20, 5], [2, 12, 22, 7], [4, 14, 24, 9]])
    r = bt.compare_series("backlog", [0.0, 11.0, 30.0, None], sims)
    # band per month = 2.5th..97.5th percentile: month 0 [0.1, 3.9], 1 [10.1, 13.9], 2 [20.1, 23.9]
    assert r.mean[:3] == [2.0, 12.0, 22.0] and r.mean[3] == 7.0
    assert r.low[0] == pytest.approx(0.1) and r.high[1] == pytest.approx(13.9)
    assert r.months_compared == 3 and r.coverage == pytest.approx(1 / 3)   # 0 is below 0.1; 11 inside; 30 above
    assert r.months_actual_zero == 1
    assert r.mape == pytest.approx(np.mean([1 / 11, 8 / 30]))             # month 0 (actual 0) left out


def test_compare_series_with_nothing_to_compare():
    r = bt.compare_series("median_wait_days", [None, None], np.full((3, 2), np.nan))
    assert r.coverage is None and r.mape is None and r.months_compared == 0


# ---- the whole back-test ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def example_history(truth) -> History:
    return history_from_rows(history_rows(truth, truth.run.seed), "history.csv")


@pytest.fixture(scope="module")
def result(truth, example_history):
    return bt.backtest(example_history, truth, D(2025, 1, 1), example_history.last_day, replications=20, seed=1)


def test_the_truth_covers_the_last_twelve_months_of_its_own_history(result):
    """The done-criterion: >= 80% of months inside the band for backlog and for median wait."""
    assert result.months == [f"2025-{m:02d}" for m in range(1, 13)]
    assert result.series["backlog"].coverage >= 0.8
    assert result.series["median_wait_days"].coverage >= 0.8
    assert result.series["examined"].coverage >= 0.7
    assert result.series["examined"].mape < 0.2       # ~90 devices a month: the count is well reproduced


def test_a_wrong_scenario_is_caught(truth, example_history):
    """Half the examiners: the model's backlog runs away from the history's, and coverage collapses."""
    data = truth.model_dump(mode="json", by_alias=True, exclude_none=True)
    for g in data["examiners"]:
        g["hours_per_week"] = g["hours_per_week"] / 2
    wrong = Scenario.model_validate(data)
    r = bt.backtest(example_history, wrong, D(2025, 1, 1), D(2025, 6, 30), replications=8, seed=1)
    assert r.series["backlog"].coverage <= 0.34 and r.series["examined"].coverage <= 0.34


def test_same_numbers_with_processes(truth, example_history):
    a = bt.backtest(example_history, truth, D(2025, 9, 1), D(2025, 10, 31), replications=3, seed=4)
    b = bt.backtest(example_history, truth, D(2025, 9, 1), D(2025, 10, 31), replications=3, seed=4,
                    executor=ProcessExecutor(2))
    assert a.as_dict() == b.as_dict()


@pytest.mark.parametrize(("start", "end", "words"), [
    (D(2025, 6, 1), D(2025, 5, 1), "is before --from"),
    (D(2020, 1, 1), D(2025, 5, 1), "first submission"),
    (D(2025, 1, 1), D(2026, 5, 1), "after the last day"),
])
def test_bad_periods_are_one_line_without_references(truth, example_history, start, end, words):
    with pytest.raises(InputError) as exc:
        bt.backtest(example_history, truth, start, end, replications=2, seed=1)
    msg = str(exc.value)
    assert words in msg and "\n" not in msg and "D0" not in msg and "C0" not in msg


def test_the_document_page_and_text(result):
    doc = json.loads(json.dumps(result.as_dict()))
    validate_run_document(doc, BACKTEST, "backtest", "backtest.json")
    assert doc["kind"] == "backtest" and set(doc["series"]) == {"backlog", "median_wait_days", "examined"}
    page = render_backtest(doc)
    assert len(page.charts) == 3 and "Back-test" in page.html and "<script" not in page.html
    text = backtest_text(doc)
    assert "coverage" in text and "2025-12" in text
    header, rows = month_rows(doc)
    assert len(rows) == 12 and header[1] == "backlog_actual"


def test_no_reference_reaches_the_document_or_the_page(result, example_history):
    text = json.dumps(result.as_dict()) + render_backtest(json.loads(json.dumps(result.as_dict()))).html
    refs = {x for d in example_history.devices for x in (d.device_id, d.case_id, d.examiner_id) if x}
    assert refs and not any(r in text for r in refs if len(r) > 6)  # "mobile 1" etc. are examiner names


def test_backtest_command_on_the_example_export(tmp_path):
    """The command end to end: the messy example export through its column map, to the JSON, the CSV
    and the page, all or nothing; a bad date is one line, exit 2, nothing written."""
    hist_file, cmap = EXAMPLES / "history.csv", EXAMPLES / "history_columns.yaml"
    out, report = tmp_path / "bt", tmp_path / "bt.html"
    res = CliRunner().invoke(main, ["backtest", str(hist_file), "--columns", str(cmap), "--scenario", str(TRUTH),
                                    "--from", "2025-10-01", "--to", "2025-11-30", "-n", "3", "--workers", "1",
                                    "--out", str(out),
                                    "--report", str(report), "-q"])
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "backtest.json").read_text(encoding="utf-8"))
    assert doc["months"] == ["2025-10", "2025-11"] and (out / "backtest.csv").is_file()
    assert "<svg" in report.read_text(encoding="utf-8")
    assert "coverage" in res.output
    res = CliRunner().invoke(main, ["report", str(out), "-o", str(tmp_path / "again.html")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "again.html").read_text(encoding="utf-8").count("<svg") == 3
    res = CliRunner().invoke(main, ["backtest", str(hist_file), "--scenario", str(TRUTH), "--from", "2025-13-01",
                                    "--to", "2025-11-30", "--out", str(tmp_path / "no")])
    assert res.exit_code == 2 and "--from" in res.output and not (tmp_path / "no").exists()


def test_simulated_and_actual_bookkeeping_agree_on_the_same_devices(truth):
    """The simulated series of one replication equal the actual series of that replication written
    as a history: the two sides count in the same calendar-day arithmetic, so a back-test's
    differences are the model's, never the bookkeeping's."""
    from dfu_sched.sim.experiment import replication_seed
    from dfu_sched.sim.model import simulate_once

    data = truth.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["calendar"]["horizon_weeks"] = 40
    sc = Scenario.model_validate(data)
    out, wl = simulate_once(sc, replication_seed(9, 0))
    windows = month_windows(D(2023, 1, 2), D(2023, 9, 30))
    sim = bt.simulated_series(sc, wl, out, windows)
    actual = actual_series(history_from_rows(history_rows(sc, 9)), windows)
    for key in ("backlog", "median_wait_days", "examined"):
        assert [None if not np.isfinite(x) else x for x in sim[key]] == actual[key], key


def test_devices_of_unknown_types_are_left_out_of_the_actual_series_and_said(truth, example_history):
    drones = [HistoryDevice(row=90_000 + i, device_id=f"X{i}", case_id=f"XC{i}", device_type="drone",
                            submitted=D(2025, 2, 1), status="waiting") for i in range(5)]
    with_drones = History("h.csv", example_history.devices + drones, example_history.summary)
    a = bt.backtest(example_history, truth, D(2025, 3, 1), D(2025, 4, 30), replications=2, seed=3)
    b = bt.backtest(with_drones, truth, D(2025, 3, 1), D(2025, 4, 30), replications=2, seed=3)
    assert a.series["backlog"].actual == b.series["backlog"].actual
    assert b.state.unknown_types == 5 and any("5 devices of types" in n for n in b.notes)


def test_a_scenario_moved_back_in_time_keeps_the_examiners_it_starts_with(truth):
    """A fitted scenario starts on its as-of day; back-testing an earlier period moves it back. The
    examiners in post at its start were in post then too (was: week 0 became week +offset, so the
    back-test ran with nobody examining)."""
    earlier = truth.calendar.start_date - dt.timedelta(weeks=30)
    moved = bt.moved_scenario(truth, [], earlier, earlier + dt.timedelta(weeks=8))
    assert [g.start_week for g in moved.examiners] == [0.0 for _ in truth.examiners]
    assert sum(g.count for g in moved.examiners) == sum(g.count for g in truth.examiners)


def test_pseudonymise_replaces_the_history_file_name_in_every_output(tmp_path):
    """A history file named after a case: with --pseudonymise its name reaches no output."""
    named = tmp_path / "Op-Sunflower-case-4471.csv"
    named.write_bytes((EXAMPLES / "history.csv").read_bytes())
    out, report = tmp_path / "bt", tmp_path / "bt.html"
    res = CliRunner().invoke(main, ["backtest", str(named), "--columns", str(EXAMPLES / "history_columns.yaml"),
                                    "--scenario", str(TRUTH), "--from", "2025-10-01", "--to", "2025-11-30", "-n", "2",
                                    "--workers", "1", "--out", str(out), "--report", str(report), "--pseudonymise",
                                    "--json", "-q"])
    assert res.exit_code == 0, res.output
    texts = [res.output, report.read_text(encoding="utf-8")] + [f.read_text(encoding="utf-8") for f in out.iterdir()]
    assert not any("Sunflower" in t for t in texts)
    assert json.loads(res.output)["history"] == "(pseudonymised)"
