"""Every registered discipline, property-tested on tiny random queues; the registry as an extension point."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dfu_sched.errors import InputError
from dfu_sched.scenario.schema import Scenario, scenario_json_schema
from dfu_sched.sim.disciplines import DISCIPLINES, Discipline, KeyParams, fifo_key
from dfu_sched.sim.model import DFUModel
from dfu_sched.sim.queues import DispatchQueue, QueuedDevice
from dfu_sched.sim.records import EXAM
from dfu_sched.sim.workload import Workload
from tests.helpers import backlog, mini, run

EPS = 1e-6
WEEK = 168.0

#: Two examiners (one with both skills, one mobile only), office hours, three weeks.
EXAMINERS = [{"name": "both", "skills": ["mobile", "computer"]}, {"name": "mob", "skills": ["mobile"]}]

device = st.tuples(
    st.floats(-300.0, 2 * WEEK),        # submission, hours (negative: waiting at hour 0)
    st.integers(0, 3),                  # tier
    st.integers(0, 1),                  # type: phone (mobile) or computer
    st.booleans(),                      # expedite
    st.floats(1.0, 30.0),               # examination hours
)


def _scenario(discipline: str) -> Scenario:
    return mini(calendar={"horizon_weeks": 3}, policy={"discipline": discipline}, examiners=EXAMINERS,
                backlog=backlog(("phone", "M", 1, 0)))


def _workload(sc: Scenario, devices: list[tuple]) -> Workload:
    wl, _ = run(sc)  # the right shapes; every field is replaced
    submit, tier, dtype, expedite, hours = (np.array(c) for c in zip(*devices))
    h = np.zeros((len(devices), wl.hours.shape[1]))
    h[:, EXAM] = hours
    n = len(devices)
    return dataclasses.replace(
        wl, submit=submit.astype(float), release=np.maximum(submit, 0.0).astype(float), case=np.arange(n),
        tier=tier.astype(np.int64), dtype=dtype.astype(np.int64), expedite=expedite.astype(bool),
        triage=np.zeros(n, np.int8), hours=h, first_stage=np.full(n, EXAM), backlog=submit < 0)


class CountingModel(DFUModel):
    """The model, counting how often each device finishes its examination."""

    def __init__(self, *args):
        super().__init__(*args)
        self.finished = np.zeros(self.wl.n, np.int64)

    def advance(self, dev):
        if self.route[dev.stage] == EXAM:
            self.finished[dev.i] += 1
        super().advance(dev)


def _idle_intervals(srv, jobs: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """On-shift intervals in which the server had no job in hand."""
    out = []
    for a, b in zip(srv.starts, srv.ends):
        t = a
        for s, e in sorted(jobs):
            if e <= t or s >= b:
                continue
            if s > t:
                out.append((t, s))
            t = max(t, e)
        if t < b:
            out.append((t, b))
    return out


def _check(d: Discipline, devices: list[tuple]) -> None:
    sc = _scenario(d.key)
    wl = _workload(sc, devices)
    model = CountingModel(sc, wl, np.random.SeedSequence(0))
    r = model.run().records
    start, end, qenter, server = r.start[:, EXAM], r.end[:, EXAM], r.qenter[:, EXAM], r.server[:, EXAM]
    horizon = model.horizon
    # Every device is examined at most once, and only after it queued.
    assert (model.finished <= 1).all()
    assert (np.isfinite(end) <= np.isfinite(start)).all()
    ok = np.isfinite(start)
    assert (qenter[ok] <= start[ok] + EPS).all()
    skill = np.array(model.type_skill)[wl.dtype]
    if d.work_conserving:
        # No examiner idles on shift while a device it may take waits.
        for srv in model.pools[EXAM].servers:
            jobs = [(start[i], end[i] if np.isfinite(end[i]) else horizon) for i in np.flatnonzero(server == srv.sid)]
            waits = [(qenter[i], start[i] if ok[i] else horizon) for i in range(wl.n)
                     if np.isfinite(qenter[i]) and (srv.skills is None or int(skill[i]) in srv.skills)]
            for a, b in _idle_intervals(srv, jobs):
                for q, s in waits:
                    assert min(b, s) - max(a, q) <= EPS, f"{srv.info.name} idle in [{a}, {b}] while a device waited"
    if d.monotone_in_submission:
        # Within one (skill, tier, expedite) group examinations start in submission order.
        order = (wl.submit, np.arange(wl.n))
        for j in np.flatnonzero(ok):
            same = (skill == skill[j]) & (wl.tier == wl.tier[j]) & (wl.expedite == wl.expedite[j])
            earlier = same & ((order[0] < order[0][j]) | ((order[0] == order[0][j]) & (order[1] < j)))
            waiting = earlier & (qenter <= start[j] + EPS)
            assert (start[waiting] <= start[j] + EPS).all(), f"{d.key}: a later device of its group started first"


@pytest.mark.parametrize("d", list(DISCIPLINES.values()), ids=list(DISCIPLINES))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(devices=st.lists(device, min_size=1, max_size=14))
def test_every_registered_discipline_on_random_queues(d: Discipline, devices):
    """Properties over every registered discipline. Weekly-plan is not ``monotone_in_submission``
    (examiners follow the optimiser's lists), so the order check is skipped for it."""
    _check(d, devices)


class NewestFirstQueue(DispatchQueue[QueuedDevice]):
    """A broken discipline's queue: the newest eligible device first."""

    def take_for(self, server_id, groups, now):
        mine = [d for d in self.waiting() if self.group(d) in set(groups)]
        if not mine:
            return None
        dev = max(mine, key=lambda d: (d.submit, d.seq))
        self.take(dev)
        return dev


class IdleSecondExaminerQueue(DispatchQueue[QueuedDevice]):
    """A broken discipline's queue: the second examiner never gets work."""

    def take_for(self, server_id, groups, now):
        return None if server_id == 1 else super().take_for(server_id, groups, now)


@pytest.mark.parametrize("queue, message", [(NewestFirstQueue, "later device"), (IdleSecondExaminerQueue, "idle")])
def test_properties_catch_a_discipline_that_breaks_them(monkeypatch, queue, message):
    """The checks can fail: newest-first is not monotone; a queue starving an examiner is not work conserving."""
    broken = Discipline("broken", "breaks a property", fifo_key, exam_queue=queue)
    monkeypatch.setitem(DISCIPLINES, "broken", broken)
    devices = [(0.0, 2, 0, False, 10.0), (1.0, 2, 0, False, 10.0), (2.0, 2, 0, False, 10.0)]
    with pytest.raises(AssertionError, match=message):
        _check(broken, devices)


# ---- the registry as the one list ----------------------------------------------------------------

def test_schema_lists_exactly_the_registered_disciplines():
    node = scenario_json_schema()["$defs"]["Policy"]["properties"]["discipline"]
    assert node["enum"] == list(DISCIPLINES)
    for d in DISCIPLINES.values():
        assert f"{d.key}: {d.description}" in node["description"]


def test_unknown_discipline_is_one_line_with_a_suggestion():
    with pytest.raises(InputError) as e:
        mini(policy={"discipline": "priorty"})
    msg = str(e.value)
    assert "\n" not in msg
    assert "policy.discipline: unknown discipline 'priorty' (did you mean 'priority'?)" in msg
    assert "fifo, priority, aging, edd, weekly-plan" in msg


def test_a_new_discipline_is_one_registered_object(monkeypatch):
    """Registering an object is all it takes: the schema accepts it and the model runs it."""
    monkeypatch.setitem(DISCIPLINES, "fifo-copy", Discipline("fifo-copy", "a copy of fifo", fifo_key))
    sc = mini(policy={"discipline": "fifo-copy"}, backlog=backlog(("phone", "L", 1, 300), ("phone", "VH", 1, 0)))
    wl, out = run(sc)
    assert int(np.nanargmin(out.records.start[:, EXAM])) == 0          # oldest first, as fifo


def test_only_weekly_plan_has_a_cpu_bound_planner():
    assert [d.key for d in DISCIPLINES.values() if d.cpu_bound_planner] == ["weekly-plan"]
    assert all((d.planner is not None) == d.cpu_bound_planner for d in DISCIPLINES.values())


def test_aging_key_takes_plain_numbers():
    key = DISCIPLINES["aging"].make_key(KeyParams(weights=[8.0, 1.0], targets_h=[24.0, 720.0], aging_days=None))
    young_vh = QueuedDevice(0, 0, 0, submit=0.0, expedite=False, due=24.0)
    old_l = QueuedDevice(1, 1, 0, submit=-30 * 24.0 * 10, expedite=False, due=0.0)
    assert key(old_l, 0.0) < key(young_vh, 0.0)                     # 1 x (1 + 10) = 11 > 8
    q: DispatchQueue[QueuedDevice] = DISCIPLINES["aging"].make_queue(key, 2, 1, examination=True)
    q.push(young_vh)
    q.push(old_l)
    assert q.take_for(0, q.groups_for(None), 0.0) is old_l


def test_event_count_is_simpys_own():
    """The public counter equals SimPy's private event id after a run (the golden files' ``events``)."""
    sc = mini(policy={"discipline": "priority"}, backlog=backlog(("phone", "L", 5, 30), ("computer", "VH", 3, 2)))
    wl, _ = run(sc)
    model = DFUModel(sc, wl, np.random.SeedSequence(0))
    out = model.run()
    assert out.events > 0
    assert out.events == int(repr(model.env._eid)[6:-1])
