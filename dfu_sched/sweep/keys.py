"""The measures a sweep can show or target, named before anything runs.

Why: ``--measure`` and ``--target`` name a measure of a replication, and a misspelt name found
after forty points have run wastes the run. The names a replication of a point produces
(``sim.measures.measure`` plus ``invest.evaluate.replicate``'s investment measures) follow from
the scenario alone (its tiers, thresholds, examiner groups and stages), so they are listed here
and ``tests/sweep`` checks the list against a real replication's keys.
"""
from __future__ import annotations

from dfu_sched.errors import InputError
from dfu_sched.invest.targets import Target
from dfu_sched.scenario.input_errors import suggest
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.measures import PERCENTILES, threshold_label
from dfu_sched.sim.outsourcing import OUTSOURCING_MEASURES

#: What ``dfu-sched sweep`` shows without ``--measure``: the simulate headline's backlog at 12 months
#: and the first tier's median wait to start (``{tier}`` is the scenario's first tier).
DEFAULT_MEASURES = ("invest.backlog_at_12m", "{tier}.wait_to_start_days.p50")

_STATS = ("mean", *PERCENTILES)
_PER_SCOPE = ("within_target_share", "within_target_pct", "exposure", "started", "completed", "waiting_at_end",
              "past_target_at_end")
_TIMES = ("wait_to_start_days", "time_to_complete_days", "age_at_end_days")
_INVEST = ("invest.backlog_at_12m", "invest.wait_at_12m_days", "invest.wait_at_end_days", *OUTSOURCING_MEASURES)


def measure_names(sc: Scenario) -> list[str]:
    """Every scalar measure a replication of ``sc`` (with no mix) reports, in a stable order."""
    names: list[str] = []
    for scope in [*sc.tier_names, "overall"]:
        names += [f"{scope}.{t}.{s}" for t in _TIMES for s in _STATS]
        names += [f"{scope}.{m}" for m in _PER_SCOPE if not (scope == "overall" and m == "within_target_pct")]
    names += ["throughput.examined_per_week", "throughput.submitted_per_week", "throughput.screened_out_per_week",
              "little.queue_time_avg"]
    names += [f"utilisation.{g}" for g in dict.fromkeys(g.name for g in sc.examiners if g.count > 0)]
    names += [f"utilisation.{s} stations" for s in sc.enabled_stages if s != "examination"]
    names.append("utilisation.all examiners")
    names += [f"first_week_below.{t:g}" for t in sc.measures.wait_thresholds_days]
    names += [f"first_week_backlog_below.{threshold_label(t)}" for t in sc.measures.backlog_thresholds_devices]
    return names + list(_INVEST)


def default_measures(sc: Scenario) -> list[str]:
    return [m.format(tier=sc.tier_names[0]) for m in DEFAULT_MEASURES]


def check_measures(sc: Scenario, keys: list[str], option: str = "--measure") -> list[str]:
    """The keys, each known for ``sc`` (else a one-line InputError with a suggestion), duplicates dropped."""
    known = measure_names(sc)
    for k in keys:
        if k not in known:
            raise InputError(f"{option}: unknown measure '{k[:80]}'{suggest(k, known)} "
                             "(see the README section Sweeps for the names)")
    return list(dict.fromkeys(keys))


def target_measure(sc: Scenario, tgt: Target) -> str:
    """The measure a target is judged on: a window measure for waits (as ``invest --target``), else its key."""
    if not tgt.window:
        check_measures(sc, [tgt.key], "--target")
    return tgt.result_key
