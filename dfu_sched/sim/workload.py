"""The devices a replication will see, generated up front with vectorised numpy.

Separating *what arrives* from *how it is served* gives exact common random numbers: two
scenarios that share demand and seed see the very same devices (submission times, tiers,
types, triage outcomes, hours), so their differences are due to the policy, staff or kit alone.
Each attribute draws from its own stream in a fixed order, and hours come from inverse CDFs, so
a lever that changes one distribution's parameters leaves every other draw untouched.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dfu_sched.calendar import HOURS_PER_WEEK, STAGES

if TYPE_CHECKING:  # pragma: no cover
    from dfu_sched.scenario.schema import Scenario

#: Triage outcomes.
NORMAL, SCREENED_OUT, QUICK_PATH = 0, 1, 2


@dataclass(frozen=True)
class Workload:
    """One row per device; times in hours from the calendar start (negative = submitted before)."""

    submit: np.ndarray        # float hours
    release: np.ndarray       # float hours: when the device joins its first queue
    case: np.ndarray          # int case number (backlog devices: one case each)
    tier: np.ndarray          # int index into scenario.tiers
    dtype: np.ndarray         # int index into scenario.device_types
    expedite: np.ndarray      # bool: jumps the queue
    triage: np.ndarray        # NORMAL / SCREENED_OUT / QUICK_PATH (applies only if it passes triage)
    hours: np.ndarray         # float [n, len(STAGES)] standard hours per stage
    first_stage: np.ndarray   # int index into STAGES
    backlog: np.ndarray       # bool: in today's backlog

    @property
    def n(self) -> int:
        return len(self.submit)


def child_seed(seed_seq: np.random.SeedSequence, *keys: int) -> np.random.SeedSequence:
    """A named child stream. Unlike ``spawn``, it does not depend on how often it was called."""
    return np.random.SeedSequence(seed_seq.entropy, spawn_key=tuple(seed_seq.spawn_key) + keys)


def _streams(seed_seq: np.random.SeedSequence) -> dict[str, np.random.Generator]:
    names = ("arrivals", "attributes", "service", "backlog")
    return {name: np.random.default_rng(child_seed(seed_seq, k)) for k, name in enumerate(names)}


def _pick(u: np.ndarray, shares: list[float]) -> np.ndarray:
    """Categorical draw by inverse CDF: monotone in ``u``, so mixes change draws minimally."""
    cum = np.cumsum(shares)
    cum[-1] = 1.0
    return np.minimum(np.searchsorted(cum, u, side="right"), len(shares) - 1)


def _case_arrivals(sc: Scenario, rng: np.random.Generator) -> np.ndarray:
    """Non-homogeneous Poisson case arrivals, rate constant within each week (exact per week)."""
    weeks = sc.calendar.horizon_weeks
    rates = np.array([sc.arrivals.rate_at_week(w + 0.5) for w in range(weeks)])
    counts = rng.poisson(rates)
    week_of = np.repeat(np.arange(weeks), counts)
    times = (week_of + rng.random(week_of.size)) * HOURS_PER_WEEK
    return np.sort(times)


def _hours(sc: Scenario, dtype: np.ndarray, u: np.ndarray) -> np.ndarray:
    hours = np.zeros((len(dtype), len(STAGES)))
    for t, spec in enumerate(sc.device_types.values()):
        rows = dtype == t
        if not rows.any():
            continue
        for stage, dist in spec.service_hours.items():  # pure inverse CDFs: order-free
            s = STAGES.index(stage)
            hours[rows, s] = dist.ppf(u[rows, s])
    return hours


def expected_devices(sc: Scenario) -> float:
    """Devices a replication generates on average: today's backlog plus expected new submissions.

    The same sum ``generate`` draws from (weekly Poisson rates times devices per case), without
    drawing anything, so a run can be sized before it starts.
    """
    weeks = sc.calendar.horizon_weeks
    cases = sum(sc.arrivals.rate_at_week(w + 0.5) for w in range(weeks))
    return float(sum(e.count for e in sc.backlog) + cases * sc.arrivals.devices_per_case.mean())


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


def _triage(sc: Scenario, u: np.ndarray) -> np.ndarray:
    t = sc.stages.triage
    out = np.full(u.size, NORMAL, dtype=np.int8)
    out[u < t.screen_out_share] = SCREENED_OUT
    out[(u >= t.screen_out_share) & (u < t.screen_out_share + t.quick_path_share)] = QUICK_PATH
    return out


def _backlog(sc: Scenario, rng: np.random.Generator) -> dict[str, np.ndarray]:
    tiers, types = sc.tier_names, list(sc.device_types)
    parts: dict[str, list] = {k: [] for k in ("submit", "tier", "dtype", "stage", "u", "expedite", "triage",
                                              "exam_hours")}
    for entry in sc.backlog:
        n = entry.count
        age_days = entry.age_days.ppf(rng.random(n))
        stage = sc.enabled_stages[0] if entry.stage == "first" else entry.stage
        parts["submit"].append(-age_days * 24.0)
        parts["tier"].append(np.full(n, tiers.index(entry.tier)))
        parts["dtype"].append(np.full(n, types.index(entry.device_type)))
        parts["stage"].append(np.full(n, STAGES.index(stage)))
        parts["u"].append(rng.random((n, len(STAGES))))
        drawn = rng.random(n) < sc.policy.expedite_share  # drawn even when fixed: the streams stay as they were
        parts["expedite"].append(drawn if entry.expedite is None else np.full(n, entry.expedite))
        parts["triage"].append(_triage(sc, rng.random(n)))
        parts["exam_hours"].append(np.full(n, np.nan if entry.exam_hours is None else entry.exam_hours))
    if not sc.backlog:
        return {"submit": np.zeros(0), "tier": np.zeros(0, int), "dtype": np.zeros(0, int),
                "stage": np.zeros(0, int), "u": np.zeros((0, len(STAGES))),
                "expedite": np.zeros(0, bool), "triage": np.zeros(0, np.int8), "exam_hours": np.zeros(0)}
    out = {k: np.concatenate(v) for k, v in parts.items()}
    # Oldest first, so equal-key ties resolve by age, as a DFU queue would.
    order = np.argsort(out["submit"], kind="stable")
    return {k: v[order] for k, v in out.items()}


def _backlog_hours(sc: Scenario, b: dict[str, np.ndarray]) -> np.ndarray:
    """The backlog's hours per stage: drawn as for new devices (the uniforms were drawn whether or
    not an entry fixes its examination hours, so the streams are consumed exactly as without), then
    the examination hours of entries that give them (a queue file's estimates) replace the draw."""
    hours = _hours(sc, b["dtype"], b["u"])
    fixed = ~np.isnan(b["exam_hours"])
    hours[fixed, STAGES.index("examination")] = b["exam_hours"][fixed]
    return hours
