"""``dfu-sched compare`` and ``invest`` from the command line: outputs, and one-line exit-2 errors."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from dfu_sched.cli import main
from tests.helpers import raw, small, to_yaml


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("sc")
    base = small(keep=("contract_examiner", "triage_kiosk", "training"), budget=120_000)
    data = raw(base)
    data["investment"]["mix"] = {"triage_kiosk": 1, "training": 2}
    data["name"] = "with kiosk"
    from dfu_sched.scenario.schema import Scenario

    return {"a": to_yaml(base, d / "a.yaml"), "b": to_yaml(Scenario.model_validate(data), d / "b.yaml"), "dir": d}


def _run(args):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_compare_json_and_outputs(files, tmp_path):
    out_dir, xlsx = tmp_path / "cmp", tmp_path / "cmp.xlsx"
    r = _run(["compare", str(files["a"]), str(files["b"]), "-n", "3", "--seed", "4", "--workers", "2", "--json",
              "--out", str(out_dir), "--xlsx", str(xlsx), "-q"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["kind"] == "compare" and out["paired"] and out["replications"] == 3
    a, b = out["scenarios"]
    assert a["cost_gbp"] == 0 and b["cost_gbp"] == pytest.approx(114_769 + 8_000, abs=1)
    assert b["mix"] == {"triage_kiosk": 1, "training": 2}
    d = out["differences"][0]
    assert d["measures"]["overall.exposure"]["estimate"] < 0 and d["versus"] == "a"
    for name in ("compare.json", "measures.csv", "differences.csv", "trajectory.csv", "compare.xlsx"):
        assert (out_dir / name).is_file(), name
    wb = load_workbook(xlsx)
    assert {"Measures", "Differences", "Cost by financial year", "Backlog and waits by month"} <= set(wb.sheetnames)
    assert wb["Measures"].freeze_panes is not None


def test_compare_table(files):
    r = _run(["compare", str(files["a"]), str(files["b"]), "-n", "2", "-q", "--workers", "1"])
    # differences are titled by scenario names, not file names (issue 8, item 16)
    assert r.exit_code == 0 and "with kiosk minus North Yorkshire 2022 with £400K to invest" in r.stdout
    assert "cost in horizon" in r.stdout and "b minus a" not in r.stdout


@pytest.fixture(scope="module")
def policy_file(files):
    data = raw(small(keep=("contract_examiner", "triage_kiosk", "training"), budget=120_000))
    data["name"] = "strict tier priority"
    data["policy"]["discipline"] = "priority"
    from dfu_sched.scenario.schema import Scenario

    return to_yaml(Scenario.model_validate(data), files["dir"] / "p.yaml")


def test_compare_names_scenarios_and_says_what_a_policy_change_is(files, policy_file):
    r = _run(["compare", str(files["a"]), str(policy_file), "-n", "2", "-q", "--workers", "1", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    a, p = out["scenarios"]
    assert p["title"] == "strict tier priority" and a["title"] == "North Yorkshire 2022 with £400K to invest"
    assert p["changes"] == ["policy.discipline: priority (first scenario: fifo)"]
    assert "do nothing" not in p["actions"] and p["actions"] == ["no investment"]
    from dfu_sched.reports.invest_text import compare_text

    text = compare_text(out)
    header = next(ln for ln in text.splitlines() if ln.startswith("measure"))
    assert "strict tier priority" in header and " p " not in header + " " and "do nothing" not in text
    assert "policy.discipline: priority (first scenario: fifo)" in text
    assert "strict tier priority minus North Yorkshire 2022 with £400K to invest" in text
    # a policy comparison shows what happens to each tier (the README's policy table comes from this output)
    for label in ("VH started within target (%)", "L started within target (%)", "L examinations started",
                  "L still waiting at the end: median age (days)"):
        assert label in text
    share = p["measures"]["L.within_target_pct"]["estimate"]
    assert 0 <= share <= 100 and share == pytest.approx(100 * p["measures"]["L.within_target_share"]["estimate"]
                                                          if "L.within_target_share" in p["measures"] else share)


def test_compare_report_titles_use_scenario_names(files, policy_file, tmp_path):
    page = tmp_path / "cmp.html"
    r = _run(["compare", str(files["a"]), str(policy_file), "-n", "2", "-q", "--workers", "1", "--report", str(page)])
    assert r.exit_code == 0, r.output
    html = page.read_text(encoding="utf-8")
    title = html[html.index("<title>") + 7: html.index("</title>")]
    assert "strict tier priority" in title
    assert "North Yorkshire 2022 with £400K to invest" in title.replace("&#x27;", "'")
    assert "a vs p" not in title and "do nothing" not in html
    assert "Differences against North Yorkshire 2022 with £400K to invest" in html


def test_invest_cli_writes_finance_outputs(files, tmp_path):
    out_dir = tmp_path / "inv"
    r = _run(["invest", str(files["a"]), "--budget", "120k", "-n", "4", "--seed", "2", "--workers", "2",
              "--out", str(out_dir), "--json", "-q"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["kind"] == "invest" and out["budget_gbp"] == 120_000 and out["chosen"]["cost_gbp"] <= 120_000
    for name in ("invest.json", "evaluated.csv", "frontier.csv", "chosen.csv", "cost_by_month.csv",
                 "cost_by_financial_year.csv", "trajectory.csv", "invest.xlsx"):
        assert (out_dir / name).is_file(), name
    wb = load_workbook(out_dir / "invest.xlsx")
    assert {"Summary", "Assumptions", "Mixes evaluated", "Frontier", "Chosen mix", "Cost by month",
            "Cost by financial year", "Backlog and waits by month"} <= set(wb.sheetnames)
    ws = wb["Cost by month"]
    assert ws.cell(row=2, column=ws.max_column).number_format.startswith('"£"')


def _bad(args, needle, tmp_path):
    out_dir, xlsx = tmp_path / "never", tmp_path / "never.xlsx"
    r = CliRunner().invoke(main, args + ["--out", str(out_dir), "--xlsx", str(xlsx), "-q"])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], r.stderr
    assert not out_dir.exists() and not xlsx.exists()
    assert not list(tmp_path.glob(".never*"))


def test_bad_budget(files, tmp_path):
    _bad(["invest", str(files["a"]), "--budget", "-5"], "negative", tmp_path)
    _bad(["invest", str(files["a"]), "--budget", "lots"], "not an amount", tmp_path)
    _bad(["invest", str(files["a"]), "--budget", "1000"], "below the cheapest option", tmp_path)


def test_bad_target_and_by(files, tmp_path):
    _bad(["invest", str(files["a"]), "--target", "VX.wait_to_start_days.p90<=7"], "unknown tier", tmp_path)
    _bad(["invest", str(files["a"]), "--by", "2023-06-01"], "--by needs --target", tmp_path)
    _bad(["invest", str(files["a"]), "--target", "72h", "--by", "2031-01-01"], "--by", tmp_path)


def test_bad_scenario_files(files, tmp_path):
    data = raw(small())
    data["investment"]["options"][0]["annual_cost_gbp"] = -60000
    neg = files["dir"] / "negative.yaml"
    import yaml

    neg.write_text(yaml.safe_dump(data, sort_keys=False))
    _bad(["invest", str(neg)], "annual_cost_gbp", tmp_path)
    _bad(["compare", str(files["a"]), str(neg)], "annual_cost_gbp", tmp_path)
    data = raw(small())
    kit = next(o for o in data["investment"]["options"] if o["kind"] == "triage_kit")
    data["investment"]["options"].append({**kit, "name": "kiosk_two"})
    two = files["dir"] / "two_kits.yaml"
    two.write_text(yaml.safe_dump(data, sort_keys=False))
    _bad(["invest", str(two)], "contradict", tmp_path)
    data = raw(small())
    data["investment"] = None
    none = files["dir"] / "none.yaml"
    none.write_text(yaml.safe_dump(data, sort_keys=False))
    _bad(["invest", str(none)], "no investment options", tmp_path)
    _bad(["compare", str(files["a"])], "at least two", tmp_path)


def test_xlsx_must_be_xlsx(files, tmp_path):
    target = tmp_path / "book.csv"
    r = CliRunner().invoke(main, ["compare", str(files["a"]), str(files["b"]), "-n", "2", "--xlsx", str(target)])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and ".xlsx" in r.stderr and not target.exists()
