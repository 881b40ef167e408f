"""The Simulate page: its plain functions, and the Streamlit page through AppTest (no browser)."""
from __future__ import annotations

import json
import os

import pytest

from dfu_sched.app import scenario_form as form
from dfu_sched.app import simulate_page as page
from dfu_sched.app.jobs import session_job
from dfu_sched.app.state import UPLOADS_KEY, Upload, keep_upload, session_upload
from dfu_sched.errors import InputError
from dfu_sched.reports.files import to_json
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import run_experiment
from dfu_sched.yamlfile import MAX_FILE_BYTES

if not os.environ.get("CI"):  # the app is an extra: skipped without it, except under CI (which installs it)
    pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from dfu_sched.app.server import SCENARIO_ENV, SCRIPT  # noqa: E402
from tests.app.helpers import control, run_and_wait  # noqa: E402

BASE = "north_yorkshire_2022.yaml"


def short_yaml(weeks: int = 20) -> bytes:
    """The baseline with a short horizon, as an uploaded file (a run takes a fraction of a second)."""
    src = page.read_shipped(BASE)
    sc = src.scenario.with_updates({"calendar": {"horizon_weeks": weeks, "warmup_weeks": 0}})
    return page.edited_yaml(src, sc).encode("utf-8")


def test_levers_round_trip_and_the_download_reads_back():
    src = page.read_shipped(BASE)
    same = page.apply_levers(src.scenario, page.levers_of(src.scenario))
    assert page.scenario_json(same) == page.scenario_json(src.scenario)
    values = {**page.levers_of(src.scenario).values, "examiners[mobile].count": 5,
              "examiners[mobile].hours_per_week": 30.0, "arrivals.cases_per_week": 9.0,
              "arrivals.annual_growth": 10.0, "policy.discipline": "priority"}
    edited = page.apply_levers(src.scenario, page.Levers(values))
    assert edited.examiners[0].count == 5 and edited.examiners[0].hours_per_week == 30.0
    assert edited.examiners[0].absence == src.scenario.examiners[0].absence
    assert (edited.arrivals.cases_per_week, edited.arrivals.annual_growth, edited.policy.discipline) == (
        9.0, 0.1, "priority")
    back = page.read_upload("edited.yaml", page.edited_yaml(src, edited).encode())
    assert page.scenario_json(back.scenario) == page.scenario_json(edited)


def test_controls_show_the_files_source_markers():
    sources = page.control_sources(page.read_shipped(BASE).text)
    assert sources["examiners[mobile].count"].startswith("[E]")
    assert sources["examiners[mobile].hours_per_week"].startswith("[S]")
    assert sources["policy.discipline"].startswith("[S]")


@pytest.mark.parametrize("data, words", [
    (b"name: x\nexaminers: [\n", "YAML syntax error"),
    (b"\xff\xfe", "not UTF-8"),
    (b"extends: north_yorkshire_2022.yaml\n", "extends"),
    (b"- a\n- b\n", "mapping"),
    (b"#" * (MAX_FILE_BYTES + 1), "larger than 5 MB"),
    (b"name: x\narrivals: {cases_per_week: -3}\n", "arrivals"),
])
def test_bad_upload_is_one_line_naming_the_file(data, words):
    with pytest.raises(InputError) as exc:
        page.read_upload("dir/secret-case-C123.yaml", data)
    message = str(exc.value)
    assert "\n" not in message and words in message and message.startswith("secret-case-C123.yaml")


def test_form_values_out_of_range_are_one_line():
    src = page.read_shipped(BASE)
    with pytest.raises(InputError, match=r"^the form: mobile: hours a week: must be between"):
        page.apply_levers(src.scenario, page.Levers({"examiners[mobile].hours_per_week": 500.0}))


def test_run_is_reproducible_and_headline_is_plain_words():
    sc = page.read_upload("s.yaml", short_yaml()).scenario
    a = page.run_summary(page.scenario_json(sc), 2, 7)
    b = page.run_summary(page.scenario_json(sc), 2, 7)
    assert a["overall"] == b["overall"] and a["tiers"] == b["tiers"]
    cli = json.loads(to_json(run_experiment(sc, 2, 7, workers=1).summary()))  # what `dfu-sched simulate` prints
    for key in ("overall", "tiers", "backlog_weekly", "throughput_per_week"):
        assert a[key] == cli[key], key
    assert list(a["tiers"]) == sc.tier_names
    lines = page.headline(a)
    assert lines and all("<" not in x and "&amp;" not in x for x in lines)
    assert page.markdown_text("a*b [c]") == r"a\*b \[c\]"


def test_sessions_keep_their_own_uploads():
    one: dict = {}
    two: dict = {}
    keep_upload(one, "scenario", Upload("a.yaml", b"x"))
    assert session_upload(one, "scenario") == Upload("a.yaml", b"x")
    assert session_upload(two, "scenario") is None and UPLOADS_KEY not in two


# ---- the Streamlit page (AppTest) -------------------------------------------------------------


def app() -> AppTest:
    at = AppTest.from_file(str(SCRIPT), default_timeout=30)
    at.run()
    return at


def upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.radio(key="source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value((name, data, "application/x-yaml")).run()
    return at


def headline_of(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("- ")]


def test_page_loads_without_exceptions():
    at = app()
    assert not at.exception and not at.error
    assert at.radio(key="source").value == "A shipped scenario"
    assert control(at, "examiners[mobile].count").value == 3


def test_changing_examiners_and_pressing_run_changes_the_headline():
    at = upload(app(), "short.yaml", short_yaml())
    at.number_input(key="n").set_value(2)
    run_and_wait(at)
    assert not at.exception and not at.error
    first = headline_of(at)
    assert first and at.get("download_button")
    control(at, "examiners[computer].count").set_value(12)
    at.run()
    assert not headline_of(at)  # inputs changed: the old result is not shown as theirs
    run_and_wait(at)
    second = headline_of(at)
    assert not at.exception and second and second != first
    run_and_wait(at, button="make_folder", page="simulate_folder")  # the run folder of this run, as a ZIP
    assert not at.exception and not at.error
    assert [b for b in at.get("download_button") if b.proto.label == "Download the run folder (ZIP)"]
    assert not [b for b in at.button if b.key == "make_folder"]  # made: not offered again for this result


def test_identical_inputs_reuse_the_cached_run(monkeypatch):
    calls = []
    real = page.run_summary

    def counted(*args, **kwargs):
        calls.append(args[1:3])
        return real(*args, **kwargs)

    monkeypatch.setattr(page, "run_summary", counted)
    at = upload(app(), "short.yaml", short_yaml(12))
    at.number_input(key="n").set_value(2)
    at.number_input(key="seed").set_value(4242)  # a seed no other test runs: a fresh cache entry
    run_and_wait(at)
    first = headline_of(at)
    run_and_wait(at)
    assert not at.exception and first and headline_of(at) == first
    assert calls == [(2, 4242)]
    other = app()  # another session, the same inputs: the same result, not another run
    upload(other, "short.yaml", short_yaml(12))
    other.number_input(key="n").set_value(2)
    other.number_input(key="seed").set_value(4242)
    run_and_wait(other)
    assert not other.exception and headline_of(other) == first and calls == [(2, 4242)]


def test_run_cache_keeps_the_newest_and_returns_copies(monkeypatch):
    runs = []
    monkeypatch.setattr(page, "run_summary", lambda text, n, seed, progress=None: runs.append(seed) or {"s": seed})
    cache = page.RunCache(size=2)
    a = cache.summary("x", 1, 1)
    a["s"] = "changed"
    assert cache.summary("x", 1, 1) == {"s": 1} and runs == [1]
    cache.summary("x", 1, 2)
    cache.summary("x", 1, 3)  # evicts seed 1, the oldest
    cache.summary("x", 1, 1)
    assert runs == [1, 2, 3, 1]


def test_bad_upload_shows_one_line_and_no_traceback():
    at = upload(app(), "case-C999.yaml", b"name: x\nexaminers: [\n")
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    expected = page.markdown_text("case-C999.yaml:3:1: YAML syntax error")  # shown as text, not Markdown
    assert "\n" not in message and message.startswith(expected) and "Traceback" not in message


def test_the_file_named_on_the_command_line_is_the_start(monkeypatch, tmp_path):
    path = tmp_path / "ours.yaml"
    path.write_bytes(short_yaml(12))
    monkeypatch.setenv(SCENARIO_ENV, str(path))
    at = app()
    assert not at.exception and not at.error
    assert at.radio(key="source").value == "The file given to dfu-sched app"
    path.write_text("name: x\n", encoding="utf-8")  # edited on disk into an invalid scenario
    at.run()
    assert not at.exception and len(at.error) == 1 and "ours" in at.error[0].value


def test_two_sessions_do_not_share_uploads():
    one = upload(app(), "mine.yaml", short_yaml())
    two = app()
    two.radio(key="source").set_value("Upload a file").run()
    assert session_upload(one.session_state, "scenario") is not None
    assert session_upload(two.session_state, "scenario") is None
    assert not two.error and any("Upload a scenario file" in i.value for i in two.info)


def test_every_lever_is_on_the_page_in_its_section_with_its_source_note():
    at = app()
    assert [e.label for e in at.expander] == list(form.SECTIONS)
    sc = page.read_shipped(BASE).scenario
    kinds = {"int": "number_input", "float": "number_input", "percent": "number_input",
             "optional_float": "number_input", "bool": "checkbox", "choice": "selectbox"}
    for c in form.controls_for(sc):
        w = control(at, c.key, kinds[c.kind])
        assert w.value == form.levers_of(sc).values[c.key], c.key
    assert control(at, "examiners[mobile].absence").help.startswith(r"\[E\]")
    assert control(at, "policy.discipline", "selectbox").help.startswith(r"\[S\]")
    assert control(at, "policy.aging_days").value is None  # empty: each tier's own target
    assert control(at, "examiners[mobile].hours_per_week").label == r"mobile: hours a week \[S\]"
    assert control(at, "stages.triage.enabled", "checkbox").label == r"Triage stage on \[E\]"  # "... [E]; ..."
    assert control(at, "stages.triage.servers").label == "Triage stations"  # the file has no note for it


def test_a_tier_mix_that_does_not_add_up_is_one_line_and_stops_the_page():
    at = app()
    control(at, "arrivals.tier_mix.VH").set_value(12.0)
    at.run()
    assert not at.exception and len(at.error) == 1
    assert "Tier mix: the shares add up to 105%" in at.error[0].value
    assert "Tier mix adds up to 105% (it must add up to 100%)" in [c.value for c in at.caption]
    assert not [b for b in at.button if b.key == "run"]  # nothing to run until the form is right


def test_levers_of_every_section_reach_the_run():
    at = upload(app(), "short.yaml", short_yaml(8))
    at.number_input(key="n").set_value(2)
    control(at, "stages.triage.enabled", "checkbox").check()
    control(at, "policy.discipline", "selectbox").set_value("priority")
    control(at, "examiners[senior].absence").set_value(10.0)
    control(at, "policy.aging_days").set_value(15.0)
    control(at, "stages.extraction.servers").set_value(6)
    at.button(key="run").click().run()
    assert not at.exception and not at.error
    key, job = session_job(at.session_state, "simulate")
    job.cancel()  # what was asked for is the point here, not its result
    sc = Scenario.model_validate_json(key[0])
    assert sc.stages.triage.enabled and sc.policy.discipline == "priority" and sc.policy.aging_days == 15.0
    assert sc.examiners[2].absence == 0.1 and sc.stages.extraction.servers == 6 and key[1:] == (2, 2022, None)


def test_cancel_on_the_page_stops_a_long_run():
    at = app()  # the whole baseline: 104 weeks, each replication takes a while
    at.number_input(key="n").set_value(page.MAX_REPLICATIONS)
    at.button(key="run").click().run()
    kept = session_job(at.session_state, "simulate")
    assert kept is not None and kept[1].state == "running"
    at.button(key="cancel_simulate").click().run()  # the progress fragment's Cancel
    assert kept[1].wait(60) and kept[1].state == "cancelled"
    at.run()
    said = [i.value for i in at.info if i.value.startswith("Cancelled after")]
    assert said and said[0].endswith(f"of {page.MAX_REPLICATIONS} replications. Press Run to start again.")
    assert kept[1].done < page.MAX_REPLICATIONS and not headline_of(at)


def test_another_starting_file_starts_the_form_from_its_own_values():
    at = app()
    control(at, "policy.discipline", "selectbox").set_value("edd")
    at.run()
    at.selectbox(key="shipped").set_value("north_yorkshire_2022_priority.yaml").run()
    assert not at.exception and control(at, "policy.discipline", "selectbox").value == "priority"


def test_until_precise_is_the_commands_n_auto_and_says_how_many_it_needed():
    from dfu_sched.sim.experiment import SerialExecutor
    from dfu_sched.sim.precision import PrecisionRule, run_until_precise

    sc = page.read_upload("s.yaml", short_yaml(12)).scenario
    got = page.run_summary(page.scenario_json(sc), 30, 5, precision=0.2)
    cli = json.loads(to_json(run_until_precise(sc, PrecisionRule(0.2, 5, 30), 5, SerialExecutor()).summary()))
    assert got["run"]["precision"] == cli["run"]["precision"] and got["overall"] == cli["overall"]
    assert 5 <= got["replications"] == got["run"]["precision"]["replications_needed"] <= 30
    tighter = page.run_summary(page.scenario_json(sc), 30, 5, precision=0.02)
    assert tighter["replications"] >= got["replications"]  # a tighter precision never needs fewer
    at = upload(app(), "short.yaml", short_yaml(12))
    at.checkbox(key="auto").check().run()
    at.number_input(key="n").set_value(30)
    at.number_input(key="seed").set_value(5)
    at.number_input(key="precision").set_value(20.0)
    run_and_wait(at)
    assert not at.exception and not at.error and headline_of(at)
    assert any("Replications by precision" in c.value for c in at.caption)
