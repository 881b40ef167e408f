"""The servers of the SimPy model: rostered examiners, kiosks and workstations, written as event
callbacks, and the device they work on.

Why a module of its own: the model (``sim/model.py``) builds pools (``sim/pools.py``: a stage's
queue and dispatch round) and servers from a scenario and feeds devices in; *how* a server follows
its roster, takes work and hands a device on is this module's, and it is the hot path of every
run (issue 13), so it is kept where it can be read as a whole, and compiled with mypyc when the
package is installed (``sim/native.py``: the same source; its classes are native, so nothing
outside the compiled modules sets attributes on them or patches their methods). The rules are
documented in ``sim/model.py``'s docstring and on ``Server`` below.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np
import simpy

from dfu_sched.sim.events import Soon
from dfu_sched.sim.kernel import JobEvent
from dfu_sched.sim.kernel import at as schedule_at
from dfu_sched.sim.queues import QueuedDevice
from dfu_sched.sim.records import ServerInfo
from dfu_sched.sim.rosters import EPS, _overlap, idle_until, run_ends, walk_job

if TYPE_CHECKING:  # pragma: no cover
    from dfu_sched.sim.model import DFUModel
    from dfu_sched.sim.pools import Pool

class Device(QueuedDevice):
    """A device in the model: its queue fields plus the work left at its current stage.

    ``queued_at``/``started_at`` remember the last stage whose queue entry and start were
    recorded, so a preempted or handed-back device keeps its first times (and the hot path
    avoids reading numpy scalars)."""

    __slots__ = ("remaining", "stage", "queued_at", "started_at", "work", "screened_out")
    remaining: float   # work left at the current stage, in working hours at rate 1
    work: list[float]  # standard hours of each stage on the route (the quick path's factor applied)
    screened_out: bool  # triage screens it out (if it passes triage)
    stage: int         # index into the model's route
    queued_at: int     # stage whose queue entry was recorded (-1: none yet)
    started_at: int    # stage whose start was recorded (-1: none yet)

    def __init__(self, i: int, tier: int, skill: int, submit: float, expedite: bool, due: float,
                 stage: int, remaining: float):
        # QueuedDevice's fields, set here in one call: a device is made per arrival.
        self.i = self.seq = i
        self.tier, self.skill, self.submit, self.expedite, self.due = tier, skill, submit, expedite, due
        self.in_queue = False
        self.stage, self.remaining = stage, remaining
        self.queued_at = self.started_at = -1


class Server:
    """One examiner, kiosk or workstation, following its roster exactly.

    A server is a handful of states (off shift, free, waiting for work, working a segment of a
    job) and every change of state happens at a SimPy event: a shift starts, a segment of work
    ends, the instant's dispatch round runs, the run of shifts ends while waiting. So it is
    written as those events' callbacks (``_free``, ``_serve``, ``_work``, ...), each a few lines,
    rather than as a generator process: a process costs a generator resume for every event (and
    a wake-up event to hand it work), which for a million jobs was the largest single cost of a
    run (issue 13, fourth round). The rules are those of the generator it replaced, line for
    line; ``tests/sim/reference_model.py`` keeps that generator, and ``tests/sim/test_lean_core.py``
    checks that every device starts and ends at the same times with the same server.

    Handing over: a free server idle since an earlier instant is handed its device by the
    dispatch and starts it at once (it used to be woken by an event, then start). With
    preemption, or a job with no work left, the wake-up events of before are kept (``_wake``), so
    that what a preemption sees at an instant is what it saw before."""

    def __init__(self, model: DFUModel, pool: Pool, sid: int, info: ServerInfo,
                 starts: np.ndarray, ends: np.ndarray, rates: np.ndarray, skills: list[int] | None):
        self.model, self.pool, self.sid, self.info = model, pool, sid, info
        self.starts, self.ends, self.rates = starts.tolist(), ends.tolist(), rates.tolist()
        self.n_shifts = len(self.starts)
        self.skills = None if skills is None else frozenset(skills)
        self.groups = pool.queue.groups_for(skills)
        self.current: Device | None = None
        self.working = False
        self.in_round = False                 # free and waiting for this instant's round
        self.assigned: Device | None = None   # handed over by the round, started when it calls back
        self._j = 0                           # the shift a round or an idle wait was joined in
        self.free_until = 0.0                 # while in the pool's free list: its run of shifts' end
        self._hops = 1                        # wake-up events a hand-over took before (see _wake)
        self._idle_timer: JobEvent | None = None     # the end of the current idle wait, if any
        self._segment: simpy.Event | None = None      # the end of the segment being worked
        self._seg = (0.0, 1.0, 0.0, 0.0)              # that segment: start, rate, finish, end
        # Free since (hours): the end of the last job, or the first shift's start before any.
        self.idle_since = self.starts[0] if self.starts else float("inf")
        w0, w1 = self.window = model.window
        # Each shift's overlap with the window (numpy), summed in order as before (Python's sum).
        info.rostered_hours = sum(np.maximum(np.minimum(ends, w1) - np.maximum(starts, w0), 0.0).tolist())
        # Where each shift's unbroken run of back-to-back shifts ends (a 24/7 roster's weekly
        # segments are one run, to the horizon or the leave date): an idle server waits for work
        # or that end, not for each segment's end, at which it would only go round again.
        self.run_ends = run_ends(self.starts, self.ends)
        self.env = model.env
        self.preemptive = model.preemptive
        self.whole_jobs = model.whole_jobs  # a job's shifts walked at once, one event (``_work_whole``)
        self._parked_at = 0.0                # when it parked (``_park``), off shift with nothing to take
        self._idle_ends = float("inf")       # when the current idle wait ends (its timer, when it has one)
        self._timeout = model.env.timeout   # SimPy's factory and lookups, bound once (not per event)
        self._peek = model.env.peek
        self.take = pool.queue.taker(sid, self.groups)  # take(now): the device to start now, or None
        Soon(model.env, self._begins)       # when SimPy would start a process made now

    def eligible(self, dev: Device) -> bool:
        return self.skills is None or dev.skill in self.skills

    def on_shift(self, now: float) -> bool:
        j = bisect_right(self.ends, now)
        return j < self.n_shifts and self.starts[j] <= now

    def _after(self, delay: float, then: Callable[[simpy.Event], None]) -> simpy.Event:
        """A timeout that calls ``then`` when it is processed."""
        t = self._timeout(delay)
        t.callbacks.append(then)
        return t

    # ---- free: sleep to the next shift, take work, or wait for it --------------------------------

    def _begins(self, _event: simpy.Event) -> None:
        self._free(self.env.now)

    def _shift_starts(self, _event: simpy.Event) -> None:
        self._free(self.env.now)

    def _free(self, now: float) -> None:
        """No device in hand at ``now``. Off shift: sleep to the next shift (none: done). On shift
        and alone at this instant (no round pending, no other event due now), the round would
        hold only this server: take directly. Otherwise join this instant's round."""
        j = bisect_right(self.ends, now)
        if j >= self.n_shifts:
            return  # no more shifts (left, or end of horizon)
        if now < self.starts[j]:
            if self.whole_jobs and not self.pool.queue.waiting_for(self.groups):
                self._park(now)
            else:
                self._after(self.starts[j] - now, self._shift_starts)
            return
        pool = self.pool
        if pool._round is None and self._peek() > now:
            dev = self.take(now)
            if dev is not None:
                self._serve(dev, now)
                return
            self.free_until = self.run_ends[j]
            pool.free.append(self)
            self._idle(now, j)
        else:
            self.free_until = self.run_ends[j]
            pool.free.append(self)
            self.in_round, self._j = True, j
            pool.dispatch_round().callbacks.append(self._after_round)

    def _park(self, now: float) -> None:
        """Off shift, and nothing waits that it may take: rather than wake at each shift start to
        find nothing and wait to the shift's end (three events a shift for an idle examiner), it
        parks in the pool until a device it may take comes (``Pool.put``). Only when nothing can
        change what it finds but a device coming (``whole_jobs``: no preemption, no planner)."""
        self._parked_at = now
        self.pool.parked.append(self)

    def unpark(self, now: float) -> None:
        """A device it may take comes at ``now``: stand where the shift starts it slept through
        would have left it (``rosters.idle_until``, the same event times): on shift and waiting in
        the free list to its run's end, or asleep to its next shift start."""
        at = idle_until(self.starts, self.ends, self.run_ends, self._parked_at, now, self.model.horizon)
        if at is None:
            return  # no shift left: it would have stopped
        j, woke, on_shift = at
        if on_shift:
            self.free_until = self.run_ends[j]
            self.pool.free.append(self)
            self._idle(woke, j)
        else:
            schedule_at(self.env, woke, self._shift_starts)

    def rewake(self, now: float) -> None:
        """In ``free`` with its wait over (no timer: ``_idle``) and a device it may take comes:
        the wait's end would have put it to sleep with nothing to take (as ``_park``), so it
        stands where the shift starts since would have left it (``unpark``)."""
        self.pool.free.remove(self)
        self._parked_at = self._idle_ends
        self.unpark(now)

    def _after_round(self, _event: simpy.Event) -> None:
        self.in_round = False
        dev, self.assigned = self.assigned, None
        if dev is not None:
            self._serve(dev, self.env.now)
        else:
            self._idle(self.env.now, self._j)

    def _idle(self, now: float, j: int) -> None:
        """Nothing to take: wait in the pool's free list for a device or the end of the run of
        shifts (for a 24/7 server, the horizon: no timeout at all)."""
        until = self.run_ends[j]
        if until >= self.model.horizon:  # on shift to the end: nothing but work can end this wait
            self._hops, self._idle_timer, self._idle_ends = 1, None, float("inf")
        else:  # at ``now + (until - now)``: a timeout made at ``now`` (``unpark`` passes an earlier now)
            self._hops = 2
            self._idle_ends = now + (until - now)
            # With nothing but a device able to change what it finds, no timer (``Pool.free``):
            # without one, a wait nobody ends costs no event at all.
            self._idle_timer = None if self.whole_jobs else schedule_at(self.env, self._idle_ends, self._idle_over)

    def _idle_over(self, event: simpy.Event) -> None:
        if event is not self._idle_timer:
            return  # handed work since: this wait is over already
        self._idle_timer = None
        self.pool.free.remove(self)  # shift over with nothing to do
        self._free(self.env.now)

    def hand(self, dev: Device, now: float) -> None:
        """The dispatch hands this idle server ``dev`` (already taken from the queue)."""
        self._idle_timer = None
        if self.preemptive or dev.remaining <= EPS:
            self.assigned = dev
            self._wake(None)
        else:
            self._serve(dev, now)

    def _wake(self, _event: simpy.Event | None) -> None:
        """The wake-up of before: an event at this instant (two when the wait had a timeout,
        as the wait's "first of" event had), then the device starts."""
        self._hops -= 1
        self._after(0.0, self._wake if self._hops > 0 else self._woken)

    def _woken(self, _event: simpy.Event) -> None:
        dev, self.assigned = self.assigned, None
        if dev is not None:
            self._serve(dev, self.env.now)

    # ---- working: segments of a job within shifts ---------------------------------------------

    def _serve(self, dev: Device, now: float) -> None:
        pool = self.pool
        if dev.started_at != pool.stage:
            dev.started_at = pool.stage
            pool.start[dev.i] = now
            pool.server[dev.i] = self.sid
        self.current = dev
        if self.whole_jobs:
            self._work_whole(dev, now)
        else:
            self._work(dev, now)

    def _work(self, dev: Device, now: float) -> None:
        """Work on ``dev`` (in hand) from ``now``: to the job's end or the shift's, whichever comes
        first; between shifts, pause until the next (the job stays with this server); with no
        shift left, the device goes back to the queue."""
        if dev.remaining <= EPS:
            self._complete(dev, now)
            return
        j = bisect_right(self.ends, now)
        if j >= self.n_shifts:  # leaving with work in hand: it goes back to the queue
            self._release(now)
            return
        if now < self.starts[j]:  # paused between shifts; resumes with this server
            self._after(self.starts[j] - now, self._shift_resumes)
            return
        rate = self.rates[j]
        finish = now + dev.remaining / rate
        seg_end = self.ends[j]
        if finish < seg_end:
            seg_end = finish
        self.working = True
        # Busy time is booked when a segment starts and refunded if it is interrupted, so a
        # segment still running when the run stops at the horizon counts (shift ends are
        # capped at the horizon, and SimPy never processes an event at `until` itself).
        # The overlap of [now, seg_end) with the window, inline: this line runs per segment.
        w0, w1 = self.window
        self.info.busy_hours += max(0.0, min(seg_end, w1) - max(now, w0))
        self._seg = (now, rate, finish, seg_end)
        t = self._segment = self._timeout(seg_end - now)
        t.callbacks.append(self._segment_ends)

    def _work_whole(self, dev: Device, now: float) -> None:
        """``_work`` when nothing can interrupt a job (no preemption, no planner reading the work
        in hand): the job's segments over shifts are walked at once (``rosters.walk_job``, the very
        float operations the segment events did) and one event is scheduled, at that exact time,
        for the job's end or, when the shifts run out, the device's release. A job that spanned k
        shifts cost 2k - 1 events; now one, and no device or server sees a difference
        (``tests/sim/test_lean_core.py``)."""
        t, rem, busy, done = walk_job(self.starts, self.ends, self.rates, now, dev.remaining, self.window)
        self.info.busy_hours += busy
        dev.remaining = rem
        if t == now:  # no work to do, or no shift left: at once, as ``_work`` does
            self._complete(dev, now) if done else self._release(now)
        else:
            schedule_at(self.env, t, self._job_ends if done else self._job_released)

    def _job_ends(self, _event: simpy.Event) -> None:
        assert self.current is not None
        self._complete(self.current, self.env.now)

    def _job_released(self, _event: simpy.Event) -> None:
        self._release(self.env.now)

    def _segment_ends(self, event: simpy.Event) -> None:
        if event is not self._segment:
            return  # preempted during this segment: the preemption took over
        self.working = False
        now0, rate, finish, seg_end = self._seg
        dev = self.current
        assert dev is not None
        if seg_end >= finish - EPS:  # the job is done
            dev.remaining = 0.0
            self._complete(dev, self.env.now)
        else:
            dev.remaining -= (seg_end - now0) * rate
            self._work(dev, self.env.now)

    def _shift_resumes(self, _event: simpy.Event) -> None:
        now = self.env.now
        if self.preemptive:
            queue = self.pool.queue
            best = queue.peek_key(self.groups, now)
            if best is not None and self.current is not None and best < queue.key(self.current, now):
                self._release(now)
                return
        assert self.current is not None
        self._work(self.current, now)

    def _preempted(self, _event: simpy.Event) -> None:
        """A more urgent device needs this server: keep the work done, give the device back."""
        now = self.env.now
        now0, rate, _finish, seg_end = self._seg
        dev = self.current
        assert dev is not None
        dev.remaining -= (now - now0) * rate
        self.info.busy_hours -= _overlap(now, seg_end, *self.window)
        self.working = False
        self._segment = None  # its end, still scheduled, no longer concerns this server
        self._release(now)

    def _complete(self, dev: Device, now: float) -> None:
        self.pool.end[dev.i] = now
        self.current = None
        self.model.advance(dev)
        self.idle_since = now
        self._free(now)

    def _release(self, now: float) -> None:
        dev, self.current = self.current, None
        assert dev is not None
        self.pool.put(dev, now)
        self.idle_since = now
        self._free(now)


#: Who chooses first among free servers: longest idle, then server index (scenario order). The
#: key ``(srv.idle_since, srv.sid)``, as a C-level getter: the dispatch sorts with it per round.
free_order: Callable[[Server], tuple[float, int]] = attrgetter("idle_since", "sid")
