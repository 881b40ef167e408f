"""The Sensitivity page: its plain functions (the command line's numbers and one-line errors), and the
Streamlit page through AppTest (no browser), on a mini unit with two ranged inputs."""
from __future__ import annotations

import json
import os
import re

import pytest
import yaml
from click.testing import CliRunner

from dfu_sched.app import sensitivity_page as sp
from dfu_sched.app import simulate_page as page
from dfu_sched.cli import main
from dfu_sched.errors import InputError
from dfu_sched.privacy import FILE_PLACEHOLDER
from dfu_sched.reports.sensitivity_text import write_sensitivity_csv
from dfu_sched.scenario.schema import parse_scenario
from tests.helpers import raw
from tests.sweep.builders import unit

if not os.environ.get("CI"):  # the app is an extra: skipped without it, except under CI (which installs it)
    pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from dfu_sched.app.server import SCRIPT  # noqa: E402
from tests.app.helpers import run_and_wait  # noqa: E402

ONE = ("overall.waiting_at_end",)


def ranged_data() -> dict:
    data = raw(unit())
    data["arrivals"]["cases_per_week"] = {"value": 10, "low": 8, "high": 12}
    data["examiners"][0]["absence"] = {"value": 0.1, "low": 0.05, "high": 0.2}
    return data


def ranged():
    return parse_scenario(ranged_data())


def form(**kw) -> sp.SensitivityForm:
    return sp.SensitivityForm(**{"measures": ONE, "replications": 2, "seed": 7, **kw})


def test_same_numbers_as_the_command_line(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(ranged_data(), sort_keys=False), encoding="utf-8")
    f = form(pseudonymise=False)
    ours = sp.run_plan(sp.plan_of(ranged(), f), f, str(path))
    res = CliRunner().invoke(main, ["sensitivity", str(path), "--measure", ONE[0], "-n", "2", "--seed", "7",
                                    "--json", "-", "-q", "--workers", "1"])
    assert res.exit_code == 0, res.output
    cli = json.loads(res.output)
    for k in ("bars", "base", "headline", "inputs", "measures", "scenario_file", "seed", "method"):
        assert ours[k] == cli[k], k


def test_answer_table_and_downloads_read_the_json(tmp_path):
    f = form()
    out = sp.run_plan(sp.plan_of(ranged(), f), f, "secret-C123.yaml")
    assert out["scenario_file"] == FILE_PLACEHOLDER and out["pseudonymised"] is True
    lines = sp.answer_lines(out)
    assert lines[0].startswith("Backlog at horizon end depends most on cases a week (8.0-12.0: ")
    assert not any(re.search(r"<[a-z/]|&[a-z]+;", line) for line in lines)
    rows = sp.table_rows(out, ONE[0])
    assert [r["estimate"] for r in rows] == [b["words"] for b in out["bars"][ONE[0]]]
    assert rows[0]["swing"] >= rows[1]["swing"]
    made = sp.downloads(out, None)
    write_sensitivity_csv(out, tmp_path / "bars.csv")
    assert made.csv == (tmp_path / "bars.csv").read_bytes()
    assert "secret-C123" not in made.html + made.json and "<svg" in made.html
    assert len(made.charts) == 1


def test_bad_form_is_the_command_lines_one_line():
    with pytest.raises(InputError, match="needs ranged inputs"):
        sp.plan_of(unit(), form())
    with pytest.raises(InputError, match="replications must be between 1 and 100"):
        sp.plan_of(ranged(), form(replications=101))
    assert sp.mix_choices(unit()) == ["none (as staffed today)"]
    sc400 = page.read_shipped("north_yorkshire_400k.yaml").scenario
    assert sp.mix_choices(sc400)[0] == "the scenario's chosen mix"
    assert sp.runs_line(sp.plan_of(ranged(), form())).startswith("2 ranged inputs: each at its low and high end")


def test_the_page_runs_and_shows_the_tornado_and_the_headline():
    at = AppTest.from_file(str(SCRIPT), default_timeout=30)
    at.run()
    at.radio(key="page").set_value("Sensitivity").run()
    at.radio(key="source").set_value("Upload a file").run()
    text = yaml.safe_dump(ranged_data(), sort_keys=False).encode("utf-8")
    at.file_uploader(key="upload").set_value(("r.yaml", text, "application/x-yaml")).run()
    assert not at.exception and not at.error
    at.multiselect(key="sens_measures").set_value(list(ONE))
    at.number_input(key="sens_n").set_value(2)
    at.number_input(key="sens_seed").set_value(7)
    at.run()
    assert any(c.value.startswith("2 ranged inputs") for c in at.caption)
    run_and_wait(at, button="sens_run", page="sensitivity")
    assert not at.exception and not at.error
    lines = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert any("depends most on" in line for line in lines)
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 2
    assert len(at.get("download_button")) == 3
    label = page.markdown_text("What moves backlog at horizon end (devices)")
    assert [c.value for c in at.caption if c.value.startswith("What moves")] == [label]  # the tornado's title
