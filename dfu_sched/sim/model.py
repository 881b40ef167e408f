"""The SimPy model of a DFU: stages as pools of rostered servers pulling from policy queues.

Rostering semantics (exact, documented in the README): a server works only inside its shifts.
SimPy resources cannot change capacity mid-run, so each examiner (and each kiosk or
workstation) follows its own roster and *pulls* work: between shifts it sleeps; on shift it
takes the most urgent eligible device; a job longer than the rest of the shift pauses at the
shift's end and resumes with the same server at its next shift (work is counted in working
hours). Ramp-up scales the work rate per shift; absence removes whole rostered days; a server
that leaves puts its unfinished device back in the queue with the work that remains.

When several servers are free at the same instant, which one takes what is a modelling choice
that moves results under rosters, so it is an explicit rule (``Pool``): the longest idle
chooses first, ties to the lower server index, never the order SimPy happens to process events.
Busy time is booked per working segment as it starts, so work in hand at the horizon counts.

Why the hot path looks as it does (issue 13): a million-device run spends its time in a few lines
per event, so those lines read per-device facts from Python lists made a chunk of arrivals at a
time and write times through ``memoryview``s of the record columns (no numpy scalar per event)
and bind SimPy's factories once; a dispatch round with nothing else due at its instant runs at
once, not as an event; a server is a set of event callbacks, not a generator process, handed its
device without a wake-up event (``Server``), and so are the arrivals (``_arrive``). When nothing
can interrupt a job or read it half done (no preemption, no weekly planner: ``whole_jobs``) a job
is one event however many shifts it spans (``rosters.walk_job``), and an idle server costs no
event until a device it may take comes: it neither times its wait nor wakes at shift starts to
find nothing (``Server._park``, ``rosters.idle_until``). The weekly planner stays a generator
process. None of it changes a number but the event count: the same devices start and end at the
same times with the same servers (``tests/sim/test_lean_core.py`` checks each step against the
model before it, ``tests/sim/reference_model.py``).
"""
from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

import numpy as np
import simpy

from dfu_sched.calendar import HOURS_PER_WEEK, STAGES
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim import native
from dfu_sched.sim.disciplines import DISCIPLINES, KeyParams, Planner
from dfu_sched.sim.events import Soon
from dfu_sched.sim.kernel import JobEvent, at
from dfu_sched.sim.pools import Pool
from dfu_sched.sim.records import EXAM, TRIAGE, Records, RunOutput, ServerInfo
from dfu_sched.sim.rosters import ramp_factor, shift_table
from dfu_sched.sim.servers import Device, Server
from dfu_sched.sim.workload import SCREENED_OUT, Workload, child_seed, generate, stage_work

native.warn_if_stale()  # an edited source whose compiled module would run instead (``sim/native.py``)

#: Devices the arrival process turns into Python values at a time: memory stays flat in devices.
ARRIVAL_CHUNK = 4096


@contextmanager
def without_gc() -> Iterator[None]:
    """No cyclic garbage collection inside: for a replication (its workload, model, run and
    measures). A run allocates an object or two per event (events, heap entries, devices) and the
    arrivals a list of floats a chunk; each is freed by reference counting, none is in a cycle (the
    only cycles are the model's own pools and servers, a few hundred objects, freed after), but the
    allocations set the collector off, and each of its full passes walks every live object of the
    process: a tenth to a fifth of a replication (issue 13). Restored as it was, so a caller's
    setting, an enclosing ``without_gc`` or another thread's run is left alone."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that tells how many events it has scheduled.

    The count is the run's cost measure (``events`` in the JSON summary): every ``schedule()``
    call. SimPy numbers each scheduled event from its event-id counter (an ``itertools.count``
    from 0), so the count is read there when asked, from the counter's ``repr``, without touching
    it. It was counted by overriding ``schedule()``, a Python call per event: 5-10 % of a
    million-device run, for a number read once. ``tests/sim/test_lean_core.py`` checks it against
    SimPy's own loop (every event scheduled is either processed, one ``step``, or still queued),
    so a SimPy that numbered events another way would fail there (or here, loudly), not give a
    wrong figure."""

    def at(self, time: float, callback: Callable[[simpy.Event], None]) -> JobEvent:
        """An event at the absolute ``time`` that calls ``callback``: what ``timeout(time - now)``
        is, but at exactly ``time`` (``now + (time - now)`` can be one float step off it), so a
        job's end computed ahead (``Server._work_whole``) falls where its segments' events did.
        SimPy's own ``schedule`` with the time given rather than the delay (``sim/kernel.py``;
        the servers call that directly)."""
        return at(self, time, callback)

    @property
    def scheduled(self) -> int:
        found = re.fullmatch(r"count\((\d+)\)", repr(getattr(self, "_eid", None)))
        if found is None:
            raise RuntimeError("this SimPy version does not number its events with itertools.count")
        return int(found.group(1))


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
        self._done = self.rec.done_cells()  # None: derived from the ends (``Records``)
        self._quick_factor = sc.stages.triage.quick_path_factor if TRIAGE in self.route else None
        self.discipline = DISCIPLINES[sc.policy.discipline]
        self.preemptive = sc.policy.preemptive
        # Nothing interrupts a job or reads it half done (no preemption, no planner reading each
        # examiner's work in hand): a job's segments over shifts can be walked at once (``Server``).
        self.whole_jobs = not self.preemptive and self.discipline.planner is None
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
        self._pool_of = [self.pools.get(k) for k in range(len(STAGES))]
        self._rows = self._arrival_rows()
        self._next_row = next(self._rows, None)
        Soon(self.env, self._arrive)  # when SimPy would start an arrival process made now
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

    def _arrival_rows(self) -> Iterator[tuple]:
        """Devices in release order (stable: ties in index order), drawn a chunk at a time
        (``Workload.arrival_chunks``) so no per-device table or Python list of the whole workload
        is ever held; a device carries its own stage hours from here on. What each device needs
        (its skill, due time, first stage and its work) is computed for the chunk with numpy, the
        same float operations as one device at a time. A plain generator: ``_arrive`` pulls it."""
        skill_of, target_of = np.asarray(self.type_skill, np.int64), np.asarray(self.targets_h, float)
        stage_of = np.full(len(STAGES), -1, np.int64)
        stage_of[self.route] = np.arange(len(self.route))
        for ch, after in self.wl.arrival_chunks(ARRIVAL_CHUNK):
            ts, sub, tier, first = ch["release"], ch["submit"], ch["tier"], ch["first_stage"]
            # The next device's release: a device with another at its instant still to come must
            # leave the decision to the instant's dispatch round, which sees both (``Pool.put``).
            nexts = np.append(ts[1:], after)
            work = stage_work(ch, self.route, self._quick_factor).tolist()
            out = (ch["triage"] == SCREENED_OUT).tolist()
            yield from zip(ch.idx.tolist(), ts.tolist(), (nexts <= ts).tolist(), tier.tolist(),
                           skill_of[ch["dtype"]].tolist(), sub.tolist(), ch["expedite"].tolist(),
                           (sub + target_of[tier]).tolist(), stage_of[first].tolist(), work, out, first.tolist())

    def _arrive(self, _event: simpy.Event) -> None:
        """Every device released at this instant joins its first queue; then one event at the next
        release (at ``now + (t - now)``, as the arrival process's timeout was): the arrivals are an
        event callback, not a generator process resumed per device (issue 13, fifth round)."""
        now, horizon = self.env.now, self.horizon
        row = self._next_row
        while row is not None:
            i, t, together, tr, skill, s, exp, due, k, w, so, f = row
            if t >= horizon:
                break
            if t > now:
                self._next_row = row
                self.env.at(now + (t - now), self._arrive)
                return
            dev = Device(i, tr, skill, s, exp, due, k, w[k])
            dev.work, dev.screened_out = w, so
            self.more_now = together
            self._pool_of[f].put(dev, now)
            row = next(self._rows, None)
        self._next_row = None
        self.more_now = False

    def advance(self, dev: Device) -> None:
        """Move a device on after a stage: next queue, screened out, or done."""
        s = self.route[dev.stage]
        if s == TRIAGE and dev.screened_out:
            self.rec.screened[dev.i] = True
            if self._done is not None:
                self._done[dev.i] = self.env.now
            return
        dev.stage = k = dev.stage + 1
        if k >= len(self.route):
            if self._done is not None:
                self._done[dev.i] = self.env.now
            return
        dev.remaining = dev.work[k]  # its next stage's work; this runs once per device and stage
        self.pools[self.route[k]].put(dev, self.env.now)

    def run(self) -> RunOutput:
        with without_gc():
            self.env.run(until=self.horizon)
        stats = self.planner.stats if self.planner is not None else {}
        measures = {k: v for hook in self.hooks for k, v in hook.measures().items()}
        return RunOutput(self.rec, self.server_info, self.env.scheduled, stats, measures)


def simulate_once(sc: Scenario, seed_seq: np.random.SeedSequence, wl: Workload | None = None,
                  hooks: Sequence[ModelHook] = ()) -> tuple[RunOutput, Workload]:
    """One replication: its workload (from the seed, unless given) through the model."""
    wl_seed, model_seed = child_seed(seed_seq, 0), child_seed(seed_seq, 1)
    with without_gc():
        wl = generate(sc, wl_seed) if wl is None else wl
        return DFUModel(sc, wl, model_seed, hooks).run(), wl
