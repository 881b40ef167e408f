"""A stage of the SimPy model as a pool: its policy queue, its free servers and the dispatch
round of each instant.

Why a module of its own: which free server takes which waiting device is a modelling rule that
moves results under rosters (the longest idle chooses first, ties to the lower index), decided
once per instant here, never by the order SimPy happens to process events; how each server
follows its roster is ``sim/servers.py``'s. Both are the hot path of every run (issue 13).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

from dfu_sched.sim.events import Soon
from dfu_sched.sim.queues import DispatchQueue
from dfu_sched.sim.records import cells
from dfu_sched.sim.servers import Device, Server, free_order

if TYPE_CHECKING:  # pragma: no cover
    from dfu_sched.sim.model import DFUModel


class Pool:
    """One stage: a policy queue and the rostered servers that pull from it.

    Which free server takes work is decided here, once per instant, not by whichever SimPy
    event happens to be processed first: servers that come free (a job done, a shift started) and
    devices that arrive join the *dispatch round* of the current instant, which runs after every
    event already due at that time. In it the free servers choose in order of **longest idle**
    (earliest ``idle_since``, then server index), each taking the most urgent device it is
    eligible for. So the result does not depend on list or event order, and under rosters (when
    everyone starts at 08:00) the examiner who has waited longest for work chooses first.

    A device put when no other event is due at its instant, and with no other device of the
    arrival process still to come at it, is dispatched at once: the round, later in the instant,
    would see the same queue and free servers, so the event is saved and nothing else changes.
    """

    def __init__(self, model: DFUModel, stage: int, queue: DispatchQueue[Device]):
        self.model = model
        self.stage = stage
        self.queue = queue
        self.servers: list[Server] = []
        # No job, waiting for work: a server is here from the moment it is free on shift, and it
        # is on shift at ``now`` exactly when ``now < srv.free_until`` (its run of shifts' end:
        # ``on_shift`` without a roster lookup). It leaves at that end by a timer, or, with
        # ``whole_jobs`` (no timer), stays, off shift, until a device it may take comes
        # (``Server.rewake``).
        self.free: list[Server] = []
        # Off shift with nothing they may take (``Server._park``): no event until a device comes.
        self.parked: list[Server] = []
        self.lazy_waits = model.whole_jobs
        self._round: simpy.Event | None = None  # the round pending at the current instant
        rec = model.rec                         # this stage's record columns, written per device
        self.qenter = cells(rec.qenter.column(stage))
        self.start = cells(rec.start.column(stage))
        self.end = cells(rec.end.column(stage))
        self.server = cells(rec.server.column(stage))

    def put(self, dev: Device, now: float) -> None:
        """``dev`` joins this stage's queue at ``now`` (the current time); dispatch or preempt."""
        model = self.model
        if dev.queued_at != self.stage:
            dev.queued_at = self.stage
            self.qenter[dev.i] = now
        if self.parked:
            self._unpark(dev.skill, now)
        if self.lazy_waits and self.free:
            self._rewake(dev.skill, now)
        self.queue.push(dev)
        if self._round is not None and not model.preemptive:
            return  # the round pending now sees this device too
        skill = dev.skill
        for srv in self.free:
            if (srv.skills is None or skill in srv.skills) and now < srv.free_until:
                if model.preemptive or model.more_now or model.env.peek() <= now:
                    self.dispatch_round()
                elif len(self.queue) == 1:  # alone at this instant, and the only device waiting
                    self._dispatch_one(dev, now)
                else:  # nothing else happens at this instant: the round now is the round later
                    self._dispatch(None)
                return
        if model.preemptive:
            self._preempt_for(dev, now)

    def _unpark(self, skill: int, now: float) -> None:
        """A device of ``skill`` comes: each parked server that may take it is put where it would
        stand had it woken at every shift start since it parked (``Server.unpark``)."""
        keep = []
        for srv in self.parked:
            if srv.skills is None or skill in srv.skills:
                srv.unpark(now)
            else:
                keep.append(srv)
        self.parked = keep

    def _rewake(self, skill: int, now: float) -> None:
        """A device of ``skill`` comes: each free server that may take it and whose wait ended
        (its run of shifts is over) stands where the end of that wait would have left it."""
        for srv in [s for s in self.free if now >= s.free_until and (s.skills is None or skill in s.skills)]:
            srv.rewake(now)

    def _dispatch_one(self, dev: Device, now: float) -> None:
        """``_dispatch`` when ``dev`` is the only device waiting: the first server in free order
        eligible for it takes it, so that server is found as the least, without sorting them all."""
        best, best_key, skill = None, (0.0, 0), dev.skill
        for srv in self.free:
            if (srv.skills is None or skill in srv.skills) and now < srv.free_until:
                k = (srv.idle_since, srv.sid)
                if best is None or k < best_key:
                    best, best_key = srv, k
        got = best.take(now) if best is not None else None
        if best is None or got is None:  # a queue that refuses this server: the full round
            self._dispatch(None)
            return
        self.free.remove(best)
        if best.in_round:
            best.assigned = got
        else:
            best.hand(got, now)

    def dispatch_round(self) -> simpy.Event:
        """The dispatch of the current instant (created on first need, shared by all)."""
        if self._round is None:
            ev = self.model.env.event()
            ev.callbacks.append(self._dispatch)  # before any server's own callback: assign, then start
            ev.succeed()                         # due now, after every event already due now
            self._round = ev
        return self._round

    def _dispatch(self, _event: simpy.Event | None) -> None:
        self._round = None
        now = self.model.env.now
        ready = [s for s in self.free if now < s.free_until]  # on shift (``Server.free_until``)
        if len(ready) > 1:
            ready.sort(key=free_order)
        handed: list[tuple[Server, Device]] = []
        for srv in ready:
            if not len(self.queue):
                break
            dev = srv.take(now)
            if dev is not None:
                self.free.remove(srv)
                if srv.in_round:        # it starts when the round calls it back, after this
                    srv.assigned = dev
                else:                   # idle since an earlier instant: handed over below
                    handed.append((srv, dev))
        for srv, dev in handed:         # after every choice of the round is made
            srv.hand(dev, now)

    def _preempt_for(self, dev: Device, now: float) -> None:
        key = self.queue.key
        k_new = key(dev, now)
        victim, victim_key = None, None
        for srv in self.servers:
            if srv.working and srv.current is not None and srv.eligible(dev):
                k = key(srv.current, now)
                if k > k_new and (victim_key is None or k > victim_key):
                    victim, victim_key = srv, k
        if victim is not None:
            victim.working = False
            Soon(self.model.env, victim._preempted)  # when SimPy would deliver an interrupt
