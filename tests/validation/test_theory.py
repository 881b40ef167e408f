"""The simulator against queueing theory, with two-sided 95% interval checks.

Each case simulates a scenario file in scenarios/theory/ and asks the closed form (computed
from the same file) to lie inside the replication interval, which must also be narrow.
"""
from __future__ import annotations

import math

import pytest

from dfu_sched.validation import theory
from dfu_sched.validation.checks import CASES, baseline_path, check_case, little_check

# ---- the closed forms themselves, on values from textbooks ----

def test_erlang_c_known_values():
    assert theory.erlang_c(1, 0.5) == pytest.approx(0.5)          # M/M/1: P(wait) = rho
    assert theory.erlang_c(2, 1.0) == pytest.approx(1 / 3)        # c=2, a=1
    assert theory.erlang_c(3, 2.4) == pytest.approx(0.6472, abs=1e-4)


def test_mmc_reduces_to_mm1():
    lam, mu = 0.8, 1.0
    assert theory.mmc_wq(lam, mu, 1) == pytest.approx(lam / (mu * (mu - lam)))


def test_pk_with_exponential_service_is_mm1():
    lam, es = 0.7, 1.0
    assert theory.mg1_wq(lam, es, 2 * es**2) == pytest.approx(theory.mmc_wq(lam, 1 / es, 1))


def test_cobham_one_class_is_pk_and_conserves_work():
    lam, es, m2 = [0.3, 0.4], [1.0, 1.0], [2.0, 2.0]
    assert theory.cobham_mg1([0.7], [1.0], [2.0])[0] == pytest.approx(theory.mg1_wq(0.7, 1.0, 2.0))
    w = theory.cobham_mg1(lam, es, m2)
    # Kleinrock's conservation law: the load-weighted mean wait equals FCFS's for equal service.
    fcfs = theory.mg1_wq(0.7, 1.0, 2.0)
    assert (0.3 * w[0] + 0.4 * w[1]) / 0.7 == pytest.approx(fcfs)


def test_cobham_mmc_one_class_is_erlang_c():
    assert theory.cobham_mmc([2.5], 1.0, 3)[0] == pytest.approx(theory.mmc_wq(2.5, 1.0, 3))


def test_preemptive_top_class_ignores_lower_classes():
    w = theory.preemptive_resume_mg1_wait_to_start([0.2, 0.5], [1.0, 1.0], [2.0, 2.0])
    assert w[0] == pytest.approx(theory.mg1_wq(0.2, 1.0, 2.0))


def test_unstable_load_is_infinite():
    assert math.isinf(theory.mmc_wq(3.0, 1.0, 3))
    assert math.isinf(theory.mg1_wq(1.0, 1.0, 2.0))


# ---- the simulator against them ----

@pytest.mark.parametrize("filename, expectation, max_rel", CASES, ids=[c[0].removesuffix(".yaml") for c in CASES])
def test_simulation_matches_theory(filename, expectation, max_rel):
    checks = check_case(filename, expectation, max_rel, workers=1)
    for c in checks:
        iv = c.simulated
        assert c.covered, f"{c.case} {c.measure}: theory {c.theory:.5g} outside [{iv.low:.5g}, {iv.high:.5g}]"
        assert c.precise, f"{c.case} {c.measure}: interval too wide to test ({c.rel_halfwidth:.1%})"


def test_littles_law_on_a_stationary_queue():
    c = little_check("mm1_rho50.yaml", workers=1)
    assert c.passed, c


def test_littles_law_on_the_baseline():
    c = little_check(baseline_path(), replications=8, workers=1, band=0.10)
    assert c.passed, c


def test_a_biased_simulator_would_fail():
    """The check has teeth: the same interval against a theory value 15% off fails."""
    filename, expectation, max_rel = CASES[0]
    c = check_case(filename, expectation, max_rel, replications=10, workers=1)[0]
    assert c.covered
    assert not c.simulated.contains(c.theory * 1.15)
    assert not c.simulated.contains(c.theory * 0.85)
