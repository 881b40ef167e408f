"""Measures of one replication, computed after the run from the per-device records.

Working from records (not from probes inside the simulation) keeps the model lean and makes
every measure a small pure function that can be checked by hand. Conventions:
- *wait to start* is examination start minus submission, for devices whose examination
  started inside the measurement window [warm-up, horizon);
- *exposure* is tier weight x device-days spent unexamined inside the window (a device stops
  accruing when its examination starts or triage screens it out);
- weekly series are sampled at week boundaries (``week`` 0..horizon) or summed over weeks.

Why streamed, a chunk of devices at a time (issue 13): the whole-array version held a dozen
device-sized arrays at once (its peak was a run's peak memory). Here one pass (``_sweep``) counts
what is a count (summed over chunks: exact) and adds what numpy's ``bincount`` added in device
order with ``np.add.at``, which continues that order across chunks; each mean, percentile and sum
that numpy took over a selection of devices (waits, completion times, exposure, the time-average
queue) is taken over the very same values in the same order, gathered for that one measure into
an array only as long as the selection (``_gather``). So every figure is bit for bit what the
whole-array version gave (``tests/sim/test_streamed_measures.py`` keeps it as the reference), and
a run holds its records plus one measure's values, not a table of every device.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dfu_sched.calendar import HOURS_PER_WEEK, STAGES
from dfu_sched.sim.records import EXAM, Records, RunOutput
from dfu_sched.sim.workload import QUICK_PATH, Chunk, Workload

if TYPE_CHECKING:  # pragma: no cover
    from dfu_sched.scenario.schema import Scenario

PERCENTILES = {"p50": 50, "p90": 90, "p95": 95}
MONTH_WEEKS = 52.0 / 12.0


@dataclass
class ReplicationMeasures:
    """Flat scalar measures (``scope.measure.stat``) and weekly series of one replication."""

    scalars: dict[str, float]
    weekly: dict[str, np.ndarray]


def _describe(values_days: np.ndarray, overwrite: bool = False) -> dict[str, float]:
    """Mean and percentiles; ``overwrite``: the percentiles may reorder ``values_days`` in place (a
    gathered array, used for nothing else: saves the copy the partition would make)."""
    if values_days.size == 0:
        return {"mean": np.nan, **dict.fromkeys(PERCENTILES, np.nan)}
    out = {"mean": float(values_days.mean())}  # first: a sum depends on the order of its terms
    pct = np.percentile(values_days, list(PERCENTILES.values()), overwrite_input=overwrite)
    out.update({k: float(v) for k, v in zip(PERCENTILES, pct)})
    return out


def _describe_scopes(arrays: list[np.ndarray]) -> list[dict[str, float]]:
    """``_describe`` of each scope's gathered values, in place; a tier that shares the overall
    array (it holds every device) is described once, before the partition reorders it."""
    done: dict[int, dict[str, float]] = {}
    return [done[id(x)] if id(x) in done else done.setdefault(id(x), _describe(x, overwrite=True))
            for x in arrays]


def _window_overlap(a: np.ndarray, b: np.ndarray, w0: float, w1: float) -> np.ndarray:
    out = np.minimum(b, w1)  # in place from here: one array, not four
    out -= np.maximum(a, w0)
    return np.clip(out, 0.0, None, out=out)


def _wait_end(start: np.ndarray, done: np.ndarray, screened: np.ndarray) -> np.ndarray:
    end = start.copy()
    end[screened] = done[screened]
    end[np.isnan(end)] = np.inf
    return end


def wait_end(rec: Records) -> np.ndarray:
    """When each device stopped waiting for examination: its start, its screening out, or inf."""
    return _wait_end(rec.start[:, EXAM], rec.done, rec.screened)


@dataclass(frozen=True)
class _Frame:
    """The run's clock and tier constants, shared by every pass."""

    w0: float
    H: float
    weeks: int
    t_weeks: np.ndarray
    targets: np.ndarray
    weights: np.ndarray

    @classmethod
    def of(cls, sc: Scenario) -> _Frame:
        weeks = sc.calendar.horizon_weeks
        return cls(sc.calendar.warmup_weeks * HOURS_PER_WEEK, weeks * HOURS_PER_WEEK, weeks,
                   np.arange(weeks + 1) * HOURS_PER_WEEK, np.array([t.target_days for t in sc.tiers]),
                   np.array([t.weight for t in sc.tiers]))


@dataclass
class _Rows:
    """One chunk of devices: workload columns, record slices, and what the measures derive per device."""

    ch: Chunk
    submit: np.ndarray
    tier: np.ndarray
    start: np.ndarray
    done: np.ndarray
    screened: np.ndarray
    wend: np.ndarray
    wait_days: np.ndarray


def _chunks(wl: Workload, rec: Records, columns: tuple[str, ...]) -> Iterator[_Rows]:
    """The devices a chunk at a time, with what every measure derives from them."""
    for ch in wl.chunks(("submit", "tier") + columns):
        sl = slice(ch.lo, ch.hi)
        start, done, screened = rec.start.column(EXAM)[sl], rec.done_rows(sl), rec.screened[sl]
        wait_days = start - ch["submit"]
        wait_days /= 24.0  # in place (the same division)
        yield _Rows(ch, ch["submit"], ch["tier"], start, done, screened, _wait_end(start, done, screened), wait_days)


def _started(g: _Frame, r: _Rows) -> np.ndarray:
    return (r.start >= g.w0) & (r.start < g.H)


def _completed(g: _Frame, r: _Rows, rec: Records) -> np.ndarray:
    exam_end = rec.end.column(EXAM)[r.ch.lo:r.ch.hi]
    return (r.done >= g.w0) & (r.done < g.H) & ~r.screened & ~np.isnan(exam_end)


def _waiting_end(g: _Frame, r: _Rows) -> np.ndarray:
    return (r.submit < g.H) & (r.wend >= g.H)


def measure(sc: Scenario, wl: Workload, out: RunOutput) -> ReplicationMeasures:
    """Every scalar and weekly measure of one replication (see the module docstring)."""
    rec, g = out.records, _Frame.of(sc)
    sums = _sweep(sc, wl, rec, g)
    scal = _tier_scalars(sc, wl, rec, g, sums)
    weekly, awaiting = _weekly_series(sc, g, sums)
    first_week = int(np.ceil(sc.calendar.warmup_weeks))
    n_all, total_all = sums.wait_n[-1], sums.wait_total[-1]
    for thr in sc.measures.wait_thresholds_days:
        scal[f"first_week_below.{thr:g}"] = _first_week_below(n_all, total_all, g.weeks, thr, first_week)
    for thr in sc.measures.backlog_thresholds_devices:
        scal[f"first_week_backlog_below.{threshold_label(thr)}"] = first_week_backlog_below(awaiting, thr, first_week)

    # --- throughput and utilisation
    window_weeks = (g.H - g.w0) / HOURS_PER_WEEK
    scal["throughput.examined_per_week"] = float(sums.examined / window_weeks)
    scal["throughput.submitted_per_week"] = float(sums.submitted / window_weeks)
    scal["throughput.screened_out_per_week"] = float(sums.screened_out / window_weeks)
    scal.update(_utilisation(out))
    # Exact time-average number awaiting examination over the window (for Little's law).
    in_queue, _ = _gather(wl, rec, wl.n, lambda r: (
        _window_overlap(np.maximum(r.submit, r.ch["release"]), r.wend, g.w0, g.H), None), ("release",))
    scal["little.queue_time_avg"] = float(in_queue.sum() / (g.H - g.w0))
    return ReplicationMeasures(scal, weekly)


class _Sums:
    """What one pass over the devices adds up: counts per scope (tiers, then overall), weekly
    counts, and the few per-device values later steps need (those waiting at the end, and the
    examination hours of devices awaiting examination at some week boundary)."""

    def __init__(self, scopes: int, weeks: int):
        self.started, self.completed, self.within, self.waiting_end, self.past_target_end = (
            np.zeros(scopes, np.int64) for _ in range(5))
        # [scope, week]: starts, the sum of their waits (in device order), and those within target
        self.wait_n, self.wait_total, self.wait_hit = (np.zeros((scopes, weeks)) for _ in range(3))
        self.counts: dict[str, np.ndarray] = {}  # weekly series of counts
        self.examined = self.submitted = self.screened_out = 0
        self.age_end: list[np.ndarray] = []      # (H - submit) / 24 of those waiting at the end
        self.age_tier: list[np.ndarray] = []
        self.awaiting: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (exam hours, kf, kt)

    def add(self, key: str, counts: np.ndarray) -> None:
        self.counts[key] = self.counts[key] + counts if key in self.counts else counts


def _sweep(sc: Scenario, wl: Workload, rec: Records, g: _Frame) -> _Sums:
    """The one pass that counts: per scope, per week, and the values later steps need.

    Long because each block mirrors one measure of the whole-array version, line for line, so
    the two can be read side by side."""
    n_tiers = len(sc.tiers)
    sums = _Sums(n_tiers + 1, g.weeks)
    bins = np.append(g.t_weeks[:-1], g.H)
    stages = [STAGES.index(s) for s in sc.enabled_stages]
    for r in _chunks(wl, rec, ("release", "backlog", "hours", "triage", "first_stage")):
        ch, sl, release = r.ch, slice(r.ch.lo, r.ch.hi), r.ch["release"]
        started, completed, waiting_end = _started(g, r), _completed(g, r, rec), _waiting_end(g, r)
        within = r.wait_days <= g.targets[r.tier]
        past = waiting_end & ((g.H - r.submit) / 24.0 > g.targets[r.tier])
        starts_week = np.floor(r.start / HOURS_PER_WEEK)
        in_weeks = ~np.isnan(starts_week) & (starts_week >= 0) & (starts_week < g.weeks)
        for k in range(n_tiers + 1):
            rows = r.tier == k if k < n_tiers else np.ones(r.tier.size, bool)
            s = rows & started
            sums.started[k] += s.sum()
            sums.completed[k] += (rows & completed).sum()
            sums.within[k] += within[s].sum()
            sums.waiting_end[k] += (rows & waiting_end).sum()
            sums.past_target_end[k] += (rows & past).sum()
            ok = rows & in_weeks
            idx = starts_week[ok].astype(int)
            sums.wait_n[k] += np.bincount(idx, minlength=g.weeks)
            np.add.at(sums.wait_total[k], idx, r.wait_days[ok])  # bincount's order, across chunks
            sums.wait_hit[k] += np.bincount(idx, weights=within[ok].astype(float), minlength=g.weeks)
        sums.age_end.append((g.H - r.submit[waiting_end]) / 24.0)
        sums.age_tier.append(r.tier[waiting_end])

        sums.add("awaiting", _count_between(r.submit, r.wend, g.t_weeks, released=release))
        for s_ in stages:
            qe, st, en = rec.qenter.column(s_)[sl], rec.start.column(s_)[sl], rec.end.column(s_)[sl]
            sums.add(f"waiting.{s_}", _count_between(qe, np.where(np.isnan(st), np.inf, st), g.t_weeks))
            sums.add(f"in_service.{s_}", _count_between(st, np.where(np.isnan(en), np.inf, en), g.t_weeks))
        for k, t in enumerate(sc.tiers):
            rows = r.tier == k
            sums.add(f"past_target.{k}", _count_between(r.submit[rows] + t.target_days * 24.0, r.wend[rows],
                                                        g.t_weeks, released=release[rows]))
        # Examination hours of the devices awaiting examination at some week boundary: a device
        # awaits at t_k when release <= t_k < wait end, i.e. for k in [kf, kt).
        hours = exam_work_hours(sc, ch)
        kf = np.searchsorted(g.t_weeks, release, "left")
        kt = np.searchsorted(g.t_weeks, r.wend, "left")
        ever = kt > kf
        sums.awaiting.append((hours[ever], kf[ever].astype(np.int32), kt[ever].astype(np.int32)))

        exam_end = rec.end.column(EXAM)[sl]
        submitted = submission_times(ch)
        sums.add("examined", np.histogram(exam_end[~np.isnan(exam_end)], bins=bins)[0])
        sums.add("submitted", np.histogram(submitted, bins=bins)[0])
        sums.examined += int(((exam_end >= g.w0) & (exam_end < g.H)).sum())
        sums.submitted += int(((submitted >= g.w0) & (submitted < g.H)).sum())
        sums.screened_out += int((r.screened & (r.done >= g.w0) & (r.done < g.H)).sum())
    return sums


def _gather(wl: Workload, rec: Records, size: int, fn: Callable[[_Rows], tuple[np.ndarray, np.ndarray | None]],
            columns: tuple[str, ...] = (), tiers: int = 0) -> tuple[np.ndarray, np.ndarray | None]:
    """One measure's values over the devices, in device order, in an array of ``size`` (known from
    the counting pass), with the tier of each (``fn``'s second value; one byte each below 128 tiers)."""
    values = np.empty(size)
    labels = np.empty(size, np.int8 if tiers < 128 else np.int64) if tiers else None
    pos = 0
    for r in _chunks(wl, rec, columns):
        v, lab = fn(r)
        values[pos:pos + v.size] = v
        if labels is not None and lab is not None:
            labels[pos:pos + v.size] = lab
        pos += v.size
    assert pos == size, (pos, size)
    return values, labels


def _scoped(values: np.ndarray, labels: np.ndarray | None, n_tiers: int) -> list[np.ndarray]:
    """A measure's values per scope (each tier, then overall), each in device order; a tier that
    holds every device shares the overall array rather than copying it."""
    if labels is None:
        labels = np.zeros(0, np.int8)
    out = []
    for k in range(n_tiers):
        rows = labels == k
        out.append(values if rows.size == values.size and rows.all() else values[rows])
    return out + [values]


def _tier_scalars(sc: Scenario, wl: Workload, rec: Records, g: _Frame, sums: _Sums) -> dict[str, float]:
    """Waits, completion times, exposure and what is left at the end, per tier and overall; each
    measure's values gathered on its own (so only one is held at a time)."""
    n_tiers = len(sc.tiers)
    def waits(r: _Rows) -> tuple[np.ndarray, np.ndarray]:
        s = _started(g, r)
        return r.wait_days[s], r.tier[s]

    def completes(r: _Rows) -> tuple[np.ndarray, np.ndarray]:
        c = _completed(g, r, rec)
        return ((r.done - r.submit) / 24.0)[c], r.tier[c]

    def exposures(r: _Rows) -> tuple[np.ndarray, np.ndarray]:
        return g.weights[r.tier] * (_window_overlap(r.submit, r.wend, g.w0, g.H) / 24.0), r.tier

    wait = _describe_scopes(_scoped(*_gather(wl, rec, int(sums.started[-1]), waits, tiers=n_tiers), n_tiers))
    complete = _describe_scopes(_scoped(*_gather(wl, rec, int(sums.completed[-1]), completes, tiers=n_tiers), n_tiers))
    exposure = [float(x.sum()) for x in _scoped(*_gather(wl, rec, wl.n, exposures, tiers=n_tiers), n_tiers)]
    ages = np.concatenate(sums.age_end) if sums.age_end else np.zeros(0)
    age = _describe_scopes(_scoped(ages, np.concatenate(sums.age_tier) if sums.age_tier else None, n_tiers))
    scal: dict[str, float] = {}
    for k, name in enumerate(sc.tier_names + ["overall"]):
        for stat, v in wait[k].items():
            scal[f"{name}.wait_to_start_days.{stat}"] = v
        for stat, v in complete[k].items():
            scal[f"{name}.time_to_complete_days.{stat}"] = v
        started = int(sums.started[k])
        scal[f"{name}.within_target_share"] = float(np.float64(sums.within[k]) / started) if started else np.nan
        scal[f"{name}.exposure"] = exposure[k]
        scal[f"{name}.started"] = float(started)
        scal[f"{name}.completed"] = float(sums.completed[k])
        scal[f"{name}.waiting_at_end"] = float(sums.waiting_end[k])
        # Censoring: waits above count only devices that started; those still waiting have
        # waited at least this long (reported so starved tiers are not hidden).
        for stat, v in age[k].items():
            scal[f"{name}.age_at_end_days.{stat}"] = v
        scal[f"{name}.past_target_at_end"] = float(sums.past_target_end[k])
    return scal


def _weekly_series(sc: Scenario, g: _Frame, sums: _Sums) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Series sampled at week boundaries or summed over weeks; also the awaiting count it samples."""
    def counts(key: str, size: int = g.weeks + 1) -> np.ndarray:
        return np.asarray(sums.counts.get(key, np.zeros(size)), dtype=float)

    weekly: dict[str, np.ndarray] = {"week": np.arange(g.weeks + 1, dtype=float)}
    awaiting = counts("awaiting")
    weekly["backlog.awaiting_examination"] = awaiting
    for s in sc.enabled_stages:
        k = STAGES.index(s)
        weekly[f"backlog.waiting.{s}"] = counts(f"waiting.{k}")
        weekly[f"backlog.in_service.{s}"] = counts(f"in_service.{k}")
    weekly["backlog.awaiting_examination_hours"] = _awaiting_hours(sums, g.weeks)
    for k, t in enumerate(sc.tiers):
        weekly[f"past_target.{t.name}"] = counts(f"past_target.{k}")
    completions = counts("examined", g.weeks)
    weekly["throughput.examined"] = np.append(completions, np.nan)
    weekly["throughput.submitted"] = np.append(counts("submitted", g.weeks), np.nan)
    weekly["months_of_work"] = _months_of_work(awaiting, completions)
    for k, name in enumerate(sc.tier_names + ["overall"]):
        mean_wait, share = _weekly_wait(sums.wait_n[k], sums.wait_total[k], sums.wait_hit[k])
        weekly[f"wait_to_start_days.{name}"] = mean_wait
        weekly[f"within_target_share.{name}"] = share
    return weekly, awaiting


def _awaiting_hours(sums: _Sums, weeks: int) -> np.ndarray:
    """Examination hours awaiting at each week boundary: the sum over the same devices, in the
    same order, as a mask over every device would select."""
    if sums.awaiting:
        hours, kf, kt = (np.concatenate(c) for c in zip(*sums.awaiting))
    else:
        hours, kf, kt = np.zeros(0), np.zeros(0, np.int32), np.zeros(0, np.int32)
    return np.array([hours[(kf <= k) & (k < kt)].sum() for k in range(weeks + 1)])

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


def submission_times(ch: Chunk) -> np.ndarray:
    """When each *new* submission of a chunk reached the unit (hours), for every throughput measure.

    Today's backlog is not a submission during the run, whatever its age: a device aged 0 days
    has ``submit`` 0 but was already waiting when the run began. One definition for the weekly
    series and the per-week scalar, so the two always agree."""
    return ch["submit"][~ch["backlog"]]


def exam_work_hours(sc: Scenario, ch: Chunk) -> np.ndarray:
    """Examination hours each device of a chunk needs (the quick path's factor where triage runs)."""
    hours = ch["hours"][:, EXAM].copy()
    if sc.stages.triage.enabled:
        hours[(ch["triage"] == QUICK_PATH) & (ch["first_stage"] <= STAGES.index("triage"))] *= \
            sc.stages.triage.quick_path_factor
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


def _weekly_wait(n: np.ndarray, total: np.ndarray, hit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean wait and share within target of the starts of each week (NaN for a week without)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_wait = np.where(n > 0, total / n, np.nan)
        share = np.where(n > 0, hit / n, np.nan)
    return np.append(mean_wait, np.nan), np.append(share, np.nan)


def _first_week_below(n: np.ndarray, total: np.ndarray, weeks: int, threshold_days: float, from_week: int,
                      span: int = 4) -> float:
    """First week whose trailing-4-week mean wait to start (all tiers) is under the threshold
    (``n``, ``total``: starts and their summed waits per week, all tiers)."""
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
