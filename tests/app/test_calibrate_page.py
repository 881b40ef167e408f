"""The Calibrate page: its plain functions against the commands, and the Streamlit page through AppTest."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dfu_sched.app import calibrate_page as cal
from dfu_sched.app import simulate_page as page
from dfu_sched.app.jobs import Job, session_job
from dfu_sched.app.state import Upload
from dfu_sched.cli import main
from dfu_sched.cli.common import QueueArgs
from dfu_sched.errors import InputError
from dfu_sched.reports.files import to_json
from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim.experiment import run_experiment

if not os.environ.get("CI"):  # the app is an extra: skipped without it, except under CI (which installs it)
    pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from dfu_sched.app.server import SCRIPT  # noqa: E402
from tests.app.helpers import control, run_and_wait  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "scenarios" / "examples"
BT_FROM, BT_TO = dt.date(2025, 10, 1), dt.date(2025, 12, 28)  # a short back-test: three months
SECRET = "SECRET-CASE-4711"


def example(name: str) -> Upload:
    return Upload(name, (EXAMPLES / name).read_bytes())


def history_files() -> cal.TableFiles:
    return cal.TableFiles(example("history.csv"), example("history_columns.yaml"))


def baseline() -> page.ScenarioSource:
    """The base of the fits: the sidebar's first scenario (the command's default ``--base``)."""
    return page.read_shipped("north_yorkshire_2022.yaml")


#: The fit's window and queue day (``--from``, ``--to``, ``--as-of``) and an upload name that names a case.
OPTIONS = cal.FitOptions(dt.date(2023, 3, 6), dt.date(2025, 9, 28), dt.date(2025, 9, 28))
NAMED = "CASE-77-export.csv"


@pytest.fixture(scope="module")
def cli_fit(tmp_path_factory) -> tuple[dict, str, Path]:
    """``dfu-sched fit --pseudonymise`` on the example history: its --json, the scenario file it wrote, its path."""
    out = tmp_path_factory.mktemp("fit") / "fitted.yaml"
    got = CliRunner().invoke(main, ["fit", str(EXAMPLES / "history.csv"), "--columns",
                                    str(EXAMPLES / "history_columns.yaml"), "-o", str(out),
                                    "--from", OPTIONS.start.isoformat(), "--to", OPTIONS.end.isoformat(),
                                    "--as-of", OPTIONS.as_of.isoformat(), "--pseudonymise", "--json", "-q"])
    assert got.exit_code == 0, got.output
    return json.loads(got.stdout), out.read_text(encoding="utf-8"), out


@pytest.fixture(scope="module")
def fit() -> cal.FitOutcome:
    return cal.FITS.fit(named_history(), baseline().scenario, OPTIONS)  # pseudonymised by default


def named_history() -> cal.TableFiles:
    return cal.TableFiles(Upload(NAMED, (EXAMPLES / "history.csv").read_bytes()), example("history_columns.yaml"))


def test_fit_matches_the_command_line(fit, cli_fit):
    doc, yaml_text, _ = cli_fit
    assert fit.doc == doc and fit.yaml_text == yaml_text
    assert (doc["from"], doc["to"], doc["as_of"]) == ("2023-03-06", "2025-09-28", "2025-09-28")
    assert fit.scenario == load_scenario(cli_fit[2])
    assert fit.charts and all(svg.lstrip().startswith("<") for _, svg in fit.charts)
    assert "<html" in fit.html.lower()
    words = " ".join(cal.fit_sentences(fit.doc))
    assert f"{doc['arrivals']['cases_per_week_at_as_of']:.2f}" in words and f"{doc['backlog_devices']:,}" in words
    repairs = cal.reading_lines(fit.doc)
    assert any("duplicate rows dropped" in line for line in repairs) and all("\n" not in x for x in repairs)
    assert {r["tier"] for r in cal.mix_rows(fit.doc, "tier_mix", "tier")} == set(fit.scenario.tier_names)
    assert {r["device type"] for r in cal.hours_rows(fit.doc)} == set(doc["hours"])
    assert sum(r["examiners"] for r in cal.staffing_rows(fit.doc)) == sum(g.count for g in fit.scenario.examiners)
    assert cal.staffing_sentences(fit.doc)[0].startswith("Latest quarter")


def test_a_pseudonymised_fit_never_names_the_upload(fit):
    assert fit.history_name == fit.doc["source"] != NAMED
    assert cal.fitted_source(fit).label == f"fitted from {fit.history_name}"
    shown = "\n".join([json.dumps(fit.doc), fit.html, fit.yaml_text, *fit.lines, *cal.fit_sentences(fit.doc)])
    assert "CASE-77" not in shown
    with pytest.raises(InputError, match="shorter than 13 weeks") as exc:
        cal.fit_upload(history_files(), baseline().scenario, cal.FitOptions(dt.date(2025, 6, 1),
                                                                                 dt.date(2025, 6, 30)))
    assert "\n" not in str(exc.value)


def test_identical_fits_reuse_the_cached_one(fit, monkeypatch):
    calls: list[cal.FitOptions] = []

    def counted(files, base, options, pseudonymise=True):
        calls.append(options)
        return fit

    monkeypatch.setattr(cal, "fit_upload", counted)
    again = cal.FITS.fit(named_history(), baseline().scenario, OPTIONS)
    assert calls == [] and again == fit and again.doc is not fit.doc  # a hit, as a fresh copy
    cache = cal.FitCache(size=1)
    for options in (OPTIONS, cal.FitOptions(), OPTIONS):  # the middle one pushes the first out
        cache.fit(named_history(), baseline().scenario, options)
    cache.fit(named_history(), baseline().scenario, OPTIONS, pseudonymise=False)
    assert calls == [OPTIONS, cal.FitOptions(), OPTIONS, OPTIONS]


def test_backtest_matches_the_command_line(fit, cli_fit):
    _, _, fitted = cli_fit
    got = CliRunner().invoke(main, ["backtest", str(EXAMPLES / "history.csv"), "--columns",
                                    str(EXAMPLES / "history_columns.yaml"), "--scenario", str(fitted), "--from",
                                    BT_FROM.isoformat(), "--to", BT_TO.isoformat(), "-n", "2", "--seed", "1",
                                    "--workers", "1", "--json", "-q"])
    assert got.exit_code == 0, got.output
    ticks: list[int] = []
    doc = cal.backtest_doc(history_files(), fit.scenario, BT_FROM, BT_TO, 2, 1, pseudonymise=False,
                           progress=ticks.append)
    assert doc == json.loads(got.stdout) and ticks == [1, 1]
    lines = cal.backtest_lines(doc)
    assert len([x for x in lines if "coverage" in x and "MAPE" in x]) == len(doc["series"]) == 3
    assert len(cal.month_table(doc)) == len(doc["months"]) == 3
    html, charts = cal.backtest_report(doc)
    assert charts and "<html" in html.lower()
    hidden = cal.backtest_doc(history_files(), fit.scenario, BT_FROM, BT_TO, 1, 1, pseudonymise=True)
    assert hidden["history"] != "history.csv" and hidden["months"] == doc["months"]
    with pytest.raises(InputError, match="replications"):
        cal.backtest_doc(history_files(), fit.scenario, BT_FROM, BT_TO, 0, 1)


def test_queue_start_is_simulate_queue():
    """The page's scenario is the one ``simulate --queue`` builds, and simulates to the same summary."""
    as_of = dt.date(2024, 6, 3)
    base = page.read_shipped("north_yorkshire_2022.yaml")
    got = cal.scenario_from_queue(base, cal.TableFiles(example("queue.csv")), as_of, "first", pseudonymise=False)
    cli_sc, started = QueueArgs.of(EXAMPLES / "queue.csv", None, dt.datetime(2024, 6, 3), "first", None).apply(
        base.scenario)
    assert page.scenario_json(got.source.scenario) == page.scenario_json(cli_sc)
    assert got.note == started.note() and got.inputs == started.inputs()
    assert got.source.label == "north_yorkshire_2022.yaml with today's queue from queue.csv"
    assert sum(r["devices"] for r in got.by_tier) == 36 == started.devices
    assert [r["tier"] for r in got.by_tier] == base.scenario.tier_names
    hidden = cal.scenario_from_queue(base, cal.TableFiles(example("queue.xlsx")), as_of, "examination")
    assert "queue.xlsx" not in hidden.source.label and hidden.inputs["queue_stage"] == "examination"


def bad_history() -> bytes:
    """The example export with a fake case reference in a row whose date cannot be read."""
    lines = (EXAMPLES / "history.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[5].split(",")
    cells[0], cells[1], cells[3] = SECRET, SECRET, "31/31/2024"
    lines[5] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode()


def test_bad_history_is_one_line_without_a_cell_value(monkeypatch, tmp_path):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the private folders are made here
    files = cal.TableFiles(Upload("export.csv", bad_history()), example("history_columns.yaml"))
    with pytest.raises(InputError) as exc:
        cal.fit_upload(files, baseline().scenario, cal.FitOptions())
    message = str(exc.value)
    assert "\n" not in message and SECRET not in message and "31/31" not in message
    assert message.startswith("export.csv") and "row 6" in message
    assert list(tmp_path.iterdir()) == []  # read, then removed
    with pytest.raises(InputError, match="larger than"):
        cal.read_history_upload(cal.TableFiles(Upload("big.csv", b"x" * (6 * 1_000_000))))


def test_bad_column_map_and_bad_queue_are_one_line_naming_the_upload():
    with pytest.raises(InputError) as exc:  # a YAML syntax error: the reader names the file by its path
        cal.read_history_upload(cal.TableFiles(example("history.csv"), Upload("map.yaml", b": : :\n")))
    assert str(exc.value).startswith("map.yaml:1:1: YAML syntax error") and "dfu-app-" not in str(exc.value)
    lines = (EXAMPLES / "queue.csv").read_text(encoding="utf-8").splitlines()
    cells = lines[4].split(",")
    cells[0], cells[1], cells[4] = SECRET, SECRET, "ZZ"  # device_id, case_id, and a tier the scenario lacks
    lines[4] = ",".join(cells)
    base = page.read_shipped("north_yorkshire_2022.yaml")
    with pytest.raises(InputError) as exc:
        cal.scenario_from_queue(base, cal.TableFiles(Upload("q.csv", "\n".join(lines).encode())), dt.date(2024, 6, 3))
    message = str(exc.value)
    assert message.startswith("q.csv row 5, column 'tier'") and SECRET not in message and "ZZ" not in message


# ---- the Streamlit page (AppTest) -------------------------------------------------------------


def calibrate_app() -> AppTest:
    at = AppTest.from_file(str(SCRIPT), default_timeout=60)
    at.run()
    at.radio(key="page").set_value("Calibrate").run()
    return at


def put(at: AppTest, key: str, upload: Upload) -> AppTest:
    at.file_uploader(key=key).set_value((upload.name, upload.data, "text/csv")).run()
    return at


def everything(at: AppTest) -> str:
    """Every text the page shows (Markdown escapes removed, so a reference is found as the file spells it)."""
    parts = [e.value for kind in ("markdown", "caption", "info", "warning", "error", "success", "subheader",
                                  "header", "title") for e in getattr(at, kind)]
    parts += [df.value.to_csv() for df in at.dataframe]
    return re.sub(r"\\(.)", r"\1", "\n".join(str(p) for p in parts))


def with_history(at: AppTest, history: Upload) -> AppTest:
    assert at.selectbox(key="shipped").value == "north_yorkshire_2022.yaml"  # the sidebar's start: the base
    put(at, "cal_history", history)
    return put(at, "cal_history_columns", example("history_columns.yaml"))


def test_fit_use_it_and_simulate_starts_from_the_fitted_examiners(fit):
    at = with_history(calibrate_app(), Upload(NAMED, (EXAMPLES / "history.csv").read_bytes()))
    for key, day in (("cal_from", OPTIONS.start), ("cal_to", OPTIONS.end), ("cal_as_of", OPTIONS.as_of)):
        at.date_input(key=key).set_value(day)
    at.button(key="cal_fit").click().run()  # the fixture's inputs: the cached fit
    assert not at.exception and not at.error
    text = everything(at)
    assert "duplicate rows dropped" in text and f"{fit.doc['backlog_devices']:,} devices waiting" in text
    assert "CASE-77" not in text and len(at.get("download_button")) == 2
    assert {page.markdown_text(t) for t, _ in fit.charts} <= {c.value for c in at.caption}  # the charts
    at.button(key="cal_use_fit").click().run()
    made = "The scenario fitted from (pseudonymised)"
    assert at.radio(key="source").value == made and at.radio(key="cal_bt_which").value == "The fitted scenario"
    assert any("now starts from the scenario fitted from" in s.value for s in at.success)
    at.radio(key="page").set_value("Scenario and simulation").run()
    assert not at.exception and at.radio(key="source").value == made
    counts = {g.name: g.count for g in fit.scenario.examiners}
    assert counts != {g.name: g.count for g in baseline().scenario.examiners}  # the test can fail
    assert {name: control(at, f"examiners[{name}].count").value for name in counts} == counts


def test_backtest_runs_in_the_background_on_the_page(fit):
    at = with_history(calibrate_app(), example("history.csv"))
    assert at.radio(key="cal_bt_which").options == ["The sidebar's scenario"]  # no fit yet
    at.date_input(key="cal_bt_from").set_value(BT_FROM)
    at.date_input(key="cal_bt_to").set_value(BT_TO)
    at.number_input(key="cal_bt_n").set_value(2)
    at.number_input(key="cal_bt_seed").set_value(1).run()
    at = run_and_wait(at, "cal_bt_run", "backtest")
    assert not at.exception and not at.error
    doc = session_job(at.session_state, "backtest")[1].result  # the run the page made, for the form's inputs
    assert (doc["scenario"], doc["start"], doc["end"], doc["replications"], doc["seed"]) == (
        baseline().scenario.name, BT_FROM.isoformat(), BT_TO.isoformat(), 2, 1)
    assert doc["history"] != "history.csv"  # pseudonymised by default
    want = cal.backtest_lines(doc)
    shown = [m.value.replace("\\", "")[2:] for m in at.markdown if m.value.startswith("- ")]
    assert [x.replace("\\", "") for x in want] == shown
    assert any(d.label.startswith("Download the back-test") for d in at.get("download_button"))
    at = run_and_wait(at, "cal_bt_run", "backtest")  # the same inputs again: the session's last run
    assert session_job(at.session_state, "backtest")[1].label == "cached" and not at.exception


def test_a_backtest_can_be_cancelled(fit):
    job = Job(lambda tick: cal.backtest_doc(history_files(), fit.scenario, BT_FROM, BT_TO, 3, 1, progress=tick), 3)
    job.cancel()  # before it starts: it stops after its first replication
    assert job.start().wait(60) and job.state == "cancelled" and job.result is None and job.done == 1


def test_queue_start_on_the_page_simulates_as_simulate_queue():
    """Upload the queue, use it, run on the Simulate page: the summary is ``run_experiment`` on the
    scenario ``simulate --queue`` builds, for the same replications and seed."""
    short = baseline().scenario.with_updates({"calendar": {"horizon_weeks": 12, "warmup_weeks": 0}})
    at = calibrate_app()
    at.radio(key="source").set_value("Upload a file").run()  # the base: the baseline, 12 weeks (a quick run)
    at.file_uploader(key="upload").set_value(("short.yaml", page.edited_yaml(short, "test").encode(), "x")).run()
    at = put(at, "cal_queue", example("queue.csv"))
    at.date_input(key="cal_q_as_of").set_value(dt.date(2024, 6, 3)).run()
    at.button(key="cal_q_go").click().run()
    assert not at.exception and not at.error
    tiers = at.dataframe[0].value
    assert int(tiers["devices"].sum()) == 36
    at.button(key="cal_q_use").click().run()
    option = at.radio(key="source").value
    assert option.startswith("The scenario short.yaml with today's queue from ")
    assert "queue.csv" not in option  # pseudonymised by default
    at.radio(key="page").set_value("Scenario and simulation").run()
    at.number_input(key="n").set_value(2)
    at.number_input(key="seed").set_value(5).run()
    at = run_and_wait(at)
    assert not at.exception and not at.error and at.radio(key="source").value == option
    mine = dict(session_job(at.session_state, "simulate")[1].result)
    cli_sc, _ = QueueArgs.of(EXAMPLES / "queue.csv", None, dt.datetime(2024, 6, 3), "first", None).apply(short)
    theirs = json.loads(to_json(run_experiment(cli_sc, 2, 5, workers=1, source="the web app").summary()))
    for d in (mine, theirs):
        d.pop("run", None)  # the measured seconds
    assert mine == theirs
    backlog = mine["backlog_weekly"]["backlog.awaiting_examination"]["mean"]
    assert mine["start_date"] == "2024-06-03" and backlog[0] == 36 and mine["horizon_weeks"] == 12


def test_bad_history_on_the_page_is_one_line_and_never_shows_the_reference():
    at = with_history(calibrate_app(), Upload("export.csv", bad_history()))
    at.button(key="cal_fit").click().run()
    assert not at.exception and len(at.error) == 1
    message = at.error[0].value
    assert "\n" not in message and "Traceback" not in message and "row 6" in message
    assert SECRET not in everything(at)
