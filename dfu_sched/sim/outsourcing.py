"""Outsourcing contracts as a model hook: devices sent to an external provider, week by week.

Why a hook: outsourcing changes who examines a device, not how the unit works, so it is an
addition to a run (``DFUModel(..., hooks=(Outsourcing(...),))``) rather than a subclass of the core
model living in the investment search. With no hook the run is exactly the core's replication.

Each contract is a SimPy process: at 09:00 on the first day of each contract week it takes up to
its slots from the devices *waiting in the examination queue at that moment* (eligible tiers and
types; most urgent tier first, or oldest first), removes them from the queue, and records their
examination as started by the provider ``start_delay`` later and finished after the turnaround.
Only devices the unit has not started go out, and nothing goes out when the queue is empty, so
the contract adapts to the queue as a manager would.

The turnaround draws come from their own stream (``outsourcing_stream``), apart from every
stream the core uses, so adding a contract never changes the devices or the absences.
"""
from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from typing import Any, cast

import numpy as np
import simpy

from dfu_sched.calendar import HOURS_PER_WEEK
from dfu_sched.scenario.distributions import Distribution
from dfu_sched.scenario.lever_base import Contract
from dfu_sched.sim.model import DFUModel
from dfu_sched.sim.records import EXAM
from dfu_sched.sim.workload import child_seed

#: Spawn-key suffix of the turnaround stream: apart from every stream the core uses.
OUTSOURCING_STREAM = 7507
#: The measures an outsourcing hook contributes (0 when nothing is outsourced).
OUTSOURCING_MEASURES = ("invest.outsourced_devices", "invest.outsourced_spend_gbp")


def outsourcing_stream(replication: np.random.SeedSequence) -> np.random.SeedSequence:
    """The turnaround stream of a replication (``sim.experiment.replication_seed``)."""
    return child_seed(replication, OUTSOURCING_STREAM)


class Outsourcing:
    """A model hook running outsourcing contracts; ``sent`` and ``price`` per device after the run."""

    def __init__(self, contracts: Sequence[Contract], stream: np.random.SeedSequence):
        self.contracts = tuple(contracts)
        self.stream = stream
        self.sent = np.zeros(0)
        self.price = np.zeros(0)

    def start(self, model: DFUModel) -> None:
        n = model.wl.n
        self.u = np.random.default_rng(self.stream).random(n)
        self.sent = np.full(n, np.nan)
        self.price = np.zeros(n)
        for c in self.contracts:
            model.env.process(self._contract(model, c))

    def measures(self) -> dict[str, float]:
        return {"invest.outsourced_devices": float(np.isfinite(self.sent).sum()),
                "invest.outsourced_spend_gbp": float(self.price.sum())}

    def _contract(self, model: DFUModel, c: Contract) -> Generator[simpy.Event, Any, None]:
        env, wl, rec, horizon = model.env, model.wl, model.rec, model.horizon
        queue = model.pools[EXAM].queue
        types, tiers = set(c.types), set(c.tiers)
        turnaround = cast(Distribution, c.turnaround)
        # Each device's type, read from the workload once (a column read per waiting device per
        # week was a seventh of an investment search: issue 13), and whether the contract takes it.
        dtype = wl.dtype.tolist()
        taken = [int(d) in types for d in dtype]
        w = math.ceil(c.start_week - 1e-9)
        while w < c.end_week:
            t = w * HOURS_PER_WEEK + 9.0
            if t >= horizon:
                return
            if t > env.now:
                yield env.timeout(t - env.now)
            waiting = [d for d in queue.waiting() if d.tier in tiers and taken[d.i]]
            waiting.sort(key=lambda d: ((d.tier if c.risk_first else 0), d.submit, d.i))
            for dev in waiting[: c.slots_per_week]:
                queue.take(dev)
                i = dev.i
                back = t + max(float(turnaround.ppf(np.array([self.u[i]]))[0]) * 24.0, c.start_delay_h)
                self.sent[i] = t
                self.price[i] = c.prices[int(dtype[i])]
                if t + c.start_delay_h < horizon:
                    rec.start[i, EXAM] = t + c.start_delay_h
                if back < horizon:
                    rec.end[i, EXAM] = back
                    rec.set_done(i, back)
            w += 1
