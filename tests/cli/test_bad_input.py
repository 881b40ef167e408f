"""Bad input gives one line and exit 2 (issue 9, items 8-12): each case here used to crash or mislead.

Impossible dates and bad YAML tags, deep nesting, aliases, ``extends:`` of a device, non-finite
or absurd numbers, runs too big to fit, intervals outside their range, and '08:60'.
"""
from __future__ import annotations

import copy
import math
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from dfu_sched.cli import main
from dfu_sched.errors import InputError
from dfu_sched.plan.clock import week_label
from dfu_sched.plan.risk import load_risk_model
from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim.experiment import run_experiment
from dfu_sched.stats import t_interval, t_interval_columns
from tests.helpers import BASELINE, MINI, ROOT, short_baseline_file

INVEST = ROOT / "scenarios" / "north_yorkshire_400k.yaml"


def run_cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line_exit_2(res, *needles):
    assert res.exit_code == 2, (res.exit_code, res.output)
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in res.output and "https://" not in err and "pydantic" not in err, err
    for needle in needles:
        assert needle in err, (needle, err)
    return err


def write_mini(tmp_path: Path, text_after: str = "", name: str = "bad.yaml", **updates) -> Path:
    """The mini scenario as YAML, with raw YAML lines appended (for tags and dates)."""
    data = copy.deepcopy(MINI)
    data.update(updates)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False) + text_after)
    return path


# ---- item 8: impossible dates and bad tags in every YAML file the tool reads ----------------------

BAD_VALUES = {
    "2023-02-30": "not a real date",
    "2023-13-01": "not a real date",
    "2023-00-01": "not a real date",
    "!!timestamp yesterday": "not a real date",
    "!!float abc": "not readable as a number",
    "!!int 0x": "not readable as a whole number",
    "!!int 12abc": "not readable as a whole number",
}


@pytest.mark.parametrize("value", list(BAD_VALUES))
def test_bad_dates_and_tags_in_a_scenario(tmp_path, value):
    path = tmp_path / "bad.yaml"
    text = yaml.safe_dump({k: v for k, v in MINI.items() if k != "calendar"}, sort_keys=False)
    path.write_text(text + f"calendar:\n  start_date: {value}\n")
    out = tmp_path / "out"
    res = run_cli("simulate", path, "-n", "1", "--out", out)
    line = len(text.splitlines()) + 2
    assert_one_line_exit_2(res, f"bad.yaml:{line}:", BAD_VALUES[value])
    assert not out.exists()


@pytest.mark.parametrize("value", list(BAD_VALUES))
def test_bad_dates_and_tags_in_a_risk_model(tmp_path, value):
    path = tmp_path / "risk.yaml"
    path.write_text(f"factors: {{a: {{points: 1}}}}\ntiers: [{{name: L, min_score: 0}}]\nversion: {value}\n")
    with pytest.raises(InputError) as exc:
        load_risk_model(path)
    assert str(exc.value).startswith(f"{path}:3:") and BAD_VALUES[value] in str(exc.value)


@pytest.mark.parametrize("value", ["!!float abc", "2023-02-30"])
def test_bad_tags_in_investment_options(tmp_path, value):
    text = INVEST.read_text(encoding="utf-8").replace("lag_weeks: 16", f"lag_weeks: {value}", 1)
    assert text != INVEST.read_text(encoding="utf-8")
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert_one_line_exit_2(run_cli("invest", path, "-n", "4", "-q"), "bad.yaml:", "YAML")


def test_yaml_nested_500_levels_is_one_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: " + "[" * 500 + "]" * 500 + "\n")
    assert_one_line_exit_2(run_cli("simulate", path), "bad.yaml:1:", "nested deeper than")


def test_yaml_self_referencing_and_exploding_aliases(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: &a [*a]\n")
    assert_one_line_exit_2(run_cli("simulate", path), "bad.yaml:1:", "cycle")
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path.write_text("\n".join(lines) + "\n")
    t0 = time.perf_counter()
    assert_one_line_exit_2(run_cli("simulate", path), "aliases are expanded")
    assert time.perf_counter() - t0 < 10


def test_start_date_far_in_the_future_is_refused_before_anything_is_written(tmp_path):
    path = write_mini(tmp_path, calendar={"start_date": "9999-12-01", "horizon_weeks": 4})
    out, report = tmp_path / "out", tmp_path / "r.html"
    res = run_cli("simulate", path, "-n", "1", "--out", out, "--report", report)
    assert_one_line_exit_2(res, "calendar.start_date: must be a date from 1990-01-01 to 2100-12-31")
    assert not out.exists() and not report.exists()


@pytest.mark.parametrize("budget", ["inf", "nan", "-inf", "1e400", "1e13"])
def test_invest_budget_must_be_finite_money(budget):
    assert_one_line_exit_2(run_cli("invest", INVEST, "--budget", budget, "-n", "4", "-q"), "--budget: must ")


@pytest.mark.parametrize("option", [["--target", "high-risk-week", "--by", "nan"],
                                    ["--target", "VH.wait_to_start_days.p90<=1.2.3"],
                                    ["--target", "VH.wait_to_start_days.p90<=" + "9" * 400]])
def test_invest_target_options_are_one_line(option):
    assert_one_line_exit_2(run_cli("invest", INVEST, *option, "-n", "4", "-q"), "--")


@pytest.mark.parametrize("old, new, path", [
    ("lag_weeks: 16", "lag_weeks: .inf", "lag_weeks: must be a finite number from 0 to 1,040"),
    ("start_week: 4", "start_week: .inf", "start_week: must be a finite number from 0 to 1,040"),
])
def test_infinite_weeks_in_options_are_refused_at_the_schema(tmp_path, old, new, path):
    text = INVEST.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(old, new, 1))
    assert_one_line_exit_2(run_cli("invest", bad, "-n", "4", "-q"), path)


@pytest.mark.parametrize("args, needle", [
    (["simulate", "x.yaml", "-n", "abc"], "'-n' / '--replications'"),
    (["simulate", "x.yaml", "--seed", "-3"], "'--seed'"),
    (["simulate"], "Missing argument 'SCENARIO'"),
    (["invest", "x.yaml", "--objective", "speed"], "'--objective'"),
    (["no-such-command"], "No such command"),
])
def test_option_errors_are_one_line_too(args, needle):
    err = assert_one_line_exit_2(run_cli(*args), needle)
    assert err.startswith("error: dfu-sched")


@pytest.mark.parametrize("text", ["a\nb", "\x85", "x\u2028y"])
def test_typed_text_with_line_breaks_cannot_split_the_error_line(text):
    assert_one_line_exit_2(run_cli("invest", INVEST, "--target", text, "-n", "4", "-q"), "--target")


# ---- item 9: extends names a regular file of sane size; a cycle is an error ----------------------

def test_extends_dev_zero_is_refused_without_reading(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("extends: /dev/zero\nname: x\n")
    t0 = time.perf_counter()
    assert_one_line_exit_2(run_cli("simulate", path), "extends: '/dev/zero' is not a regular file")
    assert time.perf_counter() - t0 < 5


def test_scenario_itself_must_be_a_regular_file_of_sane_size(tmp_path):
    assert_one_line_exit_2(run_cli("simulate", "/dev/zero"), "regular file")
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:
        fh.truncate(50_000_000)  # sparse: 50 MB of nothing
    assert_one_line_exit_2(run_cli("simulate", big), "bytes; the most accepted is")


def test_extends_cycle_through_two_files(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\nname: x\n")
    assert_one_line_exit_2(run_cli("simulate", tmp_path / "a.yaml"), "a cycle")


# ---- item 10: every number finite and in a stated range, at the schema ---------------------------

NON_FINITE = [
    ({"arrivals": {**MINI["arrivals"], "cases_per_week": float("inf")}}, "arrivals.cases_per_week: must be"),
    ({"arrivals": {**MINI["arrivals"], "annual_growth": 1e308}},
     "arrivals.annual_growth: must be a finite number more than -1 and at most 1"),
    ({"tiers": [{"name": n, "weight": float("nan") if n == "VH" else 1, "target_days": 1}
                for n in ("VH", "H", "M", "L")]},
     "tiers[0].weight: must be a finite number"),
    ({"device_types": {**MINI["device_types"],
                       "phone": {"skill": "mobile",
                                 "service_hours": {"examination": {"dist": "exponential", "mean": float("inf")}}}}},
     "device_types.phone.service_hours.examination.mean: must be a finite number from 0.001 to 100,000"),
    ({"device_types": {**MINI["device_types"],
                       "phone": {"skill": "mobile",
                                 "service_hours": {"examination": {"dist": "lognormal", "mean": 1e-300, "sd": 1}}}}},
     "examination.mean: must be a finite number from 0.001"),
    ({"measures": {"wait_thresholds_days": [float("nan")]}},
     "measures.wait_thresholds_days[0]: must be a finite number"),
    ({"examiners": [{"name": "ann", "skills": ["mobile", "computer"], "start_week": float("inf")}]},
     "examiners[0].start_week: must be a finite number from 0 to 1,040"),
    ({"arrivals": {**MINI["arrivals"], "tier_mix": {"VH": float("nan"), "H": 0.5, "M": 0.25, "L": 0.25}}},
     "arrivals.tier_mix.VH: must be a finite number"),
]


@pytest.mark.parametrize("updates, needle", NON_FINITE)
def test_non_finite_and_absurd_numbers_are_refused(tmp_path, updates, needle):
    path = tmp_path / "bad.yaml"
    data = {**copy.deepcopy(MINI), **updates}
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(InputError) as exc:
        load_scenario(path)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_non_finite_risk_threshold_is_refused(tmp_path):
    path = tmp_path / "risk.yaml"
    path.write_text("factors: {a: {points: 1}}\ntiers: [{name: VH, min_score: .nan}, {name: L, min_score: 0}]\n")
    with pytest.raises(InputError) as exc:
        load_risk_model(path)
    assert "tiers.0.min_score" in str(exc.value) and "finite" in str(exc.value)


# ---- item 11: the size guard --------------------------------------------------------------------

def test_ten_million_device_backlog_is_refused_at_once_with_the_estimate(tmp_path):
    backlog = [{"device_type": "phone", "tier": "H", "count": 10_000_000, "age_days": {"dist": "fixed", "value": 1}}]
    path = write_mini(tmp_path, backlog=backlog)
    t0 = time.perf_counter()
    err = assert_one_line_exit_2(run_cli("simulate", path, "-n", "20"), "too big to simulate", "10,000,000 devices",
                                 "GB")
    assert "shorten calendar.horizon_weeks" in err
    assert time.perf_counter() - t0 < 10


def test_twenty_thousand_examiners_are_refused(tmp_path):
    path = write_mini(tmp_path, examiners=[{"name": "ann", "count": 20_000, "skills": ["mobile", "computer"]}])
    assert_one_line_exit_2(run_cli("simulate", path, "-n", "20"), "too big to simulate", "20,000 examiners")


def test_too_many_replications_suggests_how_many_fit(tmp_path):
    arrivals = {**MINI["arrivals"], "cases_per_week": 20_000}
    path = write_mini(tmp_path, arrivals=arrivals, calendar={"start_date": "2024-01-01", "horizon_weeks": 104})
    err = assert_one_line_exit_2(run_cli("simulate", path, "-n", "100"), "simulation events", "use -n")
    from dfu_sched.sim.experiment import check_size

    fits = int(err.split("use -n ")[1].split()[0])
    assert 1 <= fits < 100
    sc = load_scenario(path)
    check_size(sc, fits)  # the suggestion itself passes
    with pytest.raises(InputError):
        check_size(sc, fits + 1)


def test_size_estimate_of_the_baseline_matches_what_runs():
    from dfu_sched.sim.experiment import BYTES_PER_DEVICE, estimate_size

    sc = load_scenario(BASELINE)
    est = estimate_size(sc, 20)
    res = run_experiment(sc, 4, 1, 1)
    devices = res.scalars["overall.started"].mean() + res.scalars["overall.waiting_at_end"].mean()
    assert 0.9 * devices <= est.devices <= 1.2 * devices
    assert est.events_per_replication >= res.events / 4  # never an underestimate of the events
    assert est.bytes_per_replication == est.devices * BYTES_PER_DEVICE


SHIPPED = sorted(p for p in (ROOT / "scenarios").rglob("*.yaml") if p.parent.name != "examples")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_scenario_fits(path):
    from dfu_sched.sim.experiment import check_size

    sc = load_scenario(path)
    check_size(sc, max(sc.run.replications, 100))


# ---- item 12: intervals inside their range, 'n too small', times rounded once ------------------------

def test_week_label_rounds_once_to_the_minute():
    assert week_label(8.9999) == "Mon 09:00"
    assert week_label(23.9999) == "Tue 00:00"
    assert week_label(24 + 9.5) == "Tue 09:30"


def test_intervals_stay_inside_the_measure_range():
    from dfu_sched.stats import measure_interval, measure_range

    share = t_interval([0.0, 0.13], bounds=measure_range("VH.within_target_share"))
    assert 0 <= share.low <= share.estimate <= share.high <= 1
    util = measure_interval([0.99, 1.0], "utilisation.all examiners")
    assert util.high == 1.0 and util.low < 0.99
    wait = measure_interval([1.0, 100.0], "overall.wait_to_start_days.p50")
    assert wait.low == 0.0 and wait.high > 100
    inside = [0.2, 0.3, 0.25, 0.22, 0.28]  # the t interval lies inside [0, 1]: clipping changes nothing
    assert measure_interval(inside, "VH.within_target_share") == t_interval(inside)
    mean, lo, hi = t_interval_columns(np.array([[0.0, 1.0], [0.1, 0.9]]), bounds=(0.0, 1.0))
    assert np.all(lo >= 0) and np.all(hi <= 1)


def _intervals(node):
    if isinstance(node, dict):
        if "estimate" in node and "ci95" in node:
            yield node
        for v in node.values():
            yield from _intervals(v)


def test_two_replications_give_intervals_in_range_and_say_n_is_too_small(tmp_path):
    path = short_baseline_file(tmp_path, 30)
    sc = load_scenario(path)
    summary = run_experiment(sc, 2, 2022, 1).summary()
    for block in _intervals(summary):
        lo, hi = block["ci95"]
        if lo is not None:
            assert lo >= 0, block
    for name, b in list(summary["tiers"].items()) + [("overall", summary["overall"])]:
        lo, hi = b["within_target_share"]["ci95"]
        assert lo is None or 0 <= lo <= hi <= 1, (name, lo, hi)
    for k, v in summary["utilisation"].items():
        assert v["ci95"][1] is None or v["ci95"][1] <= 1, (k, v)
    for key, band in summary["backlog_weekly"].items():
        if key != "week":
            assert all(x is None or x >= 0 for x in band["ci95_low"]), key
    res = CliRunner().invoke(main, ["simulate", str(path), "-n", "2", "--workers", "1", "-q"])
    assert res.exit_code == 0 and "n too small for a useful interval" in res.stdout
    assert "[-" not in res.stdout and not any(
        math.isfinite(float(x)) and float(x) > 100 for x in _percent_cells(res.stdout))
    default = CliRunner().invoke(main, ["simulate", str(path), "-n", "5", "--workers", "1", "-q"])
    assert default.exit_code == 0 and "n too small" not in default.stdout


def _percent_cells(text: str) -> list[str]:
    """Numbers inside '[a, b] %' utilisation cells."""
    out = []
    for line in text.splitlines():
        if line.startswith("utilisation") and "[" in line:
            inside = line.split("[", 1)[1].split("]", 1)[0]
            out += [x.strip().replace(",", "") for x in inside.split(",")]
    return out


def test_report_says_n_is_too_small(tmp_path):
    path = short_baseline_file(tmp_path, 20)
    from dfu_sched.reports.simulate_html import render_simulation

    summary = run_experiment(load_scenario(path), 2, 1, 1).summary()
    page = render_simulation(summary, path.read_text()).html
    assert "n too small for a useful interval" in page
