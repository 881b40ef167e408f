"""The cheapest point that meets a target, cost bases, and the measure names a sweep accepts."""
from __future__ import annotations

import pytest

from dfu_sched.errors import InputError
from dfu_sched.invest.evaluate import prepare, replicate
from dfu_sched.invest.targets import parse_target
from dfu_sched.sweep.grid import build_grid
from dfu_sched.sweep.keys import check_measures, default_measures, measure_names, target_measure
from dfu_sched.sweep.summary import GRID_ORDER, INVESTMENT, cheapest_point, cost_basis
from tests.helpers import small
from tests.sweep.builders import unit

KEY = "invest.backlog_at_12m"


def _points(*rows):
    """Hand-made points: (cost, mean of KEY)."""
    return [{"cost": c, "measures": {KEY: {"estimate": v, "ci95": [None, None]}}} for c, v in rows]


def test_the_cheapest_point_meeting_the_target_on_a_hand_made_result():
    sc = unit()
    at_most = parse_target(f"{KEY}<=50", sc, 0.0)
    assert cheapest_point(_points((3, 60), (1, 50), (2, 40), (0, 51)), at_most, KEY) == 1  # 50 meets <=50
    assert cheapest_point(_points((2, 10), (1, 45), (1, 30)), at_most, KEY) == 1  # a tie: the earlier point
    assert cheapest_point(_points((0, 51), (1, None), (2, 70)), at_most, KEY) is None
    at_least = parse_target(f"{KEY}>=50", sc, 0.0)
    assert cheapest_point(_points((3, 60), (1, 49.9), (2, 55)), at_least, KEY) == 2
    below = parse_target(f"{KEY}<50", sc, 0.0)
    assert cheapest_point(_points((0, 50), (1, 49)), below, KEY) == 1


def test_cost_bases():
    g = build_grid(unit(), ["examiners.ann.count=3,1,2"])
    assert cost_basis(g, None) == cost_basis(g, GRID_ORDER)
    assert cost_basis(g, None).costs == (0.0, 1.0, 2.0) and cost_basis(g, None).unit == "grid position"
    by_count = cost_basis(g, "examiners.ann.count")
    assert by_count.costs == (3.0, 1.0, 2.0) and by_count.unit == "examiners.ann.count"
    with pytest.raises(InputError, match=r"^--cost: 'staff' is not a --grid key \(examiners\.ann\.count\)"):
        cost_basis(g, "staff")
    words = build_grid(unit(), ["policy.discipline=fifo,priority"])
    with pytest.raises(InputError, match="must be numbers"):
        cost_basis(words, "policy.discipline")
    sc = small(horizon_weeks=8, backlog_divisor=20)
    inv = build_grid(sc, ["investment.mix.overtime=0,1"])
    basis = cost_basis(inv, None)
    assert basis.name == INVESTMENT and basis.costs[0] == 0 and basis.costs[1] > 0 and basis.unit == "GBP"


@pytest.mark.parametrize("make", [unit, lambda: small(horizon_weeks=8, backlog_divisor=20)], ids=["mini", "ny400k"])
def test_measure_names_are_exactly_what_a_replication_reports(make):
    sc = make()  # the £400K unit has three examiner groups, extraction stations and backlog thresholds
    scalars, _ = replicate(prepare(sc, {}), 1, 0)
    assert sorted(measure_names(sc)) == sorted(scalars)


def test_measures_and_targets_are_checked_before_running():
    sc = unit()
    assert default_measures(sc) == ["invest.backlog_at_12m", "VH.wait_to_start_days.p50"]
    assert check_measures(sc, ["H.exposure", "H.exposure"]) == ["H.exposure"]
    with pytest.raises(InputError, match=r"^--measure: unknown measure 'overall\.backlog_12m' \(did you mean"):
        check_measures(sc, ["overall.backlog_12m"])
    with pytest.raises(InputError, match=r"^--target: unknown measure 'overall\.exposur'"):
        target_measure(sc, parse_target("overall.exposur<=5", sc, 0.0))
    # a wait target is judged as invest --target judges it: on the window from --by
    assert target_measure(sc, parse_target("VH+H.wait_to_start_days.p90<=7", sc, 2.0)) == "window.VH+H.p90"
