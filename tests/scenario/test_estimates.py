"""Ranges on estimates (``dfu_sched.scenario.estimates``): parsing, validation of the ends, laws."""
from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dfu_sched.errors import InputError
from dfu_sched.scenario.estimates import is_range, parse_range, set_values, split_estimates
from dfu_sched.scenario.schema import load_scenario, parse_scenario, read_scenario_data

BASE = "scenarios/north_yorkshire_2022.yaml"


def _data(**ranges):
    d = read_scenario_data(BASE)
    for path, node in ranges.items():
        cur = d
        parts = path.split("/")
        for p in parts[:-1]:
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        cur[parts[-1]] = node
    return d


def test_a_range_runs_with_its_value_and_is_kept():
    d = _data(**{"arrivals/annual_growth": {"value": 0.05, "low": 0.0, "high": 0.1},
                 "examiners/0/count": {"value": 3, "low": 2, "high": 5}})
    sc = parse_scenario(d)
    plain = parse_scenario(_data(**{"arrivals/annual_growth": 0.05, "examiners/0/count": 3}))
    assert sc.model_dump() == plain.model_dump()
    keys = [e.key for e in sc.estimates]
    assert keys[0] == "arrivals.annual_growth"
    assert keys[1].startswith("examiners.") and keys[1].endswith(".count")
    count = sc.estimates[1]
    assert count.integer and not sc.estimates[0].integer
    assert count.swing == (2.0, 5.0)


def test_input_data_is_not_modified():
    d = _data(**{"arrivals/annual_growth": {"value": 0.05, "low": 0.0, "high": 0.1}})
    before = copy.deepcopy(d)
    parse_scenario(d)
    assert d == before


def test_distributions_are_not_ranges():
    assert not is_range({"dist": "fixed", "value": 1})
    assert not is_range({"dist": "uniform", "low": 1, "high": 2})
    assert is_range({"value": 1, "low": 0, "high": 2})
    assert not is_range({"value": 1})


@pytest.mark.parametrize("node, needle", [
    ({"value": 0.3, "low": 0.4, "high": 0.5}, "low <= value <= high"),
    ({"value": 0.3, "low": 0.2}, "give both low and high"),
    ({"value": 0.3, "sd": -1}, "sd: must be greater than 0"),
    ({"value": 0.3, "low": 0.2, "high": 0.4, "shape": "trianglar"}, "did you mean 'triangular'"),
    ({"value": 0.3, "low": 0.2, "high": 1.4}, "high end 1.4 is not a valid value"),
    ({"value": "x", "low": 0.2, "high": 0.4}, "value: must be a finite number"),
    ({"value": 0.3, "draws": [0.1]}, "draws: must be a list of 2"),
    ({"value": 0.3, "low": 0.2, "hgih": 0.5}, "unknown key 'hgih' in a range (did you mean 'high'?)"),
    ({"value": 0.3}, "a range needs low and high, sd, or draws"),
])
def test_bad_ranges_get_one_line_naming_the_key(node, needle):
    with pytest.raises(InputError) as err:
        parse_scenario(_data(**{"stages/triage/screen_out_share": node}))
    msg = str(err.value)
    assert "stages.triage.screen_out_share" in msg and needle in msg and "\n" not in msg
    assert msg.count("screen_out_share") == 1  # the key is named once


def test_the_laws_stay_inside_their_support_and_hit_their_centre():
    u = (np.arange(2000) + 0.5) / 2000
    for node in ({"value": 0.3, "low": 0.2, "high": 0.5},
                 {"value": 0.3, "low": 0.2, "high": 0.5, "shape": "uniform"},
                 {"value": 0.3, "low": 0.2, "high": 0.5, "shape": "pert"},
                 {"value": 0.3, "sd": 0.02},
                 {"value": 0.3, "draws": [0.25, 0.3, 0.35, 0.28]}):
        e = parse_range(node, "k", ("k",))
        x = e.ppf(u)
        lo, hi = e.support
        assert lo - 1e-12 <= x.min() and x.max() <= hi + 1e-12
        assert np.all(np.diff(x) >= -1e-12)  # an inverse CDF never decreases
    tri = parse_range({"value": 0.3, "low": 0.2, "high": 0.5}, "k", ("k",)).ppf(u)
    assert np.mean(tri) == pytest.approx((0.2 + 0.3 + 0.5) / 3, abs=1e-3)
    normal = parse_range({"value": 0.3, "sd": 0.02}, "k", ("k",))
    assert np.median(normal.ppf(u)) == pytest.approx(0.3, abs=1e-4)
    assert normal.swing == pytest.approx((0.3 - 1.96 * 0.02, 0.3 + 1.96 * 0.02))


def test_ranges_survive_updates_that_leave_them_alone():
    sc = load_scenario("scenarios/north_yorkshire_400k.yaml")
    assert len(sc.estimates) >= 5
    assert len(sc.with_updates({"policy": {"discipline": "priority"}}).estimates) == len(sc.estimates)
    fewer = sc.with_updates({"arrivals": {"cases_per_week": 8.0}})
    assert "arrivals.cases_per_week" not in [e.key for e in fewer.estimates]
    assert len(fewer.estimates) == len(sc.estimates) - 1


def test_set_values_puts_each_value_at_its_location():
    plain, ests = split_estimates(_data(**{"arrivals/annual_growth": {"value": 0.05, "low": 0.0, "high": 0.1}}))
    out = set_values(plain, ests, [0.07])
    assert out["arrivals"]["annual_growth"] == 0.07 and plain["arrivals"]["annual_growth"] == 0.05


@settings(max_examples=60, deadline=None)
@given(value=st.floats(-10, 10), low=st.floats(-10, 10), high=st.floats(-10, 10),
       shape=st.sampled_from(["triangular", "uniform", "pert", "bogus", None]))
def test_fuzzed_ranges_parse_or_refuse_in_one_line(value, low, high, shape):
    node = {"value": value, "low": low, "high": high}
    if shape:
        node["shape"] = shape
    try:
        sc = parse_scenario(_data(**{"arrivals/annual_growth": node}))
    except InputError as exc:
        assert "arrivals.annual_growth" in str(exc) and "\n" not in str(exc)
        return
    e = sc.estimates[0]
    assert low <= value <= high and -1 < low and high <= 1
    assert sc.arrivals.annual_growth == value and e.support == (low, high)
