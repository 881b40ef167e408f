"""The result of a replicated experiment: per-replication measures and their JSON summary.

Why a module of its own: reports, run folders and notebooks read this shape (``ExperimentResult``)
but must not depend on the engine that produced it (``sim.experiment``: processes, the model);
here is only data and the arithmetic of intervals over it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dfu_sched import __version__
from dfu_sched.scenario.schema import Scenario
from dfu_sched.stats import Interval, measure_interval, measure_range, t_interval_columns


@dataclass
class ExperimentResult:
    """Per-replication measures of one scenario, with what is needed to reproduce them."""

    scenario: Scenario
    seed: int
    replications: int
    scalars: dict[str, np.ndarray]          # measure -> value per replication
    weekly: dict[str, np.ndarray]           # series -> [replications, weeks + 1]
    records: dict[str, np.ndarray] | None   # per-device table of replication 0 (optional)
    seconds: float = 0.0
    events: int = 0
    workers: int = 1
    source: str | None = None
    extra: dict = field(default_factory=dict)

    def interval(self, key: str) -> Interval:
        """The replications' mean of a measure with its 95% interval, inside the measure's range."""
        return measure_interval(self.scalars[key], key)

    def summary(self) -> dict:
        """The JSON summary (keys documented in the README and pinned by a test)."""
        sc = self.scenario
        out: dict = {
            "kind": "simulation",
            "scenario": sc.name,
            "scenario_file": self.source,
            "version": __version__,
            "replications": self.replications,
            "seed": self.seed,
            "policy": sc.policy.discipline,
            "preemptive": sc.policy.preemptive,
            "horizon_weeks": sc.calendar.horizon_weeks,
            "warmup_weeks": sc.calendar.warmup_weeks,
            "start_date": sc.calendar.start_date.isoformat(),
            "tiers": {},
        }
        if "inputs" in self.extra:  # e.g. the queue file the backlog came from (simulate --queue)
            out["inputs"] = self.extra["inputs"]
        for scope in sc.tier_names + ["overall"]:
            block: dict = {}
            for measure_name in ("wait_to_start_days", "time_to_complete_days", "age_at_end_days"):
                block[measure_name] = {
                    stat: self.interval(f"{scope}.{measure_name}.{stat}").as_dict()
                    for stat in ("mean", "p50", "p90", "p95")
                }
            for m in ("within_target_share", "exposure", "started", "completed", "waiting_at_end",
                      "past_target_at_end"):
                block[m] = self.interval(f"{scope}.{m}").as_dict()
            if scope == "overall":
                out["overall"] = block
            else:
                tier = sc.tier(scope)
                block["target_days"] = tier.target_days
                block["weight"] = tier.weight
                out["tiers"][scope] = block
        out["utilisation"] = {k.split(".", 1)[1]: self.interval(k).as_dict()
                              for k in self.scalars if k.startswith("utilisation.")}
        out["throughput_per_week"] = {k.split(".", 1)[1].removesuffix("_per_week"): self.interval(k).as_dict()
                                      for k in self.scalars if k.startswith("throughput.")}
        out["first_week_below"] = self._first_weeks("first_week_below")
        out["first_week_backlog_below"] = self._first_weeks("first_week_backlog_below")
        out["backlog_weekly"] = self.weekly_summary()
        out["run"] = {"seconds": round(self.seconds, 3), "events": self.events, "workers": self.workers}
        if "precision" in self.extra:  # -n auto: how many were needed and what they achieved (sim.precision)
            out["run"]["precision"] = self.extra["precision"]
        if "input_uncertainty" in self.extra:  # simulate --input-uncertainty (uncertainty.second_order)
            out["input_uncertainty"] = self.extra["input_uncertainty"]
        return out

    def _first_weeks(self, measure_name: str) -> dict:
        """``{threshold: {estimate, ci95, n, reached_share}}``: the interval is over the
        replications that got there (NaN-aware), and ``reached_share`` says how many did."""
        out = {}
        for k, v in self.scalars.items():
            if k.startswith(measure_name + "."):
                reached = float(np.mean(np.isfinite(v)))
                out[k.split(".", 1)[1]] = {**self.interval(k).as_dict(), "reached_share": reached}
        return out

    def weekly_summary(self) -> dict:
        """Weekly series: mean and 95% band per week, for charts and spreadsheets."""
        out: dict = {"week": self.weekly["week"][0].astype(int).tolist()}
        for key, m in self.weekly.items():
            if key == "week":
                continue
            mean, lo, hi = t_interval_columns(m, bounds=measure_range(key))
            out[key] = {"mean": _clean(mean), "ci95_low": _clean(lo), "ci95_high": _clean(hi)}
        return out


def _clean(a: np.ndarray) -> list:
    return [None if not np.isfinite(x) else round(float(x), 4) for x in a]
