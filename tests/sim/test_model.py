"""Deterministic mechanics: rosters, skills, ramp-up, absence, policies, preemption, backlog."""
from __future__ import annotations

import numpy as np
import pytest

from dfu_sched.scenario.schema import ExaminerGroup
from dfu_sched.sim.model import shift_table
from dfu_sched.sim.records import EXAM
from tests.helpers import backlog, mini, run

MON_8 = 8.0          # Monday 08:00 in hours from the start (2024-01-01 is a Monday)
DAY = 24.0


def exam(out, i):
    r = out.records
    return r.start[i, EXAM], r.end[i, EXAM], r.server[i, EXAM]


def test_office_roster_pauses_at_shift_end_and_resumes_next_day():
    sc = mini(backlog=backlog(("phone", "M", 1, 0)))
    wl, out = run(sc)
    start, end, _ = exam(out, 0)
    assert start == pytest.approx(MON_8)                      # nobody works at midnight
    # 10 h of work: 7.5 h on Monday, 2.5 h from Tuesday 08:00.
    assert end == pytest.approx(DAY + MON_8 + 2.5)


def test_weekend_is_not_worked():
    sc = mini(backlog=backlog(("phone", "M", 1, 0)),
              device_types={"phone": {"service_hours": {"examination": {"dist": "fixed", "value": 40}}}})
    _, out = run(sc)
    start, end, _ = exam(out, 0)
    # 40 h = Mon-Fri (37.5 h) then 2.5 h on the next Monday.
    assert end == pytest.approx(7 * DAY + MON_8 + 2.5)


def test_custom_roster_days_and_hours():
    sc = mini(backlog=backlog(("phone", "M", 1, 0)),
              examiners=[{"name": "ann", "skills": ["mobile", "computer"], "hours_per_week": 20,
                          "days": ["Tue", "Thu"], "start_hour": 9}])
    _, out = run(sc)
    start, end, _ = exam(out, 0)
    assert start == pytest.approx(DAY + 9)                    # Tuesday 09:00
    assert end == pytest.approx(DAY + 9 + 10)                 # 10-hour shift finishes it


def test_skills_are_honoured():
    sc = mini(
        backlog=backlog(("phone", "M", 6, 5), ("computer", "M", 6, 5)),
        examiners=[{"name": "mob", "skills": ["mobile"]}, {"name": "comp", "skills": ["computer"]}],
    )
    wl, out = run(sc)
    names = [s.name for s in out.servers]
    for i in range(wl.n):
        _, _, server = exam(out, i)
        if server < 0:
            continue
        want = "mob" if wl.dtype[i] == 0 else "comp"
        assert names[server] == want


def test_no_work_starts_or_ends_outside_shifts():
    sc = mini(
        calendar={"horizon_weeks": 6},
        arrivals={"cases_per_week": 12},
        device_types={"phone": {"service_hours": {"examination": {"dist": "lognormal", "mean": 6, "sd": 4}}}},
        examiners=[{"name": "ann", "count": 2, "skills": ["mobile", "computer"], "absence": 0.2}],
    )
    wl, out = run(sc, seed=3)
    r = out.records
    assert np.isfinite(r.start[:, EXAM]).sum() > 10
    for i in np.flatnonzero(np.isfinite(r.start[:, EXAM])):
        for t in (r.start[i, EXAM], r.end[i, EXAM]):
            if not np.isfinite(t):
                continue
            hour = t % DAY
            weekday = int(t // DAY) % 7
            assert weekday < 5, f"device {i} touched at weekend (t={t})"
            assert 8.0 - 1e-9 <= hour <= 15.5 + 1e-9, f"device {i} touched outside 08:00-15:30 (t={t})"
    assert len(out.servers) == 2


def test_ramp_up_halves_the_first_shift_rate():
    sc = mini(backlog=backlog(("phone", "M", 1, 0)),
              device_types={"phone": {"service_hours": {"examination": {"dist": "fixed", "value": 3.75}}}},
              examiners=[{"name": "new", "skills": ["mobile", "computer"], "ramp_up_weeks": 2, "ramp_up_start": 0.5}])
    _, out = run(sc)
    start, end, _ = exam(out, 0)
    assert start == pytest.approx(MON_8)
    # Linear ramp from 0.5: at Monday 08:00 (8/168 of a week into a 2-week ramp) the rate is
    # 0.5 + 0.5 * (8/168)/2, so 3.75 standard hours take 3.75 / rate working hours.
    rate = 0.5 + 0.5 * (8 / 168) / 2
    assert end == pytest.approx(MON_8 + 3.75 / rate)


def test_ramp_factor_reaches_full_productivity():
    from dfu_sched.sim.model import ramp_factor

    g = ExaminerGroup(name="x", skills=["mobile"], ramp_up_weeks=4, ramp_up_start=0.25, start_week=1)
    f = ramp_factor(g, np.array([168.0, 168.0 * 3, 168.0 * 5, 168.0 * 9]))
    assert f.tolist() == pytest.approx([0.25, 0.625, 1.0, 1.0])


def test_productivity_scales_work_rate():
    sc = mini(backlog=backlog(("phone", "M", 1, 0)),
              examiners=[{"name": "fast", "skills": ["mobile", "computer"], "productivity": 2.0}])
    _, out = run(sc)
    start, end, _ = exam(out, 0)
    assert end - start == pytest.approx(5.0)


def test_recruitment_lag_start_week():
    sc = mini(backlog=backlog(("phone", "M", 1, 0)),
              examiners=[{"name": "late", "skills": ["mobile", "computer"], "start_week": 1}])
    _, out = run(sc)
    start, _, _ = exam(out, 0)
    assert start == pytest.approx(168.0 + MON_8)


def test_leaver_hands_back_unfinished_work():
    sc = mini(backlog=backlog(("phone", "M", 1, 0)),
              device_types={"phone": {"service_hours": {"examination": {"dist": "fixed", "value": 10}}}},
              examiners=[{"name": "leaver", "skills": ["mobile"], "leave_week": 0.1},  # leaves Monday 16:48
                         {"name": "stayer", "skills": ["mobile", "computer"], "start_week": 1}])
    _, out = run(sc)
    r = out.records
    names = [s.name for s in out.servers]
    assert names[r.server[0, EXAM]] == "leaver"              # first started by the leaver
    # 7.5 h done on Monday; the stayer does the remaining 2.5 h from week 1 Monday 08:00.
    assert r.end[0, EXAM] == pytest.approx(168.0 + MON_8 + 2.5)


def test_absence_removes_whole_days_at_the_given_rate():
    g = ExaminerGroup(name="x", skills=["mobile"])
    absent = np.random.default_rng(0).random(2002) < 0.3
    starts, _ = shift_table(g, 0, 2000 * 24.0, absent)
    full, _ = shift_table(g, 0, 2000 * 24.0)
    assert len(starts) / len(full) == pytest.approx(0.7, abs=0.03)
    days = (starts // 24).astype(int)
    assert not absent[days].any()


@pytest.mark.parametrize("discipline, first", [
    ("fifo", "L-old"),          # oldest submission first
    ("priority", "VH-new"),     # strict tier order
    ("edd", "L-old"),           # L was due 270 days ago; VH is due tomorrow
    ("aging", "L-old"),         # L aged 300 days: 1 x (1 + 300/30) = 11 > VH 8 x (1 + 0/1) = 8
])
def test_policy_order(discipline, first):
    sc = mini(policy={"discipline": discipline},
              backlog=backlog(("phone", "L", 1, 300), ("phone", "VH", 1, 0)))
    wl, out = run(sc)
    assert wl.submit[0] < wl.submit[1]                        # backlog is loaded oldest first
    first_i = int(np.nanargmin(out.records.start[:, EXAM]))
    assert {0: "L-old", 1: "VH-new"}[first_i] == first


def test_aging_lets_old_low_risk_work_overtake():
    sc = mini(policy={"discipline": "aging"},
              backlog=backlog(("phone", "L", 1, 10), ("phone", "VH", 1, 0)))
    wl, out = run(sc)
    r = out.records
    vh = int(np.flatnonzero(wl.tier == 0)[0])
    l = int(np.flatnonzero(wl.tier == 3)[0])
    # L aged 10 days scores 1 x (1 + 10/30) = 1.33 < 8: VH first when the L device is young...
    assert r.start[vh, EXAM] < r.start[l, EXAM]


def test_expedite_jumps_the_queue():
    sc = mini(policy={"discipline": "priority", "expedite_share": 1.0},
              backlog=backlog(("phone", "L", 1, 3)))
    wl, out = run(sc)
    assert wl.expedite.all()
    assert out.records.start[0, EXAM] == pytest.approx(MON_8)


def _l_then_vh_at_3h(sc):
    """Two 10-hour phone devices: an L one waiting at hour 0, a VH one arriving at hour 3."""
    import dataclasses

    from dfu_sched.sim.model import DFUModel

    wl, _ = run(sc)
    wl2 = dataclasses.replace(
        wl, submit=np.array([wl.submit[0], 3.0]), release=np.array([0.0, 3.0]), case=np.array([0, 1]),
        tier=np.array([3, 0]), dtype=np.array([0, 0]), expedite=np.array([False, False]),
        triage=np.zeros(2, np.int8), hours=np.vstack([wl.hours[0], wl.hours[0]]),
        first_stage=np.array([EXAM, EXAM]), backlog=np.array([True, False]))
    return DFUModel(sc, wl2, np.random.SeedSequence(0)).run().records


def _continuous_priority(preemptive: bool):
    return mini(calendar={"horizon_weeks": 2}, policy={"discipline": "priority", "preemptive": preemptive},
                examiners=[{"name": "ann", "skills": ["mobile", "computer"], "continuous": True}],
                backlog=backlog(("phone", "L", 1, 40)))


def test_preemptive_resume_conserves_work():
    r = _l_then_vh_at_3h(_continuous_priority(True))
    assert r.start[0, EXAM] == pytest.approx(0.0)
    assert r.start[1, EXAM] == pytest.approx(3.0)            # VH starts on arrival
    assert r.end[1, EXAM] == pytest.approx(13.0)
    assert r.end[0, EXAM] == pytest.approx(20.0)             # L: 3 h + (VH 10 h) + 7 h remaining


def test_non_preemptive_lets_running_job_finish():
    r = _l_then_vh_at_3h(_continuous_priority(False))
    assert r.end[0, EXAM] == pytest.approx(10.0)
    assert r.start[1, EXAM] == pytest.approx(10.0)


def test_initial_backlog_ages_count_in_the_wait():
    sc = mini(backlog=backlog(("phone", "M", 3, 200)))
    wl, out = run(sc)
    wait_days = (out.records.start[:, EXAM] - wl.submit) / 24
    assert (wl.submit == -200 * 24).all()
    assert wait_days.min() >= 200


def test_backlog_can_wait_at_a_named_stage():
    sc = mini(stages={"extraction": {"enabled": True, "servers": 1}},
              device_types={"phone": {"service_hours": {"extraction": {"dist": "fixed", "value": 1}}},
                            "computer": {"service_hours": {"extraction": {"dist": "fixed", "value": 1}}}},
              backlog=[{"device_type": "phone", "tier": "M", "count": 2, "age_days": {"dist": "fixed", "value": 9},
                        "stage": "examination"}])
    wl, out = run(sc)
    r = out.records
    assert np.isnan(r.start[:, 1]).all()                      # skipped extraction
    assert np.isfinite(r.start[:, EXAM]).all()


def test_triage_screens_out_and_speeds_up():
    sc = mini(
        calendar={"horizon_weeks": 60},
        arrivals={"cases_per_week": 10},
        stages={"triage": {"enabled": True, "servers": 2, "screen_out_share": 0.3, "quick_path_share": 0.2,
                           "quick_path_factor": 0.5, "roster": {"continuous": True}}},
        device_types={"phone": {"service_hours": {"triage": {"dist": "fixed", "value": 0.5}}},
                      "computer": {"service_hours": {"triage": {"dist": "fixed", "value": 0.5}}}},
        examiners=[{"name": "ann", "count": 3, "skills": ["mobile", "computer"], "continuous": True}],
    )
    wl, out = run(sc, seed=0)
    r = out.records
    screened = r.screened
    assert screened.mean() == pytest.approx(0.3, abs=0.06)   # ~600 devices: sd ~0.02
    assert np.isnan(r.start[screened, EXAM]).all()           # screened devices are never examined
    quick = (wl.triage == 2) & np.isfinite(r.end[:, EXAM])
    normal = (wl.triage == 0) & np.isfinite(r.end[:, EXAM])
    # Continuous servers: exam duration is exactly the hours (fixed 10) or half on the quick path.
    assert (r.end[quick, EXAM] - r.start[quick, EXAM]) == pytest.approx(np.full(quick.sum(), 5.0))
    assert (r.end[normal, EXAM] - r.start[normal, EXAM]) == pytest.approx(np.full(normal.sum(), 10.0))


def test_simulation_matches_lindley_recursion_exactly():
    """FIFO single server: the SimPy model and Lindley's recursion agree to rounding error."""
    from dfu_sched.scenario.schema import load_scenario
    from tests.helpers import ROOT

    sc = load_scenario(ROOT / "scenarios/theory/mm1_rho80.yaml").with_updates({"calendar": {"horizon_weeks": 30}})
    wl, out = run(sc, seed=5)
    order = np.argsort(wl.submit)
    a, s = wl.submit[order], wl.hours[order, EXAM]
    w = np.zeros(a.size)
    for n in range(1, a.size):
        w[n] = max(0.0, w[n - 1] + s[n - 1] - (a[n] - a[n - 1]))
    sim = (out.records.start[:, EXAM] - wl.submit)[order]
    ok = np.isfinite(sim)
    assert ok.sum() > 3000
    assert np.max(np.abs(sim[ok] - w[ok])) < 1e-6


def test_weekly_plan_policy_follows_the_optimiser():
    """Each examiner's first examination on Monday is the first device of its plan."""
    from dfu_sched.sim.model import DFUModel
    from dfu_sched.sim.queues import PlannedQueue
    from dfu_sched.sim.workload import child_seed, generate

    sc = mini(
        calendar={"horizon_weeks": 2},
        policy={"discipline": "weekly-plan"},
        examiners=[{"name": "mob", "skills": ["mobile"]}, {"name": "comp", "skills": ["computer"]}],
        backlog=backlog(("phone", "L", 4, 200), ("phone", "VH", 2, 3), ("computer", "H", 3, 50),
                        ("computer", "M", 3, 300)),
    )
    ss = np.random.SeedSequence(0)
    wl = generate(sc, child_seed(ss, 0))
    model = DFUModel(sc, wl, child_seed(ss, 1))
    first_plans = {}
    original = PlannedQueue.set_plans

    def spy(self, plans):
        if not first_plans:
            first_plans.update({k: [d.i for d in v] for k, v in plans.items()})
        original(self, plans)

    PlannedQueue.set_plans = spy
    try:
        out = model.run()
    finally:
        PlannedQueue.set_plans = original
    r = out.records
    assert first_plans, "the planner never ran"
    for sid, devices in first_plans.items():
        mine = np.flatnonzero(r.server[:, EXAM] == sid)
        first = mine[np.argmin(r.start[mine, EXAM])]
        assert first == devices[0]
        assert r.start[first, EXAM] == pytest.approx(MON_8)
    # Skills still hold under the plan.
    names = [s.name for s in out.servers]
    for i in np.flatnonzero(r.server[:, EXAM] >= 0):
        assert names[r.server[i, EXAM]] == ("mob" if wl.dtype[i] == 0 else "comp")
    assert len(out.plan_stats["objective"]) == 2                 # one plan per simulated week


# ---- measures that depend on the mechanics (issue 8) -----------------------------------------

def _utilisation(sc, seed: int = 0) -> float:
    from dfu_sched.sim.measures import measure

    wl, out = run(sc, seed)
    return measure(sc, wl, out).scalars["utilisation.all examiners"]


def test_a_segment_running_at_the_horizon_counts_as_busy():
    """One 24/7 examiner, one 200-hour device, a one-week run: busy every rostered hour."""
    sc = mini(calendar={"horizon_weeks": 1},
              device_types={"phone": {"service_hours": {"examination": {"dist": "fixed", "value": 200}}}},
              examiners=[{"name": "ann", "skills": ["mobile", "computer"], "continuous": True}],
              backlog=backlog(("phone", "M", 1, 0)))
    assert _utilisation(sc) == pytest.approx(1.0, abs=1e-12)


def test_saturated_round_the_clock_unit_is_fully_utilised():
    """Issue 8 item 9: 14 examiners on duty 24/7, 5,000 devices waiting, no arrivals (read 0.9968)."""
    sc = mini(calendar={"horizon_weeks": 52},
              device_types={"phone": {"service_hours": {"examination": {"dist": "lognormal", "mean": 40, "sd": 20}}}},
              examiners=[{"name": "ann", "count": 14, "skills": ["mobile", "computer"], "continuous": True}],
              backlog=backlog(("phone", "M", 5000, 0)))
    assert _utilisation(sc) == pytest.approx(1.0, abs=1e-9)


def test_preempted_segment_books_only_the_hours_worked():
    """Busy time booked at a segment's start is refunded from the interruption on."""
    import dataclasses

    from dfu_sched.sim.model import DFUModel

    sc = _continuous_priority(True)
    wl, _ = run(sc)
    wl2 = dataclasses.replace(
        wl, submit=np.array([wl.submit[0], 3.0]), release=np.array([0.0, 3.0]), case=np.array([0, 1]),
        tier=np.array([3, 0]), dtype=np.array([0, 0]), expedite=np.array([False, False]),
        triage=np.zeros(2, np.int8), hours=np.vstack([wl.hours[0], wl.hours[0]]),
        first_stage=np.array([EXAM, EXAM]), backlog=np.array([True, False]))
    out = DFUModel(sc, wl2, np.random.SeedSequence(0)).run()
    assert out.servers[0].busy_hours == pytest.approx(20.0)  # 3 h (L) + 10 h (VH) + 7 h (L)


def test_initial_backlog_is_not_counted_as_submitted():
    """Issue 8 item 10: a backlog aged 0 days with no arrivals read 96 submissions a week."""
    from dfu_sched.sim.measures import measure

    sc = mini(calendar={"horizon_weeks": 52}, backlog=backlog(("phone", "M", 5000, 0)))
    wl, out = run(sc)
    m = measure(sc, wl, out)
    assert m.scalars["throughput.submitted_per_week"] == 0.0
    assert np.nansum(m.weekly["throughput.submitted"]) == 0.0


@pytest.mark.parametrize("warmup", [0, 2])
def test_submitted_per_week_is_the_mean_of_the_weekly_series(warmup):
    """One definition: with arrivals and a fresh backlog, the scalar is the mean of the window's weeks."""
    from dfu_sched.sim.measures import measure

    sc = mini(calendar={"horizon_weeks": 12, "warmup_weeks": warmup}, arrivals={"cases_per_week": 6},
              backlog=backlog(("phone", "M", 40, 0)))
    wl, out = run(sc, seed=4)
    m = measure(sc, wl, out)
    weekly = m.weekly["throughput.submitted"][warmup:12]
    assert weekly.sum() > 20
    assert m.scalars["throughput.submitted_per_week"] == pytest.approx(weekly.mean())
    examined = m.weekly["throughput.examined"][warmup:12]
    assert m.scalars["throughput.examined_per_week"] == pytest.approx(examined.mean())


def _one_examiner_twenty_devices(**calendar):
    """20 ten-hour devices, one 37.5 h/week examiner, no arrivals: worked out by hand below."""
    return mini(calendar={"horizon_weeks": 8, **calendar}, backlog=backlog(("phone", "M", 20, 0)),
                measures={"backlog_thresholds_devices": [21, 20, 6, 1, 0, 0.5]})


def test_first_week_the_backlog_falls_below_a_threshold():
    """Issue 8 item 11. By week k's boundary 37.5k working hours are done, so ceil(3.75k) devices
    have started: 20 devices await examination at week 0, then 16, 12, 8, 5, 1, 0."""
    from dfu_sched.sim.measures import measure

    sc = _one_examiner_twenty_devices()
    wl, out = run(sc)
    m = measure(sc, wl, out)
    assert m.weekly["backlog.awaiting_examination"][:7].tolist() == [20, 16, 12, 8, 5, 1, 0]
    got = {k.split(".", 1)[1]: v for k, v in m.scalars.items() if k.startswith("first_week_backlog_below.")}
    assert got == {"21": 0.0, "20": 1.0, "6": 4.0, "1": 6.0, "0": pytest.approx(np.nan, nan_ok=True), "0.5": 6.0}


def test_first_week_backlog_below_starts_after_the_warm_up():
    from dfu_sched.sim.measures import measure

    sc = _one_examiner_twenty_devices(warmup_weeks=1.5)
    wl, out = run(sc)
    assert measure(sc, wl, out).scalars["first_week_backlog_below.20"] == 2.0


# ---- which free examiner takes a device (issue 8 item 12) -------------------------------------

def _hand_made(sc, devices):
    """Run ``sc`` on hand-placed M-tier devices: ``(arrival_h, exam_hours, device_type_index)``;
    a device arriving at hour 0 is in today's backlog."""
    from dfu_sched.sim.model import DFUModel
    from dfu_sched.sim.workload import Workload

    t = np.array([d[0] for d in devices], float)
    hours = np.zeros((len(devices), 4))
    hours[:, EXAM] = [d[1] for d in devices]
    n = len(devices)
    wl = Workload(submit=t, release=t, case=np.arange(n), tier=np.full(n, 2), dtype=np.array([d[2] for d in devices]),
                  expedite=np.zeros(n, bool), triage=np.zeros(n, np.int8), hours=hours,
                  first_stage=np.full(n, EXAM), backlog=t == 0)
    out = DFUModel(sc, wl, np.random.SeedSequence(0)).run()
    names = [s.name for s in out.servers]
    return [names[k] if k >= 0 else None for k in out.records.server[:, EXAM]], out.records


def test_the_longest_idle_examiner_takes_an_arriving_device():
    """'early' (08:00) is free from Monday 10:00, 'late' (09:00) from Monday 09:00 (its first
    shift, no work). A device arriving on Tuesday at noon goes to 'late', idle the longest,
    although 'early' came on shift first that morning."""
    sc = mini(examiners=[{"name": "early", "skills": ["mobile", "computer"], "start_hour": 8},
                         {"name": "late", "skills": ["mobile", "computer"], "start_hour": 9}])
    who, r = _hand_made(sc, [(0.0, 2.0, 0), (DAY + 12, 1.0, 0)])
    assert who == ["early", "late"]
    assert r.start[1, EXAM] == pytest.approx(DAY + 12)


def test_at_a_shared_shift_start_the_longest_idle_chooses_first():
    """Both start at 08:00. 'ann' works Monday 08:00-15:30 exactly (free at 15:30); 'bob' is free
    from 14:00. Two devices arrive overnight: at Tuesday 08:00 bob, idle longer, takes the older."""
    sc = mini(examiners=[{"name": "ann", "skills": ["mobile", "computer"]},
                         {"name": "bob", "skills": ["mobile", "computer"]}])
    who, r = _hand_made(sc, [(0.0, 7.5, 0), (0.0, 6.0, 0), (20.0, 4.0, 0), (21.0, 4.0, 0)])
    assert who[:2] == ["ann", "bob"]                      # ties at the first shift: scenario order
    assert r.end[0, EXAM] == pytest.approx(MON_8 + 7.5) and r.end[1, EXAM] == pytest.approx(MON_8 + 6)
    assert who[2:] == ["bob", "ann"]
    assert r.start[2, EXAM] == pytest.approx(DAY + MON_8) == r.start[3, EXAM]


def test_longest_idle_first_also_decides_who_gets_what_by_skill():
    """'comp' (computers) is free from Monday 14:00; 'senior' (both skills) works until 15:30.
    Overnight a computer, then a phone arrive. At Tuesday 08:00 comp, idle longer, chooses first
    and takes the computer; senior takes the phone, so both start at once. (Had senior chosen
    first it would take the older computer and the phone would wait until noon.)"""
    sc = mini(examiners=[{"name": "comp", "skills": ["computer"]},
                         {"name": "senior", "skills": ["mobile", "computer"]}])
    who, r = _hand_made(sc, [(0.0, 6.0, 1), (0.0, 7.5, 0), (20.0, 4.0, 1), (21.0, 4.0, 0)])
    assert who == ["comp", "senior", "comp", "senior"]
    assert r.start[2, EXAM] == pytest.approx(DAY + MON_8) == r.start[3, EXAM]


def test_weekly_past_target_never_counts_a_device_started_within_target():
    """An L device (30-day target) that starts on day 0 was never past its target; the weekly
    count used to subtract it (-1) in every week between its start and its target date."""
    from dfu_sched.sim.measures import measure

    sc = mini(backlog=backlog(("phone", "L", 1, 0)))
    wl, out = run(sc)
    weekly = measure(sc, wl, out).weekly
    assert weekly["past_target.L"].tolist() == [0.0] * 5
    late = mini(backlog=backlog(("phone", "L", 2, 40)), examiners=[{"name": "ann", "skills": ["mobile", "computer"],
                                                                      "start_week": 2}])
    wl, out = run(late)
    # both 40 days old (past the 30-day target) from week 0; nobody starts before week 2
    assert measure(late, wl, out).weekly["past_target.L"].tolist()[:3] == [2.0, 2.0, 2.0]
