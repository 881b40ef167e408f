"""What ``fit`` estimated: one dataclass the scenario writer, the terminal, JSON and HTML read.

Why separate: the writer, the command and the report page all read a fit; keeping the result apart
from the fitting keeps the imports one-way. No case reference is kept here (only counts, dates and
estimates), so every view of a fit is safe to share; ``--pseudonymise`` only hides the file name.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dfu_sched.calibrate.arrivals import ArrivalFit, CountFit, Share
from dfu_sched.calibrate.history import ReadSummary
from dfu_sched.calibrate.service import HoursFit
from dfu_sched.calibrate.staffing import StaffFit
from dfu_sched.scenario.schema import Scenario


@dataclass
class FitResult:
    """Everything ``fit`` estimated, the scenario it wrote and the counts of what it left out."""

    source: str
    start: dt.date
    end: dt.date
    as_of: dt.date
    devices: int
    base_name: str
    arrivals: ArrivalFit
    devices_per_case: CountFit
    tier_mix: dict[str, Share]
    device_mix: dict[str, Share]
    device_mix_by_tier: dict[str, dict[str, Share]]
    hours: dict[str, HoursFit]
    staff: StaffFit | None
    expedite: Share
    backlog_devices: int
    inference: dict | None
    hours_per_day: float
    read_summary: ReadSummary
    start_note: str = ""                                   #: why the window starts where it does
    backlog_from_base: bool = False                        #: the history cannot tell who is waiting
    counts: dict[str, int] = field(default_factory=dict)   #: what the fit left out, and why
    warnings: list[str] = field(default_factory=list)
    yaml_text: str = ""
    scenario: Scenario | None = None

    @property
    def period(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    def to_json(self, source: str | None = None) -> dict:
        """The fit as plain data (``kind: fit``) for ``--json`` and the HTML page; ``source`` replaces the
        file name (pass the privacy placeholder when pseudonymising)."""
        return fit_document(self, self.source if source is None else source)

    def lines(self) -> list[str]:
        """The terminal summary: estimates with SEs/intervals, chosen laws, what reading repaired."""
        return fit_lines(self)


def _share(s: Share) -> dict:
    return {"share": s.value, "se": s.se, "count": s.count, "of": s.of}


def _hours_doc(h: HoursFit) -> dict:
    return {
        "devices": h.n, "source": h.source, "inferred": h.n_inferred, "chosen": h.chosen or "base",
        "mean": None if h.mean != h.mean else h.mean, "sd": None if h.sd != h.sd else h.sd,
        "mean_ci": None if h.mean_ci[0] != h.mean_ci[0] else list(h.mean_ci),
        "mean_se": None if h.mean_se != h.mean_se else h.mean_se,
        "ks_statistic": None if h.ks_stat != h.ks_stat else h.ks_stat,
        "ks_p": None if h.ks_p != h.ks_p else h.ks_p, "note": h.note, "dist": h.dist,
        "families": [{"name": f.name, "aic": f.aic, "loglik": f.loglik, "params": list(f.params), "mean": f.mean,
                      "sd": f.sd} for f in h.families],
        "hours": [round(float(v), 3) for v in h.hours],
    }


def fit_document(fit: FitResult, source: str) -> dict:
    """Plain-data view of a fit (every number the report draws, no case reference)."""
    a, c, s = fit.arrivals, fit.devices_per_case, fit.staff
    return {
        "kind": "fit", "source": source, "from": fit.start.isoformat(), "to": fit.end.isoformat(),
        "as_of": fit.as_of.isoformat(), "from_reason": fit.start_note, "devices": fit.devices, "base": fit.base_name,
        "read_summary": fit.read_summary.lines(), "left_out": dict(fit.counts), "warnings": list(fit.warnings),
        "arrivals": {
            "weeks": a.weeks, "cases": a.cases, "cases_per_week_at_as_of": a.rate_at_as_of,
            "cases_per_week_se": a.rate_at_as_of_se, "annual_growth": a.annual_growth,
            "annual_growth_se": a.annual_growth_se, "seasonality_p": a.seasonality_p, "seasonal": a.seasonal,
            "month_factors": a.month_factors, "month_factor_se": a.month_factor_se,
            "weekly": {"mondays": [m.isoformat() for m in a.series.mondays],
                       "cases": [int(v) for v in a.series.cases], "exposure": [float(v) for v in a.series.exposure],
                       "fitted": [float(v) for v in a.fitted]},
        },
        "devices_per_case": {"chosen": c.chosen, "mean": c.mean, "se": c.mean_se, "cases": c.cases, "aic": c.aic,
                             "dist": c.dist},
        "tier_mix": {k: _share(v) for k, v in fit.tier_mix.items()},
        "device_mix": {k: _share(v) for k, v in fit.device_mix.items()},
        "device_mix_by_tier": {t: {k: _share(v) for k, v in m.items()} for t, m in fit.device_mix_by_tier.items()},
        "expedite_share": _share(fit.expedite),
        "hours": {t: _hours_doc(h) for t, h in fit.hours.items()},
        "hours_inference": {"hours_per_working_day": fit.hours_per_day, "check_against_booked": fit.inference},
        "examiners": None if s is None else {
            "headcount_by_quarter": s.headcount, "latest_quarter": s.latest_quarter,
            "groups": [{"skills": list(k), "count": v} for k, v in s.groups.items()], "examiners": s.examiners,
            "examiner_weeks": s.examiner_weeks, "booked_hours": s.booked_hours,
            "productive_hours_per_week": s.productive_hours_per_week, "productive_se": s.productive_se,
            "weeks_in_post": s.weeks_in_post, "absence_share": s.absence_share,
            "booked_share": s.booked_share,
            "productive_hours_per_week_by_group": [{"skills": list(k), "hours": v}
                                                   for k, v in s.productive_by_group.items()]},
        "backlog_devices": fit.backlog_devices,
        "ranges": [{"key": e.key, "value": e.value, "shape": e.shape, "sd": e.sd, "low": e.low, "high": e.high}
                   for e in (fit.scenario.estimates if fit.scenario is not None else ())],
    }


def fit_lines(fit: FitResult) -> list[str]:
    """Terminal lines of a fit."""
    a, c = fit.arrivals, fit.devices_per_case
    out = [f"Fit from {fit.devices:,} devices submitted {fit.period}; queue at {fit.as_of} (base: {fit.base_name})"]
    out += [f"  window starts at {fit.start}: {fit.start_note}"] if fit.start_note else []
    out += ["", "Reading the history:"] + [f"  {x}" for x in fit.read_summary.lines()]
    out += [f"  {n:,} {what}" for what, n in fit.counts.items()]
    out += ["", "Arrivals (Poisson GLM, SE from the Fisher information)",
            f"  cases per week at {fit.as_of}   {a.rate_at_as_of:8.2f}  SE {a.rate_at_as_of_se:.2f}"
            f"   ({a.cases:,} cases in {a.weeks} weeks)",
            f"  annual growth                 {a.annual_growth:8.1%}  SE {a.annual_growth_se:.1%}",
            f"  seasonality (LR test, 11 df)  p = {a.seasonality_p:.3g}: "
            + ("kept (p < 0.05)" if a.seasonal else "not kept (p >= 0.05)"),
            f"  devices per case              {c.mean:8.2f}  SE {c.mean_se:.3f}   law: {c.chosen} (lowest AIC)"]
    for title, mix in (("tier mix (cases)", fit.tier_mix), ("device mix (devices)", fit.device_mix)):
        if not any(v.of for v in mix.values()):  # nothing to estimate from: the scenario keeps the base's
            out.append(f"  {title:<29} none in the history: the base scenario's mix is kept")
            continue
        out.append(f"  {title:<29} " + "  ".join(f"{k} {v.value:.1%} ±{v.se:.1%}" for k, v in mix.items()))
    out += ["", "Examination hours per device type (maximum likelihood; AIC; KS p is optimistic as fitted)"]
    for t, h in fit.hours.items():
        if not h.chosen:
            out.append(f"  {t:<10} base scenario kept: {h.note}")
            continue
        aics = ", ".join(f"{f.name} {f.aic:,.0f}" for f in h.families)
        out.append(f"  {t:<10} {h.chosen:<11} mean {h.mean:6.2f} h SE {h.mean_se:.2f} [95% bootstrap "
                   f"{h.mean_ci[0]:.2f}, {h.mean_ci[1]:.2f}]  n {h.n:,} ({h.source})  KS p {h.ks_p:.2g}  AIC: {aics}")
    if fit.inference:
        i = fit.inference
        out.append(f"  hours inferred from dates: inferred/booked median {i['median_ratio']:.2f} "
                   f"(10-90%: {i['p10_ratio']:.2f}-{i['p90_ratio']:.2f}, {i['devices']:,} devices with both)")
    s = fit.staff
    out += ["", "Examiners"]
    if s is None:
        out.append("  none recorded: the base scenario's groups kept")
    else:
        groups = ", ".join(f"{n} {'+'.join(k)}" for k, n in s.groups.items())
        out.append(f"  latest quarter {s.latest_quarter}: {groups} ({s.examiners} examiners in the whole history)")
        if s.productive_hours_per_week is not None:
            se = f" SE {s.productive_se:.1f}" if s.productive_se is not None else ""
            out.append(f"  booked hours per saturated examiner-week {s.productive_hours_per_week:.1f}{se} "
                       f"({s.examiner_weeks:,} of {s.weeks_in_post:,} examiner-weeks had work waiting all week; "
                       "SE from 4-week blocks)")
            out += [f"    {'+'.join(k)}: {v:.1f}" for k, v in s.productive_by_group.items()]
        if s.absence_share is not None:
            out.append(f"  weeks in post with no device open {s.absence_share:.1%} "
                       "(reported only: absence is the base's)")
    out += ["", f"Queue at {fit.as_of}: the base scenario's backlog (the history cannot tell who is waiting)"
            if fit.backlog_from_base else
            f"Queue at {fit.as_of}: {fit.backlog_devices:,} devices waiting (real ages, tiers, types)",
            f"Expedite share {fit.expedite.value:.1%} ±{fit.expedite.se:.1%}"]
    out += [f"warning: {w}" for w in fit.warnings]
    return out
