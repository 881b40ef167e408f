"""Back-test: start the model from the history's real state on one day and check it against what
the history says happened next, month by month.

Why: a staffing bid built on a fitted scenario is only as credible as the model's record on the
unit's own past. The back-test puts the devices that were really waiting (and under examination)
on ``start`` into the scenario's ``backlog:`` with their real ages, tiers and types, moves the
scenario's calendar to ``start`` (its arrival level carried forward by its own growth), simulates
to ``end`` and sets each month's actual backlog, median wait to start and devices examined
(``calibrate.actuals``) against the simulated mean and 95% band.

The band is a *prediction* band: the 2.5th to 97.5th percentile of the replications' values for
the month (not the confidence interval of their mean, which shrinks with more replications and
could never cover one real month). Coverage is the share of months whose actual lies inside it;
mean absolute percentage error compares the simulated mean with the actual and leaves out months
whose actual is 0 (a percentage of 0 is undefined), which the result says.

Every device of the start queue waits at the examination stage (a history does not say reliably
which earlier stages were done). Devices under examination on ``start`` go back into that queue
with their age and a fresh draw of hours (the model cannot resume a half-done examination);
devices with a blank tier are given the scenario's least urgent tier, and devices of a type the
scenario does not know are left out -- each counted in :class:`StartState` -- and left out of
the actual series too (counted in the notes), so both sides count the same kinds of device.
"""
from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np

from dfu_sched.calendar import HOURS_PER_DAY
from dfu_sched.calibrate.actuals import SERIES, Window, actual_series, in_progress_at, month_windows
from dfu_sched.calibrate.history import History, waiting_at
from dfu_sched.errors import InputError
from dfu_sched.scenario.backlog import BacklogDevice, backlog_entries
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import Executor, check_size, replication_seed, run_replications
from dfu_sched.sim.measures import wait_end
from dfu_sched.sim.model import simulate_once
from dfu_sched.sim.records import EXAM

#: Percentiles of the replications that bound the 95% prediction band.
BAND = (2.5, 97.5)


@dataclass
class StartState:
    """The history's queue on the back-test's first day, as it went into the scenario."""

    waiting: int = 0
    in_progress: int = 0
    blank_tiers: int = 0
    unknown_types: int = 0
    blank_tier_as: str = ""

    def lines(self) -> list[str]:
        out = [f"{self.waiting:,} devices waiting and {self.in_progress:,} under examination on the first day "
               "(those under examination start again from the queue)"]
        if self.blank_tiers:
            out.append(f"{self.blank_tiers:,} with a blank tier, taken as {self.blank_tier_as}")
        if self.unknown_types:
            out.append(f"{self.unknown_types:,} of a device type the scenario does not know, left out")
        return out


@dataclass
class SeriesResult:
    """One series: actual and simulated per month, and how well they agree."""

    key: str
    label: str
    actual: list[float | None]
    mean: list[float | None]
    low: list[float | None]
    high: list[float | None]
    coverage: float | None          # share of compared months with the actual inside the band
    mape: float | None              # mean absolute percentage error, months with actual > 0
    months_compared: int
    months_actual_zero: int         # compared months left out of the MAPE (actual 0)


@dataclass
class BacktestResult:
    """Everything ``dfu-sched backtest`` prints, writes as JSON and draws."""

    scenario: str
    history: str
    start: dt.date
    end: dt.date
    replications: int
    seed: int
    months: list[str]
    series: dict[str, SeriesResult]
    state: StartState
    horizon_weeks: int
    cases_per_week_at_start: float
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The JSON document (``"kind": "backtest"``)."""
        return {
            "kind": "backtest", "scenario": self.scenario, "history": self.history,
            "start": self.start.isoformat(), "end": self.end.isoformat(), "replications": self.replications,
            "seed": self.seed, "band": f"{BAND[0]:g}th-{BAND[1]:g}th percentile of replications",
            "horizon_weeks": self.horizon_weeks, "cases_per_week_at_start": round(self.cases_per_week_at_start, 4),
            "months": self.months, "start_state": asdict(self.state),
            "series": {k: asdict(s) for k, s in self.series.items()}, "notes": self.notes,
        }


# ---- the scenario moved to the back-test's start -------------------------------------------------

def start_devices(history: History, sc: Scenario, start: dt.date) -> tuple[list[BacklogDevice], StartState]:
    """The devices waiting for examination at ``start`` (those under examination included), as
    backlog devices of ``sc``'s types and tiers."""
    waiting, busy = waiting_at(history, start), in_progress_at(history, start)
    state = StartState(waiting=len(waiting), in_progress=len(busy), blank_tier_as=sc.tier_names[-1])
    out = []
    for d in [*waiting, *busy]:
        if d.device_type not in sc.device_types:
            state.unknown_types += 1
            continue
        tier = d.tier
        if tier is None or tier not in sc.tier_names:
            state.blank_tiers += 1
            tier = sc.tier_names[-1]
        out.append(BacklogDevice(d.device_type, tier, float((start - d.submitted).days)))
    return out, state


def _weeks_between(a: dt.date, b: dt.date) -> float:
    return (b - a).days / 7.0


def _moved_arrivals(arr: dict, sc: Scenario, offset: float) -> dict:
    """Arrivals whose week 0 is week ``offset`` of ``sc``: the rate there, later periods shifted."""
    factor = (1.0 + sc.arrivals.annual_growth) ** (offset / 52.0)
    arr = dict(arr)
    arr["cases_per_week"] = sc.arrivals.rate_at_week(offset)
    arr["periods"] = [{"from_week": p.from_week - offset, "cases_per_week": p.cases_per_week * factor}
                      for p in sc.arrivals.periods if p.from_week > offset]
    return arr


def _moved_examiners(groups: list[dict], offset: float) -> list[dict]:
    """Examiner groups seen from week ``offset``: start and leave weeks shifted, the rest of a
    ramp-up kept (linear, so its level at ``offset`` is exact), groups already gone dropped."""
    out = []
    for g in groups:
        g = dict(g)
        start = float(g.get("start_week", 0.0))
        leave = g.get("leave_week")
        if leave is not None and leave - offset <= max(0.0, start - offset):
            continue
        ramp = float(g.get("ramp_up_weeks", 0.0))
        if start < offset and ramp > 0:
            done = min(1.0, (offset - start) / ramp)
            r0 = float(g.get("ramp_up_start", 0.25))
            g["ramp_up_start"] = r0 + (1.0 - r0) * done
            g["ramp_up_weeks"] = max(0.0, start + ramp - offset)
        # in post at the scenario's start: in post on any earlier start day too (moving back in time
        # must not turn week 0 into week -offset, which would leave the back-test with no examiners)
        g["start_week"] = max(0.0, start - offset) if start > 0 else 0.0
        if leave is not None:
            g["leave_week"] = leave - offset
        out.append(g)
    return out


def moved_scenario(sc: Scenario, backlog: list[BacklogDevice], start: dt.date, end: dt.date) -> Scenario:
    """``sc`` started on ``start`` with ``backlog`` as its queue and run to ``end`` (whole weeks)."""
    offset = _weeks_between(sc.calendar.start_date, start)
    data = sc.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["calendar"] = {**data["calendar"], "start_date": start.isoformat(), "warmup_weeks": 0,
                        "horizon_weeks": max(1, math.ceil(((end - start).days + 1) / 7.0))}
    data["arrivals"] = _moved_arrivals(data["arrivals"], sc, offset)
    data["examiners"] = _moved_examiners(data["examiners"], offset)
    data["backlog"] = [{**e, "stage": "examination"} if "examination" in sc.enabled_stages else e
                       for e in backlog_entries(backlog)]
    try:
        return Scenario.model_validate(data)
    except ValueError as exc:  # pydantic: the moved scenario breaks a rule (e.g. a date out of range)
        first = str(exc).splitlines()
        raise InputError(f"the scenario cannot start on {start.isoformat()}: "
                         f"{first[2].strip() if len(first) > 2 else first[0]}") from None


# ---- the simulated side --------------------------------------------------------------------------

def _day_hours(sc: Scenario, day: dt.date) -> float:
    return (day - sc.calendar.start_date).days * HOURS_PER_DAY


def simulated_series(sc: Scenario, wl, out, windows: list[Window]) -> dict[str, np.ndarray]:
    """One replication's three series, in the calendar-day arithmetic of ``calibrate.actuals``."""
    rec = out.records
    wend = wait_end(rec)
    start = rec.start[:, EXAM]
    end = rec.end[:, EXAM]
    with np.errstate(invalid="ignore"):
        wait_days = np.floor(start / HOURS_PER_DAY) - np.floor(wl.submit / HOURS_PER_DAY)
    backlog, median, examined = [], [], []
    for w in windows:
        h0, h1 = _day_hours(sc, w.first), _day_hours(sc, w.stop)
        backlog.append(float(((wl.release < h1) & (wl.submit < h1) & (wend >= h1)).sum()))
        started = (start >= h0) & (start < h1)
        median.append(float(np.median(wait_days[started])) if started.any() else np.nan)
        examined.append(float(((end >= h0) & (end < h1)).sum()))
    return {"backlog": np.array(backlog), "median_wait_days": np.array(median), "examined": np.array(examined)}


def _backtest_replication(context: tuple[Scenario, int, list[Window]], task, rep: int) -> dict[str, np.ndarray]:
    sc, seed, windows = context
    out, wl = simulate_once(sc, replication_seed(seed, rep))
    return simulated_series(sc, wl, out, windows)


def _num(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 4)


def compare_series(key: str, actual: list[float | None], sims: np.ndarray) -> SeriesResult:
    """Actual against the replications' mean and prediction band (``sims``: [replications, months])."""
    a = np.array([np.nan if v is None else v for v in actual], dtype=float)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN months (no examination started) are expected
        mean = np.nanmean(sims, axis=0)
        low, high = np.nanpercentile(sims, BAND[0], axis=0), np.nanpercentile(sims, BAND[1], axis=0)
    ok = np.isfinite(a) & np.isfinite(low) & np.isfinite(high)
    inside = ok & (a >= low - 1e-9) & (a <= high + 1e-9)
    pos = ok & (a > 0) & np.isfinite(mean)
    mape = float(np.mean(np.abs(mean[pos] - a[pos]) / a[pos])) if pos.any() else None
    return SeriesResult(key, SERIES[key], [_num(x) for x in a], [_num(x) for x in mean], [_num(x) for x in low],
                        [_num(x) for x in high], float(inside.sum() / ok.sum()) if ok.any() else None,
                        mape, int(ok.sum()), int((ok & (a == 0)).sum()))


def backtest(history: History, scenario: Scenario, start: dt.date, end: dt.date, replications: int = 20,
             seed: int = 1, executor: Executor | None = None, progress=None) -> BacktestResult:
    """Start ``scenario`` from ``history``'s state on ``start``, simulate to ``end`` (both days
    included) ``replications`` times and compare month by month (see the module docstring).
    Serial when ``executor`` is None; the numbers are the same for any executor."""
    if end < start:
        raise InputError(f"--to {end.isoformat()} is before --from {start.isoformat()}")
    if not history.devices:
        raise InputError(f"{history.source}: the history has no devices")
    if start <= history.first_day:
        raise InputError(f"--from {start.isoformat()} is not after the history's first submission "
                         f"({history.first_day.isoformat()}): there is no queue to start from")
    if end > history.last_day:
        raise InputError(f"--to {end.isoformat()} is after the last day the history records "
                         f"({history.last_day.isoformat()})")
    devices, state = start_devices(history, scenario, start)
    sc = moved_scenario(scenario, devices, start, end)
    check_size(sc, replications)
    windows = month_windows(start, end)
    jobs = [(None, rep) for rep in range(replications)]
    sims = run_replications(_backtest_replication, (sc, seed, windows), jobs, executor, progress)
    known = [d for d in history.devices if d.device_type in scenario.device_types]
    actual = actual_series(History(history.source, known, history.summary), windows)
    series = {k: compare_series(k, actual[k], np.vstack([s[k] for s in sims])) for k in SERIES}
    notes = ["MAPE leaves out months whose actual is 0", f"band: {BAND[0]:g}th to {BAND[1]:g}th percentile "
             "of the replications (a prediction band for one month, not an interval of the mean)"]
    if len(known) < len(history.devices):
        notes.append(f"{len(history.devices) - len(known):,} devices of types the scenario does not know are left "
                     "out of the actual series (the model has no such devices)")
    return BacktestResult(scenario.name, history.source, start, end, replications, seed, [w.label for w in windows],
                          series, state, sc.calendar.horizon_weeks, sc.arrivals.cases_per_week, notes)

