"""The Sweep page: its plain functions (the command line's numbers, caps and one-line errors), and the
Streamlit page through AppTest (no browser), on the sweep tests' 8-week mini unit."""
from __future__ import annotations

import json
import os
import re

import pytest
from click.testing import CliRunner

from dfu_sched.app import simulate_page as page
from dfu_sched.app import sweep_page as sp
from dfu_sched.app.jobs import Job
from dfu_sched.cli import main
from dfu_sched.errors import InputError
from dfu_sched.privacy import FILE_PLACEHOLDER
from dfu_sched.reports.sweep_text import write_sweep_csv
from tests.sweep.builders import unit, unit_file

if not os.environ.get("CI"):  # the app is an extra: skipped without it, except under CI (which installs it)
    pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from dfu_sched.app.server import SCRIPT  # noqa: E402
from tests.app.helpers import run_and_wait  # noqa: E402

KEY = "examiners.ann.count"
TARGET = "overall.waiting_at_end<=60"
#: One measure (the target's): one chart to draw, so the page tests stay fast.
ONE = ("overall.waiting_at_end",)


def form(values: str = "1..3", **kw) -> sp.SweepForm:
    return sp.SweepForm(((KEY, values),), **{"target": TARGET, "replications": 2, "seed": 11, **kw})


def test_same_numbers_as_the_command_line(tmp_path):
    path = unit_file(tmp_path)
    f = form(pseudonymise=False)
    ours = sp.run_plan(sp.plan_of(unit(), f), f, str(path))
    res = CliRunner().invoke(main, ["sweep", str(path), "--grid", f"{KEY}=1..3", "--target", TARGET, "-n", "2",
                                    "--seed", "11", "--json", "-q", "--workers", "1"])
    assert res.exit_code == 0, res.output
    cli = json.loads(res.output)
    assert len(ours["points"]) == 3 and ours["replications"] == 2
    for k in ("points", "cheapest", "axes", "measures", "target", "cost_basis", "scenario_file", "seed"):
        assert ours[k] == cli[k], k
    # the target separates the points (else the check above would hold for a trivial answer too)
    assert [p["meets_target"] for p in ours["points"]].count(True) not in (0, 3)


def test_offered_keys_and_their_starting_values_plan_cleanly():
    sc = page.read_shipped("north_yorkshire_400k.yaml").scenario
    keys = sp.sweep_keys(sc)
    assert {"examiners.mobile.count", "arrivals.cases_per_week", "policy.discipline",
            "investment.mix.overtime", "investment.mix.triage_kiosk"} <= set(keys)
    assert not any(k.startswith("investment.") for k in sp.sweep_keys(unit()))
    for k in keys:
        plan = sp.plan_of(sc, sp.SweepForm(((k, sp.default_values(sc, k)),), replications=1))
        assert len(plan.grid.points) >= 2, k
        if k.startswith("examiners."):  # today's value first: the baseline point is the file's unit
            _, group, field = k.split(".")
            assert plan.grid.points[0].values[0] == getattr(next(g for g in sc.examiners if g.name == group), field)
    names, default = sp.measure_choices(sc)
    assert default and set(default) <= set(names)


@pytest.mark.parametrize("values, words", [
    ("3..x", f"--grid {KEY}: cannot read the range '3..x'"),
    ("1,,2", f"--grid {KEY}: an empty value"),
    ("-1,2", f"--grid {KEY}=-1:"),
])
def test_a_bad_grid_value_is_the_command_lines_one_line(values, words):
    with pytest.raises(InputError) as exc:
        sp.plan_of(unit(), form(values))
    message = str(exc.value)
    assert "\n" not in message and message.startswith(words)


def test_over_the_caps_is_refused_before_anything_runs():
    two = sp.SweepForm(((KEY, "0..199"), ("arrivals.cases_per_week", "1..3")), replications=1)
    with pytest.raises(InputError, match=r"^--grid: 600 points \(the most is 500\)"):
        sp.plan_of(unit(), two)
    three = sp.SweepForm(((KEY, "1,2"), ("arrivals.cases_per_week", "1,2"), ("policy.discipline", "fifo")))
    with pytest.raises(InputError, match="at most 2 keys"):
        sp.plan_of(unit(), three)
    with pytest.raises(InputError, match="replications must be between 1 and 200"):
        sp.plan_of(unit(), form(replications=201))
    plan = sp.plan_of(unit(), form("1..4", replications=3))
    assert sp.runs_line(plan).startswith("4 points x 3 replications = 12 runs")


def test_answer_table_and_downloads_read_the_json(tmp_path):
    f = form(measures=ONE)
    out = sp.run_plan(sp.plan_of(unit(), f), f, "secret-C123.yaml")
    assert out["scenario_file"] == FILE_PLACEHOLDER and out["pseudonymised"] is True
    best = out["cheapest"]
    assert best is not None and best != out["baseline"]
    lines = sp.answer_lines(out)
    assert any(line.startswith(f"Cheapest point that meets {TARGET}: {KEY}=") and "(paired)" in line
               for line in lines)
    assert not any(re.search(r"<[a-z/]|&[a-z]+;", line) for line in lines)  # plain words: no tag, no entity
    rows = sp.table_rows(out)
    assert [r[KEY] for r in rows] == [1, 2, 3] and rows[best]["meets target"] == "yes (cheapest)"
    est = out["points"][0]["measures"]["overall.waiting_at_end"]
    label = out["labels"]["overall.waiting_at_end"]
    assert rows[0][label] == round(est["estimate"], 2)
    lo, hi = (float(x) for x in rows[0][f"{label}: 95% CI"].split(" to "))
    assert lo == pytest.approx(est["ci95"][0], abs=0.051) and hi == pytest.approx(est["ci95"][1], abs=0.051)
    assert lo <= rows[0][label] <= hi
    made = sp.downloads(out, None)
    write_sweep_csv(out, tmp_path / "points.csv")  # what `sweep --csv` writes
    assert made.csv == (tmp_path / "points.csv").read_bytes()
    assert json.loads(made.json)["points"] == out["points"]
    assert "secret-C123" not in made.html + made.json and "Cheapest point" in made.html
    assert made.charts and all(svg.lstrip().startswith(("<?xml", "<svg")) for _, svg in made.charts)


def test_an_investment_grid_is_ranked_by_its_cost_not_its_order():
    sc = page.read_shipped("north_yorkshire_400k.yaml").scenario.with_updates(
        {"calendar": {"horizon_weeks": 8, "warmup_weeks": 0}})
    f = sp.SweepForm((("investment.mix.overtime", "1,0"),), measures=ONE, target="overall.waiting_at_end<=100000",
                     replications=1, seed=1)  # every point meets it: the cheaper one, second in the grid, wins
    out = sp.run_plan(sp.plan_of(sc, f), f, "400k.yaml")
    rows = sp.table_rows(out)
    assert out["cost_basis"] == "investment" and out["cheapest"] == 1
    assert rows[1]["cost in horizon (GBP)"] < rows[0]["cost in horizon (GBP)"]
    assert rows[1]["meets target"] == "yes (cheapest)" and rows[0]["meets target"] == "yes"
    assert any("investment.mix.overtime=0 at £" in line for line in sp.answer_lines(out))


def test_cache_returns_fresh_copies_and_keeps_the_newest():
    cache = sp.SweepCache(size=2)
    a, b, c = ("s", form("1,2")), ("s", form("1,3")), ("s", form("2,3"))
    cache.keep(a, {"x": 1})
    got = cache.peek(a)
    assert got == {"x": 1}
    got["x"] = 2
    assert cache.peek(a) == {"x": 1}
    cache.keep(b, {"x": 2})
    cache.keep(c, {"x": 3})  # evicts a, the oldest
    assert cache.peek(a) is None and cache.peek(c) == {"x": 3}


def test_a_second_identical_request_reuses_the_result(monkeypatch):
    from dfu_sched.app.ui import sweep as ui

    calls = []
    real = sp.run_plan
    monkeypatch.setattr(sp, "run_plan", lambda *a, **k: calls.append(1) or real(*a, **k))
    f = form("1,2", seed=4343, replications=1)  # a seed no other test runs: a fresh cache entry
    key, plan = ("reuse-test", f), sp.plan_of(unit(), f)
    first = ui.run_job(key, plan, "u.yaml").start()
    assert first.wait(30) and first.state == "done" and calls == [1]
    again = ui.run_job(key, plan, "u.yaml")  # what pressing Run again, in any session, starts
    assert again.state == "done" and again.result == first.result and calls == [1]


# ---- the Streamlit page (AppTest) -------------------------------------------------------------


def sweep_page_with_unit() -> AppTest:
    at = AppTest.from_file(str(SCRIPT), default_timeout=30)
    at.run()
    at.radio(key="page").set_value("Sweep").run()
    at.radio(key="source").set_value("Upload a file").run()
    data = page.edited_yaml(unit(), "unit.yaml").encode("utf-8")
    at.file_uploader(key="upload").set_value(("unit.yaml", data, "application/x-yaml")).run()
    return at


def test_the_page_runs_a_sweep_and_shows_the_answer():
    at = sweep_page_with_unit()
    assert not at.exception and not at.error
    assert at.multiselect[0].value == [KEY]
    at.text_input(key=f"sweep_values_{KEY}").set_value("1..3")
    at.text_input(key="sweep_target").set_value(TARGET)
    at.multiselect(key="sweep_measures").set_value(list(ONE))
    at.number_input(key="sweep_n").set_value(2)
    at.number_input(key="sweep_seed").set_value(11)
    at.run()
    assert any(c.value.startswith("3 points x 2 replications = 6 runs") for c in at.caption)
    run_and_wait(at, button="sweep_run", page="sweep")
    assert not at.exception and not at.error
    lines = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert any("Cheapest point that meets" in line for line in lines)
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 3
    f = form(measures=ONE, pseudonymise=True)
    expected = sp.run_plan(sp.plan_of(unit(), f), f, "unit.yaml")
    assert at.dataframe[0].value[KEY].tolist() == [1, 2, 3]
    label = expected["labels"]["overall.waiting_at_end"]
    assert at.dataframe[0].value[label].tolist() == [r[label] for r in sp.table_rows(expected)]
    assert len(at.get("download_button")) == 3
    assert [c.value for c in at.caption if c.value.endswith("across the grid")] == [
        page.markdown_text(f"{label} across the grid")]  # the one chart, titled as in the report
    at.text_input(key=f"sweep_values_{KEY}").set_value("1,2").run()
    assert not at.dataframe and any("inputs changed" in i.value for i in at.info)  # not shown as theirs


def test_a_cancelled_sweep_stops_at_the_next_replication_and_keeps_nothing():
    f = form("1..3", seed=987)  # a seed no other test runs: no cache entry to hit
    key = ("cancel-test", f)
    job = Job(lambda tick: sp.cached_run(key, sp.plan_of(unit(), f), "u.yaml", tick), 6, "Sweeping")
    job.cancel()
    job.start()
    assert job.wait(30)
    assert job.state == "cancelled" and job.done == 1 and sp.SWEEPS.peek(key) is None


def test_a_bad_grid_value_on_the_page_is_one_line_and_no_traceback():
    at = sweep_page_with_unit()
    at.text_input(key=f"sweep_values_{KEY}").set_value("3..x").run()
    assert not at.exception and len(at.error) == 1
    message = at.error[0].value
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(page.markdown_text(f"--grid {KEY}: cannot read the range"))
    assert "sweep_run" not in [b.key for b in at.button]  # nothing to run until the grid reads
