"""``simulate`` and ``compare`` with ``--input-uncertainty``: the JSON block, the table, the report, errors.

The £400K unit cut to 4 weeks, 2 worlds x 2 replications: a real second-order run in about a second
(the library's tests cover workers and Dask; here one worker).
"""
from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from dfu_sched.cli import main
from dfu_sched.reports.uncertainty_html import compare_uncertainty_section
from tests.helpers import BASELINE, EXAMPLES, NY400K


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("iu")
    data = yaml.safe_load(NY400K.read_text(encoding="utf-8"))  # the ranges stay as written
    data["calendar"]["horizon_weeks"] = 4
    bought = d / "bought.yaml"
    bought.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    del data["investment"]["mix"]
    data["name"] = "as it is"
    plain = d / "plain.yaml"
    plain.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    base = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    base["calendar"]["horizon_weeks"] = 4
    none = d / "no_ranges.yaml"
    none.write_text(yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    return {"bought": bought, "plain": plain, "none": none}


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _bad(args, needle, tmp_path):
    out = tmp_path / "never"
    r = CliRunner().invoke(main, [str(a) for a in args] + ["--out", str(out), "-q"])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], r.stderr
    assert not out.exists()


def test_simulate_json_table_and_report(files, tmp_path):
    common = ["simulate", files["plain"], "-n", "2", "--worlds", "2", "--seed", "3", "--workers", "1"]
    report = tmp_path / "r.html"
    r = _run(*common, "--report", report, "--out", tmp_path / "run")
    assert r.exit_code == 0, r.output
    assert "with the estimates taken as exact" in r.stdout and "of the spread comes from the estimates" in r.stdout
    html = report.read_text(encoding="utf-8")
    assert 'id="input-uncertainty"' in html and "What if our estimates are wrong?" in html
    out = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    block = out["input_uncertainty"]
    assert block["worlds"] == 2 and block["replications"] == 2 and len(block["inputs"]) == 10
    m = block["measures"]["overall.wait_to_start_days.mean"]
    assert m["exact"]["estimate"] == pytest.approx(out["overall"]["wait_to_start_days"]["mean"]["estimate"])
    assert 0.0 <= m["with_estimates"]["input_share"] <= 1.0
    lo, hi = m["with_estimates"]["interval95"]
    assert lo <= m["exact"]["ci95"][0] and hi >= m["exact"]["ci95"][1]
    r = _run(*common, "--json", "-q")  # --json: the same block on stdout
    assert json.loads(r.stdout)["input_uncertainty"] == block


def test_simulate_auto_uses_the_replications_it_needed(files):
    r = _run("simulate", files["plain"], "-n", "auto", "--precision", "0.5", "--max-replications", "5",
             "--input-uncertainty", "--worlds", "2", "--seed", "3", "--json", "-q", "--workers", "1")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["input_uncertainty"]["replications"] == out["replications"]


def test_dask_gives_the_same_block(files):
    pytest.importorskip("distributed")
    common = ["simulate", files["plain"], "-n", "2", "--worlds", "2", "--seed", "8", "--json", "-q"]
    local = json.loads(_run(*common, "--workers", "1").stdout)["input_uncertainty"]
    dask = json.loads(_run(*common, "--executor", "dask", "--workers", "2").stdout)["input_uncertainty"]
    assert local == dask


def test_compare_paired_block_and_text(files):
    r = _run("compare", files["plain"], files["bought"], "-n", "2", "--worlds", "2", "--seed", "3", "-q",
             "--workers", "1", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    block = out["input_uncertainty"]
    ids = [s["id"] for s in out["scenarios"]]
    assert [s["id"] for s in block["scenarios"]] == ids and block["differences"][0]["id"] == ids[1]
    assert block["scenarios"][1]["mix"] == {"overtime": 3, "triage_kiosk": 1, "cse_automation": 1, "training": 7}
    for k, shares in block["best_share"].items():
        assert sum(shares.values()) == pytest.approx(1.0), k
    html = compare_uncertainty_section(block)  # the compare report's section, from the same block
    assert 'id="input-uncertainty"' in html and f"{ids[1]} minus {ids[0]}" in html
    assert "Share of plausible worlds in which each scenario is best" in html
    r = _run("compare", files["bought"], "--worlds", "2", "-n", "2", "--seed", "3", "-q", "--workers", "1")
    assert r.exit_code == 0, r.output  # one scenario is enough with --input-uncertainty: its mix over the worlds
    assert "What if our estimates are wrong?" in r.stdout and "including estimate uncertainty (95%)" in r.stdout
    assert "each scenario is best" not in r.stdout  # one scenario: nothing to rank


def test_a_queue_start_keeps_the_ranges(files):
    r = _run("simulate", files["plain"], "-n", "2", "--worlds", "2", "--seed", "3", "--json", "-q", "--workers", "1",
             "--queue", EXAMPLES / "queue.csv", "--as-of", "2024-06-03")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert "inputs" in out and len(out["input_uncertainty"]["inputs"]) == 10


def test_bad_inputs_are_one_line_exit_2(files, tmp_path):
    _bad(["simulate", files["none"], "--input-uncertainty", "-n", "2"], "give an estimate a range", tmp_path)
    _bad(["compare", files["none"], files["none"], "--worlds", "2", "-n", "2"], "give an estimate a range", tmp_path)
    _bad(["simulate", files["plain"], "--worlds", "1", "-n", "2"], "--worlds", tmp_path)
    _bad(["simulate", files["plain"], "--input-uncertainty", "-n", "1"], "at least 2 replications", tmp_path)
    _bad(["compare", files["plain"], "-n", "2"], "at least two scenario files", tmp_path)
    _bad(["compare", files["plain"], "--worlds", "2", "-n", "2"], "give two scenario files for --out", tmp_path)
