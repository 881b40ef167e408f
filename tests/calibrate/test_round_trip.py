"""The round trip of issue 11: a history written from a known scenario, fitted, recovers that scenario.

``scenarios/examples/history_truth.yaml`` is the known truth; ``calibrate.synthetic.history_rows``
writes one replication of it as a case history; ``calibrate.fit.fit_history`` estimates a scenario
from that history. Each recovered number must lie within its sampling error of the truth
(two-sided, stated tolerances), and the fitted scenario, simulated from the same starting queue,
must give a backlog trajectory inside the known scenario's band.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from dfu_sched.calibrate.fit import fit_history
from dfu_sched.calibrate.synthetic import history_from_rows, history_rows
from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim.experiment import run_experiment
from tests.helpers import EXAMPLES

TRUTH = EXAMPLES / "history_truth.yaml"
#: Two-sided tolerance in standard errors: |estimate - truth| < Z * SE (about 1 in 1,000 by chance).
Z = 3.3


@pytest.fixture(scope="module")
def truth_and_fit():
    sc = load_scenario(TRUTH)
    history = history_from_rows(history_rows(sc, seed=sc.run.seed))
    return sc, history, fit_history(history, base=sc)


def _within(est: float, truth: float, se: float, what: str) -> None:
    assert se > 0 and math.isfinite(est), what
    assert abs(est - truth) < Z * se, f"{what}: {est:.4g} against the truth {truth:.4g} (SE {se:.3g})"


def test_arrivals_growth_and_mixes_are_recovered_within_their_sampling_error(truth_and_fit) -> None:
    sc, _, fit = truth_and_fit
    # without --from the window starts where the history is complete (the first exam start), not at
    # the first submission (the opening backlog's devices, submitted up to 120 days before)
    assert fit.start == sc.calendar.start_date, (fit.start, fit.start_note)
    a = fit.arrivals
    # the SE of the level at the window's start (the test first borrowed the as_of level's SE, rescaled)
    _within(a.rate_at_start, sc.arrivals.cases_per_week, a.rate_at_start_se, "cases per week at the start")
    _within(a.annual_growth, sc.arrivals.annual_growth, a.annual_growth_se, "annual growth")
    assert not a.seasonal, f"the truth has no seasonality, yet it was kept (p = {a.seasonality_p:.3g})"
    for tier, share in sc.arrivals.tier_mix.items():
        _within(fit.tier_mix[tier].value, share, fit.tier_mix[tier].se, f"tier share {tier}")
    for dtype, share in sc.arrivals.device_mix.items():
        _within(fit.device_mix[dtype].value, share, fit.device_mix[dtype].se, f"device share {dtype}")
    dpc = fit.devices_per_case
    _within(dpc.mean, sc.arrivals.devices_per_case.mean(), dpc.mean_se, "devices per case")


def test_examiner_capacity_is_recovered_within_its_sampling_error(truth_and_fit) -> None:
    """Hours delivered per examiner-week (the truth: hours_per_week x productivity x (1 - absence)),
    measured in weeks with work waiting all week; the fitted groups simulate the same capacity."""
    sc, _, fit = truth_and_fit
    s = fit.staff
    assert s is not None and s.productive_hours_per_week is not None and s.productive_se is not None
    for g in sc.examiners:
        truth = g.hours_per_week * g.productivity * (1 - g.absence)
        skills = tuple(sorted(g.skills))
        _within(s.productive_by_group[skills], truth, s.productive_se_by_group[skills], f"capacity {g.name}")
    assert fit.scenario is not None
    for g in fit.scenario.examiners:
        delivered = g.hours_per_week * g.productivity * (1 - g.absence)
        assert delivered == pytest.approx(s.productive_by_group[tuple(sorted(g.skills))], rel=1e-3), g.name


def test_mean_examination_hours_per_type_are_inside_their_bootstrap_interval(truth_and_fit) -> None:
    sc, _, fit = truth_and_fit
    for dtype, spec in sc.device_types.items():
        h = fit.hours[dtype]
        true_mean = spec.service_hours["examination"].mean()
        low, high = h.mean_ci
        width = high - low
        # the 95% bootstrap interval widened to about 3.3 SE (1.96 SE each side -> 3.3 SE)
        pad = width / 2 * (Z / 1.96 - 1)
        assert low - pad < true_mean < high + pad, f"{dtype}: mean {h.mean:.3g} [{low:.3g}, {high:.3g}] vs {true_mean}"


def test_the_fitted_scenario_reproduces_the_known_backlog_trajectory(truth_and_fit) -> None:
    """Both scenarios start from the truth's own opening queue; the fitted one's mean backlog, month
    by month, lies inside the truth's 95% band of replications (widened by the fitted run's own
    standard error), in at least 90% of months."""
    sc, _, fit = truth_and_fit
    fitted = fit.scenario
    assert fitted is not None
    horizon = 52
    start = {"calendar": {"horizon_weeks": horizon, "start_date": sc.calendar.start_date.isoformat()}}
    truth_run = run_experiment(sc.with_updates(start), replications=20, seed=5, workers=1)
    fitted_sc = fitted.with_updates({**start, "backlog": [e.model_dump(mode="json") for e in sc.backlog]})
    fitted_run = run_experiment(fitted_sc, replications=20, seed=6, workers=1)
    t = truth_run.weekly["backlog.awaiting_examination"]
    f = fitted_run.weekly["backlog.awaiting_examination"]
    weeks = np.arange(4, horizon + 1, 4)
    lo, hi = np.percentile(t[:, weeks], 2.5, axis=0), np.percentile(t[:, weeks], 97.5, axis=0)
    mean_f = f[:, weeks].mean(axis=0)
    se_f = f[:, weeks].std(axis=0, ddof=1) / np.sqrt(f.shape[0])
    inside = (mean_f >= lo - 2 * se_f) & (mean_f <= hi + 2 * se_f)
    assert inside.mean() >= 0.9, list(zip(weeks.tolist(), lo.round(0), mean_f.round(0), hi.round(0)))


def test_the_fitted_ranges_contain_the_known_truth(truth_and_fit) -> None:
    """history_truth.yaml's rate, growth and mean hours lie within the written value +- 3 sd of the
    fitted scenario (two-sided), and each sd is under 30% of its value (growth: under 5 points)."""
    sc, _, fit = truth_and_fit
    est = {e.key: e for e in fit.scenario.estimates}
    years = (fit.as_of - sc.calendar.start_date).days / 365.25
    truth = {"arrivals.cases_per_week": sc.arrivals.cases_per_week * (1 + sc.arrivals.annual_growth) ** years,
             "arrivals.annual_growth": sc.arrivals.annual_growth,
             **{f"device_types.{t}.service_hours.examination.mean": d.service["examination"].mean()
                for t, d in sc.device_types.items()}}
    for key, value in truth.items():
        e = est[key]
        assert e.sd is not None and abs(e.value - value) < 3 * e.sd, (key, e.value, e.sd, value)
        assert e.sd < (0.05 if key == "arrivals.annual_growth" else 0.3 * abs(e.value)), (key, e.sd)
