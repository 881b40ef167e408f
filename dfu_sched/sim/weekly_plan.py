"""The weekly-plan policy: the optimiser plans every simulated Monday, examiners follow it.

At the start of each simulated week the planner hands the optimiser what a DFU manager would
see on Monday: the devices waiting for examination (tier, age, the *expected* hours of their
type, not the hours the simulation will draw), and each examiner's rostered hours that week
(absence already known, ramp-up applied, minus work in hand). Each examiner then takes the
devices of their list in order; a device that arrives mid-week, or an examiner whose list runs
dry, falls back to the risk-weighted aging rule, so no one idles while work waits.
"""
from __future__ import annotations

import time
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np

from dfu_sched.calendar import HOURS_PER_WEEK
from dfu_sched.optimiser import PlanConfig, PlanDevice, PlanExaminer, plan_week
from dfu_sched.sim.queues import PlannedQueue, QueuedDevice
from dfu_sched.sim.records import EXAM
from dfu_sched.sim.workload import QUICK_PATH

if TYPE_CHECKING:  # pragma: no cover
    from dfu_sched.sim.model import DFUModel, Server


class WeeklyPlanner:
    """The planning process of the weekly-plan discipline (``sim/disciplines.py`` starts it)."""

    def __init__(self, model: DFUModel):
        self.model = model
        self.pool = model.pools[EXAM]
        queue = self.pool.queue
        assert isinstance(queue, PlannedQueue), "weekly-plan's examination queue is a PlannedQueue"
        self.queue: PlannedQueue = queue
        sc = model.sc
        self.skill_names = sc.skills
        self.tiers = sc.tiers
        quick = sc.stages.triage.quick_path_factor if sc.stages.triage.enabled else 1.0
        self.expected_hours = [d.service_hours["examination"].mean() for d in sc.device_types.values()]
        self.quick_factor = quick
        self.time_limit = sc.policy.plan_time_limit_s
        self.aging_days = sc.policy.aging_days
        self.stats: dict[str, list[float]] = {"objective": [], "greedy_objective": [], "gap": [],
                                              "solve_s": [], "planned": [], "waiting": []}

    def run(self) -> Generator[Any, Any, None]:
        env = self.model.env
        while env.now < self.model.horizon:
            self.plan(env.now)
            yield env.timeout(HOURS_PER_WEEK)

    def _examiners(self, now: float) -> tuple[list[PlanExaminer], dict[str, Server]]:
        end = now + HOURS_PER_WEEK
        out: list[PlanExaminer] = []
        by_id: dict[str, Server] = {}
        for srv in self.pool.servers:
            windows: list[tuple[float, float]] = []
            hours = 0.0
            for s, e, r in zip(srv.starts, srv.ends, srv.rates):
                if e <= now or s >= end:
                    continue
                a, b = max(s, now), min(e, end)
                windows.append((a - now, b - now))
                hours += (b - a) * r
            if srv.current is not None:  # work in hand comes first
                hours -= srv.current.remaining
            if hours <= 0.25 or not windows:
                continue
            skills = frozenset(self.skill_names[k] for k in (srv.skills or range(len(self.skill_names))))
            x = PlanExaminer(id=str(srv.sid), skills=skills, hours=hours, windows=windows)
            out.append(x)
            by_id[x.id] = srv
        return out, by_id

    def _candidates(self, waiting: list[QueuedDevice], examiners: list[PlanExaminer],
                    now: float) -> list[QueuedDevice]:
        """The devices worth planning: per skill, the best by aged weight per expected hour
        until their hours reach 3x the hours of the examiners who have that skill (the
        candidate filter of docs/optimiser.md). Keeps the weekly solve small whatever the backlog."""
        wl = self.model.wl
        scale = (self.aging_days or 180.0) * 24.0
        capacity = {k: 3.0 * sum(x.hours for x in examiners if name in x.skills)
                    for k, name in enumerate(self.skill_names)}
        ranked = sorted(
            waiting,
            key=lambda d: (-(self.tiers[d.tier].weight * (1.0 + max(0.0, now - d.submit) / scale)
                             * (1.5 if d.expedite else 1.0)) / self.expected_hours[wl.dtype[d.i]], d.seq))
        used = dict.fromkeys(capacity, 0.0)
        out = []
        for d in ranked:
            if used[d.skill] < capacity[d.skill]:
                used[d.skill] += self.expected_hours[wl.dtype[d.i]]
                out.append(d)
        return out

    def plan(self, now: float) -> None:
        wl = self.model.wl
        waiting = self.queue.waiting()
        examiners, by_id = self._examiners(now)
        if not waiting or not examiners:
            self.queue.set_plans({})
            return
        devices: list[PlanDevice] = []
        by_dev: dict[str, QueuedDevice] = {}
        for dev in self._candidates(waiting, examiners, now):
            i = dev.i
            tier = self.tiers[dev.tier]
            hours = self.expected_hours[wl.dtype[i]]
            if wl.triage[i] == QUICK_PATH and self.quick_factor != 1.0:
                hours *= self.quick_factor
            pd = PlanDevice(id=str(i), case_id=str(wl.case[i]), tier=tier.name, weight=tier.weight,
                            target_days=tier.target_days, age_days=max(0.0, (now - dev.submit) / 24.0),
                            hours=max(0.5, float(hours)), skill=self.skill_names[dev.skill],
                            expedite=bool(dev.expedite))
            devices.append(pd)
            by_dev[pd.id] = dev
        t0 = time.perf_counter()
        cfg = PlanConfig(aging_days=self.aging_days or 180.0, scip=False)
        plan = plan_week(devices, examiners, week_hours=HOURS_PER_WEEK, time_limit_s=self.time_limit,
                         mode="fast", lookahead_weeks=0, config=cfg)
        self.stats["solve_s"].append(time.perf_counter() - t0)
        self.stats["objective"].append(plan.objective)
        self.stats["greedy_objective"].append(plan.greedy_objective)
        self.stats["gap"].append(plan.gap if np.isfinite(plan.gap) else np.nan)
        self.stats["waiting"].append(len(devices))
        plans: dict[int, list[QueuedDevice]] = {}
        for ex_id, rows in plan.assignments.items():
            srv = by_id[ex_id]
            plans[srv.sid] = [by_dev[a.device_id] for a in sorted(rows, key=lambda a: a.start)]
        self.stats["planned"].append(sum(len(v) for v in plans.values()))
        self.queue.set_plans(plans)
