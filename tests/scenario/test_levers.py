"""Levers: validation, apply_mix, outsourcing dispatch, and cost accounting (pure functions)."""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from dfu_sched.errors import InputError
from dfu_sched.invest.search import OutsourcingModel, prepare, replicate
from dfu_sched.scenario.levers import (
    apply_mix,
    cost_items,
    cost_profile,
    financial_year,
    max_units,
    mix_cost,
    outsourcing_contracts,
    recurring_after_horizon,
)
from dfu_sched.scenario.schema import Scenario, load_scenario, parse_scenario
from dfu_sched.sim.experiment import replication_seed, run_replication
from dfu_sched.sim.model import EXAM
from dfu_sched.sim.workload import generate
from tests.helpers import NY400K, raw, small


@pytest.fixture(scope="module")
def full() -> Scenario:
    return load_scenario(NY400K)


# ---- validation -----------------------------------------------------------------------------------

def _with_options(sc: Scenario, change) -> dict:
    data = raw(sc)
    change(data["investment"])
    return data


def _bad(data: dict, needle: str) -> None:
    with pytest.raises(InputError) as err:
        parse_scenario(data)
    msg = str(err.value)
    assert "\n" not in msg and needle in msg, msg


def test_shipped_scenario_validates_and_baseline_unchanged(full):
    base = load_scenario(NY400K.parent / "north_yorkshire_2022.yaml")
    assert full.investment is not None and len(full.investment.options) == 9
    assert full.investment.budget_gbp == 400_000
    for key in ("arrivals", "backlog", "examiners", "device_types", "calendar", "stages"):
        assert raw(full)[key] == raw(base)[key]


def test_negative_cost_is_one_line(full):
    _bad(_with_options(full, lambda inv: inv["options"][0].update(annual_cost_gbp=-1)), "annual_cost_gbp")


def test_contradictory_levers_are_rejected(full):
    def two_kits(inv):
        kit = next(o for o in inv["options"] if o["kind"] == "triage_kit")
        inv["options"].append({**kit, "name": "second_kiosk"})

    _bad(_with_options(full, two_kits), "triage_kit")

    def overlapping_automation(inv):
        auto = next(o for o in inv["options"] if o["kind"] == "automation")
        inv["options"].append({**auto, "name": "more_automation"})

    _bad(_with_options(full, overlapping_automation), "already sped up")

    def overtime_over_cap(inv):
        ot = next(o for o in inv["options"] if o["kind"] == "overtime")
        ot["max_hours_per_week"] = 1000

    _bad(_with_options(full, overtime_over_cap), "exceeds the cap")
    _bad(_with_options(full, lambda inv: inv["options"][0].update(skills=["mobil"])), "unknown skill")
    _bad(_with_options(full, lambda inv: inv.update(mix={"training": 99})), "exceed")
    _bad(_with_options(full, lambda inv: inv.update(mix={"nope": 1})), "unknown option")


def test_duplicate_option_names_rejected(full):
    _bad(_with_options(full, lambda inv: inv["options"].append(dict(inv["options"][0]))), "duplicate")


# ---- apply_mix -------------------------------------------------------------------------------------

def test_zero_mix_is_the_scenario_itself(full):
    assert apply_mix(full, {}) is full


def test_hire_adds_group_with_lag_ramp_and_term(full):
    sc = apply_mix(full, {"contract_examiner": 2, "mobile_examiner": 1})
    groups = {g.name: g for g in sc.examiners}
    assert [g.name for g in sc.examiners[:3]] == ["mobile", "computer", "senior"]  # today's staff first (CRN)
    c = groups["contract_examiner"]
    assert c.count == 2 and c.start_week == 6 and c.ramp_up_weeks == 8 and c.leave_week == 6 + 52
    assert groups["mobile_examiner"].leave_week is None and groups["mobile_examiner"].start_week == 16
    assert sc.investment is None  # consumed


def test_overtime_mirrors_staff_within_cap(full):
    sc = apply_mix(full, {"overtime": 3})  # 3 x 16 h/week over 8 examiners = 6 h each
    ot = [g for g in sc.examiners if g.name.startswith("overtime")]
    assert sum(g.count for g in ot) == 8
    assert all(math.isclose(g.hours_per_week, 6.0) and g.days == ["Sat"] and g.leave_week == 52 for g in ot)
    assert sum(g.count * g.hours_per_week for g in ot) == pytest.approx(48.0)


def test_triage_automation_training(full):
    sc = apply_mix(full, {"triage_kiosk": 1, "cse_automation": 1, "training": 4})
    assert sc.stages.triage.enabled and sc.stages.triage.servers == 2
    assert sc.stages.triage.screen_out_share == 0.30
    factor = 1 - 0.55 * 0.35
    for name, dtype in sc.device_types.items():
        assert dtype.service_hours["examination"].mean() == pytest.approx(
            full.device_types[name].service_hours["examination"].mean() * factor)
    prod = {g.name: g.productivity for g in sc.examiners}
    # 4 people round-robin over mobile(3), computer(4), senior(1): 2, 1, 1
    assert prod["mobile"] == pytest.approx(1 + 0.08 * 2 / 3)
    assert prod["computer"] == pytest.approx(1 + 0.08 * 1 / 4)
    assert prod["senior"] == pytest.approx(0.8 * 1.08)


def test_hiring_keeps_the_same_devices(full):
    """Common random numbers: a lever that only adds staff leaves the workload untouched."""
    seq = replication_seed(7, 0)
    a = generate(full, seq.spawn(2)[0])
    b = generate(apply_mix(full, {"mobile_examiner": 2, "overtime": 1}), replication_seed(7, 0).spawn(2)[0])
    assert np.array_equal(a.submit, b.submit) and np.array_equal(a.hours, b.hours) and np.array_equal(a.tier, b.tier)


# ---- outsourcing ----------------------------------------------------------------------------------

def test_outsourcing_takes_waiting_devices_within_slots_tiers_and_order():
    sc = small(extra_options=[{
        "name": "out_vh", "kind": "outsourcing", "price_gbp_by_type": {"phone": 500}, "step_devices_per_week": 3,
        "max_devices_per_week": 3, "tiers": ["VH", "H"], "start_week": 2, "contract_weeks": 5,
        "turnaround_days": {"dist": "fixed", "value": 10}}], keep=("triage_kiosk",))
    mix = {"out_vh": 1, "triage_kiosk": 1}
    applied = apply_mix(sc, mix)
    wl_seed, model_seed = replication_seed(3, 0).spawn(2)
    wl = generate(applied, wl_seed)
    model = OutsourcingModel(applied, wl, model_seed, outsourcing_contracts(sc, mix), np.full(wl.n, 0.5))
    rec = model.run().records
    sent = model.sent
    out = ~np.isnan(sent)
    assert out.sum() == 3 * 5
    weeks = np.floor(sent[out] / 168)
    assert set(weeks) == {2, 3, 4, 5, 6} and all((weeks == w).sum() == 3 for w in set(weeks))
    assert set(wl.tier[out]) <= {0, 1} and set(wl.dtype[out]) == {0}
    assert not rec.screened[out].any()                      # triage screens before anything goes out
    assert np.all(rec.qenter[out, EXAM] <= sent[out])        # only devices waiting for examination go out
    assert np.all(rec.server[out, EXAM] == -1)               # never touched by an in-house examiner
    assert np.allclose(rec.start[out, EXAM] - sent[out], 72) and np.allclose(rec.end[out, EXAM] - sent[out], 240)
    assert model.price.sum() == 500 * 15
    # risk first: the first week takes VH devices (more than 3 VH phones are waiting)
    assert set(wl.tier[out & (np.floor(sent / 168) == 2)]) == {0}


def test_outsourced_devices_leave_the_in_house_queue_and_count_as_started():
    sc = small(keep=("outsource_phones",))
    base = replicate(prepare(sc, {}), 5, 0)[0]
    out = replicate(prepare(sc, {"outsource_phones": 2}), 5, 0)[0]
    n_out = out["invest.outsourced_devices"]
    assert n_out == 10 * (20 - 4)  # 10 a week from week 4 to the horizon (plenty of phones waiting)
    assert out["invest.outsourced_spend_gbp"] == 450 * n_out
    assert out["overall.waiting_at_end"] < base["overall.waiting_at_end"]
    assert out["overall.started"] > base["overall.started"]


def test_zero_mix_replication_equals_the_core():
    sc = small()
    mine = replicate(prepare(sc, {}), 11, 1)[0]
    _, core, _, _, _ = run_replication(sc, 11, 1)
    for k, v in core.items():
        assert (np.isnan(v) and np.isnan(mine[k])) or v == mine[k], k


# ---- costs ----------------------------------------------------------------------------------------

def test_costs_by_hand(full):
    assert mix_cost(full, {"contract_examiner": 1}) == pytest.approx(85_000)          # 52-week term inside 104
    assert mix_cost(full, {"mobile_examiner": 1}) == pytest.approx(3_000 + 62_000 * (104 - 16) / 52)
    assert mix_cost(full, {"overtime": 2}) == pytest.approx(2 * 16 * 50 * 52)
    assert mix_cost(full, {"outsource_phones": 1}) == pytest.approx(5_000 + 5 * 450 * 52)
    assert mix_cost(full, {"outsource_computers": 1}) == pytest.approx(5_000 + 2 * 1_000 * 52)  # dearest price
    assert mix_cost(full, {"triage_kiosk": 1}) == pytest.approx(109_000 + 15_000 * 2)
    assert mix_cost(full, {"training": 3}) == pytest.approx(12_000)
    assert recurring_after_horizon(full, {"mobile_examiner": 2, "contract_examiner": 1, "cse_automation": 1}) \
        == pytest.approx(2 * 62_000 + 40_000)


@pytest.mark.parametrize("mix", [
    {"mobile_examiner": 2, "triage_kiosk": 1, "training": 5},
    {"overtime": 4, "outsource_phones": 3, "cse_automation": 1},
    {"contract_examiner": 3, "outsource_computers": 2, "computer_examiner": 1},
])
def test_cost_profile_adds_up(full, mix):
    cp = cost_profile(full, mix)
    total = mix_cost(full, mix)
    assert cp["total_gbp"] == pytest.approx(total)
    assert sum(m["total"] for m in cp["by_month"]) == pytest.approx(total)
    assert sum(y["total"] for y in cp["by_financial_year"]) == pytest.approx(total)
    assert sum(cp["by_option"].values()) == pytest.approx(total)
    for m in cp["by_month"]:
        assert m["total"] == pytest.approx(sum(m[o] for o in cp["options"]))
    assert all(i.start_week < full.calendar.horizon_weeks for i in cost_items(full, mix))


def test_costs_land_in_their_financial_year(full):
    cp = cost_profile(full, {"triage_kiosk": 1})
    by = {y["financial_year"]: y["total"] for y in cp["by_financial_year"]}
    # capital paid 2 Jan 2023 (FY 2022/23) with 3 months' running; 2023/24 a full year of running
    assert by["2023/24"] == pytest.approx(15_000 * 366 / 364, rel=0.01)
    assert by["2022/23"] == pytest.approx(109_000 + 15_000 * 88 / 364, rel=0.01)
    assert financial_year(dt.date(2023, 3, 31)) == "2022/23" and financial_year(dt.date(2023, 4, 1)) == "2023/24"


def test_max_units(full):
    units = {o.name: max_units(o, full) for o in full.investment.options}
    assert units == {"mobile_examiner": 4, "computer_examiner": 4, "contract_examiner": 3, "overtime": 4,
                     "outsource_phones": 4, "outsource_computers": 4, "triage_kiosk": 1, "cse_automation": 1,
                     "training": 8}
