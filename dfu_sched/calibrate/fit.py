"""``fit``: a scenario estimated from a unit's own case history, with what each number rests on.

Why: a staffing bid built on the unit's own history is one a finance committee can trust, and only
if each number says where it came from. :func:`fit_history` estimates what the history can tell
(arrivals and their trend and seasonality, devices per case, tier and device mixes, examination
hours per device type, examiner groups, the expedite share, today's queue device by device) and takes
everything else (tiers' weights and targets, other stages, rosters, the queue rule) from a base
scenario. The result is a normal scenario file in which every number carries ``[S] fitted from ...``
or ``default [E] (base scenario)``, and a :class:`FitResult` the reports draw from.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import yaml
from scipy import stats

from dfu_sched.calendar import monday_of
from dfu_sched.calibrate.arrivals import (
    case_tiers,
    device_mix_by_tier,
    fit_arrivals,
    fit_devices_per_case,
    shares,
)
from dfu_sched.calibrate.fit_result import FitResult
from dfu_sched.calibrate.history import History, HistoryDevice, waiting_at
from dfu_sched.calibrate.scenario_out import fitted_scenario_text
from dfu_sched.calibrate.service import HoursFit, fit_hours, hours_for_type, inference_check, inferred_hours
from dfu_sched.calibrate.staffing import fit_staff
from dfu_sched.errors import InputError
from dfu_sched.paths import shipped
from dfu_sched.scenario.backlog import BacklogDevice, backlog_entries
from dfu_sched.scenario.schema import Scenario, load_scenario, parse_scenario

BASE_SCENARIO = "north_yorkshire_2022.yaml"
MIN_WEEKS = 13  #: a shorter window cannot separate a trend from noise
INCOMPLETE_P = 0.001  #: weeks before the first exam start with fewer submissions than this p are cut


def default_base() -> Scenario:
    """The shipped baseline: what the history cannot tell is taken from it."""
    return load_scenario(shipped(BASE_SCENARIO, "--base"))


def fit_history(history: History, base: Scenario | None = None, *, start: dt.date | None = None,
                end: dt.date | None = None, as_of: dt.date | None = None) -> FitResult:
    """Fit a scenario to ``history`` over [start, end] (default: all of it), queue at ``as_of``.

    ``base`` gives what the history cannot tell (default: the shipped baseline). Raises
    ``InputError`` when the window holds no devices.
    """
    base = base if base is not None else default_base()
    if not history.devices:
        raise InputError("the history has no devices", source=history.source)
    start_note = "--from (given)"
    if start is None:
        start, start_note = complete_from(history)
    end = end or history.last_day
    as_of = as_of or history.last_day
    if end < start:
        raise InputError(f"--to {end} is before --from {start}", source=history.source)
    window = history.between(start, end).devices
    if not window:
        raise InputError(f"no devices submitted from {start} to {end}", source=history.source)
    if (end - start).days < 7 * MIN_WEEKS:
        raise InputError(f"--from {start} to --to {end} is shorter than {MIN_WEEKS} weeks: too short to fit a "
                         "trend (give a longer window)", source=history.source)
    counts: Counter[str] = Counter()
    types, tiers = list(base.device_types), base.tier_names
    known = [d for d in window if d.device_type in types]
    counts["devices of types the base scenario does not have (left out of the mixes and hours)"] = \
        len(window) - len(known)
    tier_of_case = case_tiers(known, tiers)
    counts["cases with no known tier (left out of the tier mix)"] = sum(t is None for t in tier_of_case.values())
    device_mix, by_tier = device_mix_by_tier(known, tier_of_case, tiers, types)
    hours_per_day = _productive_hours_per_day(base)
    inferred = inferred_hours(known, hours_per_day)
    hours = {t: _fit_type(t, [d for d in known if d.device_type == t and d.status == "completed"], inferred)
             for t in types}
    result = FitResult(
        source=history.source, start=start, end=end, as_of=as_of, devices=len(window), base_name=base.name,
        arrivals=fit_arrivals(window, start, end, as_of), devices_per_case=fit_devices_per_case(window),
        tier_mix=shares(Counter(t for t in tier_of_case.values() if t is not None), tiers),
        device_mix=device_mix, device_mix_by_tier=by_tier, hours=hours,
        staff=fit_staff([d for d in history.devices if d.submitted <= end],
                        {t: base.device_types[t].skill for t in types}, start, end),
        expedite=shares(Counter("yes" if d.expedite else "no" for d in window), ["yes", "no"])["yes"],
        backlog_devices=0, inference=inference_check(known, inferred), hours_per_day=hours_per_day,
        read_summary=history.summary, start_note=start_note)
    entries = _backlog(history, as_of, types, tiers, result, counts)
    result.counts = {k: v for k, v in counts.items() if v}
    result.warnings += [f"{t}: {h.note}" for t, h in hours.items() if h.note]
    result.yaml_text = fitted_scenario_text(result, base, entries)
    result.scenario = parse_scenario(yaml.safe_load(result.yaml_text), source="fitted scenario")
    return result


def complete_from(history: History) -> tuple[dt.date, str]:
    """Where the history is complete for arrivals, and why (the default ``--from``).

    An export holds every device submitted after the case system's records begin, but of those
    submitted before only the ones still open then (the backlog it started with). Fitting from the
    first submission would read those early weeks as few arrivals, and the climb to the true rate as
    growth. The first recorded examination start is where the records of work begin; the weeks
    before it are cut when they hold significantly fewer submissions than the 13 weeks after it
    (one-sided Poisson test, p < ``INCOMPLETE_P``). A unit whose records begin with an empty queue
    (no deficit) keeps its first weeks. Without exam dates the first submission is used.
    """
    starts = [d.exam_start for d in history.devices if d.exam_start is not None]
    first = history.first_day
    if not starts or monday_of(min(starts)) <= first:
        return first, "the first submission (no examination recorded before it)"
    day = monday_of(min(starts))
    before = sum(d.submitted < day for d in history.devices)
    after = sum(day <= d.submitted < day + dt.timedelta(weeks=MIN_WEEKS) for d in history.devices)
    expected = after / MIN_WEEKS * (day - first).days / 7
    p = float(stats.poisson.cdf(before, expected)) if expected > 0 else 1.0
    if p >= INCOMPLETE_P:
        return first, (f"the first submission: the {before:,} devices submitted before the first recorded "
                       f"examination start are as many as its rate predicts (Poisson p = {p:.2g})")
    return day, (f"the week of the first recorded examination start: only {before:,} devices were submitted "
                 f"before it where {expected:,.0f} were expected (Poisson p = {p:.2g}), so they are the "
                 "backlog still open then and earlier weeks are incomplete (--from overrides)")


def _productive_hours_per_day(base: Scenario) -> float:
    """Productive hours per working day of an average examiner of the base (roster x productivity x presence)."""
    groups = [g for g in base.examiners if g.count > 0] or list(base.examiners)
    per = [g.hours_per_week / max(len(set(g.days)), 1) * g.productivity * (1 - g.absence) for g in groups]
    weights = [max(g.count, 1) for g in groups]
    return float(np.average(per, weights=weights))


def _fit_type(device_type: str, devices: list[HistoryDevice], inferred: dict[int, float]) -> HoursFit:
    x, source, n_inferred = hours_for_type(devices, inferred)
    return fit_hours(device_type, x, source, n_inferred)


def _backlog(history: History, as_of: dt.date, types: list[str], tiers: list[str], result: FitResult,
             counts: Counter[str]) -> list[dict] | None:
    """Scenario backlog entries for the devices waiting at ``as_of``, with their real ages; ``None``
    when the history records no examination and no status at all (an export of submissions only):
    then every device would look as if it were still waiting, so who is waiting cannot be told and
    the base scenario's backlog is kept, with a warning."""
    if not any(d.exam_start or d.exam_end or d.status != "waiting" for d in history.devices) and \
            history.summary.counts.get("statuses inferred from the dates", 0) >= len(history.devices):
        result.warnings.append("the history records no examination and no status, so the queue at "
                               f"{as_of} cannot be told: the base scenario's backlog is kept")
        result.backlog_from_base = True
        return None
    waiting = waiting_at(history, as_of)
    common = max(result.tier_mix, key=lambda t: result.tier_mix[t].count) if result.tier_mix else tiers[-1]
    out = []
    for d in waiting:
        if d.device_type not in types:
            counts["waiting devices of types the base scenario does not have (left out of the backlog)"] += 1
            continue
        tier = d.tier if d.tier in tiers else None
        if tier is None:
            counts[f"waiting devices with no known tier (given the commonest tier, {common})"] += 1
            tier = common
        out.append(BacklogDevice(d.device_type, tier, float((as_of - d.submitted).days)))
    result.backlog_devices = len(out)
    return backlog_entries(out)
