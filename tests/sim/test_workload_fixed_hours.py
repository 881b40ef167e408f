"""``backlog[].exam_hours`` and ``expedite``: fixed values honoured, every other draw untouched (CRN)."""
from __future__ import annotations

import numpy as np
import pytest

from dfu_sched.calendar import STAGES
from dfu_sched.scenario.levers import apply_mix
from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim.workload import child_seed, generate
from tests.helpers import NY400K, backlog, mini, run

EXAM = STAGES.index("examination")
#: Drawn examination hours (so a fixed value is visibly not a draw) and a triage stage whose hours are drawn.
DRAWN = {"device_types": {
    "phone": {"skill": "mobile", "service_hours": {"triage": {"dist": "exponential", "mean": 1.0},
                                                    "examination": {"dist": "lognormal", "mean": 10, "sd": 4}}},
    "computer": {"skill": "computer", "service_hours": {"triage": {"dist": "exponential", "mean": 1.0},
                                                         "examination": {"dist": "lognormal", "mean": 10, "sd": 4}}}},
    "stages": {"triage": {"enabled": True}, "extraction": {"enabled": False}},
    "arrivals": {"cases_per_week": 3}, "policy": {"expedite_share": 0.2}}


def _with_hours(hours: float | None) -> list[dict]:
    entries = backlog(("phone", "VH", 5, 30), ("computer", "L", 7, 90), ("phone", "M", 4, 10))
    if hours is not None:
        entries[1]["exam_hours"] = hours
    return entries


def test_fixed_hours_replace_only_the_examination_draw_of_their_entry() -> None:
    seed = child_seed(np.random.SeedSequence(11), 0)
    drawn = generate(mini(**DRAWN, backlog=_with_hours(None)), seed)
    fixed = generate(mini(**DRAWN, backlog=_with_hours(8.0)), seed)
    assert drawn.n == fixed.n and drawn.backlog.sum() == 16 and drawn.n > 16  # new devices arrive too
    # Oldest first: the 7 computers aged 90 days are the first backlog rows.
    assert np.allclose(-fixed.submit[:7] / 24.0, 90.0) and (fixed.dtype[:7] == 1).all()
    assert np.array_equal(fixed.hours[:7, EXAM], np.full(7, 8.0))
    assert len(set(drawn.hours[:7, EXAM])) == 7 and not np.any(drawn.hours[:7, EXAM] == 8.0)
    # Everything else is the very same draw: other entries, other stages, new devices, attributes.
    mask = np.ones_like(fixed.hours, bool)
    mask[:7, EXAM] = False
    assert np.array_equal(fixed.hours[mask], drawn.hours[mask])
    assert (fixed.hours[:7, STAGES.index("triage")] > 0).all()  # triage hours still drawn
    for name in ("submit", "release", "case", "tier", "dtype", "expedite", "triage", "first_stage", "backlog"):
        assert np.array_equal(getattr(fixed, name), getattr(drawn, name)), name


@pytest.mark.parametrize("flag", [True, False])
def test_fixed_expedite_flags_replace_only_their_entry(flag: bool) -> None:
    seed = child_seed(np.random.SeedSequence(5), 0)
    drawn_sc = mini(**DRAWN, backlog=_with_hours(None))
    entries = _with_hours(None)
    entries[1]["expedite"] = flag
    drawn, fixed = generate(drawn_sc, seed), generate(mini(**DRAWN, backlog=entries), seed)
    assert (fixed.expedite[:7] == flag).all()
    assert np.array_equal(fixed.expedite[7:], drawn.expedite[7:]) and 0 < drawn.expedite.sum()
    for name in ("submit", "tier", "dtype", "triage", "hours", "first_stage"):
        assert np.array_equal(getattr(fixed, name), getattr(drawn, name)), name


def test_a_device_with_8_estimated_hours_takes_8_hours() -> None:
    """Deterministic: one examiner, no arrivals; a 10-hour type with exam_hours 8 runs exactly as an
    8-hour type does (same start, same end), and differently from its own type's 10 hours."""
    entries = backlog(("phone", "VH", 1, 5))
    fixed = mini(backlog=[{**entries[0], "exam_hours": 8.0}])
    eight = mini(backlog=entries, device_types={"phone": {"service_hours": {
        "examination": {"dist": "fixed", "value": 8}}}})
    ten = mini(backlog=entries)
    (wl_f, out_f), (wl_8, out_8), (_, out_10) = run(fixed), run(eight), run(ten)
    assert wl_f.hours[0, EXAM] == 8.0 == wl_8.hours[0, EXAM]
    # 37.5 h a week over five days: Monday 08:00-15:30 (7.5 h), then 0.5 h from Tuesday 08:00.
    assert out_f.records.start[0, EXAM] == out_8.records.start[0, EXAM] == 8.0
    assert out_f.records.end[0, EXAM] == out_8.records.end[0, EXAM] == 24.0 + 8.0 + 0.5
    assert out_10.records.end[0, EXAM] == 24.0 + 8.0 + 2.5


def test_automation_speeds_up_fixed_estimates_too() -> None:
    sc = load_scenario(NY400K)
    sc = sc.with_updates({"backlog": [{**backlog(("phone", "VH", 3, 20))[0], "exam_hours": 8.0},
                                      backlog(("computer", "H", 2, 20))[0]]})
    opt = next(o for o in sc.investment.options if o.name == "cse_automation")
    factor = 1.0 - opt.time_saved_share * opt.applies_to_share
    applied = apply_mix(sc, {"cse_automation": 1})
    expect = 8.0 * factor if "phone" in opt.types_in(sc) else 8.0
    assert abs(applied.backlog[0].exam_hours - expect) < 1e-12
    assert applied.backlog[1].exam_hours is None
