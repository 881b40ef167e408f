"""The fitted scenario's content: which number came from the history, which from the base.

Why one module: the source comment of every input is decided here, next to the value, so a fitted
file never carries a number whose origin the assumptions appendix cannot show. The base's
investment options are left out (they name the base's examiner groups, which the fit replaces).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from dfu_sched.calibrate.arrivals import Share
from dfu_sched.calibrate.fit_result import FitResult
from dfu_sched.calibrate.ranges import plus_minus, range_node, ranged
from dfu_sched.calibrate.service import HoursFit
from dfu_sched.calibrate.writer import Note, noted, scenario_text
from dfu_sched.scenario.estimates import Estimate
from dfu_sched.scenario.schema import ExaminerGroup, Scenario

DEFAULT = "default [E] (base scenario)"
MIN_EXAMINER_WEEKS = 52   #: fewer saturated examiner-weeks than this: productivity and absence from the base
MIN_BOOKED_SHARE = 0.5    #: productivity from booked hours only when at least this share of exams has them


def fitted_scenario_text(fit: FitResult, base: Scenario, backlog: list[dict] | None) -> str:
    """The scenario file (YAML with a source comment on every number)."""
    dump = base.model_dump(mode="json", by_alias=True, exclude_none=True)
    body: dict[str, Any] = {
        "name": Note(f"{base.name}, fitted to the unit's history", "fitted scenario (dfu-sched fit)"),
        "description": Note(f"Fitted from {fit.devices:,} devices submitted {fit.period}; queue at {fit.as_of}.",
                            "what the history tells; the rest from the base scenario"),
        "calendar": {"start_date": Note(fit.as_of, f"[S] the day of the queue below (--as-of {fit.as_of})"),
                     **noted({k: v for k, v in dump["calendar"].items() if k != "start_date"}, DEFAULT)},
        "run": noted(dump["run"], DEFAULT),
        "tiers": noted(dump["tiers"], DEFAULT),
        "arrivals": _arrivals(fit, dump["arrivals"], int(dump["calendar"]["horizon_weeks"]) + 52),
        "device_types": {t: _device_type(fit.hours.get(t), d, fit.period) for t, d in dump["device_types"].items()},
        "stages": noted(dump["stages"], DEFAULT),
        "examiners": _examiners(fit, base),
        "backlog": _backlog(backlog, fit) if backlog is not None else
        noted(dump.get("backlog", []), "default [E] (base scenario): the history records no examination or "
                                       "status, so who is waiting cannot be told"),
        "policy": {**noted(dump["policy"], DEFAULT), "expedite_share": _fitted_share(fit)},
        "measures": noted(dump["measures"], DEFAULT),
    }
    header = [f"Fitted by dfu-sched fit from {fit.devices:,} devices submitted {fit.period}; queue at {fit.as_of}.",
              "[S] fitted = estimated from the unit's own history (the comment says from what);",
              f"default [E] (base scenario) = not in the history, taken from '{base.name}'.",
              "Units are in the key names: _weeks, _days, _hours (standard examiner hours), shares are 0..1."]
    return scenario_text(header, _with_base_ranges(body, base.estimates))


def _fitted_share(fit: FitResult) -> Note:
    e = fit.expedite
    value = round(e.value, 4)
    return Note(ranged(value, e.se, "share"), f"[S] fitted: {plus_minus(value, e.se, '.4f')} from {e.of:,} "
                                              f"devices, {fit.period}: share flagged expedite (binomial SE)")


def _mix(mix: dict[str, Share], what: str, period: str) -> dict[str, Note]:
    """Shares rounded to 6 decimals that still sum to 1 (the largest takes the rounding).

    Written without ranges: the shares of a mix sum to 1, so one cannot move alone.
    """
    values = {k: round(s.value, 6) for k, s in mix.items()}
    top = max(values, key=lambda k: values[k])
    values[top] = round(1.0 - sum(v for k, v in values.items() if k != top), 6)
    n = next(iter(mix.values())).of
    return {k: Note(values[k], f"[S] fitted: {plus_minus(values[k], mix[k].se, '.4f')} from {n:,} {what}, "
                               f"{period} (binomial SE; no range: the shares sum to 1)") for k in mix}


def _arrivals(fit: FitResult, base: dict, weeks_ahead: int) -> dict[str, Any]:
    a, period = fit.arrivals, fit.period
    glm = f"{a.cases:,} cases in {a.weeks} weeks, {period}"
    rate, growth = round(a.rate_at_as_of, 4), round(min(max(a.annual_growth, -0.99), 1.0), 4)
    # with month periods the periods set the rate and this level is unused: a range on it would move nothing
    rate_note = "; no range: the month periods below set the rate" if a.seasonal else ""
    out: dict[str, Any] = {
        "cases_per_week": Note(rate if a.seasonal else ranged(rate, a.rate_at_as_of_se, "cases_per_week"),
                               f"[S] fitted: {plus_minus(rate, a.rate_at_as_of_se)} from {glm} (Poisson GLM, rate "
                               f"at {fit.as_of}; SE from the Fisher information{rate_note})"),
        "annual_growth": Note(ranged(growth, a.annual_growth_se, "annual_growth"),
                              f"[S] fitted: {plus_minus(growth, a.annual_growth_se)} from {glm} (GLM trend; SE from "
                              "the Fisher information, delta method)"),
    }
    if a.seasonal:
        out["periods"] = _season_periods(fit, weeks_ahead)
    else:
        out["periods"] = Note([], f"[S] no seasonality: month-of-year terms not significant in {glm} "
                                  f"(LR test p = {a.seasonality_p:.3g})")
    c = fit.devices_per_case
    comment = f"[S] fitted from {c.cases:,} cases, {period}: {c.chosen} by AIC (mean {plus_minus(c.mean, c.mean_se)})"
    out["devices_per_case"] = noted(c.dist, comment)
    if "mean" in c.dist:
        mean = c.dist["mean"]
        out["devices_per_case"]["mean"] = Note(ranged(mean, c.mean_se, "devices_per_case"),
                                               f"[S] fitted: {plus_minus(mean, c.mean_se)} from {c.cases:,} cases, "
                                               f"{period} (SE of the mean case size)")
    out["tier_mix"] = _mix(fit.tier_mix, "cases", period) if fit.tier_mix and next(
        iter(fit.tier_mix.values())).of else noted(base["tier_mix"], DEFAULT + "; no tiers in the history")
    out["device_mix"] = _mix(fit.device_mix, "devices", period) if next(
        iter(fit.device_mix.values())).of else noted(base["device_mix"], DEFAULT)
    by_tier = {t: _mix(m, f"devices of {t} cases", period) for t, m in fit.device_mix_by_tier.items()}
    out["device_mix_by_tier"] = by_tier or Note({}, DEFAULT)
    return out


def _season_periods(fit: FitResult, weeks_ahead: int) -> list[dict[str, Note]]:
    """Month-of-year factors as rate periods over the horizon and a year more (growth applies on top)."""
    a = fit.arrivals
    out = []
    day, weeks = fit.as_of, 0.0
    horizon_end = fit.as_of + dt.timedelta(weeks=weeks_ahead)
    note = f"[S] month factor fitted from {a.cases:,} cases, {fit.period} (LR test p = {a.seasonality_p:.3g})"
    while day < horizon_end:
        factor = a.month_factors[day.month - 1]
        out.append({"from_week": Note(round(weeks, 4), note),
                    "cases_per_week": Note(round(a.rate_at_as_of * factor, 4),
                                           f"{note}: x{factor:.3f} in month {day.month}")})
        nxt = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        weeks += (nxt - day).days / 7
        day = nxt
    return out


def _device_type(h: HoursFit | None, base: dict, period: str) -> dict[str, Any]:
    out = noted(base, DEFAULT)
    if h is None or not h.dist:
        why = f"; {h.note}" if h is not None and h.note else ""
        out["service_hours"]["examination"] = noted(base["service_hours"]["examination"], DEFAULT + why)
        return out
    fam = h.families[0]
    comment = (f"[S] fitted from {h.n:,} completed devices ({h.source}), {period}: {h.chosen} (best AIC "
               f"{fam.name} {fam.aic:.0f}; KS p = {h.ks_p:.2g}, optimistic as fitted); mean {h.mean:.2f} h "
               f"[95% bootstrap {h.mean_ci[0]:.2f}, {h.mean_ci[1]:.2f}]")
    exam = noted(h.dist, comment)
    if "mean" in h.dist:  # a Weibull or an empirical law is written as samples: it has no mean to range
        mean = h.dist["mean"]
        exam["mean"] = Note(ranged(mean, h.mean_se, "hours"),
                            f"[S] fitted: {plus_minus(mean, h.mean_se)} h from {h.n:,} completed devices, {period} "
                            f"({h.chosen} maximum likelihood; SE from its information, delta method)")
    out["service_hours"]["examination"] = exam
    return out


def _examiners(fit: FitResult, base: Scenario) -> list[dict]:
    """Groups by the skill sets seen in the latest quarter; roster fields from the base's matching group."""
    dump = [g.model_dump(mode="json", by_alias=True, exclude_none=True) for g in base.examiners]
    s = fit.staff
    if s is None or not s.groups:
        return [noted(g, DEFAULT + "; no examiners in the history") for g in dump]
    out = []
    covered: set[str] = set()
    for skills, n in s.groups.items():
        g = _matching(base.examiners, skills)
        d = noted(g.model_dump(mode="json", by_alias=True, exclude_none=True), DEFAULT)
        d["name"] = Note(g.name if tuple(sorted(g.skills)) == skills else "+".join(skills), "group name")
        d["count"] = Note(n, f"[S] fitted: distinct examiners with these skills in {s.latest_quarter}")
        d["skills"] = Note(list(skills), "[S] skills of the device types they examined")
        hours = s.productive_by_group.get(skills, s.productive_hours_per_week)
        se = s.productive_se_by_group.get(skills, s.productive_se)
        if hours and s.examiner_weeks >= MIN_EXAMINER_WEEKS and s.booked_share >= MIN_BOOKED_SHARE:
            # hours delivered = hours_per_week x productivity x (1 - absence); the history cannot split
            # absence from slower work, so absence stays the base's and productivity carries the rest
            present = g.hours_per_week * (1 - g.absence)
            se_text = f" SE {se:.1f}" if se is not None else ""
            value = round(min(max(hours / present, 0.01), 10), 4)
            sd = None if se is None else se / present
            d["productivity"] = Note(ranged(value, sd, "productivity"),
                                     f"[S] fitted: {plus_minus(value, sd)} = {hours:.1f}{se_text} booked h per "
                                     f"saturated examiner-week (work waiting all week; {s.examiner_weeks:,} weeks) / "
                                     f"(hours_per_week x (1 - absence))")
            d["absence"] = Note(g.absence, DEFAULT + "; the history cannot tell absent days from slower work")
        covered.update(skills)
        out.append(d)
    names = {d["name"].value for d in out}
    for kept in dump:  # skills no recent examiner has: the base's group, so every device type is served
        if not set(kept["skills"]) <= covered and kept["name"] not in names:
            out.append(noted(kept, DEFAULT + "; no examiner with these skills in the latest quarter"))
            covered.update(kept["skills"])
            fit.warnings.append(f"examiners: skills {', '.join(kept['skills'])} not seen lately: base group kept")
    return out


def _matching(groups: list[ExaminerGroup], skills: tuple[str, ...]) -> ExaminerGroup:
    for g in groups:
        if tuple(sorted(g.skills)) == skills:
            return g
    return next((g for g in groups if set(skills) <= set(g.skills)), groups[0])


def _backlog(entries: list[dict], fit: FitResult) -> Any:
    if not entries:
        return Note([], f"[S] no device waiting at {fit.as_of} in the history")
    return [Note(e, f"[S] waiting at {fit.as_of} in the history: {e['count']} device(s), real age") for e in entries]


def _with_base_ranges(body: dict, estimates: tuple[Estimate, ...]) -> dict:
    """The base's ranges put back on the inputs the fit took from the base at the base's value.

    The base's dump holds values only; an input the fit keeps from the base (its comment starts
    with ``default``) is the same estimate, so it keeps the base's range (matched by key: list
    entries by name, as ``Estimate.key`` spells them). Fitted inputs have their own.
    """
    by_key = {e.key: e for e in estimates}

    def walk(node: Any, key: str) -> Any:
        if isinstance(node, Note):
            e = by_key.get(key)
            if e is not None and node.comment.startswith(DEFAULT) and isinstance(node.value, (int, float)) \
                    and not isinstance(node.value, bool) and float(node.value) == e.value:
                return Note(range_node(e), node.comment + "; range from the base scenario")
            return node
        if isinstance(node, dict):
            return {k: walk(v, f"{key}.{k}" if key else str(k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, f"{key}.{_entry_name(v, i)}") for i, v in enumerate(node)]
        return node

    return walk(body, "") if by_key else body


def _entry_name(item: Any, i: int) -> str:
    name = item.get("name") if isinstance(item, dict) else None
    name = name.value if isinstance(name, Note) else name
    return name if isinstance(name, str) and name and "." not in name else str(i)
