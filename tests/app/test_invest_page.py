"""The Invest page: its plain functions, and the Streamlit page through AppTest (no browser)."""
from __future__ import annotations

import io
import json
import os

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from dfu_sched.app import invest_page as inv
from dfu_sched.app import simulate_page as page
from dfu_sched.cli import main
from dfu_sched.errors import InputError
from tests.helpers import small

if not os.environ.get("CI"):  # the app is an extra: skipped without it, except under CI (which installs it)
    pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from dfu_sched.app.jobs import session_job  # noqa: E402
from dfu_sched.app.server import SCRIPT  # noqa: E402
from tests.app.helpers import run_and_wait  # noqa: E402


def tiny_yaml() -> bytes:
    """The £400K scenario cut to 8 weeks, a fifth of the backlog and two options (a search: ~1.5 s of CPU)."""
    sc = small(horizon_weeks=8, keep=("contract_examiner", "training"), budget=90_000)
    return page.edited_yaml(sc, "tests").encode()


def form(**kw) -> inv.InvestForm:
    return inv.InvestForm(**{"budget": "90k", "target": "", "by": "", "objective": "exposure", "replications": 4,
                             "seed": 3, **kw})


@pytest.fixture(scope="module")
def answered():
    """One small search made as the page makes it (its progress counted), and its report and workbook."""
    request = inv.make_request(page.read_upload("tiny.yaml", tiny_yaml()), form())
    ticks: list[int] = []
    phases: list[str | None] = []
    doc = inv.run_invest(request, progress=ticks.append, log=lambda line: phases.append(inv.phase_after(line)))
    return request, doc, sum(ticks), inv.outcome(doc, request), phases


def test_same_answer_as_the_command(answered, tmp_path):
    request, doc, ticked, _, _ = answered
    path = tmp_path / "tiny.yaml"
    path.write_bytes(tiny_yaml())
    r = CliRunner().invoke(main, ["invest", str(path), "--budget", "90k", "-n", "4", "--seed", "3", "--json", "-q",
                                  "--workers", "1"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    cli = json.loads(r.stdout)
    assert doc["chosen"]["mix"] == cli["chosen"]["mix"] and any(doc["chosen"]["mix"].values())
    for key in ("measures", "vs_baseline", "cost_gbp", "actions"):
        assert doc["chosen"][key] == cli["chosen"][key], key
    assert doc["frontier"] == cli["frontier"] and doc["evaluated"] == cli["evaluated"]
    assert doc["explanation"] == cli["explanation"] and doc["cost_profile"] == cli["cost_profile"]
    assert ticked == doc["run"]["replications_simulated"] == cli["run"]["replications_simulated"]


def test_the_estimate_and_the_phases(answered):
    request, doc, ticked, _, phases = answered
    guess = inv.estimate(request)
    assert guess.screening <= ticked and 0.5 <= guess.replications / ticked <= 2.0, (guess, ticked)
    assert "roughly" in guess.words() and guess.seconds > 0
    # the phase the progress bar names after each line the search logs
    assert phases[:2] == ["evaluating candidate mixes", "trying neighbouring mixes"] and None not in phases


def test_outcome_has_the_workbook_and_the_words(answered):
    _, doc, _, out, _ = answered
    wb = load_workbook(io.BytesIO(out.xlsx))
    assert {"Summary", "Frontier", "Chosen mix"} <= set(wb.sheetnames)
    assert [n for n, _, _ in out.charts][0] == "invest_frontier" and "<html" in out.html.lower()
    rows = inv.spend_rows(doc)
    assert rows[-1]["financial year"] == "total"
    assert rows[-1]["total"] == pytest.approx(doc["chosen"]["cost_gbp"], abs=1)
    assert sum(r["total"] for r in rows[:-1]) == pytest.approx(rows[-1]["total"], abs=len(rows))  # whole pounds
    assert all(isinstance(v, int) for r in rows for k, v in r.items() if k != "financial year")
    assert inv.headline(doc) == doc["explanation"] and inv.chosen_actions(doc) == doc["chosen"]["actions"]


@pytest.mark.parametrize("changes, words", [
    ({"budget": "-5"}, "--budget: must not be negative"),
    ({"budget": "lots"}, "--budget: 'lots' is not an amount of money"),
    ({"target": "VH wait under a week"}, "--target: cannot read"),
    ({"target": "high-risk-week", "by": "2023-02-27"}, "--by: week 8.0 must lie between 0 and 4 weeks"),
    ({"by": "2023-01-09"}, "--by needs --target"),
    ({"replications": 3}, "replications must be between 4"),
])
def test_bad_question_is_the_commands_one_line(changes, words):
    src = page.read_upload("tiny.yaml", tiny_yaml())
    with pytest.raises(InputError) as exc:
        inv.make_request(src, form(**changes))
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_a_scenario_without_options_is_refused():
    with pytest.raises(InputError, match="no investment options"):
        inv.make_request(page.read_shipped("north_yorkshire_2022.yaml"), form())


# ---- the Streamlit page (AppTest) -------------------------------------------------------------


def app_on_invest() -> AppTest:
    at = AppTest.from_file(str(SCRIPT), default_timeout=30)
    at.run()
    at.radio(key="page").set_value("Invest").run()
    at.radio(key="source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value(("tiny.yaml", tiny_yaml(), "application/x-yaml")).run()
    return at


def test_page_answers_and_offers_the_workbook():
    at = app_on_invest()
    assert not at.exception and not at.error
    assert at.text_input(key="inv_budget").placeholder == "90,000 (the scenario's)"
    assert any("roughly" in c.value for c in at.caption)  # how long, before it starts
    at.number_input(key="inv_n").set_value(4)
    at.number_input(key="inv_seed").set_value(3)
    at = run_and_wait(at, button="inv_run", page="invest")
    assert not at.exception and not at.error
    lines = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert any("£" in x for x in lines)
    assert at.dataframe[0].value["financial year"].iloc[-1] == "total"
    labels = {b.label for b in at.get("download_button")}
    assert {"Download the finance workbook (XLSX)", "Download the HTML report"} <= labels


def test_bad_question_is_one_line_inline_and_cancel_stops_the_search():
    at = app_on_invest()
    at.text_input(key="inv_budget").set_value("-1").run()
    assert not at.exception and len(at.error) == 1 \
        and at.error[0].value == page.markdown_text("--budget: must not be negative (got -1)")
    at.text_input(key="inv_budget").set_value("90000")
    at.text_input(key="inv_target").set_value("high-risk-week")
    at.text_input(key="inv_by").set_value("2023-12-25").run()  # past the 8-week horizon
    assert not at.exception and len(at.error) == 1 and at.error[0].value.startswith(page.markdown_text("--by: week"))
    assert not at.button  # no Run while the question is bad
    at.text_input(key="inv_target").set_value("")
    at.text_input(key="inv_by").set_value("").run()
    assert not at.error
    at.number_input(key="inv_n").set_value(40)  # long enough to press Cancel while it runs
    at.number_input(key="inv_seed").set_value(91)
    at.button(key="inv_run").click().run()
    kept = session_job(at.session_state, "invest")
    assert kept is not None
    kept[1].cancel()
    assert kept[1].wait(20) and kept[1].state == "cancelled"
    at.run()
    assert not at.exception and any("Cancelled after" in i.value for i in at.info)
