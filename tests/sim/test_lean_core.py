"""The lean core's structures (issue 13): each must give exactly what the code it replaced gave.

Per-stage record columns, arrivals read a chunk at a time, the cheap "first of" wait and the
one-candidate dispatch are speed and memory changes only; the golden files pin the numbers end to
end, and these tests pin each piece on its own, so a failure says which one broke.
"""
from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest
import simpy

from dfu_sched.calendar import STAGES
from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim import model as model_mod
from dfu_sched.sim import workload as wl_mod
from dfu_sched.sim.disciplines import DISCIPLINES, KeyParams
from dfu_sched.sim.events import Soon
from dfu_sched.sim.experiment import replication_seed
from dfu_sched.sim.model import CountingEnvironment, DFUModel, simulate_once
from dfu_sched.sim.outsourcing import Outsourcing, outsourcing_stream
from dfu_sched.sim.queues import DispatchQueue, QueuedDevice
from dfu_sched.sim.records import EXAM, Records, StageTable
from dfu_sched.sim.rosters import run_ends
from dfu_sched.sim.workload import child_seed, generate
from tests.helpers import BASELINE, ROOT
from tests.sim import reference_model as reference
from tests.sim.reference_model import first_of


def mmc(weeks: int, servers: int = 10, rho: float = 0.9):
    """M/M/c from the validation wing's theory file (one-hour exponential service, 24/7)."""
    sc = load_scenario(ROOT / "scenarios" / "theory" / "mmc_rho85.yaml")
    return sc.with_updates({"calendar": {"horizon_weeks": weeks, "warmup_weeks": 0},
                            "arrivals": {"cases_per_week": rho * servers * 168.0},
                            "examiners": [{"name": "e", "count": servers, "skills": ["any"], "continuous": True}]})


# ---- record columns ------------------------------------------------------------------------------

def test_stage_table_reads_like_the_array_it_replaces():
    t = StageTable(3, [EXAM], np.nan)
    t[1, EXAM] = 5.0
    t[np.array([0, 2]), EXAM] = [1.0, 2.0]
    full = np.full((3, len(STAGES)), np.nan)
    full[:, EXAM] = [1.0, 5.0, 2.0]
    np.testing.assert_array_equal(np.asarray(t), full)
    np.testing.assert_array_equal(t[:, EXAM], [1.0, 5.0, 2.0])
    assert t.shape == full.shape and np.isnan(t[2, 0]) and t[:, 0].shape == (3,)


def test_an_unrouted_stage_reads_its_fill_and_refuses_writes():
    t = StageTable(4, [EXAM], -1, np.int64)
    other = next(k for k in range(len(STAGES)) if k != EXAM)
    np.testing.assert_array_equal(t[:, other], [-1] * 4)
    with pytest.raises(KeyError):
        t[0, other] = 3
    with pytest.raises(ValueError):  # the fill view is read-only: nobody can write through it
        t.column(other)[0] = 3


def test_records_hold_only_the_routed_stages():
    rec = Records.empty(1000, [EXAM])
    assert set(rec.start.cols) == {EXAM}
    assert all(rec.start.column(k).nbytes == 8000 for k in range(len(STAGES)))  # views report, hold nothing
    assert sum(c.nbytes for c in rec.start.cols.values()) == 8000


def test_baseline_records_equal_a_run_with_every_stage_allocated(monkeypatch):
    sc = load_scenario(BASELINE).with_updates({"calendar": {"horizon_weeks": 12}})
    lean, wl = simulate_once(sc, replication_seed(3, 0))
    monkeypatch.setattr(model_mod.Records, "empty", classmethod(lambda cls, n, stages=None: Records(
        *(StageTable(n, range(len(STAGES)), f, d) for f, d in ((np.nan, float),) * 3 + ((-1, np.int64),)),
        np.full(n, np.nan), np.zeros(n, bool))))
    wide, _ = simulate_once(sc, replication_seed(3, 0), wl)
    for name in ("qenter", "start", "end", "server"):
        np.testing.assert_array_equal(np.asarray(getattr(lean.records, name)), np.asarray(getattr(wide.records, name)))
    np.testing.assert_array_equal(lean.records.done, wide.records.done)
    assert lean.events == wide.events


# ---- arrivals a chunk at a time ------------------------------------------------------------------

@pytest.mark.parametrize("chunk", [1, 7])
def test_arrivals_in_chunks_give_the_same_run(monkeypatch, chunk):
    sc = load_scenario(BASELINE).with_updates({"calendar": {"horizon_weeks": 12}})  # a backlog: ties at 0
    ref, wl = simulate_once(sc, replication_seed(5, 0))
    monkeypatch.setattr(model_mod, "ARRIVAL_CHUNK", chunk)
    got, _ = simulate_once(sc, replication_seed(5, 0), wl)
    np.testing.assert_array_equal(np.asarray(ref.records.start), np.asarray(got.records.start))
    np.testing.assert_array_equal(ref.records.done, got.records.done)
    assert ref.events == got.events and [s.busy_hours for s in ref.servers] == [s.busy_hours for s in got.servers]


def test_arrivals_out_of_index_order_enter_by_release_then_index():
    sc = mmc(weeks=1, servers=1, rho=0.2)
    wl = generate(sc, child_seed(replication_seed(1, 0), 0))
    rel = wl.release.copy()
    rel[:] = rel[::-1]  # latest first in index order: the model must sort (stably)
    rel[1] = rel[0]     # a tie: the lower index enters first
    wl2 = wl.with_columns(release=rel, submit=rel.copy())
    m = DFUModel(sc, wl2, child_seed(replication_seed(1, 0), 1))
    m.run()
    q = m.rec.qenter[:, EXAM]
    entered = np.argsort(q, kind="stable")
    np.testing.assert_array_equal(entered, np.argsort(rel, kind="stable"))


# ---- the cheap "first of" wait -------------------------------------------------------------------

def _waits(combine, a_at: float, b_at: float):
    """When a process waiting on the first of two events resumes, and how many events were scheduled."""
    env = CountingEnvironment()
    log = []

    def trigger(ev, at):
        yield env.timeout(at)
        ev.succeed()

    def waiter():
        a, b = env.event(), env.timeout(b_at)
        env.process(trigger(a, a_at))
        yield combine(env, a, b)
        log.append(env.now)
        yield env.timeout(1.0)
        log.append(env.now)

    env.process(waiter())
    env.run(until=50)
    return log, env.scheduled


@pytest.mark.parametrize("a_at,b_at", [(2.0, 5.0), (5.0, 2.0), (3.0, 3.0)])
def test_first_of_schedules_exactly_what_a_condition_does(a_at, b_at):
    assert _waits(first_of, a_at, b_at) == _waits(lambda env, a, b: a | b, a_at, b_at)


# ---- one-candidate dispatch ----------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(DISCIPLINES))
def test_the_one_candidate_shortcut_picks_what_the_full_comparison_picks(name):
    key = DISCIPLINES[name].make_key(KeyParams([4.0, 2.0, 1.0], [24.0, 240.0, 2400.0], None))
    rng = np.random.default_rng(11)
    for trial in range(200):
        q: DispatchQueue = DispatchQueue(key, 3, 2)
        devs = [QueuedDevice(i, int(rng.integers(3)), int(rng.integers(2)), float(rng.random() * 100),
                             bool(rng.random() < 0.1), 0.0) for i in range(int(rng.integers(0, 5)))]
        for d in devs:
            q.push(d)
        for d in devs[: int(rng.integers(0, len(devs) + 1))]:
            if rng.random() < 0.3:
                q.take(d)  # stale heap entries the lookup must skip
        groups = q.groups_for(None if trial % 2 else [int(rng.integers(2))])
        assert q._best_group(groups, 150.0) == q._best(groups, 150.0)[0]


# ---- memory --------------------------------------------------------------------------------------

def _run_bytes(weeks: int) -> tuple[int, int]:
    """Devices, and the peak bytes a run allocates beyond its workload (tracemalloc sees numpy), on
    an M/M/2 (about 300 devices a week, so a week's block of arrivals is small next to the runs)."""
    sc = mmc(weeks, servers=2)
    wl = generate(sc, child_seed(replication_seed(1, 0), 0))
    gc.collect()
    gc.disable()  # where the collector happens to run moves the peak by ~100 kB; with it off,
    tracemalloc.start()  # cyclic garbage would also show up here, as growth with the run
    try:
        base = tracemalloc.get_traced_memory()[0]
        DFUModel(sc, wl, child_seed(replication_seed(1, 0), 1)).run()
        return wl.n, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
        gc.enable()


def test_a_run_adds_about_27_bytes_a_device(monkeypatch):
    """What one more device costs a run: its examination records (27 bytes: queue, start, end,
    server (2 bytes), screened; ``done`` is read off the ends on a route that ends at examination)
    and nothing that grows with the run: the workload is drawn a week of cases at a time as the
    arrivals reach it. Measured as the slope between two run lengths, so the fixed part (processes,
    pending events, one block of arrivals) cancels. It was 287 when arrivals turned the whole
    workload into Python lists and the records held every stage, 41 before ``done`` was derived and
    servers took two bytes. Two-sided: below 27 would mean records went missing."""
    monkeypatch.setattr(model_mod, "ARRIVAL_CHUNK", 256)
    monkeypatch.setattr(wl_mod, "CASE_CHUNK", 64)  # a block a week: both runs hold two at a handover
    monkeypatch.setattr(wl_mod, "KEEP_ROWS", 0)  # lazy however small, as a large run is
    _run_bytes(1)  # once for what the first run allocates only once (caches)
    n1, b1 = _run_bytes(8)
    n2, b2 = _run_bytes(16)
    slope = (b2 - b1) / (n2 - n1)
    assert n2 - n1 > 2000
    assert 26 < slope < 36, slope


def test_simpy_is_unchanged_underneath():
    """first_of relies on SimPy processing callbacks in order and on Event.triggered; a SimPy that
    changed either would show here before it showed as a golden-file difference."""
    env = simpy.Environment()
    ev, order = env.event(), []
    ev.callbacks.append(lambda e: order.append(1))
    ev.callbacks.append(lambda e: order.append(2))
    ev.succeed()
    assert ev.triggered and not ev.processed
    env.run()
    assert order == [1, 2]


# ---- the idle wait: to the end of a run of shifts, not to every segment's end -----------------------

def test_run_ends_joins_back_to_back_shifts_only():
    assert run_ends([0.0, 168.0, 336.0], [168.0, 336.0, 400.0]) == [400.0, 400.0, 400.0]
    assert run_ends([8.0, 32.0], [16.0, 40.0]) == [16.0, 40.0]
    assert run_ends([0.0, 10.0, 20.0], [10.0, 15.0, 30.0]) == [15.0, 15.0, 30.0]
    assert run_ends([], []) == []


@pytest.mark.parametrize("case", ["mmc", "baseline", "leaver"])
def test_the_idle_wait_to_the_run_end_gives_the_same_run_with_fewer_events(monkeypatch, case):
    """Same records, servers and busy hours as with a wake-up at every segment's end (the rule
    before), and fewer events: what lets the golden files change in ``run.events`` only."""
    if case == "mmc":
        sc = mmc(6, servers=3)
    else:
        # Without today's backlog, so servers do run dry (with it, nobody idles in 12 weeks).
        sc = load_scenario(BASELINE).with_updates({"calendar": {"horizon_weeks": 12}, "backlog": []})
        if case == "leaver":  # a 24/7 server that leaves mid-run: its run of shifts ends then
            sc = sc.with_updates({"examiners": [*[g.model_dump(by_alias=True) for g in sc.examiners],
                                                {"name": "temp", "count": 1, "skills": list(sc.skills),
                                                 "continuous": True, "leave_week": 7}]})
    new, wl = simulate_once(sc, replication_seed(8, 0))
    monkeypatch.setattr(reference, "SEGMENT_WAKEUPS", True)
    old, _ = reference.simulate_once(sc, replication_seed(8, 0), wl)
    for name in ("qenter", "start", "end", "server"):
        np.testing.assert_array_equal(np.asarray(getattr(old.records, name)), np.asarray(getattr(new.records, name)))
    np.testing.assert_array_equal(old.records.done, new.records.done)
    assert [(s.busy_hours, s.rostered_hours) for s in old.servers] == [(s.busy_hours, s.rostered_hours)
                                                                        for s in new.servers]
    assert new.events < old.events


# ---- the dispatch round: an event only when something else happens at the instant -----------------

@pytest.mark.parametrize("case", ["mmc", "baseline", "baseline_backlog", "skills"])
def test_dispatching_at_once_when_alone_gives_the_same_run_with_fewer_events(monkeypatch, case):
    """A device put when no other event is due at its instant (and no other device of the arrival
    process is still to come at it) is dispatched at once instead of in a round event: the round
    would have seen exactly the same queue and free servers. Same records, servers and busy hours
    as with a round event at every dispatch (the rule before), and fewer events."""
    if case == "mmc":
        sc = mmc(6, servers=3)
    else:
        sc = load_scenario(BASELINE).with_updates({"calendar": {"horizon_weeks": 12}})
        if case != "baseline_backlog":
            sc = sc.with_updates({"backlog": []})  # servers run dry, so arrivals meet free servers
        if case == "skills":  # a specialist: free servers not eligible for every device
            sc = sc.with_updates({"examiners": [*[g.model_dump(by_alias=True) for g in sc.examiners],
                                                {"name": "spec", "count": 2, "skills": [sc.skills[0]],
                                                 "continuous": True}]})
    new, wl = simulate_once(sc, replication_seed(9, 0))
    monkeypatch.setattr(reference, "ALWAYS_ROUND", True)
    old, _ = reference.simulate_once(sc, replication_seed(9, 0), wl)
    for name in ("qenter", "start", "end", "server"):
        np.testing.assert_array_equal(np.asarray(getattr(old.records, name)), np.asarray(getattr(new.records, name)))
    np.testing.assert_array_equal(old.records.done, new.records.done)
    assert [(s.busy_hours, s.rostered_hours) for s in old.servers] == [(s.busy_hours, s.rostered_hours)
                                                                        for s in new.servers]
    assert new.events < old.events, (new.events, old.events)


def test_devices_released_together_still_meet_in_one_round():
    """Two devices released at the same instant to one free server: the more urgent starts first,
    whichever the arrival process puts first (so the direct dispatch must not take the first)."""
    sc = mmc(1, servers=1, rho=0.2)
    wl = generate(sc, child_seed(replication_seed(1, 0), 0))
    rel = wl.release.copy()
    rel[1] = rel[0]
    sub = wl.submit.copy()
    sub[0], sub[1] = rel[0], rel[0] - 100.0  # device 1 was submitted earlier: first under FIFO
    wl2 = wl.with_columns(release=rel, submit=sub)
    m = DFUModel(sc, wl2, child_seed(replication_seed(1, 0), 1))
    m.run()
    start = m.rec.start[:, EXAM]
    assert start[1] == rel[0] and start[0] > start[1]


# ---- servers as event callbacks, handed work without a wake-up (fourth round) ----------------------

def _shipped(name: str):
    return load_scenario(ROOT / "scenarios" / name)


def _callback_cases() -> dict:
    base = load_scenario(BASELINE).with_updates({"calendar": {"horizon_weeks": 12}})
    staff = [g.model_dump(by_alias=True) for g in base.examiners]
    short = {"calendar": {"horizon_weeks": 12, "warmup_weeks": 2}}
    return {
        "mmc": lambda: mmc(6, servers=10),
        "baseline": lambda: base,
        "baseline_no_backlog": lambda: base.with_updates({"backlog": []}),
        "specialists": lambda: base.with_updates({"backlog": [], "examiners": [
            *staff, {"name": "spec", "count": 2, "skills": [base.skills[0]], "continuous": True}]}),
        "leaver_and_starter": lambda: base.with_updates({"backlog": [], "examiners": [
            *staff, {"name": "temp", "count": 1, "skills": list(base.skills), "continuous": True, "leave_week": 7},
            {"name": "new", "count": 1, "skills": list(base.skills), "start_week": 3}]}),
        "priority": lambda: _shipped("north_yorkshire_2022_priority.yaml").with_updates(short),
        "weekly_plan": lambda: _shipped("north_yorkshire_2022_weekly_plan.yaml").with_updates(
            {"calendar": {"horizon_weeks": 4, "warmup_weeks": 1}}),
        "preemptive": lambda: _shipped("theory/preemptive_mg1_3class.yaml").with_updates(
            {"calendar": {"horizon_weeks": 6, "warmup_weeks": 1}}),
        "preemptive_rostered": lambda: base.with_updates({"backlog": [], "policy": {
            "discipline": "priority", "preemptive": True}}),
        "mg1_lognormal": lambda: _shipped("theory/mg1_lognormal.yaml").with_updates(
            {"calendar": {"horizon_weeks": 6, "warmup_weeks": 1}}),
        # Investment mixes: a triage kiosk, overtime and training that clear the backlog (idle
        # examiners parking through shifts); hires that start late and ramp up; a fixed-term
        # contractor; outsourcing taking devices from the queue (a model hook).
        "mix_400k": lambda: _mix({"overtime": 3, "triage_kiosk": 1, "cse_automation": 1, "training": 7}, 40),
        "mix_hires": lambda: _mix({"mobile_examiner": 2, "contract_examiner": 1, "overtime": 2}, 40),
        "mix_outsourcing": lambda: _mix({"outsource_phones": 2, "training": 4}, 30),
    }


def _mix(mix: dict, weeks: int):
    from dfu_sched.scenario.levers import apply_mix, outsourcing_contracts

    base = _shipped("north_yorkshire_400k.yaml")
    sc = apply_mix(base, mix).with_updates({"calendar": {"horizon_weeks": weeks}})
    return sc, outsourcing_contracts(base, mix)


@pytest.mark.parametrize("case", list(_callback_cases()))
def test_callback_servers_give_the_run_of_the_generator_processes(case):
    """The servers are event callbacks now, and a free server is handed its device without a
    wake-up event; ``tests/sim/reference_model.py`` is the model of before (servers as generator
    processes). Same workload and seed: every device enters each queue, starts and ends at the
    same times with the same server, the same devices are screened out, every server books the
    same busy and rostered hours, and fewer events. With preemption the wake-ups of before are
    kept on purpose (only an idle wait ended by its shift saves its "first of" event)."""
    sc = _callback_cases()[case]()
    sc, contracts = sc if isinstance(sc, tuple) else (sc, ())
    ss = replication_seed(12, 0)
    hooks = lambda: (Outsourcing(contracts, outsourcing_stream(ss)),) if contracts else ()  # noqa: E731
    new, wl = simulate_once(sc, ss, hooks=hooks())
    old, _ = reference.simulate_once(sc, ss, wl, hooks=hooks())
    for name in ("qenter", "start", "end", "server"):
        np.testing.assert_array_equal(np.asarray(getattr(old.records, name)), np.asarray(getattr(new.records, name)))
    np.testing.assert_array_equal(old.records.done, new.records.done)
    np.testing.assert_array_equal(old.records.screened, new.records.screened)
    assert [(s.busy_hours, s.rostered_hours) for s in old.servers] == [(s.busy_hours, s.rostered_hours)
                                                                        for s in new.servers]
    clock_free = lambda stats: {k: v for k, v in stats.items() if k != "solve_s"}  # noqa: E731
    assert clock_free(old.plan_stats) == clock_free(new.plan_stats)
    assert (new.events <= old.events) if sc.policy.preemptive else (new.events < old.events), (new.events, old.events)


def test_soon_runs_before_ordinary_events_of_its_instant_as_an_interrupt_does():
    """``Soon`` stands in for SimPy's Initialize/Interruption events: processed at its instant
    before every NORMAL event already due then, after the URGENT ones scheduled before it."""
    env = simpy.Environment()
    order: list[str] = []
    env.timeout(0).callbacks.append(lambda e: order.append("normal"))
    Soon(env, lambda e: order.append("soon"))
    env.run()
    assert order == ["soon", "normal"]
    env2 = simpy.Environment()
    seen: list[str] = []
    Soon(env2, lambda e: seen.append("first"))
    Soon(env2, lambda e: seen.append("second"))
    env2.run()
    assert seen == ["first", "second"]


def test_the_event_count_is_the_number_of_schedule_calls(monkeypatch):
    """``CountingEnvironment.scheduled`` reads SimPy's event-id counter instead of counting each
    event as it is scheduled (a Python call per event). Every event scheduled is either processed
    (one ``step``, the horizon's own stop event included) or still in the queue when the run stops,
    so on a baseline run with every kind of event (processes, timeouts, rounds, Soon, a job's end
    at its exact time: ``kernel.at``, which the compiled servers call directly) the count must be
    exactly the steps plus what is left."""
    steps = [0]
    plain = simpy.Environment.step

    def counted(self):
        steps[0] += 1
        plain(self)

    monkeypatch.setattr(CountingEnvironment, "step", counted)
    sc = load_scenario(BASELINE).with_updates({"calendar": {"horizon_weeks": 8}})
    seed = replication_seed(4, 0)
    model = DFUModel(sc, generate(sc, child_seed(seed, 0)), child_seed(seed, 1))
    out = model.run()
    assert out.events == steps[0] + len(model.env._queue) and steps[0] > 1000
    assert out.events == simulate_once(sc, seed)[0].events


# ---- a job is one event, an idle server none (fifth round) ------------------------------------------

def test_walk_job_crosses_shifts_at_their_rates_and_books_busy_time_in_the_window():
    from dfu_sched.sim.rosters import walk_job

    starts, ends, rates = [8.0, 32.0, 56.0], [15.5, 39.5, 63.5], [0.5, 1.0, 1.0]
    # 11 h of work from 10:00: 5.5 h at rate 0.5 (2.75 h of work), 7.5 h (7.5), then 0.75 h on day 3.
    t, rem, busy, done = walk_job(starts, ends, rates, 10.0, 11.0, (0.0, 1000.0))
    assert done and rem == 0.0 and t == pytest.approx(56.75) and busy == pytest.approx(5.5 + 7.5 + 0.75)
    # the window [33, 1000) counts only the hours worked inside it
    assert walk_job(starts, ends, rates, 10.0, 11.0, (33.0, 1000.0))[2] == pytest.approx(6.5 + 0.75)
    # more work than the shifts hold: back to the queue at the last shift's end, the rest still to do
    t, rem, busy, done = walk_job(starts, ends, rates, 10.0, 20.0, (0.0, 1000.0))
    assert not done and t == 63.5 and rem == pytest.approx(20.0 - 2.75 - 7.5 - 7.5)
    assert walk_job(starts, ends, rates, 10.0, 0.0, (0.0, 1000.0)) == (10.0, 0.0, 0.0, True)


def test_idle_until_follows_the_shifts_a_parked_server_slept_through():
    from dfu_sched.sim.rosters import idle_until

    starts, ends = [8.0, 32.0, 56.0], [15.5, 39.5, 63.5]
    runs = run_ends(starts, ends)
    assert idle_until(starts, ends, runs, 15.5, 20.0, 168.0) == (1, 32.0, False)   # asleep to day 2
    assert idle_until(starts, ends, runs, 15.5, 35.0, 168.0) == (1, 32.0, True)    # awake since 32
    assert idle_until(starts, ends, runs, 15.5, 45.0, 168.0) == (2, 56.0, False)   # day 2 came and went
    assert idle_until(starts, ends, runs, 15.5, 70.0, 168.0) is None               # no shift left


def test_whole_jobs_and_parking_apply_only_where_nothing_reads_a_job_half_done():
    base = load_scenario(BASELINE)
    assert DFUModel(base, generate(base, child_seed(replication_seed(1, 0), 0)),
                    child_seed(replication_seed(1, 0), 1)).whole_jobs
    for sc in (_shipped("north_yorkshire_2022_weekly_plan.yaml"),
               base.with_updates({"policy": {"discipline": "priority", "preemptive": True}})):
        assert not DFUModel(sc, generate(sc, child_seed(replication_seed(1, 0), 0)),
                            child_seed(replication_seed(1, 0), 1)).whole_jobs
