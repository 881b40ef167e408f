"""Fitted numbers carry their uncertainty: the SE formulas, the written range and its domain.

The SE of a fitted mean is checked against what it claims to be, the spread of the fitted mean over
repeated samples of the same law: two-sided, the ratio sd(fitted means) / SE must lie in
[0.8, 1.25] (with 150 repeats the sample sd itself has about 6% relative error, so a correct
formula fails far less than 1 time in 1,000). Samples are seeded: the test is deterministic.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from dfu_sched.calibrate.ranges import DOMAINS, plus_minus, ranged, significant
from dfu_sched.calibrate.scenario_out import _device_type
from dfu_sched.calibrate.service import fit_family, fit_hours, mean_se
from dfu_sched.calibrate.writer import Note, emit, scalar
from dfu_sched.scenario.estimates import is_range, parse_range, split_estimates

REPEATS, N = 150, 300


def _samples(law: str, rng: np.random.Generator) -> np.ndarray:
    if law == "lognormal":  # mean 7, sd 3.5
        s2 = math.log(1 + 0.5 ** 2)
        return rng.lognormal(math.log(7.0) - s2 / 2, math.sqrt(s2), N)
    if law == "gamma":      # mean 30, sd 15
        return rng.gamma(4.0, 7.5, N)
    return rng.exponential(5.0, N)


@pytest.mark.parametrize("law", ["lognormal", "gamma", "exponential"])
def test_the_se_of_a_fitted_mean_is_the_spread_of_the_fitted_mean_over_repeated_samples(law):
    rng = np.random.default_rng(2026)
    fits = [fit_family(law, _samples(law, rng)) for _ in range(REPEATS)]
    spread = float(np.std([f.mean for f in fits], ddof=1))
    claimed = float(np.mean([mean_se(f, N) for f in fits]))
    assert 0.8 < spread / claimed < 1.25, (law, spread, claimed)


def test_fit_hours_gives_the_chosen_law_a_mean_se_and_the_written_mean_a_range():
    x = np.random.default_rng(3).lognormal(1.8, 0.45, 400)
    h = fit_hours("phone", x, "booked")
    assert h.chosen == "lognormal" and 0 < h.mean_se < 0.05 * h.mean
    written = _device_type(h, {"skill": "mobile", "service_hours": {"examination": {"dist": "fixed", "value": 1}}},
                           "2024-01-01 to 2024-12-31")["service_hours"]["examination"]
    mean = written["mean"]
    assert mean.value == {"value": h.dist["mean"], "sd": significant(h.mean_se)}
    assert mean.comment.startswith(f"[S] fitted: {h.dist['mean']:.4g} +- {significant(h.mean_se):g} (SE) h from 400")
    assert isinstance(written["sd"].value, float)  # the law's sd stays a plain number


def test_a_law_written_as_samples_has_no_mean_to_range():
    x = np.random.default_rng(4).weibull(3.0, 400) * 10  # a Weibull: written as quantiles
    h = fit_hours("phone", x, "booked")
    assert h.chosen == "weibull" and h.mean_se > 0
    written = _device_type(h, {"skill": "mobile", "service_hours": {"examination": {"dist": "fixed", "value": 1}}},
                           "2024")["service_hours"]["examination"]
    assert "mean" not in written and not any(is_range(n.value) for n in written.values() if isinstance(n, Note))


def test_a_range_is_clipped_to_the_fields_domain_only_when_value_pm_3_sd_leaves_it():
    assert ranged(9.66, 0.516, "cases_per_week") == {"value": 9.66, "sd": 0.516}
    near_zero = ranged(0.004, 0.0021, "share")  # 0.004 - 3 x 0.0021 < 0
    assert near_zero == {"value": 0.004, "sd": 0.0021, "low": 0.0, "high": 0.0103}
    e = parse_range(near_zero, "policy.expedite_share", ("policy", "expedite_share"))
    assert e.shape == "normal" and e.support == (0.0, 0.0103)
    assert e.ppf(np.array([0.0, 0.5, 0.999])).min() >= 0.0
    growth = ranged(-0.95, 0.05, "annual_growth")
    assert growth["low"] == DOMAINS["annual_growth"][0] and growth["high"] == pytest.approx(-0.8)
    assert ranged(0.5, 0.0, "share") == 0.5 and ranged(0.5, math.nan, "share") == 0.5
    assert ranged(1.0, None, "hours") == 1.0
    assert plus_minus(0.5, None) == "0.5" and plus_minus(9.6617, 0.51612) == "9.662 +- 0.516 (SE)"


def test_the_writer_puts_a_range_on_one_line_that_reads_back_as_an_estimate():
    body = {"arrivals": {"cases_per_week": Note({"value": 9.6617, "sd": 0.516}, "[S] fitted: 9.662 +- 0.516 (SE)")}}
    lines = emit(body)
    assert lines[1] == "  cases_per_week: {value: 9.6617, sd: 0.516}  # [S] fitted: 9.662 +- 0.516 (SE)"
    plain, found = split_estimates(yaml.safe_load("\n".join(lines)))
    assert plain == {"arrivals": {"cases_per_week": 9.6617}}
    assert [(e.key, e.value, e.sd) for e in found] == [("arrivals.cases_per_week", 9.6617, 0.516)]
    assert scalar({"dist": "fixed", "value": 1}) == '{"dist": "fixed", "value": 1}'  # not a range: JSON as before


def test_inputs_taken_from_the_base_keep_the_bases_ranges_and_fitted_ones_get_their_own():
    from dfu_sched.calibrate.fit import fit_history
    from dfu_sched.scenario.schema import parse_scenario, read_scenario_data
    from tests.calibrate.fit_history_builder import Truth, synthetic_history
    from tests.helpers import ROOT

    data = read_scenario_data(ROOT / "scenarios" / "north_yorkshire_2022.yaml")
    data["tiers"][0]["weight"] = {"value": 8, "low": 6, "high": 12, "shape": "pert"}
    data["examiners"][0]["absence"] = {"value": 0.2, "low": 0.15, "high": 0.25}          # mobile
    data["arrivals"]["cases_per_week"] = {"value": 10.0, "low": 8.0, "high": 12.0}      # fitted instead
    base = parse_scenario(data)
    fit = fit_history(synthetic_history(Truth(weeks=60), seed=5), base)
    est = {e.key: e for e in fit.scenario.estimates}
    assert (est["tiers.VH.weight"].shape, est["tiers.VH.weight"].support) == ("pert", (6.0, 12.0))
    assert est["examiners.mobile.absence"].support == (0.15, 0.25)
    assert est["arrivals.cases_per_week"].shape == "normal"  # the history's own SE, not the base's range
    assert "range from the base scenario" in next(line for line in fit.yaml_text.splitlines() if "weight:" in line)
