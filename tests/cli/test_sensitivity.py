"""``dfu-sched sensitivity``: its outputs (table, JSON, CSV, --out folder, HTML via the report registry), and
bad input as one line with exit code 2 and nothing written; Hypothesis on --measure and --mix."""
from __future__ import annotations

import csv
import json

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dfu_sched.cli import main
from dfu_sched.errors import InputError
from dfu_sched.reports.kinds import build_report, read_run_dir
from dfu_sched.uncertainty.sensitivity import MIXES, check_measures, choose_mix, measure_names
from tests.helpers import raw, to_yaml
from tests.sweep.builders import unit

CASES = "arrivals.cases_per_week"
#: A range on extraction hours while extraction is switched off: an input with no effect.
IDLE = "device_types.phone.service_hours.extraction.value"
UNIT = unit()
NAMES = measure_names(UNIT)


def ranged_file(folder, **updates):
    data = raw(unit(**updates))
    data["arrivals"]["cases_per_week"] = {"value": 10, "low": 8, "high": 12}
    data["device_types"]["phone"]["service_hours"]["extraction"] = {"dist": "fixed",
                                                                     "value": {"value": 2, "low": 1, "high": 3}}
    path = folder / "ranged.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def invoke(*args):
    return CliRunner().invoke(main, ["sensitivity", *map(str, args)])


def test_outputs_agree_and_an_idle_input_has_no_bar(tmp_path):
    path = ranged_file(tmp_path)
    out, html, bars = tmp_path / "run", tmp_path / "t.html", tmp_path / "bars.csv"
    res = invoke(path, "-n", 3, "--seed", 2, "--workers", 1, "--measure", "overall.waiting_at_end", "--out", out,
                 "--html", html, "--csv", bars, "-q")
    assert res.exit_code == 0, res.output
    assert "depends most on cases a week (8.0-12" in res.output and "0 (no effect)" in res.output
    doc = json.loads((out / "sensitivity.json").read_text())
    assert doc["kind"] == "sensitivity" and doc["method"] == "oat" and doc["mix_choice"] == "none"
    b = {x["key"]: x for x in doc["bars"]["overall.waiting_at_end"]}
    assert set(b) == {CASES, IDLE} and b[IDLE]["swing"] == 0.0
    base = doc["base"]["overall.waiting_at_end"]["estimate"]
    assert b[CASES]["low"]["estimate"] < base < b[CASES]["high"]["estimate"]
    assert (out / "scenario.yaml").is_file() and (out / "bars.csv").read_text() == bars.read_text()
    rows = list(csv.DictReader(bars.open()))
    assert [r["input"] for r in rows] == [CASES, IDLE] and float(rows[1]["swing"]) == 0.0
    page = html.read_text()
    assert "<svg" in page and "cases a week 8.0-12.0" in page
    assert read_run_dir(out)["kind"] == "sensitivity"
    assert build_report(out).html == page  # the page --html writes is the one `dfu-sched report` makes
    again = invoke(path, "-n", 3, "--seed", 2, "--workers", 2, "--measure", "overall.waiting_at_end", "--json", "-")
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["bars"] == doc["bars"]  # the same on two workers


def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path):
    path = ranged_file(tmp_path)
    plain = to_yaml(unit(), tmp_path / "plain.yaml")
    out = tmp_path / "never"
    cases = [
        ((plain,), "sensitivity needs ranged inputs"),
        ((path, "--measure", "overall.waiting_at_ends"), "did you mean 'overall.waiting_at_end'"),
        ((path, "-n", 0), "-n/--replications: must be at least 1"),
        ((path, "--mix", "file"), "--mix file: the scenario has no investment.mix"),
        ((path, "--method", "tornado"), "--method: expected one of auto, oat, morris"),
        ((path, "--json", tmp_path / "x.txt"), "--json"),
    ]
    for args, words in cases:
        res = invoke(*args, "--out", out)
        assert res.exit_code == 2, (args, res.output)
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], (args, res.output)
        assert not out.exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(word=st.text(max_size=30))
def test_mix_parsing(word):
    sc = UNIT
    try:
        choice, mix = choose_mix(sc, word)
    except InputError as exc:
        msg = str(exc)
        assert "\n" not in msg and msg.startswith("--mix") and len(msg) < 300
        assert word.strip().lower() not in ("none",)
    else:
        assert word.strip().lower() == "none" and (choice, mix) == ("none", {})
    assert set(MIXES) == {"file", "none"}


@settings(max_examples=40, deadline=None)
@given(words=st.lists(st.one_of(st.sampled_from(NAMES), st.text(max_size=40)), max_size=4))
def test_measure_parsing(words):
    sc = UNIT
    known = set(NAMES)
    try:
        got = check_measures(sc, words)
    except InputError as exc:
        msg = str(exc)
        assert any(w not in known for w in words)
        assert "\n" not in msg and msg.startswith("--measure: unknown measure")
    else:
        assert all(w in known for w in words) and got == list(dict.fromkeys(words))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(word=st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                    min_size=1, max_size=20))
def test_measure_option_at_the_command_line(tmp_path, word):
    path = tmp_path / "ranged.yaml"
    if not path.exists():
        ranged_file(tmp_path)
    if word in NAMES:
        return
    res = invoke(path, "--measure", word, "-n", 1, "--workers", 1)
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1, res.output
    assert "Traceback" not in res.output
