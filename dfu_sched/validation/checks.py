"""Validation of the simulator: simulated means against closed forms, with two-sided t-checks.

A check passes when the theory value lies inside the simulation's 95% interval *and* the
interval is narrow enough to mean something (relative half-width under ``max_rel_halfwidth``):
a wide interval would pass anything. The theory side reads its parameters from the very
scenario file that is simulated, so the two cannot drift apart.

This module returns data (:class:`Check` records) and prints nothing: the ``validate`` command
(``dfu_sched.cli.validate``) formats them, so the engine never imports a report.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dfu_sched.calendar import HOURS_PER_WEEK
from dfu_sched.paths import shipped
from dfu_sched.scenario.schema import Scenario, load_scenario
from dfu_sched.sim.experiment import run_experiment
from dfu_sched.stats import Interval, t_interval
from dfu_sched.validation import theory


def theory_dir() -> Path:
    return shipped("theory", "--theory-dir")


def baseline_path() -> Path:
    return shipped("north_yorkshire_2022.yaml")


@dataclass(frozen=True)
class Check:
    case: str
    measure: str
    theory: float
    simulated: Interval
    max_rel_halfwidth: float
    #: If set, an approximate law: the whole interval must lie within theory x (1 +/- band).
    band: float | None = None

    @property
    def rel_halfwidth(self) -> float:
        return (self.simulated.high - self.simulated.low) / 2.0 / abs(self.theory)

    @property
    def covered(self) -> bool:
        return self.simulated.contains(self.theory)

    @property
    def precise(self) -> bool:
        return self.rel_halfwidth <= self.max_rel_halfwidth

    @property
    def passed(self) -> bool:
        if self.band is not None:
            return (self.simulated.low >= self.theory * (1 - self.band)
                    and self.simulated.high <= self.theory * (1 + self.band))
        return self.covered and self.precise


# ---- reading a theory scenario ---------------------------------------------------------------

def _class_params(sc: Scenario) -> tuple[list[float], list[float], list[float]]:
    """Per tier: arrival rate (per hour), mean and second moment of examination hours."""
    lam = sc.arrivals.cases_per_week / HOURS_PER_WEEK * sc.arrivals.devices_per_case.mean()
    rates, means, m2s = [], [], []
    for t in sc.tiers:
        share = sc.arrivals.tier_mix.get(t.name, 0.0)
        mix = sc.arrivals.device_mix_by_tier.get(t.name, sc.arrivals.device_mix)
        mean = sum(p * sc.device_types[d].service_hours["examination"].mean() for d, p in mix.items())
        m2 = sum(p * sc.device_types[d].service_hours["examination"].second_moment() for d, p in mix.items())
        rates.append(lam * share)
        means.append(mean)
        m2s.append(m2)
    return rates, means, m2s


def _servers(sc: Scenario) -> int:
    return sum(g.count for g in sc.examiners)


def fcfs_expectation(sc: Scenario) -> dict[str, float]:
    """Mean wait in queue (days): Erlang C for exponential service, P-K for M/G/1."""
    rates, means, m2s = _class_params(sc)
    lam, es = sum(rates), sum(r * m for r, m in zip(rates, means)) / sum(rates)
    m2 = sum(r * m for r, m in zip(rates, m2s)) / sum(rates)
    c = _servers(sc)
    exponential = all(d.service_hours["examination"].dist == "exponential" for d in sc.device_types.values())
    if exponential:
        wq = theory.mmc_wq(lam, 1.0 / es, c)
    elif c == 1:
        wq = theory.mg1_wq(lam, es, m2)
    else:
        raise ValueError("no closed form for M/G/c")
    return {"overall.wait_to_start_days.mean": wq / 24.0}


def priority_expectation(sc: Scenario) -> dict[str, float]:
    """Per-tier mean wait (days) under strict priority: Cobham, or the preemptive-resume form."""
    rates, means, m2s = _class_params(sc)
    c = _servers(sc)
    if sc.policy.preemptive:
        if c != 1:
            raise ValueError("preemptive closed form is for one server")
        w = theory.preemptive_resume_mg1_wait_to_start(rates, means, m2s)
    elif c == 1:
        w = theory.cobham_mg1(rates, means, m2s)
    else:
        w = theory.cobham_mmc(rates, 1.0 / means[0], c)
    return {f"{t.name}.wait_to_start_days.mean": wk / 24.0 for t, wk in zip(sc.tiers, w)}


#: Theory cases: file, closed form, and the precision an interval must reach.
CASES: list[tuple[str, Callable[[Scenario], dict[str, float]], float]] = [
    ("mm1_rho50.yaml", fcfs_expectation, 0.06),
    ("mm1_rho80.yaml", fcfs_expectation, 0.10),
    ("mmc_rho60.yaml", fcfs_expectation, 0.08),
    ("mmc_rho85.yaml", fcfs_expectation, 0.10),
    ("mg1_lognormal.yaml", fcfs_expectation, 0.10),
    ("priority_mg1_3class.yaml", priority_expectation, 0.10),
    ("priority_mmc_2class.yaml", priority_expectation, 0.10),
    ("preemptive_mg1_3class.yaml", priority_expectation, 0.10),
]


def check_case(filename: str, expectation: Callable[[Scenario], dict[str, float]], max_rel: float,
               replications: int | None = None, seed: int | None = None, workers: int | None = None,
               directory: Path | None = None) -> list[Check]:
    sc = load_scenario((directory or theory_dir()) / filename)
    result = run_experiment(sc, replications, seed, workers)
    return [Check(sc.name, key, value, result.interval(key), max_rel) for key, value in expectation(sc).items()]


def little_ratio(result):
    """Per replication L / (lambda W): time-average devices awaiting examination over the
    window, against examination starts per day times the mean wait to start (days)."""
    sc = result.scenario
    weeks = sc.calendar.horizon_weeks - sc.calendar.warmup_weeks
    lam = result.scalars["overall.started"] / (weeks * 7.0)
    return result.scalars["little.queue_time_avg"] / (lam * result.scalars["overall.wait_to_start_days.mean"])


def little_check(filename: str | Path, replications: int | None = None, seed: int | None = None,
                 workers: int | None = None, band: float | None = None, max_rel: float = 0.05,
                 directory: Path | None = None) -> Check:
    """Little's law, L = lambda W, for the examination queue.

    On a stationary theory case the interval of L / (lambda W) must cover 1. On the baseline,
    whose backlog drifts slowly over a finite window, the law holds approximately (docs/domain.md:
    backlog ~ throughput x wait), so the whole interval must lie within 1 +/- ``band``.
    """
    path = Path(filename)
    sc = load_scenario(path if path.is_absolute() or path.exists() else (directory or theory_dir()) / path)
    result = run_experiment(sc, replications, seed, workers)
    return Check(f"Little's law: {sc.name}", "L / (lambda W)", 1.0, t_interval(little_ratio(result)),
                 max_rel, band)


def run_validation(replications: int | None = None, seed: int | None = None, workers: int | None = None,
                   include_little: bool = True, progress: Callable[[str], None] | None = None,
                   directory: Path | None = None) -> list[Check]:
    directory = directory or theory_dir()
    checks: list[Check] = []
    for filename, fn, tol in CASES:
        if progress:
            progress(filename)
        checks += check_case(filename, fn, tol, replications, seed, workers, directory)
    if include_little:
        if progress:
            progress("little")
        checks.append(little_check("mm1_rho50.yaml", replications, seed, workers, directory=directory))
        checks.append(little_check(baseline_path(), min(replications or 10, 10), seed, workers, band=0.10))
    return checks
