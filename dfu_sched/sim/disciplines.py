"""Queue disciplines as registered objects: which waiting device a free server takes next.

Why: a discipline used to be a ``Literal`` in the schema plus ``if`` branches in the model and the
replication runner. Here each is one :class:`Discipline` object in :data:`DISCIPLINES`, and every
other place asks the object: the schema validates names against the registry (and lists them in
the JSON Schema), the model asks it for its queues and any planning process, the runner asks it
whether its planner is CPU-bound. Adding a discipline = one object here (or in its own module,
registered here) plus its test; the property test in ``tests/sim/test_disciplines.py`` runs over
every registered one.

Direction of imports: this module imports only the ground floor and the sim modules below it
(``queues``, and ``weekly_plan`` only when its planner starts: it pulls in the optimiser, SciPy's
sparse matrices and OR-Tools, which a run under any other discipline never needs); scenario types
appear only under ``TYPE_CHECKING`` and key factories take plain numbers (:class:`KeyParams`), so
``scenario/schema.py`` can import the registry without a cycle. That schema -> registry arrow is
the one place the scenario wing looks up into ``sim``: the names a scenario may spell are the names
the simulation can run, from one list.
"""
from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from dfu_sched.sim.queues import DispatchQueue, KeyFn, PlannedQueue, QueuedDevice

if TYPE_CHECKING:  # pragma: no cover
    from dfu_sched.sim.model import DFUModel


@dataclass(frozen=True)
class KeyParams:
    """The plain numbers a key factory may use (per tier, in scenario tier order)."""

    weights: Sequence[float]
    targets_h: Sequence[float]
    aging_days: float | None = None


class Planner(Protocol):
    """A planning process a discipline starts in the model (e.g. the weekly plan)."""

    stats: dict[str, list[float]]

    def run(self) -> Generator[Any, Any, None]: ...


@dataclass(frozen=True)
class Discipline:
    """One queue discipline.

    ``monotone_in_submission``: within one (skill, tier, expedite) group devices start in
    submission order (what lets :mod:`dfu_sched.sim.queues` keep each group as a heap).
    ``work_conserving``: no examiner idles while a device it may take waits.
    ``cpu_bound_planner``: its planner solves every simulated week, so the runner should not start
    more worker processes than there are cores.
    ``tier_blind``: the key orders by submission (and expedite) alone, whatever the tier, so the
    queues need not keep a heap per tier (``DispatchQueue(by_tier=False)``): a speed choice only.
    """

    key: str
    description: str
    make_key: Callable[[KeyParams], KeyFn]
    monotone_in_submission: bool = True
    work_conserving: bool = True
    exam_queue: type[DispatchQueue] = DispatchQueue
    planner: Callable[[DFUModel], Planner] | None = None
    cpu_bound_planner: bool = False
    tier_blind: bool = False

    def make_queue(self, key: KeyFn, n_tiers: int, n_skills: int | None, examination: bool) -> DispatchQueue:
        """The queue of one stage (the discipline's own queue class at the examination stage)."""
        cls = self.exam_queue if examination else DispatchQueue
        return cls(key, n_tiers, n_skills, by_tier=not self.tier_blind)

    def start(self, model: DFUModel) -> Planner | None:
        """Start the discipline's planning process in ``model`` (None when it has none)."""
        if self.planner is None:
            return None
        planner = self.planner(model)
        model.env.process(planner.run())
        return planner


# ---- key functions: smaller = sooner; expedited devices always first ---------------------------

def fifo_key(_: KeyParams) -> KeyFn:
    def key(dev: QueuedDevice, now: float) -> tuple[float, ...]:
        return (not dev.expedite, dev.submit, dev.seq)
    return key


def priority_key(_: KeyParams) -> KeyFn:
    def key(dev: QueuedDevice, now: float) -> tuple[float, ...]:
        return (not dev.expedite, dev.tier, dev.submit, dev.seq)
    return key


def edd_key(_: KeyParams) -> KeyFn:
    def key(dev: QueuedDevice, now: float) -> tuple[float, ...]:
        return (not dev.expedite, dev.due, dev.seq)
    return key


def aging_key(p: KeyParams) -> KeyFn:
    """Largest weight x (1 + hours waited / scale); the scale is ``aging_days`` or the tier's target."""
    scale = [p.aging_days * 24.0 if p.aging_days else t for t in p.targets_h]
    w = list(p.weights)

    def key(dev: QueuedDevice, now: float) -> tuple[float, ...]:
        return (not dev.expedite, -w[dev.tier] * (1.0 + max(now - dev.submit, 0.0) / scale[dev.tier]),
                dev.submit, dev.seq)
    return key


def weekly_planner(model: DFUModel) -> Planner:
    """The weekly-plan discipline's planner, its module (and the optimiser) imported on first use."""
    from dfu_sched.sim.weekly_plan import WeeklyPlanner

    return WeeklyPlanner(model)


# ---- the registry ------------------------------------------------------------------------------

FIFO = Discipline("fifo", "oldest submission first", fifo_key, tier_blind=True)
PRIORITY = Discipline("priority", "strict tier order, then oldest", priority_key)
AGING = Discipline("aging", "largest tier weight x (1 + days waited / aging scale)", aging_key)
EDD = Discipline("edd", "earliest tier deadline (submission + target) first", edd_key)
WEEKLY_PLAN = Discipline(
    "weekly-plan", "the optimiser plans every simulated Monday; aging between plans", aging_key,
    # Examiners follow their lists, not submission order; a free examiner whose list is empty
    # falls back to the aging key, so the plan is still work conserving.
    monotone_in_submission=False,
    exam_queue=PlannedQueue, planner=weekly_planner, cpu_bound_planner=True,
)

#: Every discipline a scenario may name, by key, in the order help and the JSON Schema list them.
DISCIPLINES: dict[str, Discipline] = {d.key: d for d in (FIFO, PRIORITY, AGING, EDD, WEEKLY_PLAN)}


def get(key: str) -> Discipline:
    """The registered discipline ``key`` (``KeyError`` if none: the schema has refused it before)."""
    return DISCIPLINES[key]


def describe() -> str:
    """One line per discipline, ``key: description``, for ``--help``, the schema and the README."""
    return "; ".join(f"{d.key}: {d.description}" for d in DISCIPLINES.values())
