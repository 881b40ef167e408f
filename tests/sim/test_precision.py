"""Replications by precision (``-n auto``): stops when the headline is precise, deterministically."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from dfu_sched.cli import main
from dfu_sched.errors import InputError
from dfu_sched.reports.files import to_json
from dfu_sched.sim.experiment import ProcessExecutor, SerialExecutor, run_experiment
from dfu_sched.sim.precision import (
    MeasurePrecision,
    PrecisionRule,
    first_precise_n,
    headline_keys,
    next_batch,
    run_until_precise,
    sequential,
)
from tests.helpers import backlog, mini, small, to_yaml


@pytest.fixture(scope="module")
def scenario():
    return small(horizon_weeks=8)  # ~50 ms a replication


def _p(result) -> dict:
    return result.extra["precision"]


def _without_run(result) -> dict:
    s = json.loads(to_json(result.summary()))
    s.pop("run")
    return s


def test_zero_variance_stops_at_the_minimum() -> None:
    # No arrivals, a fixed backlog, fixed hours: every replication is the same, the half-width is 0.
    sc = mini(backlog=backlog(("phone", "VH", 2, 5), ("computer", "L", 3, 40)))
    r = run_until_precise(sc, PrecisionRule(0.05, minimum=5, maximum=50), seed=1, executor=SerialExecutor())
    p = _p(r)
    assert p["met"] and not p["capped"] and p["replications_needed"] == 5 == r.replications
    assert p["measures"]["overall.waiting_at_end"]["half_width"] == 0
    # H and M have no devices at all: not sized, and said so, never looped on.
    assert p["measures"]["H.wait_to_start_days.mean"]["estimate"] is None
    assert p["measures"]["H.wait_to_start_days.mean"]["met"]


def test_run_precision_is_checked_when_a_report_reads_summary_json() -> None:
    from dfu_sched.reports.run_files import SIMULATION, validate_run_document

    sc = mini(backlog=backlog(("phone", "VH", 2, 5)))
    s = json.loads(to_json(run_until_precise(sc, PrecisionRule(0.05, maximum=5), seed=1,
                                             executor=SerialExecutor()).summary()))
    validate_run_document(s, SIMULATION, "simulation", "summary.json")
    s["run"]["precision"]["replications_needed"] = "five"
    with pytest.raises(InputError, match="run.precision.replications_needed"):
        validate_run_document(s, SIMULATION, "simulation", "summary.json")


def test_tighter_precision_needs_more_replications_and_meets_it(scenario) -> None:
    loose = _p(run_until_precise(scenario, PrecisionRule(0.2, maximum=60), seed=1, executor=SerialExecutor()))
    tight = _p(run_until_precise(scenario, PrecisionRule(0.1, maximum=60), seed=1, executor=SerialExecutor()))
    assert loose["met"] and tight["met"]
    assert tight["replications_needed"] > loose["replications_needed"] >= 5
    for p, target in ((loose, 0.2), (tight, 0.1)):
        for key, m in p["measures"].items():  # every headline half-width within the target (or its floor)
            assert m["half_width"] <= max(target * abs(m["estimate"]), m["floor"]) + 1e-9, key


def test_the_cap_is_reported_plainly(scenario, tmp_path) -> None:
    r = run_until_precise(scenario, PrecisionRule(0.001, maximum=6), seed=1, executor=SerialExecutor())
    p = _p(r)
    assert not p["met"] and p["capped"] and p["replications_needed"] == 6 == r.replications == p["maximum"]
    assert any(not m["met"] for m in p["measures"].values())
    from dfu_sched.reports.text import simulation_text

    text = simulation_text(json.loads(to_json(r.summary())))
    assert "NOT REACHED" in text and "cap of 6 replications" in text


def test_same_n_and_numbers_with_one_or_two_workers_and_as_a_fixed_n(scenario) -> None:
    rule = PrecisionRule(0.1, maximum=40)
    one = run_until_precise(scenario, rule, seed=3, executor=SerialExecutor())
    two = run_until_precise(scenario, rule, seed=3, executor=ProcessExecutor(2))
    n = _p(one)["replications_needed"]
    assert _p(two)["replications_needed"] == n and _p(one)["met"]
    assert _without_run(one) == _without_run(two)
    # Batch boundaries change nothing: the same as asking for n replications outright.
    assert _without_run(one) == _without_run(run_experiment(scenario, n, 3, executor=SerialExecutor()))


def test_first_precise_n_is_checked_at_every_n() -> None:
    from scipy import stats

    rule = PrecisionRule(0.05, minimum=3, maximum=40)
    x = np.array([100.0, 140.0, 60.0] + [100.0] * 27)
    keys = ["overall.exposure"]

    def precise(m: int) -> bool:  # the rule worked out independently with scipy
        sub = x[:m]
        return stats.t.ppf(0.975, m - 1) * sub.std(ddof=1) / np.sqrt(m) <= 0.05 * sub.mean()

    expected = next(m for m in range(3, len(x) + 1) if precise(m))
    assert 3 < expected < len(x)
    assert first_precise_n({keys[0]: x}, keys, len(x), rule) == expected
    assert first_precise_n({keys[0]: x}, keys, expected - 1, rule) is None


@pytest.mark.parametrize("rel_sd,cap", [(0.05, 200), (0.3, 200), (0.3, 12)])
def test_batches_never_change_the_answer(rel_sd, cap) -> None:
    """The same stream of replications sized with 1, 2, 3 or 7 workers (other batches): the same n."""
    values = np.random.default_rng(0).normal(100.0, 100.0 * rel_sd, size=cap)
    keys = ["overall.exposure"]
    rule = PrecisionRule(0.05, minimum=5, maximum=cap)
    seen: list[int] = []

    def extend(n: int) -> dict[str, np.ndarray]:
        seen.append(n)
        return {keys[0]: values[:n]}

    outcomes = []
    for workers in (1, 2, 3, 7):
        seen.clear()
        outcomes.append(sequential(rule, cap, workers, keys, extend))
        assert seen == sorted(seen) and seen[-1] <= cap and seen[0] >= 5  # grows, within the cap
    assert len({o.replications for o in outcomes}) == 1
    assert len({o.met for o in outcomes}) == 1
    assert outcomes[0].met == (rel_sd == 0.05 or cap == 200)
    assert outcomes[0].replications == (first_precise_n({keys[0]: values}, keys, cap, rule) or cap)


def test_a_mean_near_zero_is_met_by_the_floor() -> None:
    near_zero = MeasurePrecision("VH.wait_to_start_days.mean", 0.001, 0.05, 0.1, 0.05)
    assert near_zero.met and near_zero.relative == pytest.approx(50)
    wide = MeasurePrecision("VH.wait_to_start_days.mean", 0.001, 0.2, 0.1, 0.05)
    assert not wide.met
    assert MeasurePrecision("H.wait_to_start_days.mean", None, None, 0.1, 0.05).met  # nothing to size


@pytest.mark.parametrize("available,cap,workers", [(5, 200, 1), (5, 7, 2), (40, 200, 3), (199, 200, 2)])
def test_next_batch_stays_within_the_cap_and_at_most_doubles(available, cap, workers) -> None:
    worst = MeasurePrecision("overall.exposure", 100.0, 50.0, 1.0, 0.05)  # 10x too wide: wants 100x the runs
    b = next_batch([worst], available, cap, workers)
    assert 1 <= b <= cap - available
    assert b <= available + workers - 1


def test_headline_keys_are_the_simulate_headline(scenario) -> None:
    keys = headline_keys(scenario)
    assert keys[:len(scenario.tier_names) + 1] == [f"{t}.wait_to_start_days.mean"
                                                   for t in [*scenario.tier_names, "overall"]]
    assert {"overall.exposure", "overall.waiting_at_end"} <= set(keys)


@pytest.mark.parametrize("kwargs", [{"precision": 0.0}, {"precision": 1.5}, {"minimum": 1}, {"maximum": 3}])
def test_bad_rules_are_input_errors(kwargs) -> None:
    with pytest.raises(InputError):
        PrecisionRule(**kwargs)


# ---- the command line ------------------------------------------------------------------------------

def test_simulate_n_auto_says_how_many_in_json_text_and_report(scenario, tmp_path) -> None:
    from dfu_sched.reports.simulate_html import reproduce_section
    from dfu_sched.reports.text import simulation_text

    path = to_yaml(scenario, tmp_path / "s.yaml")
    args = ["simulate", str(path), "-n", "auto", "--precision", "0.2", "--seed", "1", "--workers", "1", "-q", "--json"]
    r = CliRunner().invoke(main, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    p = s["run"]["precision"]
    assert p["met"] and s["replications"] == p["replications_needed"] >= 5
    assert p["target_relative_half_width"] == 0.2 and set(p["measures"]) == set(headline_keys(scenario))
    said = f"Replications by precision: {p['replications_needed']} were needed"
    assert said in simulation_text(s)
    html = reproduce_section(s)  # the report's "Reproducing this report" section
    assert said in html and "95% half-width" in html and f"-n {p['replications_needed']} " in html


def test_compare_n_auto_is_the_comparison_of_the_n_it_needed(tmp_path) -> None:
    from dfu_sched.reports.compare_html import reproduce_part
    from dfu_sched.reports.invest_text import compare_text

    base = small(horizon_weeks=3, keep=("overtime",), budget=20_000, backlog_divisor=20)
    data = base.model_dump(mode="json", by_alias=True)
    data["name"], data["investment"]["mix"] = "with overtime", {"overtime": 1}
    from dfu_sched.scenario.schema import Scenario

    files = [str(to_yaml(base, tmp_path / "a.yaml")), str(to_yaml(Scenario.model_validate(data), tmp_path / "b.yaml"))]
    common = ["compare", *files, "--seed", "2", "--workers", "1", "--json", "-q"]
    auto = json.loads(CliRunner().invoke(main, [*common, "-n", "auto", "--precision", "0.2"],
                                         catch_exceptions=False).stdout)
    p = auto["run"]["precision"]
    n = p["replications_needed"]
    assert p["met"] and auto["replications"] == n >= 5 and len(p["measures"]) == 2 * len(headline_keys(base))
    fixed = json.loads(CliRunner().invoke(main, [*common, "-n", str(n)], catch_exceptions=False).stdout)
    auto.pop("run"), fixed.pop("run")
    assert auto == fixed  # the replications past n were dropped: exactly the -n n comparison
    auto["run"] = {"precision": p}
    said = f"Replications by precision: {n} were needed"
    assert said in compare_text(auto) and said in reproduce_part(auto) and "with overtime: " in compare_text(auto)


@pytest.mark.parametrize("extra,needle", [
    (["--precision", "0.05"], "--precision needs -n auto"),
    (["--max-replications", "9"], "--max-replications needs -n auto"),
    (["-n", "many"], "expected a whole number or 'auto'"),
    (["-n", "auto", "--precision", "2"], "--precision"),
])
def test_bad_precision_options_are_one_line(scenario, tmp_path, extra, needle) -> None:
    path = to_yaml(scenario, tmp_path / "s.yaml")
    r = CliRunner().invoke(main, ["simulate", str(path), "-q", *extra])
    assert r.exit_code == 2, r.output
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], r.stderr
