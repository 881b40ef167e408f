"""The whole-array ``generate`` and ``measure`` from before issue 13 streamed them, kept verbatim as
the reference: the lazy workload and the streamed measures must give exactly what these give.

Why keep the old code: the streamed versions reorganise every line (chunks, passes, gathered
values); equality with this, float for float, on scenarios that exercise each branch is the test
that nothing moved. Not used by the package.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dfu_sched.calendar import HOURS_PER_WEEK, STAGES
from dfu_sched.sim.measures import ReplicationMeasures, _utilisation, first_week_backlog_below, threshold_label
from dfu_sched.sim.records import EXAM, Records, RunOutput
from dfu_sched.sim.workload import QUICK_PATH, Workload, _backlog, _backlog_hours, _hours, _pick, _streams, _triage

PERCENTILES = {"p50": 50, "p90": 90, "p95": 95}
MONTH_WEEKS = 52.0 / 12.0
HOURS_CHUNK = 65_536

if TYPE_CHECKING:  # pragma: no cover
    from dfu_sched.scenario.schema import Scenario


def _case_arrivals(sc: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Non-homogeneous Poisson case arrivals, rate constant within each week (exact per week)."""
    weeks = sc.calendar.horizon_weeks
    rates = np.array([sc.arrivals.rate_at_week(w + 0.5) for w in range(weeks)])
    counts = rng.poisson(rates)
    week_of = np.repeat(np.arange(weeks), counts)
    times = (week_of + rng.random(week_of.size)) * HOURS_PER_WEEK
    return np.sort(times)


def generate(sc: Scenario, seed_seq: np.random.SeedSequence) -> Workload:
    """All devices of one replication: today's backlog first, then new submissions."""
    rng = _streams(seed_seq)
    tiers = sc.tier_names
    types = list(sc.device_types)
    first_enabled = STAGES.index(sc.enabled_stages[0])

    # --- new cases and their devices
    case_times = _case_arrivals(sc, rng["arrivals"])
    n_cases = case_times.size
    per_case = sc.arrivals.devices_per_case.sample(rng["attributes"], n_cases) if n_cases else np.zeros(0, int)
    case_tier = _pick(rng["attributes"].random(n_cases), [sc.arrivals.tier_mix.get(t, 0.0) for t in tiers])
    case_idx = np.repeat(np.arange(n_cases), per_case)
    n_new = case_idx.size
    submit = case_times[case_idx]
    tier = case_tier[case_idx]
    u_type = rng["attributes"].random(n_new)
    dtype = np.empty(n_new, dtype=np.int64)
    for k, name in enumerate(tiers):
        mix = sc.arrivals.device_mix_by_tier.get(name, sc.arrivals.device_mix)
        rows = tier == k
        dtype[rows] = _pick(u_type[rows], [mix.get(t, 0.0) for t in types])
    expedite = rng["attributes"].random(n_new) < sc.policy.expedite_share
    triage = _triage(sc, rng["attributes"].random(n_new))
    hours = _new_hours(sc, dtype, rng["service"])

    # --- today's backlog
    b = _backlog(sc, rng["backlog"])
    nb = b["submit"].size
    return Workload(
        submit=_join(b["submit"], submit),
        release=_join(np.zeros(nb), submit.copy()),  # its own array even without a backlog
        case=_join(np.arange(nb) + n_cases, case_idx),
        tier=_join(b["tier"], tier).astype(np.int64, copy=False),
        dtype=_join(b["dtype"], dtype).astype(np.int64, copy=False),
        expedite=_join(b["expedite"], expedite),
        triage=_join(b["triage"], triage),
        hours=np.vstack([_backlog_hours(sc, b), hours]) if nb else hours,
        first_stage=_join(b["stage"], np.full(n_new, first_enabled)).astype(np.int64, copy=False),
        backlog=_join(np.ones(nb, bool), np.zeros(n_new, bool)),
    )


#: Rows of service uniforms drawn at a time: the (devices x stages) uniforms are never held whole.
HOURS_CHUNK = 65_536

if TYPE_CHECKING:  # pragma: no cover
    from dfu_sched.scenario.schema import Scenario


def _new_hours(sc: Scenario, dtype: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The new devices' hours, their uniforms drawn a block of rows at a time. The service stream
    serves nothing else and a block of draws continues the stream where the last stopped, so the
    uniforms (and hours, from elementwise inverse CDFs) are those of one whole draw, bit for bit."""
    n = len(dtype)
    hours = np.zeros((n, len(STAGES)))
    for lo in range(0, n, HOURS_CHUNK):
        hi = min(lo + HOURS_CHUNK, n)
        hours[lo:hi] = _hours(sc, dtype[lo:hi], rng.random((hi - lo, len(STAGES))))
    return hours


def _join(backlog: np.ndarray, new: np.ndarray) -> np.ndarray:
    """``np.concatenate([backlog, new])`` without copying ``new`` when there is no backlog (the
    usual case, and a copy of every column at once was the workload's peak); same dtype."""
    if backlog.size:
        return np.concatenate([backlog, new])
    return new.astype(np.result_type(backlog, new), copy=False)


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
