"""The devices a replication will see: drawn with vectorised numpy, a chunk at a time, on demand.

Separating *what arrives* from *how it is served* gives exact common random numbers: two
scenarios that share demand and seed see the very same devices (submission times, tiers,
types, triage outcomes, hours), so their differences are due to the policy, staff or kit alone.
Each attribute draws from its own stream in a fixed order, and hours come from inverse CDFs, so
a lever that changes one distribution's parameters leaves every other draw untouched.

Why lazily, in chunks (issue 13): a million-device run held a million-row table (91 bytes a
device) from start to end, though the model needs a device's facts only when it arrives and the
measures only a few columns, one pass at a time. ``generate`` now draws only what fixes the
shape of the run (weekly case counts, devices per case, today's backlog) and remembers where each
stream stands; ``Workload.chunks`` draws the devices of a block of whole weeks when asked, from
exactly the positions a single up-front draw would have used (``PCG64.advance``), so every
device has the same uniforms, in the same order, as before, and so the same values bit for bit.
A column read as an attribute (``wl.submit``) is drawn whole once and kept, for the callers that
want the table (the weekly planner, the investment windows, the per-device CSV, the calibration).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from dfu_sched.calendar import HOURS_PER_WEEK, STAGES

if TYPE_CHECKING:  # pragma: no cover
    from dfu_sched.scenario.schema import Scenario

#: Triage outcomes.
NORMAL, SCREENED_OUT, QUICK_PATH = 0, 1, 2
_EXAM, _TRIAGE = STAGES.index("examination"), STAGES.index("triage")

#: The columns of a workload, and their dtypes (one row per device).
FIELDS: dict[str, Any] = {
    "submit": np.float64,      # hours from the calendar start (negative = submitted before)
    "release": np.float64,     # when the device joins its first queue
    "case": np.int64,          # case number (backlog devices: one case each)
    "tier": np.int64,          # index into scenario.tiers
    "dtype": np.int64,         # index into scenario.device_types
    "expedite": np.bool_,      # jumps the queue
    "triage": np.int8,         # NORMAL / SCREENED_OUT / QUICK_PATH (applies only if it passes triage)
    "hours": np.float64,       # [n, len(STAGES)] standard hours per stage
    "first_stage": np.int64,   # index into STAGES
    "backlog": np.bool_,       # in today's backlog
}
#: New cases drawn per chunk (whole weeks, at least this many cases unless the horizon ends first).
CASE_CHUNK = 4096
#: Rows of backlog (or of a workload given as arrays) per chunk.
ROW_CHUNK = 16_384
#: A drawn workload of at most this many devices keeps its columns once drawn (at most ~6 MB):
#: below it memory does not matter and drawing each block once, not once per pass of the
#: measures, is what matters (a baseline replication's 3,500 devices; 1,000,000 stay lazy).
KEEP_ROWS = 65_536


@dataclass(frozen=True)
class Chunk:
    """Devices ``lo .. hi - 1`` (index order), with the columns that were asked for."""

    lo: int
    hi: int
    cols: dict[str, np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.cols[name]

    @property
    def idx(self) -> np.ndarray:
        """The chunk's device indices (``lo .. hi - 1``, or, sorted by release, ``cols["i"]``)."""
        return self.cols["i"] if "i" in self.cols else np.arange(self.lo, self.hi)


class _Column:
    """A workload column as a dataclass field: set from an array, or drawn whole on first read
    (a drawn workload) and then kept."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, wl: Workload | None, owner: type) -> Any:
        if wl is None:  # the dataclass machinery asks for the default
            return self
        return wl.column(self.name)

    def __set__(self, wl: Workload, value: np.ndarray) -> None:
        if not isinstance(value, _Column):  # not given: nothing to set
            wl.__dict__.setdefault("_cols", {})[self.name] = value


@dataclass(eq=False, repr=False)
class Workload:
    """One row per device; times in hours from the calendar start (negative = submitted before).

    Made either from arrays (``Workload(submit=..., ...)``, for hand-built cases; a dataclass, so
    ``dataclasses.replace`` works) or by ``generate`` (drawn lazily). Either way ``chunks`` walks
    it a block of devices at a time and the attributes read whole columns."""

    submit: np.ndarray = _Column()  # type: ignore[assignment]
    release: np.ndarray = _Column()  # type: ignore[assignment]
    case: np.ndarray = _Column()  # type: ignore[assignment]
    tier: np.ndarray = _Column()  # type: ignore[assignment]
    dtype: np.ndarray = _Column()  # type: ignore[assignment]
    expedite: np.ndarray = _Column()  # type: ignore[assignment]
    triage: np.ndarray = _Column()  # type: ignore[assignment]
    hours: np.ndarray = _Column()  # type: ignore[assignment]
    first_stage: np.ndarray = _Column()  # type: ignore[assignment]
    backlog: np.ndarray = _Column()  # type: ignore[assignment]
    _draws = None  # type: _Draws | None  # (not a field) where a drawn workload's streams stand

    def __post_init__(self) -> None:
        missing = [name for name in FIELDS if name not in self._cols]
        if missing:
            raise TypeError(f"Workload needs every column; missing {', '.join(missing)}")

    @property
    def _cols(self) -> dict[str, np.ndarray]:
        return self.__dict__.setdefault("_cols", {})

    @property
    def n(self) -> int:
        return self._draws.n if self._draws is not None else len(self._cols["submit"])

    @classmethod
    def _drawn(cls, draws: _Draws) -> Workload:
        wl = cls.__new__(cls)
        wl._draws = draws
        return wl

    def with_columns(self, **cols: np.ndarray) -> Workload:
        """A workload from arrays: this one's columns (drawn whole) with ``cols`` in their place."""
        return Workload(**{name: cols[name] if name in cols else self.column(name) for name in FIELDS})

    def _keep_all(self) -> None:
        """Draw every column in one pass and keep them (a small workload)."""
        assert self._draws is not None
        parts = list(self._draws.chunks(tuple(FIELDS)))
        for name in FIELDS:
            self._cols[name] = np.concatenate([ch[name] for ch in parts]) if parts else _empty(name)

    def column(self, name: str) -> np.ndarray:
        """A whole column (drawn on first use when the workload is lazy, then kept)."""
        col = self._cols.get(name)
        if col is None:
            assert self._draws is not None
            parts = [ch[name] for ch in self._draws.chunks((name,))]
            col = np.concatenate(parts) if parts else _empty(name)
            self._cols[name] = col
        return col

    def chunks(self, columns: Sequence[str] = tuple(FIELDS)) -> Iterator[Chunk]:
        """Blocks of consecutive devices in index order, with ``columns`` (drawn or sliced)."""
        if self._draws is not None and any(c not in self._cols for c in columns):
            if self.n > KEEP_ROWS:
                yield from self._draws.chunks(columns)
                return
            self._keep_all()
        for lo in range(0, self.n, ROW_CHUNK):
            hi = min(lo + ROW_CHUNK, self.n)
            yield Chunk(lo, hi, {c: self._cols[c][lo:hi] for c in columns})

    def arrival_chunks(self, size: int) -> Iterator[tuple[Chunk, float]]:
        """Chunks of at most ``size`` devices in release order (ties in index order), each with the
        release time of the device after it (inf after the last). A drawn workload is in release
        order by construction (the backlog at 0, then new devices by submission); a hand-built one
        may need a sort, and then a chunk's ``cols["i"]`` holds its device indices."""
        if self._draws is None and not _in_order(self._cols["release"]):
            yield from _sorted_chunks(self._cols, size)
            return
        pending: Chunk | None = None
        for big in self.chunks(_ARRIVAL_COLUMNS):
            for a in range(0, big.hi - big.lo, size):
                b = min(a + size, big.hi - big.lo)
                ch = Chunk(big.lo + a, big.lo + b, {c: v[a:b] for c, v in big.cols.items()})
                if pending is not None:
                    yield pending, float(ch["release"][0])
                pending = ch
        if pending is not None:
            yield pending, float("inf")


_ARRIVAL_COLUMNS = ("release", "tier", "dtype", "submit", "expedite", "first_stage", "triage", "hours")


def _in_order(release: np.ndarray) -> bool:
    return bool(np.all(release[1:] >= release[:-1]))


def _sorted_chunks(cols: dict[str, np.ndarray], size: int) -> Iterator[tuple[Chunk, float]]:
    release = cols["release"]
    order = np.argsort(release, kind="stable")
    n = order.size
    for lo in range(0, n, size):
        hi = min(lo + size, n)
        idx = order[lo:hi]
        sub = {c: cols[c][idx] for c in _ARRIVAL_COLUMNS}
        sub["i"] = idx
        yield Chunk(lo, hi, sub), float(release[order[hi]]) if hi < n else float("inf")


def _empty(name: str) -> np.ndarray:
    return np.zeros((0, len(STAGES)) if name == "hours" else 0, dtype=FIELDS[name])


def stage_work(ch: Chunk, route: Sequence[int], quick_factor: float | None) -> np.ndarray:
    """Standard hours of each route stage per device of a chunk (columns in route order), the
    quick path's factor applied to examination where the device passes triage on the quick path
    (``quick_factor`` None: triage is not on the route)."""
    work = ch["hours"][:, list(route)]
    if quick_factor is not None and _EXAM in route:
        quick = (ch["triage"] == QUICK_PATH) & (ch["first_stage"] <= _TRIAGE)
        work[quick, list(route).index(_EXAM)] *= quick_factor
    return work


def child_seed(seed_seq: np.random.SeedSequence, *keys: int) -> np.random.SeedSequence:
    """A named child stream. Unlike ``spawn``, it does not depend on how often it was called."""
    return np.random.SeedSequence(seed_seq.entropy, spawn_key=tuple(seed_seq.spawn_key) + keys)


def _streams(seed_seq: np.random.SeedSequence) -> dict[str, np.random.Generator]:
    names = ("arrivals", "attributes", "service", "backlog")
    return {name: np.random.default_rng(child_seed(seed_seq, k)) for k, name in enumerate(names)}


def _rng_at(state: Mapping[str, Any], skip: int) -> np.random.Generator:
    """A generator where a stream stood (``state``), ``skip`` uniforms further on: each uniform is
    one 64-bit step of PCG64, so ``advance(skip)`` is exactly ``random(skip)`` drawn and dropped."""
    bits = np.random.PCG64(0)
    bits.state = dict(state)  # type: ignore[assignment]  # numpy types it as a TypedDict
    if skip:
        bits.advance(skip)
    return np.random.Generator(bits)


def _pick(u: np.ndarray, shares: list[float]) -> np.ndarray:
    """Categorical draw by inverse CDF: monotone in ``u``, so mixes change draws minimally."""
    cum = np.cumsum(shares)
    cum[-1] = 1.0
    return np.minimum(np.searchsorted(cum, u, side="right"), len(shares) - 1)


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
    """All devices of one replication, today's backlog first, then new submissions in case order
    (drawn lazily: see the module docstring)."""
    return Workload._drawn(_Draws(sc, seed_seq))


@dataclass(frozen=True)
class _Block:
    """New devices of whole weeks ``w0 .. w1 - 1``: cases ``c0 .. c1 - 1``, new devices ``d0 .. d1 - 1``,
    and where the attribute stream stood before their devices-per-case draws."""

    w0: int
    w1: int
    c0: int
    c1: int
    d0: int
    d1: int
    per_case_state: Mapping[str, Any]


class _Draws:
    """Where each stream of a replication stands, and the draws that fix its shape.

    The streams are consumed in the order the whole-table draw used: arrivals (weekly case counts,
    then one uniform per case for its time in the week), attributes (devices per case for every
    case, then a tier uniform per case, then per new device a type, an expedite and a triage
    uniform: three blocks of ``n_new``), service (one row of ``len(STAGES)`` uniforms per new
    device) and backlog (all of it, here: today's queue is small next to a year of arrivals)."""

    def __init__(self, sc: Scenario, seed_seq: np.random.SeedSequence):
        rng = _streams(seed_seq)
        self.sc = sc
        weeks = sc.calendar.horizon_weeks
        rates = np.array([sc.arrivals.rate_at_week(w + 0.5) for w in range(weeks)])
        self.counts = rng["arrivals"].poisson(rates)
        self.arrival_state = rng["arrivals"].bit_generator.state
        week_case = np.concatenate([[0], np.cumsum(self.counts)]).astype(np.int64)
        attr = rng["attributes"]
        self.blocks: list[_Block] = []
        w, d = 0, 0
        while w < weeks:
            w1 = w + 1
            while w1 < weeks and week_case[w1] - week_case[w] < CASE_CHUNK:
                w1 += 1
            c0, c1 = int(week_case[w]), int(week_case[w1])
            state = attr.bit_generator.state
            per = sc.arrivals.devices_per_case.sample(attr, c1 - c0) if c1 > c0 else np.zeros(0, np.int64)
            if c1 > c0:
                self.blocks.append(_Block(w, w1, c0, c1, d, d + int(per.sum()), state))
            d += int(per.sum())
            w = w1
        self.n_cases, self.n_new = int(week_case[-1]), d
        self.tier_state = attr.bit_generator.state  # the case tiers' uniforms start here
        self.service_state = rng["service"].bit_generator.state
        b = _backlog(sc, rng["backlog"])
        nb = b["submit"].size
        self.backlog = {
            "submit": b["submit"], "release": np.zeros(nb), "case": np.arange(nb) + self.n_cases,
            "tier": b["tier"].astype(np.int64), "dtype": b["dtype"].astype(np.int64),
            "expedite": b["expedite"].astype(bool), "triage": b["triage"].astype(np.int8),
            "hours": _backlog_hours(sc, b) if nb else np.zeros((0, len(STAGES))),
            "first_stage": b["stage"].astype(np.int64), "backlog": np.ones(nb, bool)}
        self.n_backlog = nb
        self.n = nb + d

    def chunks(self, columns: Sequence[str]) -> Iterator[Chunk]:
        nb = self.n_backlog
        for lo in range(0, nb, ROW_CHUNK):
            hi = min(lo + ROW_CHUNK, nb)
            yield Chunk(lo, hi, {c: self.backlog[c][lo:hi] for c in columns})
        for blk in self.blocks:
            yield Chunk(nb + blk.d0, nb + blk.d1, self._new(blk, set(columns)))

    def _new(self, blk: _Block, need: set[str]) -> dict[str, np.ndarray]:
        """The asked-for columns of one block of new devices, from the streams' positions."""
        sc, nc, nd = self.sc, blk.c1 - blk.c0, blk.d1 - blk.d0
        per = sc.arrivals.devices_per_case.sample(_rng_at(blk.per_case_state, 0), nc)
        case = np.repeat(np.arange(nc), per)
        cols: dict[str, np.ndarray] = {}
        if "case" in need:
            cols["case"] = case + blk.c0
        if need & {"submit", "release"}:
            week_of = np.repeat(np.arange(blk.w0, blk.w1), self.counts[blk.w0:blk.w1])
            # Whole weeks: the block's sorted times are its slice of all the sorted times.
            times = np.sort((week_of + _rng_at(self.arrival_state, blk.c0).random(nc)) * HOURS_PER_WEEK)
            cols["submit"] = times[case]
            cols["release"] = cols["submit"].copy()
        if need & {"tier", "dtype", "hours"}:
            tiers = sc.tier_names
            tier = _pick(_rng_at(self.tier_state, blk.c0).random(nc),
                         [sc.arrivals.tier_mix.get(t, 0.0) for t in tiers])[case]
            cols["tier"] = tier.astype(np.int64, copy=False)
        if need & {"dtype", "hours"}:
            u_type = self._attribute(0, blk).random(nd)
            types = list(sc.device_types)
            dtype = np.empty(nd, dtype=np.int64)
            for k, name in enumerate(tiers):
                mix = sc.arrivals.device_mix_by_tier.get(name, sc.arrivals.device_mix)
                rows = tier == k
                dtype[rows] = _pick(u_type[rows], [mix.get(t, 0.0) for t in types])
            cols["dtype"] = dtype
        if "expedite" in need:
            cols["expedite"] = self._attribute(1, blk).random(nd) < sc.policy.expedite_share
        if "triage" in need:
            cols["triage"] = _triage(sc, self._attribute(2, blk).random(nd))
        if "hours" in need:
            u = _rng_at(self.service_state, blk.d0 * len(STAGES)).random((nd, len(STAGES)))
            cols["hours"] = _hours(sc, cols["dtype"], u)
        if "first_stage" in need:
            cols["first_stage"] = np.full(nd, STAGES.index(sc.enabled_stages[0]), dtype=np.int64)
        if "backlog" in need:
            cols["backlog"] = np.zeros(nd, bool)
        return {c: cols[c] for c in need}

    def _attribute(self, block: int, blk: _Block) -> np.random.Generator:
        """The attribute stream at new device ``blk.d0`` of uniform block ``block`` (type, expedite,
        triage), after the case tiers' ``n_cases`` uniforms."""
        return _rng_at(self.tier_state, self.n_cases + block * self.n_new + blk.d0)


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
