"""The SimPy model as it was before issue 13's fourth round, kept verbatim as a reference.

Why in the tests: the fourth round rewrote the servers of the model from generator processes
into event callbacks (and hands a free server its device without a wake-up event), and moved them
to ``dfu_sched/sim/servers.py``. That must change no sample path: every device starts and ends at
the same times with the same server. ``tests/sim/test_lean_core.py`` runs this model and the real
one on the same workloads and compares every record; the flags below (``SEGMENT_WAKEUPS``,
``ALWAYS_ROUND``) still restore the rules of the rounds before, so those comparisons keep running
too. Nothing in the package imports this file. One change since: the records derive ``done`` from
the stage ends (round four's memory work), so ``_done`` is written only where it is stored.

The original module docstring follows.

The SimPy model of a DFU: stages as pools of rostered servers pulling from policy queues.

Rostering semantics (exact, documented in the README): a server works only inside its shifts.
SimPy resources cannot change capacity mid-run, so each examiner (and each kiosk or
workstation) is a process of its own that *pulls* work: between shifts it sleeps; on shift it
takes the most urgent eligible device; a job longer than the rest of the shift pauses at the
shift's end and resumes with the same server at its next shift (work is counted in working
hours). Ramp-up scales the work rate per shift; absence removes whole rostered days; a server
that leaves puts its unfinished device back in the queue with the work that remains.

When several servers are free at the same instant, which one takes what is a modelling choice
that moves results under rosters, so it is an explicit rule (``Pool``): the longest idle
chooses first, ties to the lower server index, never the order SimPy happens to run processes.
Busy time is booked per working segment as it starts, so work in hand at the horizon counts.

Why the hot path looks as it does (issue 13): a million-device run spends its time in a few lines
per event, so those lines read per-device facts from Python lists made a chunk of arrivals at a
time and write times through ``memoryview``s of the record columns (no numpy scalar per event),
bind SimPy's factories once, and wait with one cheap "first of" event instead of a SimPy
``Condition``; an idle server waits for work or the end of its unbroken run of shifts (for a 24/7
server, the horizon: no timeout at all), not for each weekly segment's end; and a dispatch round
with nothing else due at its instant runs at once, not as an event. None of it changes a number but
the event count: the same devices start and end at the same times with the same
servers (``tests/sim/test_lean_core.py`` checks it against the rule before).
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import simpy
from simpy.events import NORMAL, EventPriority

from dfu_sched.calendar import HOURS_PER_WEEK, STAGES
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.disciplines import DISCIPLINES, KeyParams, Planner
from dfu_sched.sim.queues import DispatchQueue, QueuedDevice
from dfu_sched.sim.records import EXAM, TRIAGE, Records, RunOutput, ServerInfo, cells
from dfu_sched.sim.rosters import EPS, _overlap, ramp_factor, run_ends, shift_table
from dfu_sched.sim.workload import QUICK_PATH, SCREENED_OUT, Workload, child_seed, generate

#: Devices the arrival process turns into Python values at a time: memory stays flat in devices.
ARRIVAL_CHUNK = 4096
#: True restores the idle wait of before (a shift-end timeout at every segment's end, even the
#: horizon's): the same run with more events. Kept so a test can show exactly that.
SEGMENT_WAKEUPS = False
#: True restores the dispatch round as an event at every dispatch (before issue 13's third round):
#: the same run with more events. Kept so a test can show exactly that.
ALWAYS_ROUND = False


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it schedules, through SimPy's public API.

    The count is the run's cost measure (``events`` in the JSON summary): every ``schedule()``
    call, which is exactly what SimPy's private event-id counter counted before."""

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.scheduled = 0

    def schedule(self, event: simpy.Event, priority: EventPriority = NORMAL, delay: float = 0) -> None:
        self.scheduled += 1
        _schedule(self, event, priority, delay)


_schedule = simpy.Environment.schedule  # bound once: no super() lookup per event


def first_of(env: simpy.Environment, a: simpy.Event, b: simpy.Event) -> simpy.Event:
    """An event that succeeds when the first of ``a`` and ``b`` is processed: ``a | b`` without a
    SimPy ``Condition``'s bookkeeping (a value dict, callback removal), scheduled at the same moment
    with the same priority, so the run's events and their order are exactly those of ``a | b``."""
    ev = env.event()

    def fire(_event: simpy.Event) -> None:
        if not ev.triggered:
            ev.succeed()

    a.callbacks.append(fire)
    b.callbacks.append(fire)
    return ev


class Device(QueuedDevice):
    """A device in the model: its queue fields plus the work left at its current stage.

    ``queued_at``/``started_at`` remember the last stage whose queue entry and start were
    recorded, so a preempted or handed-back device keeps its first times (and the hot path
    avoids reading numpy scalars)."""

    __slots__ = ("remaining", "stage", "queued_at", "started_at")
    remaining: float   # work left at the current stage, in working hours at rate 1
    stage: int         # index into the model's route
    queued_at: int     # stage whose queue entry was recorded (-1: none yet)
    started_at: int    # stage whose start was recorded (-1: none yet)


# ---- the model -------------------------------------------------------------------------------

class Pool:
    """One stage: a policy queue and the rostered servers that pull from it.

    Which free server takes work is decided here, once per instant, not by whichever SimPy
    process happens to run first: servers that come free (a job done, a shift started) and
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
        self.free: list[Server] = []            # on shift, no job: waiting for a dispatch round
        self._round: simpy.Event | None = None  # the round pending at the current instant
        rec = model.rec                         # this stage's record columns, written per device
        self.qenter = cells(rec.qenter.column(stage))
        self.start = cells(rec.start.column(stage))
        self.end = cells(rec.end.column(stage))
        self.server = cells(rec.server.column(stage))

    def put(self, dev: Device) -> None:
        now = self.model.env.now
        if dev.queued_at != self.stage:
            dev.queued_at = self.stage
            self.qenter[dev.i] = now
        self.queue.push(dev)
        if self._round is not None and not self.model.preemptive:
            return  # the round pending now sees this device too
        skill = dev.skill
        for srv in self.free:
            if (srv.skills is None or skill in srv.skills) and srv.on_shift(now):
                model = self.model
                if model.preemptive or ALWAYS_ROUND or model.more_now or model.env.peek() <= now:
                    self.dispatch_round()
                else:  # nothing else happens at this instant: the round now is the round later
                    self._dispatch(None)
                return
        if self.model.preemptive:
            self._preempt_for(dev, now)

    def dispatch_round(self) -> simpy.Event:
        """The dispatch of the current instant (created on first need, shared by all)."""
        if self._round is None:
            ev = self.model.env.event()
            ev.callbacks.append(self._dispatch)  # before any server's resume: assign, then wake
            ev.succeed()                         # due now, after every event already due now
            self._round = ev
        return self._round

    def _dispatch(self, _event: simpy.Event | None) -> None:
        self._round = None
        now = self.model.env.now
        ready = [s for s in self.free if s.on_shift(now)]
        if len(ready) > 1:
            ready.sort(key=free_order)
        for srv in ready:
            if not len(self.queue):
                break
            dev = srv.take(now)
            if dev is not None:
                self.free.remove(srv)
                srv.assigned = dev
                if srv.wake is not None:   # idle since an earlier instant: wake it
                    srv.wake.succeed()

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
            victim.process.interrupt("preempt")


class Server:
    """One examiner, kiosk or workstation: a SimPy process that follows its roster exactly."""

    def __init__(self, model: DFUModel, pool: Pool, sid: int, info: ServerInfo,
                 starts: np.ndarray, ends: np.ndarray, rates: np.ndarray, skills: list[int] | None):
        self.model, self.pool, self.sid, self.info = model, pool, sid, info
        self.starts, self.ends, self.rates = starts.tolist(), ends.tolist(), rates.tolist()
        self.skills = None if skills is None else frozenset(skills)
        self.groups = pool.queue.groups_for(skills)
        self.current: Device | None = None
        self.working = False
        self.wake: simpy.Event | None = None
        self.assigned: Device | None = None   # handed over by the pool's dispatch round
        # Free since (hours): the end of the last job, or the first shift's start before any.
        self.idle_since = self.starts[0] if self.starts else float("inf")
        w0, w1 = model.window
        info.rostered_hours = sum(_overlap(s, e, w0, w1) for s, e in zip(self.starts, self.ends))
        # Where each shift's unbroken run of back-to-back shifts ends (a 24/7 roster's weekly
        # segments are one run, to the horizon or the leave date): an idle server waits for work
        # or that end, not for each segment's end, at which it would only go round again.
        self.run_ends = list(self.ends) if SEGMENT_WAKEUPS else run_ends(self.starts, self.ends)
        self._timeout = model.env.timeout   # SimPy's factories, bound once (not per event)
        self._event = model.env.event
        self.process = model.env.process(self.run())

    def eligible(self, dev: Device) -> bool:
        return self.skills is None or dev.skill in self.skills

    def on_shift(self, now: float) -> bool:
        j = bisect_right(self.ends, now)
        return j < len(self.starts) and self.starts[j] <= now

    def take(self, now: float) -> Device | None:
        """The device this server would start now (removed from the queue), or None."""
        return self.pool.queue.take_for(self.sid, self.groups, now)

    def run(self):
        env, pool, starts, ends, timeout = self.model.env, self.pool, self.starts, self.ends, self._timeout
        take_for, sid, groups = pool.queue.take_for, self.sid, self.groups  # ``take``, bound once
        run_ends, horizon = self.run_ends, float("inf") if SEGMENT_WAKEUPS else self.model.horizon
        while True:
            now = env.now
            j = bisect_right(ends, now)
            if j >= len(starts):
                return  # no more shifts (left, or end of horizon)
            if now < starts[j]:
                yield timeout(starts[j] - now)
                continue
            # Free on shift. Alone at this instant (no round pending, no other event due now),
            # the round would hold only this server: take directly, saving an event per job.
            # Otherwise join this instant's round. With nothing for us, wait for a later round
            # (a device arriving) or the end of the shift.
            self.wake = None
            if pool._round is None and env.peek() > now:
                self.assigned = take_for(sid, groups, now)
                if self.assigned is None:
                    pool.free.append(self)
            else:
                pool.free.append(self)
                yield pool.dispatch_round()
            if self.assigned is None:
                self.wake = self._event()
                until = run_ends[j]
                if until >= horizon:  # on shift to the end: nothing but work can end this wait
                    yield self.wake
                else:
                    yield first_of(env, self.wake, timeout(until - now))
                if self.assigned is None:      # shift over with nothing to do
                    pool.free.remove(self)
                    continue
            dev, self.assigned = self.assigned, None
            yield from self.serve(dev)
            self.idle_since = env.now

    def serve(self, dev: Device):
        env, pool = self.model.env, self.pool
        s, timeout, info = pool.stage, self._timeout, self.info
        if dev.started_at != s:
            dev.started_at = s
            pool.start[dev.i] = env.now
            pool.server[dev.i] = self.sid
        self.current = dev
        w0, w1 = self.model.window
        starts, ends = self.starts, self.ends
        while dev.remaining > EPS:
            now = env.now
            j = bisect_right(ends, now)
            if j >= len(starts):  # leaving with work in hand: it goes back to the queue
                self._release(dev)
                return
            if now < starts[j]:  # paused between shifts; resumes with this server
                yield timeout(starts[j] - now)
                if self.model.preemptive:
                    best = self.pool.queue.peek_key(self.groups, env.now)
                    if best is not None and best < self.pool.queue.key(dev, env.now):
                        self._release(dev)
                        return
                continue
            rate = self.rates[j]
            finish = now + dev.remaining / rate
            seg_end = min(ends[j], finish)
            self.working = True
            # Busy time is booked when a segment starts and refunded if it is interrupted, so a
            # segment still running when the run stops at the horizon counts (shift ends are
            # capped at the horizon, and SimPy never processes an event at `until` itself).
            # The overlap of [now, seg_end) with the window, inline: this line runs per segment.
            info.busy_hours += max(0.0, min(seg_end, w1) - max(now, w0))
            try:
                yield timeout(seg_end - now)
            except simpy.Interrupt:
                t = env.now
                dev.remaining -= (t - now) * rate
                info.busy_hours -= _overlap(t, seg_end, w0, w1)
                self.working = False
                self._release(dev)
                return
            self.working = False
            dev.remaining = 0.0 if seg_end >= finish - EPS else dev.remaining - (seg_end - now) * rate
        pool.end[dev.i] = env.now
        self.current = None
        self.model.advance(dev)

    def _release(self, dev: Device) -> None:
        self.current = None
        self.pool.put(dev)


class ModelHook(Protocol):
    """An addition to a run (e.g. ``sim.outsourcing.Outsourcing``): starts its SimPy processes on the
    built model, then contributes its measures; the core model knows nothing else about it."""

    def start(self, model: DFUModel) -> None: ...

    def measures(self) -> dict[str, float]: ...


class DFUModel:
    """Builds pools and servers from a scenario, feeds the workload in, runs to the horizon.

    The constructor is a list of steps (pools, stations, examiners, arrivals, the discipline's
    planner) so a new kind of process is one more step; the order of the steps fixes the order in
    which SimPy starts processes, which the golden results depend on."""

    def __init__(self, sc: Scenario, wl: Workload, seed_seq: np.random.SeedSequence,
                 hooks: Sequence[ModelHook] = ()):
        self.sc, self.wl = sc, wl
        self.env = CountingEnvironment()
        self.horizon = sc.calendar.horizon_weeks * HOURS_PER_WEEK
        self.window = (sc.calendar.warmup_weeks * HOURS_PER_WEEK, self.horizon)
        self.route = [STAGES.index(s) for s in sc.enabled_stages]
        self.rec = Records.empty(wl.n, self.route)
        self._done = self.rec.done_cells()  # None: derived from the ends (the records' rule since round four)
        self._hours = {s: cells(wl.hours[:, s]) for s in self.route}  # a view: no copy
        self._triage = cells(wl.triage)
        self._first = cells(wl.first_stage)
        self._quick_factor = sc.stages.triage.quick_path_factor if TRIAGE in self.route else None
        self.discipline = DISCIPLINES[sc.policy.discipline]
        self.preemptive = sc.policy.preemptive
        self.weights = [t.weight for t in sc.tiers]
        self.targets_h = [t.target_days * 24.0 for t in sc.tiers]
        self.type_skill = [sc.skills.index(d.skill) for d in sc.device_types.values()]
        self.pools: dict[int, Pool] = {}
        self.more_now = False  # the arrival process has another device to put at this instant
        self.server_info: list[ServerInfo] = []
        self.servers: list[Server] = []
        self._build_pools()
        self._add_stations()
        self._add_examiners(child_seed(seed_seq, 0))
        self.env.process(self._arrivals())
        self.planner: Planner | None = self.discipline.start(self)
        self.hooks = tuple(hooks)
        for hook in self.hooks:  # last, so the core's processes keep their order
            hook.start(self)

    def _build_pools(self) -> None:
        """One queue per stage on the route, as the discipline makes them."""
        sc = self.sc
        key = self.discipline.make_key(KeyParams(self.weights, self.targets_h, sc.policy.aging_days))
        n_tiers, n_skills = len(sc.tiers), len(sc.skills)
        for s in self.route:
            exam = s == EXAM
            q = self.discipline.make_queue(key, n_tiers, n_skills if exam else None, examination=exam)
            self.pools[s] = Pool(self, s, q)

    def _add_stations(self) -> None:
        """Kit stages (triage kiosks, extraction workstations): identical rostered servers."""
        start_weekday = self.sc.calendar.start_date.weekday()
        for s in self.route:
            if s == EXAM:
                continue
            cfg = getattr(self.sc.stages, STAGES[s])
            for k in range(cfg.servers):
                st, en = shift_table(cfg.roster, start_weekday, self.horizon)
                self._add_server(s, f"{STAGES[s]}", f"{STAGES[s]}-{k + 1}", st, en, np.ones(len(st)), None)

    def _add_examiners(self, absence_root: np.random.SeedSequence) -> None:
        """Examiners by group: skills, roster, absence, start and leave weeks, ramp-up."""
        sc = self.sc
        start_weekday = sc.calendar.start_date.weekday()
        n_days = int(np.ceil(self.horizon / 24.0)) + 2
        k_global = 0
        for group in sc.examiners:
            skills = [sc.skills.index(x) for x in group.skills]
            for k in range(group.count):
                # One absence stream per examiner position: adding staff leaves others' days intact.
                ss = child_seed(absence_root, k_global)
                k_global += 1
                absent = np.random.default_rng(ss).random(n_days) < group.absence if group.absence > 0 else None
                leave_h = group.leave_week * HOURS_PER_WEEK if group.leave_week is not None else None
                st, en = shift_table(group, start_weekday, self.horizon, absent,
                                     group.start_week * HOURS_PER_WEEK, leave_h)
                rates = group.productivity * ramp_factor(group, st)
                name = group.name if group.count == 1 else f"{group.name} {k + 1}"
                self._add_server(EXAM, group.name, name, st, en, rates, skills)

    def _add_server(self, stage: int, group: str, name: str, starts: np.ndarray, ends: np.ndarray,
                    rates: np.ndarray, skills: list[int] | None) -> None:
        info = ServerInfo(stage=stage, group=group, name=name)
        self.server_info.append(info)
        srv = Server(self, self.pools[stage], len(self.servers), info, starts, ends, rates, skills)
        self.servers.append(srv)
        self.pools[stage].servers.append(srv)

    def _arrivals(self):
        """Devices join their first queue in release order (stable: ties in index order), read a
        chunk at a time so no per-device Python list of the whole workload is ever held."""
        wl, env, horizon, timeout = self.wl, self.env, self.horizon, self.env.timeout
        release = wl.release
        in_order = bool(np.all(release[1:] >= release[:-1]))  # the usual case: no sort, no index array
        order = None if in_order else np.argsort(release, kind="stable")
        type_skill, targets_h, stage_of = self.type_skill, self.targets_h, {s: k for k, s in enumerate(self.route)}
        for lo in range(0, wl.n, ARRIVAL_CHUNK):
            hi = min(lo + ARRIVAL_CHUNK, wl.n)
            idx = np.arange(lo, hi) if order is None else order[lo:hi]
            ts = release[idx].tolist()
            # The next device's release: a device with another at its instant still to come must
            # leave the decision to the instant's dispatch round, which sees both (``Pool.put``).
            nexts = ts[1:] + [float(release[hi if order is None else order[hi]]) if hi < wl.n else float("inf")]
            for i, t, t_next, tr, dt, sub, exp, first in zip(
                    idx.tolist(), ts, nexts, wl.tier[idx].tolist(), wl.dtype[idx].tolist(),
                    wl.submit[idx].tolist(), wl.expedite[idx].tolist(), wl.first_stage[idx].tolist()):
                if t >= horizon:
                    return
                if t > env.now:
                    yield timeout(t - env.now)
                dev = Device(i, tr, type_skill[dt], sub, exp, sub + targets_h[tr])
                dev.stage = stage_of[first]
                dev.queued_at = dev.started_at = -1
                self.more_now = t_next <= t
                self._enter(dev)
            self.more_now = False

    def _enter(self, dev: Device) -> None:
        s = self.route[dev.stage]
        hours = self._hours[s][dev.i]
        if (s == EXAM and self._quick_factor is not None and self._triage[dev.i] == QUICK_PATH
                and self._first[dev.i] <= TRIAGE):
            hours *= self._quick_factor
        dev.remaining = hours
        self.pools[s].put(dev)

    def advance(self, dev: Device) -> None:
        """Move a device on after a stage: next queue, screened out, or done."""
        s = self.route[dev.stage]
        if s == TRIAGE and self._triage[dev.i] == SCREENED_OUT:
            self.rec.screened[dev.i] = True
            if self._done is not None:
                self._done[dev.i] = self.env.now
            return
        dev.stage += 1
        if dev.stage >= len(self.route):
            if self._done is not None:
                self._done[dev.i] = self.env.now
            return
        self._enter(dev)

    def run(self) -> RunOutput:
        self.env.run(until=self.horizon)
        stats = self.planner.stats if self.planner is not None else {}
        measures = {k: v for hook in self.hooks for k, v in hook.measures().items()}
        return RunOutput(self.rec, self.server_info, self.env.scheduled, stats, measures)


def free_order(srv: Server) -> tuple[float, int]:
    """Who chooses first among free servers: longest idle, then server index (scenario order)."""
    return (srv.idle_since, srv.sid)


def simulate_once(sc: Scenario, seed_seq: np.random.SeedSequence, wl: Workload | None = None,
                  hooks: Sequence[ModelHook] = ()) -> tuple[RunOutput, Workload]:
    """One replication: its workload (from the seed, unless given) through the model."""
    wl_seed, model_seed = child_seed(seed_seq, 0), child_seed(seed_seq, 1)
    wl = generate(sc, wl_seed) if wl is None else wl
    return DFUModel(sc, wl, model_seed, hooks).run(), wl
