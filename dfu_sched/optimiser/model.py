"""Plain data types of the weekly plan, and their translation into slot arrays.

The optimiser never sees a Scenario or a SimPy object: the simulation and the CLI both build
these dataclasses, so the plan can be tested and audited on its own.

Time axis: hours from the start of the planning week (0 = Monday 00:00 for the CLI), length
``week_hours``. Each examiner works in ``windows`` on that axis; work is cut into 30-minute
slots (docs/optimiser.md: coarser units keep the time-indexed model small, finer ones blow it up).
A device occupies consecutive *available* slots of one examiner (it may run over a night or a
weekend), and it scores ``w * (week_hours - start)``: the risk-hours saved against deferring it.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

#: Slot length in hours (30 minutes).
UNIT_HOURS = 0.5


@dataclass(frozen=True)
class PlanDevice:
    """One queued device as the planner sees it (no case narrative, only what drives the plan)."""

    id: str
    case_id: str
    tier: str
    weight: float
    target_days: float
    age_days: float
    hours: float
    skill: str
    accreditation: int = 1
    deadline_hours: float | None = None
    expedite: bool = False
    victim_device: bool = False
    score: float | None = None


@dataclass(frozen=True)
class PlanExaminer:
    """One examiner this week: skills, hours available, and optionally when (windows).

    ``later_hours``/``later_windows``: the examiner's whole week, when this week's hours and
    windows are cut short by a plan that starts mid-week; the forecast of later weeks uses them
    (``None``: later weeks look like this one).
    """

    id: str
    skills: frozenset[str]
    hours: float
    accreditation: int = 1
    windows: list[tuple[float, float]] | None = None
    later_hours: float | None = None
    later_windows: list[tuple[float, float]] | None = None


@dataclass(frozen=True)
class Assignment:
    device_id: str
    start: float
    end: float


@dataclass(frozen=True)
class PlanConfig:
    """Objective settings; the defaults follow docs/optimiser.md.

    ``aging_days``: weight multiplier is ``1 + age_days / aging_days``; ``None`` ages each device
    relative to its own tier target instead (``1 + max(0, age - target) / target``), which makes
    devices rise quickly once they pass their target. ``expedite_factor`` multiplies the weight of
    devices whose officer asked for expedition. ``candidate_factor``: the LP sees the best devices
    up to this multiple of each skill class's capacity; ``None`` = 2.0 for up to 12 examiners,
    shrinking to 1.2 at 20 (GLOP time grows fast with examiners; the bound stays valid because
    it prices every device, and devices priced positive join the improvement search).
    ``scip``: in mode "full", after the search, give SCIP the time-indexed MIP over the LP's
    devices, warm-started with the best plan, for what is left of ``time_limit_s`` (at most
    ``scip_node_limit`` nodes; see ``optimiser/scip.py``). Off by default: measured, it rarely
    beats the hint within a 10-30 s budget on 2 cores. ``case_link_tolerance``: soft case links;
    the final plan regroups a split case's devices onto one examiner when the pass loses at most
    this fraction of the objective (0 = only between equal plans; negative = off; mode "full").
    ``lp_iterations``, ``cg_max_rounds``, ``lagrange_iterations``, ``price_refine_iterations``:
    the counted effort of the LP (per solve), of column generation and of the fallback bound
    (``optimiser/lagrange.py``);
    counts, so that the plan never depends on the machine's load.
    """

    aging_days: float | None = 180.0
    expedite_factor: float = 1.5
    candidate_factor: float | None = None
    max_phase_hours: float | None = None
    scip: bool = False
    scip_node_limit: int = 200
    local_search: bool = True
    case_link_tolerance: float = 1e-4
    lp_iterations: int = 50_000        # simplex iterations per GLOP solve (deterministic effort)
    cg_max_rounds: int = 100           # safety cap on column-generation rounds (reported if hit)
    lagrange_iterations: int = 300     # DP passes of the bound used when the LP did not finish
    price_refine_iterations: int = 200  # then subgradient passes on its slot prices (lagrange.py)


@dataclass
class WeekPlan:
    """The plan for week 1, its proof of quality, and the forecast beyond."""

    assignments: dict[str, list[Assignment]]
    objective: float
    greedy_objective: float
    bound: float
    gap: float
    improvement_over_greedy: float
    method: str
    infeasible_deadlines: list[str]
    expected_start_week: dict[str, int]
    unassigned: list[str]
    beyond_horizon: list[str] = field(default_factory=list)
    split_devices: list[str] = field(default_factory=list)
    weights: dict[str, float] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    week_hours: float = 168.0
    lookahead_weeks: int = 4
    cases_split: int = 0          # cases whose planned devices are on more than one examiner
    #: (bound - plan) / (bound - what the plan's devices earn after the working week ends): the
    #: gap on the part the examiners' choices control (see :func:`working_hours_tail`)
    gap_working_hours: float = 0.0
    lp_complete: bool = True      # False: the LP was cut short and a fallback bound is shown
    #: counted work done (LP iterations, column-generation rounds, search budget): what limits it
    effort: dict[str, int] = field(default_factory=dict)
    #: hours each examiner can really be planned: whole 30-minute slots inside its windows
    usable_hours: dict[str, float] = field(default_factory=dict)

    def examiner_of(self) -> dict[str, str]:
        """Device id -> examiner id for the devices planned this week."""
        return {a.device_id: e for e, rows in self.assignments.items() for a in rows}


@dataclass(frozen=True)
class WeightTerms:
    """The three factors of a device's weight, kept apart so a reason can print each one.

    ``value`` is the product in the order the optimiser has always used, so the printed terms
    and the objective's coefficient are the same floating-point number, not a recomputation.
    """

    tier: float         # the tier weight from the scenario
    aging: float        # 1 + days waited / aging_days, or 1 + days past target / target
    expedite: float     # cfg.expedite_factor if expedition was requested, else 1
    aging_days: float | None  # the divisor used for ``aging`` (None: the tier target)

    @property
    def value(self) -> float:
        return self.tier * self.aging * self.expedite


def weight_terms(d: PlanDevice, cfg: PlanConfig) -> WeightTerms:
    """Tier weight, aging factor and expedite factor of ``d`` under ``cfg``."""
    if cfg.aging_days is None:
        target = max(d.target_days, 1e-9)
        aging = 1.0 + max(0.0, d.age_days - target) / target
    else:
        aging = 1.0 + max(0.0, d.age_days) / cfg.aging_days
    return WeightTerms(d.weight, aging, cfg.expedite_factor if d.expedite else 1.0, cfg.aging_days)


def effective_weight(d: PlanDevice, cfg: PlanConfig) -> float:
    """Tier weight aged and expedited: the coefficient of the exposure objective."""
    return weight_terms(d, cfg).value


def examiner_slots(x: PlanExaminer, week_hours: float) -> np.ndarray:
    """Start times (hours) of an examiner's available 30-minute slots, capped at ``hours``."""
    windows = x.windows if x.windows is not None else [(0.0, x.hours)]
    starts: list[float] = []
    for a, b in sorted(windows):
        a, b = max(0.0, a), min(week_hours, b)
        t = a
        while t + UNIT_HOURS <= b + 1e-9:
            starts.append(t)
            t += UNIT_HOURS
    cap = int(math.floor(max(0.0, x.hours) / UNIT_HOURS + 1e-9))
    return np.array(sorted(starts)[:cap], dtype=float)


def working_week_end(inst: Instance) -> float:
    """End of the last working slot of any examiner (hours on the week axis; 0 if none)."""
    ends = [float(c[-1]) + UNIT_HOURS for c in inst.clock if len(c)]
    return max(ends) if ends else 0.0


def working_hours_tail(inst: Instance, plan: list[list[int]]) -> float:
    """What the plan's devices earn after the working week ends: ``w (H - end of the working
    week)`` each, whenever in the week they start. The examiners' choices control the rest."""
    rest = max(0.0, inst.H - working_week_end(inst))
    return float(sum(inst.w[j] for x in plan for j in x) * rest)


def to_units(hours: float) -> int:
    return max(1, int(math.ceil(hours / UNIT_HOURS - 1e-9)))


@dataclass
class Instance:
    """Arrays the algorithms work on. Index j = device, e = examiner."""

    devices: list[PlanDevice]
    examiners: list[PlanExaminer]
    H: float
    w: np.ndarray                 # effective weights
    p: np.ndarray                 # duration this week in slots (phase 1 if split)
    split: np.ndarray             # bool: longer than one phase
    clock: list[np.ndarray]       # per examiner, slot start times
    cap: np.ndarray               # slots per examiner
    elig: list[np.ndarray]        # per device, eligible examiner indices
    elig_mask: np.ndarray         # n x m bool
    deadline: np.ndarray          # hours or +inf
    due: np.ndarray               # bool: hard deadline falls inside this week
    latest_end: np.ndarray        # n x m: max end slot index meeting the deadline (cap if none)
    tiebreak: np.ndarray          # rank of device id (deterministic ties)
    later_cap: np.ndarray | None = None  # slots per examiner in a whole later week (None: = cap)

    @property
    def n(self) -> int:
        return len(self.devices)

    @property
    def m(self) -> int:
        return len(self.examiners)

    def gain(self, j: int, e: int, s: int) -> float:
        """Objective value of starting device j at slot s of examiner e."""
        return float(self.w[j] * (self.H - self.clock[e][s]))


def build_instance(devices: Sequence[PlanDevice], examiners: Sequence[PlanExaminer],
                   week_hours: float, cfg: PlanConfig) -> Instance:
    devices, examiners = list(devices), list(examiners)
    n, m = len(devices), len(examiners)
    clock = [examiner_slots(x, week_hours) for x in examiners]
    cap = np.array([len(c) for c in clock], dtype=np.int64)
    elig_mask = np.zeros((n, m), dtype=bool)
    for j, d in enumerate(devices):
        for e, x in enumerate(examiners):
            elig_mask[j, e] = d.skill in x.skills and x.accreditation >= d.accreditation and cap[e] > 0
    elig = [np.flatnonzero(elig_mask[j]) for j in range(n)]
    max_phase = (to_units(cfg.max_phase_hours) if cfg.max_phase_hours
                 else max(int(cap.max()) if m else 1, 1))
    raw = np.array([to_units(d.hours) for d in devices], dtype=np.int64)
    p = np.minimum(raw, max_phase)
    w = np.array([effective_weight(d, cfg) for d in devices], dtype=float)
    deadline = np.array([d.deadline_hours if d.deadline_hours is not None else np.inf
                         for d in devices], dtype=float)
    due = deadline <= week_hours
    latest_end = np.tile(cap, (n, 1)) if n else np.zeros((0, m), dtype=np.int64)
    for j in np.flatnonzero(due).tolist():
        for e in range(m):
            ends = clock[e] + UNIT_HOURS
            latest_end[j, e] = min(cap[e], int(np.searchsorted(ends, deadline[j] + 1e-9, side="right")))
    order = sorted(range(n), key=lambda j: devices[j].id)
    tiebreak = np.empty(n, dtype=np.int64)
    tiebreak[order] = np.arange(n)
    later_cap = None
    if any(x.later_hours is not None for x in examiners):
        later_cap = np.array([cap[e] if x.later_hours is None else len(examiner_slots(
            PlanExaminer(x.id, x.skills, x.later_hours, x.accreditation, x.later_windows), week_hours))
            for e, x in enumerate(examiners)], dtype=np.int64)
    return Instance(devices, examiners, float(week_hours), w, p, raw > p, clock, cap, elig,
                    elig_mask, deadline, due, latest_end, tiebreak, later_cap)
