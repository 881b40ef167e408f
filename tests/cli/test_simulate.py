"""The simulate/schema/validate commands: outputs, JSON contract, determinism, bad input."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from dfu_sched.cli import main
from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim.experiment import run_experiment
from dfu_sched.sim.workload import generate
from tests.helpers import BASELINE, short_baseline_file

SHORT = ["-n", "2", "--seed", "3", "--workers", "1", "-q"]


@pytest.fixture(scope="module")
def short_baseline(tmp_path_factory) -> Path:
    """The baseline cut to 20 weeks (fast), as a file."""
    return short_baseline_file(tmp_path_factory.mktemp("sc"), 20)


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_json_summary_keys_are_pinned(short_baseline):
    res = invoke("simulate", short_baseline, *SHORT, "--json")
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    for key in ("kind", "scenario", "replications", "seed", "policy", "horizon_weeks", "tiers", "overall",
                "utilisation", "throughput_per_week", "first_week_below", "first_week_backlog_below",
                "backlog_weekly", "run"):
        assert key in s, key
    assert s["replications"] == 2 and s["seed"] == 3 and s["kind"] == "simulation"
    assert list(s["tiers"]) == ["VH", "H", "M", "L"]
    for block in list(s["tiers"].values()) + [s["overall"]]:
        for stat in ("mean", "p50", "p90", "p95"):
            iv = block["wait_to_start_days"][stat]
            assert set(iv) == {"estimate", "ci95", "n"} and len(iv["ci95"]) == 2
        for key in ("within_target_share", "exposure", "time_to_complete_days", "past_target_at_end"):
            assert key in block
    bw = s["backlog_weekly"]
    assert bw["week"] == list(range(21))
    band = bw["backlog.awaiting_examination"]
    assert set(band) == {"mean", "ci95_low", "ci95_high"} and len(band["mean"]) == 21


def test_table_output_reads_well(short_baseline):
    res = invoke("simulate", short_baseline, *SHORT)
    assert res.exit_code == 0
    assert "Wait to start examination" in res.stdout and "overall" in res.stdout
    assert res.stderr == ""                                   # quiet: nothing but the table


def test_out_folder_has_every_file(short_baseline, tmp_path):
    out = tmp_path / "run"
    res = invoke("simulate", short_baseline, *SHORT, "--out", out)
    assert res.exit_code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["devices.csv", "replications.csv", "scenario.json", "scenario.yaml", "summary.json", "weekly.csv",
                     "weekly_replications.csv"]
    header = (out / "devices.csv").read_text().splitlines()[0].split(",")
    assert {"device", "tier", "examination_start_day", "wait_to_start_days"} <= set(header)
    assert not list(tmp_path.glob(".run.*"))                 # no temporary folder left behind


def test_weekly_series_of_every_replication_are_in_the_run_folder(short_baseline, tmp_path):
    """Issue 8 item 11: weekly_replications.csv, long format; its means are weekly.csv's."""
    import csv

    out = tmp_path / "run"
    assert invoke("simulate", short_baseline, *SHORT, "--out", out).exit_code == 0
    with open(out / "weekly_replications.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with open(out / "weekly.csv", newline="") as fh:
        weekly = list(csv.DictReader(fh))
    assert [(int(r["replication"]), int(r["week"])) for r in rows] == [(r, w) for r in range(2) for w in range(21)]
    series = [k for k in rows[0] if k not in ("replication", "week")]
    assert {"backlog.awaiting_examination", "throughput.submitted", "past_target.VH"} <= set(series)
    assert {f"{k}.mean" for k in series} == {k for k in weekly[0] if k.endswith(".mean")}
    for w in (0, 7, 20):
        for key in ("backlog.awaiting_examination", "months_of_work"):
            values = [float(r[key]) for r in rows if int(r["week"]) == w and r[key] != ""]
            mean = weekly[w][f"{key}.mean"]
            if mean == "":
                assert not values
            else:
                assert np.mean(values) == pytest.approx(float(mean), abs=1e-4)


def test_first_week_backlog_below_in_the_json_and_the_table(short_baseline, tmp_path):
    data = yaml.safe_load(short_baseline.read_text())
    data["measures"]["backlog_thresholds_devices"] = [1300, 10]
    path = tmp_path / "thresholds.yaml"
    path.write_text(yaml.safe_dump(data))
    s = json.loads(invoke("simulate", path, *SHORT, "--json").stdout)
    fw = s["first_week_backlog_below"]
    assert list(fw) == ["1300", "10"]
    assert fw["1300"] == {"estimate": 0.0, "ci95": [0.0, 0.0], "n": 2, "reached_share": 1.0}  # 1,250 at week 0
    assert fw["10"]["reached_share"] == 0.0 and fw["10"]["estimate"] is None
    table = invoke("simulate", path, *SHORT).stdout
    assert "first week backlog < 10 devices" in table and "first week backlog < 1300 devices" in table


@pytest.mark.parametrize("value", ["[-5]", "[.nan]", "[.inf]"])
def test_a_bad_backlog_threshold_is_one_line_exit_2(tmp_path, value):
    data = yaml.safe_load(BASELINE.read_text())
    text = yaml.safe_dump(data) + "\n"
    text = text.replace("measures:\n", f"measures:\n  backlog_thresholds_devices: {value}\n")
    res, out = _bad(tmp_path, text)
    assert res.exit_code == 2, res.output
    assert len(res.stderr.strip().splitlines()) == 1
    assert "bad.yaml: measures.backlog_thresholds_devices[0]: must be a finite number from 0" in res.stderr
    assert "Traceback" not in res.output
    assert not out.exists()


def test_same_seed_same_numbers_on_any_worker_count(short_baseline):
    sc = load_scenario(short_baseline)
    a = run_experiment(sc, 4, 11, workers=1)
    b = run_experiment(sc, 4, 11, workers=2)
    assert a.scalars.keys() == b.scalars.keys()
    for k in a.scalars:
        np.testing.assert_array_equal(a.scalars[k], b.scalars[k], err_msg=k)
    c = run_experiment(sc, 4, 12, workers=1)
    key = "overall.wait_to_start_days.mean"
    assert not np.array_equal(a.scalars[key], c.scalars[key])


def test_common_random_numbers_give_the_same_devices(short_baseline):
    sc = load_scenario(short_baseline)
    more = sc.with_updates({"examiners": [g.model_dump() | ({"count": g.count + 2} if g.name == "mobile" else {})
                                          for g in sc.examiners],
                            "policy": {"discipline": "priority"}})
    ss = np.random.SeedSequence(5)
    a, b = generate(sc, ss), generate(more, ss)
    for field in ("submit", "tier", "dtype", "hours", "expedite"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))


def test_baseline_reproduces_a_year_long_wait_to_start():
    """Calibration: median wait to start >= 365 days for medium and low tiers (HMICFRS 2023)."""
    sc = load_scenario(BASELINE)
    r = run_experiment(sc, 6, sc.run.seed, workers=1)
    for tier in ("M", "L"):
        iv = r.interval(f"{tier}.wait_to_start_days.p50")
        assert iv.low >= 365, (tier, iv)
    # ...and the unit is saturated, as a year-long queue implies.
    assert r.interval("utilisation.all examiners").estimate > 0.95


def test_schema_is_json_schema(tmp_path):
    res = invoke("schema")
    schema = json.loads(res.stdout)
    assert schema["title"] == "dfu-sched scenario"
    assert {"arrivals", "examiners", "policy", "backlog"} <= set(schema["properties"])
    out = tmp_path / "s.json"
    assert invoke("schema", "--out", out).exit_code == 0 and json.loads(out.read_text()) == schema


# ---- bad input: one line, exit 2, nothing written ----

def _bad(tmp_path: Path, text: str) -> tuple[object, Path]:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["simulate", str(path), "-n", "1", "--out", str(out)])
    return res, out


def _mutate(fn) -> str:
    data = yaml.safe_load(BASELINE.read_text())
    fn(data)
    return yaml.safe_dump(data)


@pytest.mark.parametrize("text, expected", [
    (_mutate(lambda d: d["examiners"][0].update(skils=["mobile"])),
     "examiners[0].skils: unknown key 'skils' (did you mean 'skills'?)"),
    (_mutate(lambda d: d["arrivals"].update(cases_per_week=-3)),
     "arrivals.cases_per_week: must be a finite number from 0 to 100,000"),
    (_mutate(lambda d: d["arrivals"]["tier_mix"].update(VX=0.0)), "arrivals.tier_mix: unknown tier 'VX'"),
    (_mutate(lambda d: d["backlog"][0].update(tier="Medium")), "backlog[0].tier: unknown tier 'Medium'"),
    (_mutate(lambda d: d["examiners"][0].update(skills=["mobil"])), "unknown skill 'mobil' (did you mean 'mobile'?)"),
    (_mutate(lambda d: d["arrivals"].update(tier_mix={"VH": 0.5, "H": 0.6})), "shares must sum to 1"),
    ("", "the file is empty"),
    ("name: x\narrivals: [1, 2\n", "YAML syntax error"),
    ("name: x\nname: y\n", "duplicate key 'name'"),
    ("- just\n- a list\n", "must be a mapping"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, text, expected):
    res, out = _bad(tmp_path, text)
    assert res.exit_code == 2, res.output
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert expected in err and "bad.yaml" in err
    assert "Traceback" not in res.output
    assert not out.exists()


def test_missing_file_is_exit_2(tmp_path):
    res = CliRunner().invoke(main, ["simulate", str(tmp_path / "nope.yaml")])
    assert res.exit_code == 2 and "nope.yaml" in res.stderr


def test_input_file_is_never_modified(short_baseline, tmp_path):
    before = short_baseline.read_bytes()
    invoke("simulate", short_baseline, *SHORT, "--out", tmp_path / "r")
    assert short_baseline.read_bytes() == before


def test_variant_scenarios_extend_a_base(tmp_path):
    from dfu_sched.errors import InputError

    base = load_scenario(BASELINE)
    variant = load_scenario(BASELINE.parent / "north_yorkshire_2022_priority.yaml")
    assert variant.policy.discipline == "priority"
    assert variant.backlog == base.backlog and variant.examiners == base.examiners
    loop = tmp_path / "loop.yaml"
    loop.write_text("extends: loop.yaml\nname: x\n")
    with pytest.raises(InputError, match="cycle"):
        load_scenario(loop)
    missing = tmp_path / "m.yaml"
    missing.write_text("extends: nowhere.yaml\n")
    with pytest.raises(InputError, match="not found"):
        load_scenario(missing)


def test_censored_waits_are_reported_for_starved_tiers():
    """Under strict priority low-risk devices barely start; their age at the end shows it."""
    sc = load_scenario(BASELINE.parent / "north_yorkshire_2022_priority.yaml")
    r = run_experiment(sc, 2, 1, workers=1)
    s = r.summary()
    low = s["tiers"]["L"]
    assert low["waiting_at_end"]["estimate"] > 10 * max(low["started"]["estimate"], 1) / 10
    assert low["age_at_end_days"]["p50"]["estimate"] > 300


def test_atomic_write_follows_the_umask(tmp_path):
    import os

    from dfu_sched.io import atomic_write

    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "a.txt") as fh:
            fh.write("x")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_a_misspelt_required_key_is_named_as_a_misspelling(tmp_path):
    data = yaml.safe_load(BASELINE.read_text())
    data["examiners"][0]["skils"] = data["examiners"][0].pop("skills")
    res, out = _bad(tmp_path, yaml.safe_dump(data))
    assert res.exit_code == 2
    assert "examiners[0].skils: unknown key 'skils' (did you mean 'skills'?)" in res.stderr
    assert not out.exists()
