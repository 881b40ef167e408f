"""Measures of one replication, computed after the run from the per-device records.

Working from records (not from probes inside the simulation) keeps the model lean and makes
every measure a small pure function that can be checked by hand. Conventions:
- *wait to start* is examination start minus submission, for devices whose examination
  started inside the measurement window [warm-up, horizon);
- *exposure* is tier weight x device-days spent unexamined inside the window (a device stops
  accruing when its examination starts or triage screens it out);
- weekly series are sampled at week boundaries (``week`` 0..horizon) or summed over weeks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dfu_sched.calendar import HOURS_PER_WEEK, STAGES
from dfu_sched.sim.records import EXAM, Records, RunOutput
from dfu_sched.sim.workload import QUICK_PATH, Workload

if TYPE_CHECKING:  # pragma: no cover
    from dfu_sched.scenario.schema import Scenario

PERCENTILES = {"p50": 50, "p90": 90, "p95": 95}
MONTH_WEEKS = 52.0 / 12.0


@dataclass
class ReplicationMeasures:
    """Flat scalar measures (``scope.measure.stat``) and weekly series of one replication."""

    scalars: dict[str, float]
    weekly: dict[str, np.ndarray]


def _describe(values_days: np.ndarray) -> dict[str, float]:
    if values_days.size == 0:
        return {"mean": np.nan, **dict.fromkeys(PERCENTILES, np.nan)}
    out = {"mean": float(values_days.mean())}
    pct = np.percentile(values_days, list(PERCENTILES.values()))
    out.update({k: float(v) for k, v in zip(PERCENTILES, pct)})
    return out


def _window_overlap(a: np.ndarray, b: np.ndarray, w0: float, w1: float) -> np.ndarray:
    out = np.minimum(b, w1)  # in place from here: one device-sized array, not four
    out -= np.maximum(a, w0)
    return np.clip(out, 0.0, None, out=out)


def wait_end(rec) -> np.ndarray:
    """When each device stopped waiting for examination: its start, its screening out, or inf."""
    end = rec.start[:, EXAM].copy()
    screened = rec.screened
    end[screened] = rec.done[screened]
    end[np.isnan(end)] = np.inf
    return end


def measure(sc: Scenario, wl: Workload, out: RunOutput) -> ReplicationMeasures:
    """Every scalar and weekly measure of one replication (see the module docstring)."""
    rec = out.records
    w0 = sc.calendar.warmup_weeks * HOURS_PER_WEEK
    H = sc.calendar.horizon_weeks * HOURS_PER_WEEK
    weeks = sc.calendar.horizon_weeks
    start = rec.start[:, EXAM]
    wait_days = start - wl.submit
    wait_days /= 24.0  # in place (the same division): one device-sized array, not two
    wend = wait_end(rec)
    targets = np.array([t.target_days for t in sc.tiers])
    within = wait_days <= targets[wl.tier]
    scopes = [(t.name, wl.tier == k) for k, t in enumerate(sc.tiers)] + [("overall", np.ones(wl.n, bool))]

    scal = _tier_scalars(sc, wl, rec, scopes, wait_days, within, wend)
    weekly, awaiting = _weekly_series(sc, wl, rec, scopes, wait_days, within, wend)
    starts_week = np.floor(start / HOURS_PER_WEEK)
    first_week = int(np.ceil(sc.calendar.warmup_weeks))
    for thr in sc.measures.wait_thresholds_days:
        scal[f"first_week_below.{thr:g}"] = _first_week_below(starts_week, wait_days, weeks, thr, first_week)
    for thr in sc.measures.backlog_thresholds_devices:
        scal[f"first_week_backlog_below.{threshold_label(thr)}"] = first_week_backlog_below(awaiting, thr, first_week)

    # --- throughput and utilisation
    window_weeks = (H - w0) / HOURS_PER_WEEK
    exam_end, submitted = rec.end[:, EXAM], submission_times(wl)
    scal["throughput.examined_per_week"] = float(((exam_end >= w0) & (exam_end < H)).sum() / window_weeks)
    scal["throughput.submitted_per_week"] = float(((submitted >= w0) & (submitted < H)).sum() / window_weeks)
    scal["throughput.screened_out_per_week"] = float(
        (rec.screened & (rec.done >= w0) & (rec.done < H)).sum() / window_weeks)
    scal.update(_utilisation(out))
    # Exact time-average number awaiting examination over the window (for Little's law).
    in_queue = _window_overlap(np.maximum(wl.submit, wl.release), wend, w0, H)
    scal["little.queue_time_avg"] = float(in_queue.sum() / (H - w0))
    return ReplicationMeasures(scal, weekly)


Scopes = list[tuple[str, np.ndarray]]


def _tier_scalars(sc: Scenario, wl: Workload, rec: Records, scopes: Scopes, wait_days: np.ndarray,
                  within: np.ndarray, wend: np.ndarray) -> dict[str, float]:
    """Waits, completion times, exposure and what is left at the end, per tier and overall."""
    w0 = sc.calendar.warmup_weeks * HOURS_PER_WEEK
    H = sc.calendar.horizon_weeks * HOURS_PER_WEEK
    start = rec.start[:, EXAM]
    started = (start >= w0) & (start < H)
    completed = (rec.done >= w0) & (rec.done < H) & ~rec.screened & ~np.isnan(rec.end[:, EXAM])
    complete_days = rec.done - wl.submit
    complete_days /= 24.0
    unexamined_days = _window_overlap(wl.submit, wend, w0, H)
    unexamined_days /= 24.0
    targets = np.array([t.target_days for t in sc.tiers])
    weights = np.array([t.weight for t in sc.tiers])
    scal: dict[str, float] = {}
    for name, rows in scopes:
        s = rows & started
        for stat, v in _describe(wait_days[s]).items():
            scal[f"{name}.wait_to_start_days.{stat}"] = v
        for stat, v in _describe(complete_days[rows & completed]).items():
            scal[f"{name}.time_to_complete_days.{stat}"] = v
        scal[f"{name}.within_target_share"] = float(within[s].mean()) if s.any() else np.nan
        scal[f"{name}.exposure"] = float((weights[wl.tier[rows]] * unexamined_days[rows]).sum())
        scal[f"{name}.started"] = float(s.sum())
        scal[f"{name}.completed"] = float((rows & completed).sum())
        waiting_end = rows & (wl.submit < H) & (wend >= H)
        scal[f"{name}.waiting_at_end"] = float(waiting_end.sum())
        # Censoring: waits above count only devices that started; those still waiting have
        # waited at least this long (reported so starved tiers are not hidden).
        for stat, v in _describe((H - wl.submit[waiting_end]) / 24.0).items():
            scal[f"{name}.age_at_end_days.{stat}"] = v
        scal[f"{name}.past_target_at_end"] = float(
            (waiting_end & ((H - wl.submit) / 24.0 > targets[wl.tier])).sum())
    return scal


def _weekly_series(sc: Scenario, wl: Workload, rec: Records, scopes: Scopes, wait_days: np.ndarray,
                   within: np.ndarray, wend: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Series sampled at week boundaries or summed over weeks; also the awaiting count it samples."""
    H = sc.calendar.horizon_weeks * HOURS_PER_WEEK
    weeks = sc.calendar.horizon_weeks
    t_weeks = np.arange(weeks + 1) * HOURS_PER_WEEK
    weekly: dict[str, np.ndarray] = {"week": np.arange(weeks + 1, dtype=float)}
    awaiting = _count_between(wl.submit, wend, t_weeks, released=wl.release)
    weekly["backlog.awaiting_examination"] = awaiting
    for s in sc.enabled_stages:
        k = STAGES.index(s)
        qe, st, en = rec.qenter[:, k], rec.start[:, k], rec.end[:, k]
        weekly[f"backlog.waiting.{s}"] = _count_between(qe, np.where(np.isnan(st), np.inf, st), t_weeks)
        weekly[f"backlog.in_service.{s}"] = _count_between(st, np.where(np.isnan(en), np.inf, en), t_weeks)
    exam_hours = exam_work_hours(sc, wl)
    weekly["backlog.awaiting_examination_hours"] = np.array(
        [exam_hours[(wl.release <= t) & (wend > t)].sum() for t in t_weeks])
    del exam_hours  # device-sized: freed before the next ones (a run's peak memory is here)
    for k, t in enumerate(sc.tiers):
        rows = wl.tier == k
        every = bool(rows.all())  # one tier (or all devices in one): the columns, not copies of them
        late_from = (wl.submit if every else wl.submit[rows]) + t.target_days * 24.0
        weekly[f"past_target.{t.name}"] = _count_between(late_from, wend if every else wend[rows], t_weeks,
                                                         released=wl.release if every else wl.release[rows])

    bins = np.append(t_weeks[:-1], H)
    exam_end = rec.end[:, EXAM]
    completions = np.histogram(exam_end[~np.isnan(exam_end)], bins=bins)[0].astype(float)
    weekly["throughput.examined"] = np.append(completions, np.nan)
    submitted = submission_times(wl)
    weekly["throughput.submitted"] = np.append(np.histogram(submitted, bins=bins)[0].astype(float), np.nan)
    weekly["months_of_work"] = _months_of_work(awaiting, completions)
    starts_week = np.floor(rec.start[:, EXAM] / HOURS_PER_WEEK)
    for name, rows in scopes:
        mean_wait, share = _weekly_wait(starts_week, wait_days, within, rows, weeks)
        weekly[f"wait_to_start_days.{name}"] = mean_wait
        weekly[f"within_target_share.{name}"] = share
    return weekly, awaiting


def _utilisation(out: RunOutput) -> dict[str, float]:
    """Busy over rostered hours inside the window, by examiner group, by kit stage, and overall."""
    scal: dict[str, float] = {}
    groups: dict[str, list[float]] = {}
    for info in out.servers:
        key = f"{STAGES[info.stage]} stations" if info.stage != EXAM else info.group
        g = groups.setdefault(key, [0.0, 0.0])
        g[0] += info.busy_hours
        g[1] += info.rostered_hours
    for key, (busy, rostered) in groups.items():
        scal[f"utilisation.{key}"] = busy / rostered if rostered > 0 else np.nan
    exam_busy = sum(i.busy_hours for i in out.servers if i.stage == EXAM)
    exam_rostered = sum(i.rostered_hours for i in out.servers if i.stage == EXAM)
    scal["utilisation.all examiners"] = exam_busy / exam_rostered if exam_rostered > 0 else np.nan
    return scal


def submission_times(wl: Workload) -> np.ndarray:
    """When each *new* submission reached the unit (hours), for every throughput measure.

    Today's backlog is not a submission during the run, whatever its age: a device aged 0 days
    has ``submit`` 0 but was already waiting when the run began. One definition for the weekly
    series and the per-week scalar, so the two always agree."""
    return wl.submit[~wl.backlog]


def exam_work_hours(sc: Scenario, wl: Workload) -> np.ndarray:
    """Examination hours each device needs (the quick path's factor applied where triage runs)."""
    hours = wl.hours[:, EXAM].copy()
    if sc.stages.triage.enabled:
        quick = (wl.triage == QUICK_PATH) & (wl.first_stage <= STAGES.index("triage"))
        hours[quick] *= sc.stages.triage.quick_path_factor
    return hours


def _count_between(a: np.ndarray, b: np.ndarray, times: np.ndarray, released: np.ndarray | None = None) -> np.ndarray:
    """How many intervals [a, b) contain each time (and the device is in the DFU by then).

    Counted as #(a <= t) - #(b <= t), which is right only when every interval has a <= b; an
    interval that ends before it begins (a device started before its target date, for
    ``past_target``) is empty, so its end is moved up to its start rather than subtracted."""
    a = np.where(np.isnan(a), np.inf, a)  # a fresh array: maxima and sorts below work in place
    if released is not None:
        np.maximum(a, released, out=a)
    b = np.maximum(np.asarray(b, dtype=float), a)
    a.sort()
    b.sort()
    entered = np.searchsorted(a, times, side="right")
    return (entered - np.searchsorted(b, times, side="right")).astype(float)


def _months_of_work(awaiting: np.ndarray, completions: np.ndarray, trailing: int = 13) -> np.ndarray:
    """Backlog over the trailing-13-week examination rate, in months (NaN until 4 weeks in)."""
    out = np.full(awaiting.size, np.nan)
    csum = np.concatenate([[0.0], np.cumsum(completions)])
    for w in range(4, awaiting.size):
        k = min(trailing, w)
        per_week = (csum[w] - csum[w - k]) / k
        if per_week > 0:
            out[w] = awaiting[w] / per_week / MONTH_WEEKS
    return out


def _weekly_wait(starts_week, wait_days, within, rows, weeks):
    ok = rows & ~np.isnan(starts_week) & (starts_week >= 0) & (starts_week < weeks)
    idx = starts_week[ok].astype(int)
    n = np.bincount(idx, minlength=weeks).astype(float)
    total = np.bincount(idx, weights=wait_days[ok], minlength=weeks)
    hit = np.bincount(idx, weights=within[ok].astype(float), minlength=weeks)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_wait = np.where(n > 0, total / n, np.nan)
        share = np.where(n > 0, hit / n, np.nan)
    return np.append(mean_wait, np.nan), np.append(share, np.nan)


def _first_week_below(starts_week, wait_days, weeks, threshold_days, from_week, span=4) -> float:
    """First week whose trailing-4-week mean wait to start (all tiers) is under the threshold."""
    ok = ~np.isnan(starts_week) & (starts_week >= 0) & (starts_week < weeks)
    idx = starts_week[ok].astype(int)
    n = np.bincount(idx, minlength=weeks).astype(float)
    total = np.bincount(idx, weights=wait_days[ok], minlength=weeks)
    cn, ct = np.cumsum(n), np.cumsum(total)
    for w in range(max(from_week, span - 1), weeks):
        lo = w - span
        nn = cn[w] - (cn[lo] if lo >= 0 else 0.0)
        tt = ct[w] - (ct[lo] if lo >= 0 else 0.0)
        if nn > 0 and tt / nn < threshold_days:
            return float(w)
    return np.nan


def threshold_label(devices: float) -> str:
    """A backlog threshold as a key: ``250`` for 250.0, exact digits otherwise (never ``1e+06``)."""
    x = float(devices)
    return str(int(x)) if x.is_integer() else repr(x)


def first_week_backlog_below(awaiting: np.ndarray, threshold: float, from_week: int) -> float:
    """First week boundary (from the end of the warm-up) where fewer than ``threshold`` devices
    await examination; NaN if that never happens. It is the first time, not a lasting state: the
    backlog may grow again afterwards (the weekly series shows whether it does)."""
    below = np.flatnonzero(awaiting[from_week:] < threshold)
    return float(from_week + below[0]) if below.size else np.nan


#: Plain-English names of measure keys, for every report and workbook (one place, so reports never
#: reach into an engine for a label).
MEASURE_LABELS = {
    "overall.wait_to_start_days.p50": "wait to start, median of starts in horizon (days)",
    "overall.wait_to_start_days.mean": "wait to start, mean of starts in horizon (days)",
    "invest.wait_at_12m_days": "wait to start in month 12 (days)",
    "invest.wait_at_end_days": "wait to start at horizon end (days)",
    "invest.backlog_at_12m": "backlog at 12 months (devices)",
    "overall.waiting_at_end": "backlog at horizon end (devices)",
    "overall.exposure": "exposure (tier-weighted device-days)",
    "overall.started": "examinations started",
    "invest.outsourced_devices": "devices outsourced",
    "invest.outsourced_spend_gbp": "outsourcing spend used (GBP)",
}


def label_of(key: str) -> str:
    if key in MEASURE_LABELS:
        return MEASURE_LABELS[key]
    parts = key.split(".")
    if key.startswith("first_week_below."):
        return f"first week mean wait < {parts[1]} days"
    if len(parts) == 3 and parts[1] == "wait_to_start_days":
        return f"{parts[0]} wait to start, {'median' if parts[2] == 'p50' else parts[2]} (days)"
    if len(parts) == 2 and parts[1] == "exposure":
        return f"{parts[0]} exposure"
    if len(parts) == 2 and parts[1] == "within_target_pct":
        return f"{parts[0]} started within target (%)"
    if len(parts) == 2 and parts[1] == "started":
        return f"{parts[0]} examinations started"
    if len(parts) == 2 and parts[1] == "waiting_at_end":
        return f"{parts[0]} still waiting at the end (devices)"
    if len(parts) == 3 and parts[1] == "age_at_end_days":
        return f"{parts[0]} still waiting at the end: {'median' if parts[2] == 'p50' else parts[2]} age (days)"
    if key.startswith("window."):
        return f"{parts[1]} {parts[2]} wait to start from the target week (days)"
    return key
