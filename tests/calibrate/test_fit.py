"""fit_history on synthetic histories with known truth: it recovers what generated them.

Tolerances are two-sided and stated: an estimate passes when |estimate - truth| < 3 standard errors
(its own SE: Fisher information for the GLM, binomial for shares, bootstrap for mean hours), about a
0.3% chance per check of failing on a correct fit. The histories are seeded, so each test is
deterministic; they hold 3,000-4,000 devices so every test runs in about a second.
"""
from __future__ import annotations

import datetime as dt
import math

import pytest
import yaml

from dfu_sched.calibrate.fit import fit_history
from dfu_sched.calibrate.history import History, HistoryDevice, ReadSummary, waiting_at
from dfu_sched.reports.assumptions import ESTIMATE, SOURCED, parse_assumptions
from dfu_sched.scenario.schema import load_scenario
from tests.calibrate.fit_history_builder import Truth, synthetic_history

TRUTH = Truth()


@pytest.fixture(scope="module")
def fitted():
    history = synthetic_history(TRUTH, seed=7)
    return history, fit_history(history)


def within(est: float, truth: float, se: float, k: float = 3.0) -> bool:
    return abs(est - truth) < k * se


def test_cases_per_week_and_growth_are_recovered(fitted):
    history, fit = fitted
    a = fit.arrivals
    years = (fit.as_of - TRUTH.start).days / 365.25
    truth_rate = TRUTH.cases_per_week * (1 + TRUTH.annual_growth) ** years
    assert within(a.rate_at_as_of, truth_rate, a.rate_at_as_of_se), (a.rate_at_as_of, truth_rate)
    assert within(a.annual_growth, TRUTH.annual_growth, a.annual_growth_se), (a.annual_growth, a.annual_growth_se)
    assert a.cases == len({d.case_id for d in history.devices})
    assert not a.seasonal and a.seasonality_p >= 0.05  # no seasonality in the truth: none kept


def test_devices_per_case_and_mixes_are_recovered(fitted):
    _, fit = fitted
    c = fit.devices_per_case
    assert within(c.mean, TRUTH.devices_mean, c.mean_se)
    for tier, p in TRUTH.tier_mix.items():
        s = fit.tier_mix[tier]
        assert within(s.value, p, s.se), (tier, s)
    for dtype, p in TRUTH.device_mix.items():
        s = fit.device_mix[dtype]
        assert within(s.value, p, s.se), (dtype, s)
        for tier in TRUTH.tier_mix:  # types are drawn independently of tiers
            t = fit.device_mix_by_tier[tier][dtype]
            assert within(t.value, p, t.se), (tier, dtype, t)


def test_mean_hours_per_type_are_recovered_and_the_family_is_right(fitted):
    _, fit = fitted
    for dtype, (family, mean, _sd) in TRUTH.hours.items():
        h = fit.hours[dtype]
        se = (h.mean_ci[1] - h.mean_ci[0]) / (2 * 1.96)
        assert within(h.mean, mean, se), (dtype, h.mean, h.mean_ci)
        assert h.chosen == family, (dtype, [(f.name, f.aic) for f in h.families])
        assert h.source == "booked" and h.ks_p > 0.01


def test_strong_seasonality_is_kept_and_its_months_are_right():
    history = synthetic_history(Truth(season_amplitude=0.4, weeks=156), seed=3)
    fit = fit_history(history)
    a = fit.arrivals
    assert a.seasonal and a.seasonality_p < 1e-6
    # rate x (1 + 0.4 cos(2 pi (m - 1) / 12)): factors with mean 1, January 1.4 down to July 0.6
    for m in range(12):
        truth = 1 + 0.4 * math.cos(2 * math.pi * m / 12)
        assert within(a.month_factors[m], truth, a.month_factor_se[m]), (m + 1, a.month_factors[m], truth)
    assert min(a.month_factors[5:8]) < 0.8 < 1.2 < max(a.month_factors[0], a.month_factors[11])
    periods = yaml.safe_load(fit.yaml_text)["arrivals"]["periods"]
    assert periods[0]["from_week"] == 0 and len(periods) >= 24
    # the month periods set the rate, so the unused level carries no range; growth still does
    keys = {e.key for e in fit.scenario.estimates}
    assert "arrivals.annual_growth" in keys and "arrivals.cases_per_week" not in keys


def test_the_scenario_loads_and_every_number_carries_a_source_comment(fitted, tmp_path):
    _, fit = fitted
    path = tmp_path / "fitted.yaml"
    path.write_text(fit.yaml_text, encoding="utf-8")
    sc = load_scenario(path)
    assert sc.calendar.start_date == fit.as_of
    items = parse_assumptions(fit.yaml_text)
    assert len(items) > 100
    bad = [(a.path, a.status) for a in items if a.status not in (SOURCED, ESTIMATE) or a.inherited_from]
    assert not bad, bad[:5]
    fitted_paths = {a.path for a in items if a.status == SOURCED}
    for key in ("arrivals.cases_per_week", "arrivals.annual_growth", "arrivals.tier_mix.VH",
                "device_types.phone.service_hours.examination.mean", "examiners[mobile].count",
                "policy.expedite_share"):
        assert key in fitted_paths, key
    rate = fit.arrivals.rate_at_as_of
    note = next(a.note for a in items if a.path == "arrivals.cases_per_week")
    assert note.startswith(f"[S] fitted: {rate:.4g} +- ") and "(SE) from" in note, note
    assert next(a for a in items if a.path == "tiers[VH].weight").note == "default [E] (base scenario)"


def test_the_backlog_is_the_waiting_devices_one_by_one(fitted):
    history, fit = fitted
    waiting = waiting_at(history, fit.as_of)
    entries = fit.scenario.backlog
    assert sum(e.count for e in entries) == len(waiting) == fit.backlog_devices > 0
    ages = sorted((fit.as_of - d.submitted).days for d in waiting for _ in [0])
    got = sorted(e.age_days.value for e in entries for _ in range(e.count))
    assert got == ages


def test_examiners_come_from_the_latest_quarter(fitted):
    _, fit = fitted
    groups = {tuple(g.skills): g.count for g in fit.scenario.examiners}
    assert groups == {("computer",): 4, ("mobile",): 3}
    assert fit.staff.booked_share == 1.0 and fit.staff.productive_hours_per_week > 0


def test_no_case_reference_reaches_the_yaml_the_json_or_the_lines(fitted):
    _, fit = fitted
    for text in (fit.yaml_text, str(fit.to_json()), "\n".join(fit.lines())):
        assert "-ref-" not in text


def test_blank_tiers_and_unknown_types_are_counted_not_silently_dropped():
    history = synthetic_history(Truth(weeks=60, blank_tier_share=0.2), seed=5)
    odd = HistoryDevice(row=99_999, device_id="dev-ref-x", case_id="case-ref-x", device_type="drone",
                        submitted=history.devices[-1].submitted, status="waiting", tier="H")
    history = History(history.source, history.devices + [odd], ReadSummary())
    fit = fit_history(history)
    blank = next(n for what, n in fit.counts.items() if what.startswith("cases with no known tier"))
    assert 0 < blank < len({d.case_id for d in history.devices})
    assert any(what.startswith("devices of types the base") and n == 1 for what, n in fit.counts.items())
    assert any(what.startswith("waiting devices of types") for what in fit.counts)
    assert any("no known tier" in line for line in fit.lines())


def test_a_window_and_as_of_are_honoured():
    history = synthetic_history(Truth(weeks=104), seed=9)
    fit = fit_history(history, start=dt.date(2021, 7, 5), end=dt.date(2022, 6, 26), as_of=dt.date(2022, 6, 27))
    assert fit.arrivals.series.mondays[0] == dt.date(2021, 7, 5) and fit.arrivals.weeks == 51
    assert fit.devices == len(history.between(dt.date(2021, 7, 5), dt.date(2022, 6, 26)).devices)
    assert fit.scenario.calendar.start_date == dt.date(2022, 6, 27)
    assert math.isfinite(fit.arrivals.annual_growth)


def test_fitted_numbers_are_written_with_their_standard_errors_and_contain_the_truth(fitted):
    """The written ranges parse back as the scenario's estimates; the truth lies within value +- 3 sd
    (two-sided), and the sd is not absurdly wide (under 30% of the value for the rate and the mean
    hours; for growth, whose value can be near 0, under 5 percentage points a year on 3 years)."""
    _, fit = fitted
    est = {e.key: e for e in fit.scenario.estimates}
    years = (fit.as_of - TRUTH.start).days / 365.25
    truth = {"arrivals.cases_per_week": TRUTH.cases_per_week * (1 + TRUTH.annual_growth) ** years,
             "arrivals.annual_growth": TRUTH.annual_growth, "arrivals.devices_per_case.mean": TRUTH.devices_mean,
             **{f"device_types.{t}.service_hours.examination.mean": law[1] for t, law in TRUTH.hours.items()}}
    for key, value in truth.items():
        e = est[key]
        assert e.shape == "normal" and e.sd is not None and e.sd > 0, key
        assert abs(e.value - value) < 3 * e.sd, (key, e.value, e.sd, value)
        if key != "arrivals.annual_growth":
            assert e.sd < 0.3 * e.value, (key, e.value, e.sd)
    assert est["arrivals.annual_growth"].sd < 0.05
    # the sd written is the fit's own SE (3 significant digits); the value is the one run before
    assert est["arrivals.cases_per_week"].sd == pytest.approx(fit.arrivals.rate_at_as_of_se, rel=5e-3)
    assert fit.scenario.arrivals.cases_per_week == round(fit.arrivals.rate_at_as_of, 4)
    assert est["device_types.phone.service_hours.examination.mean"].sd == pytest.approx(
        fit.hours["phone"].mean_se, rel=5e-3)
    assert {"policy.expedite_share", "examiners.mobile.productivity"} <= set(est)
    # mixes sum to 1 and stay plain
    assert not [k for k in est if "_mix" in k]
    # the fit's JSON lists the ranges it wrote
    assert [r["key"] for r in fit.to_json()["ranges"]] == [e.key for e in fit.scenario.estimates]
