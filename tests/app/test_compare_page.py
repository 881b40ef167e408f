"""The Compare page: its plain functions, and the Streamlit page through AppTest (no browser)."""
from __future__ import annotations

import io
import json
import os
import zipfile

import pytest
from openpyxl import load_workbook

from dfu_sched.app import compare_page as cmp
from dfu_sched.app import simulate_page as page
from dfu_sched.errors import InputError
from dfu_sched.invest.compare import compare_scenarios
from dfu_sched.reports.files import to_json
from dfu_sched.scenario.schema import Scenario, load_scenario
from tests.helpers import small

if not os.environ.get("CI"):  # the app is an extra: skipped without it, except under CI (which installs it)
    pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from dfu_sched.app.server import SCRIPT  # noqa: E402
from tests.app.helpers import run_and_wait  # noqa: E402

WEEKS = 12


def tiny() -> Scenario:
    """The £400K scenario cut down to 12 weeks and a fifth of the backlog: a replication takes ~0.05 s."""
    return small(horizon_weeks=WEEKS, keep=("contract_examiner", "training"), budget=60_000)


def tiny_source(name: str = "base.yaml") -> page.ScenarioSource:
    sc = tiny()
    return page.read_upload(name, page.edited_yaml(sc, "tests").encode())


def more_staff(src: page.ScenarioSource, extra: int = 3, rule: str | None = None) -> page.Levers:
    start = dict(page.levers_of(src.scenario).values)
    key = f"examiners[{src.scenario.examiners[0].name}].count"
    start[key] = start[key] + extra
    if rule:
        start["policy.discipline"] = rule
    return page.Levers(start)


def test_same_numbers_as_the_command_on_the_variant_files(tmp_path):
    src = tiny_source()
    a = cmp.from_source(src, "Today", 1)
    b = cmp.from_levers(src, "Three more *mobile* examiners", more_staff(src), 2)
    request = cmp.make_request([a, b], 3, 11)
    doc = cmp.run_compare(request)
    with zipfile.ZipFile(io.BytesIO(cmp.variants_zip(request))) as zf:
        zf.extractall(tmp_path)
        names = zf.namelist()
    assert names == ["today.yaml", "three-more-mobile-examiners.yaml"]
    # what `dfu-sched compare today.yaml three-more-mobile-examiners.yaml -n 3 --seed 11` computes
    cli = json.loads(to_json(compare_scenarios([(str(tmp_path / n), load_scenario(tmp_path / n)) for n in names],
                                               3, 11, workers=2)))
    for got, want in zip(doc["scenarios"], cli["scenarios"]):
        for key in ("measures", "title", "cost_gbp", "trajectory", "changes"):
            assert got[key] == want[key], key
    assert doc["differences"][0]["measures"] == cli["differences"][0]["measures"]
    assert doc["paired"] and [s["title"] for s in doc["scenarios"]] == ["Today", "Three more *mobile* examiners"]
    # three more examiners from day one: less exposure, and the table says so in words
    rows = {r["measure"]: r for r in cmp.difference_rows(doc)}
    exposure = rows["exposure (tier-weighted device-days)"]
    assert exposure["better"] == "Three more *mobile* examiners" and exposure["difference"] < 0
    assert "less than Today (paired 95% CI" in exposure["in words"]


@pytest.fixture(scope="module")
def priority_run():
    """One small comparison (today against a strict priority rule), run and rendered once."""
    src = tiny_source()
    request = cmp.make_request([cmp.from_source(src, "Today", 1),
                                cmp.from_levers(src, "<b>Priority</b>", more_staff(src, 0, "priority"), 2)], 2, 5)
    doc = cmp.run_compare(request)
    return doc, cmp.outcome(doc, request)


def test_outcome_has_the_commands_report_and_workbook(priority_run):
    doc, out = priority_run
    assert "<b>Priority</b>" not in out.html and "&lt;b&gt;Priority&lt;/b&gt;" in out.html  # escaped
    assert out.charts and all(svg.lstrip().startswith(("<svg", "<?xml")) for _, svg in out.charts)
    wb = load_workbook(io.BytesIO(out.xlsx))
    assert {"Measures", "Differences"} <= set(wb.sheetnames)
    header = [c.value for c in wb["Measures"][3]]
    assert header[:2] == ["measure", "today"] and header[4] == "b-priority-b"  # ids: never a formula
    lines = cmp.headline(doc)
    assert lines and all("<strong>" not in x for x in lines)
    table = cmp.side_by_side(doc)
    assert list(table[0]) == ["measure", "A: Today", "B: <b>Priority</b>"] and table[-1]["A: Today"] == 0


def test_difference_words_name_the_better_variant_or_say_it_cannot_tell():
    lower = {"estimate": -12.0, "ci95": [-15.0, -9.0]}
    assert cmp.difference_words(lower, "overall.wait_to_start_days.p50", "B", "A") == (
        "B", "B has 12.0 days fewer than A (paired 95% CI 9.0 to 15.0 fewer)")
    assert cmp.difference_words(lower, "VH.within_target_pct", "B", "A")[0] == "A"  # fewer on time: A is better
    assert cmp.difference_words({"estimate": 3.0, "ci95": [-1.0, 7.0]}, "overall.exposure", "B", "A")[0] == \
        "cannot tell apart"
    assert cmp.difference_words({"estimate": 5.0, "ci95": [2.0, 8.0]}, "invest.outsourced_devices", "B", "A")[0] \
        .startswith("neither")
    assert cmp.difference_words({"estimate": None}, "overall.exposure", "B", "A")[0] == "no estimate"


@pytest.mark.parametrize("names, n, words", [
    (["A", "a"], 2, "variant 2: another variant has the same name"),
    (["A", "  "], 2, "variant 2: give it a name"),
    (["A", "x" * 61], 2, "at most 60 characters"),
    (["A", "B"], 1, "replications must be between 2"),
    (["A"], 2, "two to 4 variants"),
])
def test_bad_form_is_one_line(names, n, words):
    src = tiny_source()
    with pytest.raises(InputError) as exc:
        cmp.make_request([cmp.from_source(src, name, i) for i, name in enumerate(names, 1)], n, 1)
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_variant_ids_are_safe_file_names():
    assert cmp.variant_ids(["More staff!", "=cmd|' /C calc'!A0", "***", "more staff"]) == [
        "more-staff", "cmd-c-calc-a0", "variant-3", "more-staff-4"]


# ---- the Streamlit page (AppTest) -------------------------------------------------------------


def app_on_compare() -> AppTest:
    at = AppTest.from_file(str(SCRIPT), default_timeout=30)
    at.run()
    at.radio(key="page").set_value("Compare scenarios").run()
    at.radio(key="source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value(("base.yaml", page.edited_yaml(tiny(), "t").encode(),
                                              "application/x-yaml")).run()
    return at


def test_page_runs_a_comparison_and_offers_the_downloads():
    at = app_on_compare()
    assert not at.exception and not at.error
    at.text_input(key="cmp_name_1").set_value("More [mobile]")
    at.number_input(key="cmp_count_1_mobile").set_value(6)
    at.number_input(key="cmp_n").set_value(2)
    at = run_and_wait(at, button="cmp_run", page="compare")
    assert not at.exception and not at.error
    lines = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert any("Lowest" in x for x in lines)
    assert r"More \[mobile\]" in " ".join(lines)  # the name is text, not a Markdown link
    table = at.dataframe[0].value
    assert set(table["variant"]) == {"More [mobile]"} and "in words" in table.columns
    labels = {b.label for b in at.get("download_button")}
    assert {"Download the HTML report", "Download the workbook (XLSX)"} <= labels
    at.number_input(key="cmp_count_1_mobile").set_value(7).run()
    assert not at.dataframe and any("inputs changed" in i.value for i in at.info)


def test_bad_variant_shows_the_one_line_inline():
    at = app_on_compare()
    at.radio(key="cmp_how_1").set_value("Upload a file").run()
    assert any("Upload the scenario file of variant B" in i.value for i in at.info)
    at.file_uploader(key="cmp_upload_1").set_value(("case-C77.yaml", b"name: x\nexaminers: [\n", "x")).run()
    assert not at.exception and len(at.error) == 1
    assert at.error[0].value.startswith(page.markdown_text("case-C77.yaml:3:1: YAML syntax error"))
    assert not at.button  # no Run while the variant is bad


def test_an_identical_request_reuses_the_kept_result(monkeypatch):
    from dfu_sched.app.runs import KeptResults
    from dfu_sched.app.ui import compare as ui

    made: list[int] = []
    kept = KeptResults(size=2)
    first = kept.get("k", lambda: made.append(1) or {"x": [1]})
    first["x"].append(2)  # a caller changing its copy changes nothing kept
    assert kept.get("k", lambda: made.append(1) or {"x": [9]}) == {"x": [1]} and made == [1]
    kept.get("k2", dict)
    kept.get("k3", dict)  # evicts "k", the least recently used
    assert kept.peek("k") is None and kept.peek("k3") == {}
    monkeypatch.setattr(cmp, "RUNS", KeptResults())
    src = tiny_source()
    request = cmp.make_request([cmp.from_source(src, "A", 1), cmp.from_source(src, "B", 2)], 2, 1)
    assert ui.run_job(request).state == "running"  # nothing kept: a run to start
    cmp.RUNS.get(request.key, lambda: {"kind": "compare"})
    job = ui.run_job(request)
    assert job.state == "done" and job.result == {"kind": "compare"}


def test_cancel_stops_the_comparison_and_keeps_nothing(monkeypatch):
    from dfu_sched.app.runs import KeptResults
    from dfu_sched.app.ui import compare as ui

    monkeypatch.setattr(cmp, "RUNS", KeptResults())
    src = tiny_source()
    request = cmp.make_request([cmp.from_source(src, "A", 1), cmp.from_levers(src, "B", more_staff(src), 2)], 40, 2)
    job = ui.run_job(request)
    job.cancel()  # before the first replication ends: the run stops at its first progress tick
    job.start()
    assert job.wait(20) and job.state == "cancelled" and job.done < request.total
    assert cmp.RUNS.peek(request.key) is None  # a cancelled run leaves no result behind


def test_the_duration_follows_the_latest_runs_pace(monkeypatch):
    from dfu_sched.app import runs

    pace = runs.Pace()
    monkeypatch.setattr(runs, "PACE", pace)
    monkeypatch.setattr(cmp, "PACE", pace)
    sc = tiny()
    events = runs.scenario_events(sc, 4)
    assert runs.rough_seconds(sc, 4) == pytest.approx(events / runs.EVENTS_PER_SECOND)
    pace.observe(events, 8.0)  # a loaded machine: the estimate follows the latest run
    assert runs.rough_seconds(sc, 2) == pytest.approx(4.0)
    pace.observe(0, 5.0)  # nothing measured: ignored
    assert runs.rough_seconds(sc, 4) == pytest.approx(8.0) and "about 8 seconds" in runs.duration_words(8.0)
    src = tiny_source()
    request = cmp.make_request([cmp.from_source(src, "A", 1), cmp.from_source(src, "B", 2)], 2, 9)
    cmp.run_compare(request)  # a real run: the pace is what it took
    assert runs.rough_seconds(sc, 4) != pytest.approx(8.0)
