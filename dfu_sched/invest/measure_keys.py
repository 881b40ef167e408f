"""The names of the scalar measures one replication reports, known before anything runs.

Why here: ``invest.evaluate.replicate`` makes these measures (the core's ``sim.measures.measure``
plus the investment ones), and every command that lets a user name one up front (``sweep
--measure``/``--target``, ``sensitivity --measure``) must check the name before a long run, the
same way. They follow from the scenario alone (its tiers, thresholds, examiner groups and stages);
``tests/sweep`` checks the list against a real replication's keys.
"""
from __future__ import annotations

from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.measures import PERCENTILES, threshold_label
from dfu_sched.sim.outsourcing import OUTSOURCING_MEASURES

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
