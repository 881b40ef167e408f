"""The queue data structures a stage's servers pull from: what waits, grouped for fast dispatch.

Why a module of its own: *which* device is most urgent is a discipline's business
(``sim/disciplines.py``, one key function each); *how* waiting devices are stored so that the most
urgent one is found quickly is this module's. Keeping them apart means a new discipline never
touches the data structure, and the structure is tested once for all of them.

Every key discipline is an *index policy* that, within one (skill, tier, expedite) group, agrees
with submission order (the oldest device of a tier is also its most aged and its earliest due). So
each group is a heap by submission time and a dispatch compares only the group heads a server is
eligible for: O(skills x tiers) per decision whatever the backlog size. Keys are tuples, smaller =
more urgent; expedited devices always come first.
"""
from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from functools import partial
from typing import Generic, TypeVar

from mypy_extensions import mypyc_attr

#: An urgency key: compared as a tuple, smaller = sooner (bools and ints compare as numbers).
Key = tuple[float, ...]


@mypyc_attr(allow_interpreted_subclasses=True)  # compiled (``sim/native.py``); tests subclass it
class QueuedDevice:
    """What a queue needs to know about a device; the model's Device subclasses it."""

    __slots__ = ("i", "seq", "tier", "skill", "submit", "expedite", "due", "in_queue")

    def __init__(self, i: int, tier: int, skill: int, submit: float, expedite: bool, due: float):
        self.i = i
        self.seq = i
        self.tier = tier
        self.skill = skill
        self.submit = submit
        self.expedite = expedite
        self.due = due
        self.in_queue = False


#: The urgency of a waiting device at time ``now`` (hours): a discipline's key function.
KeyFn = Callable[[QueuedDevice, float], Key]
#: The device type a queue holds (the model's ``Device``; plain ``QueuedDevice`` in tests).
D = TypeVar("D", bound=QueuedDevice)


@mypyc_attr(allow_interpreted_subclasses=True)  # a discipline may bring its own queue class
class DispatchQueue(Generic[D]):
    """Waiting devices of one stage, grouped so the policy's best is found in a few comparisons."""

    def __init__(self, key: KeyFn, n_tiers: int, n_skills: int | None, by_tier: bool = True):
        """``n_skills`` None: a kit stage where any server takes any device. ``by_tier`` False:
        the key ignores the tier (it orders by submission alone, as FIFO does), so the tiers share
        one heap per (skill, expedite) group and a dispatch compares two heads, not eight."""
        self.key = key
        self.by_tier = 1 if by_tier else 0  # a device's tier counts towards its group, or not
        self.n_tiers = n_tiers if by_tier else 1
        self.skilled = n_skills is not None
        self.n_skills = n_skills or 1
        self.heaps: list[list[tuple[float, int, D]]] = [[] for _ in range(2 * n_tiers * self.n_skills)]
        self.size = 0

    def group(self, dev: D) -> int:
        skill = dev.skill if self.skilled else 0
        return ((0 if dev.expedite else 1) * self.n_tiers + dev.tier * self.by_tier) * self.n_skills + skill

    def groups_for(self, skills: Sequence[int] | None) -> list[int]:
        """Group ids a server with ``skills`` may take from (None = any skill, e.g. kit)."""
        sk = range(self.n_skills) if skills is None else skills
        return [(e * self.n_tiers + t) * self.n_skills + s for e in (0, 1) for t in range(self.n_tiers) for s in sk]

    def __len__(self) -> int:
        return self.size

    def push(self, dev: D) -> None:
        dev.in_queue = True
        # ``group(dev)``, inline: this runs once per device per stage.
        g = (((0 if dev.expedite else 1) * self.n_tiers + dev.tier * self.by_tier) * self.n_skills
             + (dev.skill if self.skilled else 0))
        heapq.heappush(self.heaps[g], (dev.submit, dev.seq, dev))
        self.size += 1

    def _best(self, groups: Sequence[int], now: float) -> tuple[int, Key | None]:
        best_g, best_k = -1, None
        heaps, key = self.heaps, self.key
        for g in groups:
            h = heaps[g]
            while h and not h[0][2].in_queue:  # lazily drop devices taken another way
                heapq.heappop(h)
            if h:
                k = key(h[0][2], now)
                if best_k is None or k < best_k:
                    best_g, best_k = g, k
        return best_g, best_k

    def waiting_for(self, groups: Sequence[int]) -> bool:
        """Whether any device of ``groups`` waits."""
        if not self.size:
            return False
        heaps = self.heaps
        for g in groups:
            h = heaps[g]
            while h and not h[0][2].in_queue:
                heapq.heappop(h)
            if h:
                return True
        return False

    def peek_key(self, groups: Sequence[int], now: float) -> Key | None:
        """The most urgent key among ``groups`` (None if nothing waits)."""
        return self._best(groups, now)[1]

    def _best_group(self, groups: Sequence[int], now: float) -> int:
        """``_best(groups, now)[0]``, computing keys only when two or more groups have a head:
        with one candidate the key cannot change the choice (keys are pure functions)."""
        heaps = self.heaps
        found = -1
        for g in groups:
            h = heaps[g]
            while h and not h[0][2].in_queue:
                heapq.heappop(h)
            if h:
                if found >= 0:
                    return self._best(groups, now)[0]
                found = g
        return found

    def pop(self, groups: Sequence[int], now: float) -> D | None:
        """The most urgent device of ``groups``, removed (None if none): ``_best_group``, inline
        (this runs once per job), then its heap's head."""
        if not self.size:
            return None
        heaps, found = self.heaps, None
        for g in groups:
            h = heaps[g]
            while h and not h[0][2].in_queue:
                heapq.heappop(h)
            if h:
                if found is not None:
                    found = heaps[self._best(groups, now)[0]]
                    break
                found = h
        if found is None:
            return None
        dev = heapq.heappop(found)[2]
        dev.in_queue = False
        self.size -= 1
        return dev

    def take_for(self, server_id: int, groups: Sequence[int], now: float) -> D | None:
        """The device server ``server_id`` (eligible for ``groups``) starts now, removed; None if none.

        The plain queue ignores who asks; a planned queue serves the server's own list first."""
        return self.pop(groups, now)

    def taker(self, server_id: int, groups: Sequence[int]) -> Callable[[float], D | None]:
        """``take_for(server_id, groups, now)`` as a function of ``now``, bound once per server: for
        a queue that does not override ``take_for`` it is ``pop`` itself (one call per take)."""
        if type(self).take_for is DispatchQueue.take_for:
            return partial(self.pop, groups)
        return partial(self.take_for, server_id, groups)

    def take(self, dev: D) -> None:
        """Remove a specific device (the weekly plan chose it); its heap entry is dropped lazily."""
        dev.in_queue = False
        self.size -= 1

    def waiting(self) -> list[D]:
        """Every waiting device, in no particular order (for the weekly planner)."""
        return [e[2] for h in self.heaps for e in h if e[2].in_queue]


class PlannedQueue(DispatchQueue[D]):
    """Weekly-plan queue: each server works its planned list first, then falls back to the key.

    The plan is rebuilt at the start of every simulated week (``sim/weekly_plan.py``); devices that
    arrive mid-week, or lists that run dry, are served by the fallback key so nobody idles.
    """

    def __init__(self, key: KeyFn, n_tiers: int, n_skills: int | None, by_tier: bool = True):
        super().__init__(key, n_tiers, n_skills, by_tier)
        self.plans: dict[int, list[D]] = {}
        self.planned: set[int] = set()

    def set_plans(self, plans: dict[int, list[D]]) -> None:
        self.plans = {k: list(reversed(v)) for k, v in plans.items()}  # pop() from the end
        self.planned = {d.i for v in plans.values() for d in v}

    def take_for(self, server_id: int, groups: Sequence[int], now: float) -> D | None:
        """An urgent unplanned device, else the server's next planned one, else the key's best."""
        dev = self.pop_urgent(groups, now) or self.pop_planned(server_id)
        return dev if dev is not None else self.pop(groups, now)

    def pop_urgent(self, groups: Sequence[int], now: float) -> D | None:
        """An unplanned most-urgent-tier or expedited device jumps the plan: a very-high-risk
        device submitted on Tuesday must not wait for next Monday's plan."""
        g, _ = self._best(groups, now)
        if g < 0:
            return None
        dev = self.heaps[g][0][2]
        if (dev.expedite or dev.tier == 0) and dev.i not in self.planned:
            return self.pop(groups, now)
        return None

    def pop_planned(self, server_id: int) -> D | None:
        plan = self.plans.get(server_id)
        while plan:
            dev = plan.pop()
            if dev.in_queue:
                self.take(dev)
                return dev
        return None
