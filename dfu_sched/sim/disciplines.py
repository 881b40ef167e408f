"""Queue disciplines: which waiting device a free server takes next.

Every discipline here is an *index policy* that, within one (skill, tier, expedite) group,
agrees with submission order: the oldest device of a tier is also its most aged and its
earliest due. So each group is a heap by submission time and a dispatch compares only the group
heads a server is eligible for: O(skills x tiers) per decision whatever the backlog size.
Keys are tuples, smaller = more urgent; expedited devices always come first.
"""
from __future__ import annotations

import heapq
from typing import Callable, Sequence

from dfu_sched.scenario.schema import Policy

KeyFn = Callable[["object", float], tuple]


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


def make_key(policy: Policy, weights: Sequence[float], targets_h: Sequence[float]) -> KeyFn:
    """The urgency key of a device at time ``now`` under ``policy`` (smaller = sooner)."""
    d = policy.discipline
    if d == "fifo":
        return lambda dev, now: (not dev.expedite, dev.submit, dev.seq)
    if d == "priority":
        return lambda dev, now: (not dev.expedite, dev.tier, dev.submit, dev.seq)
    if d == "edd":
        return lambda dev, now: (not dev.expedite, dev.due, dev.seq)
    # aging (also the fallback of weekly-plan between plans and for unplanned devices)
    scale = [policy.aging_days * 24.0 if policy.aging_days else t for t in targets_h]
    w = list(weights)
    return lambda dev, now: (
        not dev.expedite,
        -w[dev.tier] * (1.0 + max(now - dev.submit, 0.0) / scale[dev.tier]),
        dev.submit,
        dev.seq,
    )


class DispatchQueue:
    """Waiting devices of one stage, grouped so the policy's best is found in a few comparisons."""

    def __init__(self, key: KeyFn, n_tiers: int, n_skills: int | None):
        """``n_skills`` None: a kit stage where any server takes any device."""
        self.key = key
        self.n_tiers = n_tiers
        self.skilled = n_skills is not None
        self.n_skills = n_skills or 1
        self.heaps: list[list] = [[] for _ in range(2 * n_tiers * self.n_skills)]
        self.size = 0

    def group(self, dev: QueuedDevice) -> int:
        return ((0 if dev.expedite else 1) * self.n_tiers + dev.tier) * self.n_skills + (dev.skill if self.skilled else 0)

    def groups_for(self, skills: Sequence[int] | None) -> list[int]:
        """Group ids a server with ``skills`` may take from (None = any skill, e.g. kit)."""
        sk = range(self.n_skills) if skills is None else skills
        return [(e * self.n_tiers + t) * self.n_skills + s for e in (0, 1) for t in range(self.n_tiers) for s in sk]

    def __len__(self) -> int:
        return self.size

    def push(self, dev: QueuedDevice) -> None:
        dev.in_queue = True
        heapq.heappush(self.heaps[self.group(dev)], (dev.submit, dev.seq, dev))
        self.size += 1

    def _best(self, groups: Sequence[int], now: float):
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

    def peek_key(self, groups: Sequence[int], now: float):
        """The most urgent key among ``groups`` (None if nothing waits)."""
        return self._best(groups, now)[1]

    def pop(self, groups: Sequence[int], now: float):
        g, _ = self._best(groups, now)
        if g < 0:
            return None
        dev = heapq.heappop(self.heaps[g])[2]
        dev.in_queue = False
        self.size -= 1
        return dev

    def take(self, dev: QueuedDevice) -> None:
        """Remove a specific device (the weekly plan chose it); its heap entry is dropped lazily."""
        dev.in_queue = False
        self.size -= 1

    def waiting(self) -> list:
        """Every waiting device, in no particular order (for the weekly planner)."""
        return [e[2] for h in self.heaps for e in h if e[2].in_queue]


class PlannedQueue(DispatchQueue):
    """Weekly-plan policy: each server works its planned list first, then falls back to aging.

    The plan is rebuilt at the start of every simulated week by the optimiser; devices that
    arrive mid-week, or lists that run dry, are served by the aging rule so nobody idles.
    """

    def __init__(self, key: KeyFn, n_tiers: int, n_skills: int | None):
        super().__init__(key, n_tiers, n_skills)
        self.plans: dict[int, list] = {}
        self.planned: set[int] = set()

    def set_plans(self, plans: dict[int, list]) -> None:
        self.plans = {k: list(reversed(v)) for k, v in plans.items()}  # pop() from the end
        self.planned = {d.i for v in plans.values() for d in v}

    def pop_urgent(self, groups: Sequence[int], now: float):
        """An unplanned most-urgent-tier or expedited device jumps the plan: a very-high-risk
        device submitted on Tuesday must not wait for next Monday's plan."""
        g, _ = self._best(groups, now)
        if g < 0:
            return None
        dev = self.heaps[g][0][2]
        if (dev.expedite or dev.tier == 0) and dev.i not in self.planned:
            return self.pop(groups, now)
        return None

    def pop_planned(self, server_id: int):
        plan = self.plans.get(server_id)
        while plan:
            dev = plan.pop()
            if dev.in_queue:
                self.take(dev)
                return dev
        return None
