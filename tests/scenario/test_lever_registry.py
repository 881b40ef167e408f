"""Levers as objects: the abstract base, the registry, and properties every registered lever must have.

``EXAMPLES`` holds one option per registered kind: a new lever class fails
``test_every_registered_lever_has_an_example`` until its example is added here, and then gets
every test below for free.
"""
from __future__ import annotations

import copy
from functools import cache
from typing import Any, Literal

import annotated_types as at
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dfu_sched.errors import InputError
from dfu_sched.scenario.lever_base import LEVERS, Contract, CostItem, Draft, Lever
from dfu_sched.scenario.lever_staff import Overtime
from dfu_sched.scenario.levers import (
    apply_mix,
    cost_items,
    describe_mix,
    max_units,
    mix_cost,
    mix_label,
    outsourcing_contracts,
    unit_label,
)
from dfu_sched.scenario.schema import Scenario, parse_scenario, scenario_json_schema
from tests.helpers import raw, small

#: One option per registered lever kind, valid in the cut-down £400K scenario.
EXAMPLES: dict[str, dict[str, Any]] = {
    "hire_examiners": {"name": "hire", "kind": "hire_examiners", "annual_cost_gbp": 60_000, "recruitment_gbp": 3_000,
                       "lag_weeks": 4, "ramp_up_weeks": 8, "skills": ["mobile"], "max_count": 3},
    "overtime": {"name": "ot", "kind": "overtime", "rate_gbp_per_hour": 50, "cap_hours_per_person_per_week": 6,
                 "step_hours_per_week": 16},
    "outsourcing": {"name": "out", "kind": "outsourcing", "price_gbp_by_type": {"phone": 450}, "setup_gbp": 2_000,
                    "step_devices_per_week": 5, "max_devices_per_week": 15,
                    "turnaround_days": {"dist": "fixed", "value": 10}},
    "triage_kit": {"name": "kit", "kind": "triage_kit", "capital_gbp": 100_000, "running_gbp_per_year": 15_000,
                   "max_units": 2, "screen_out_share": 0.3},
    "automation": {"name": "auto", "kind": "automation", "licence_gbp_per_year": 40_000, "setup_gbp": 5_000,
                   "time_saved_share": 0.5, "applies_to_share": 0.4},
    "training": {"name": "train", "kind": "training", "cost_gbp_per_person": 4_000, "productivity_gain": 0.08,
                 "max_count": 4},
}


@cache
def _base() -> dict:
    """The cut-down £400K scenario with no options, as data."""
    return raw(small(keep=()))


def _scenario(*options: dict[str, Any]) -> Scenario:
    data = copy.deepcopy(_base())
    data["investment"]["options"] = [copy.deepcopy(o) for o in options]
    return parse_scenario(data)


@cache
def _one(kind: str) -> Scenario:
    return _scenario(EXAMPLES[kind])


KINDS = sorted(EXAMPLES)


def test_every_registered_lever_has_an_example():
    assert set(LEVERS) == set(EXAMPLES)


def test_option_union_is_built_from_the_registry():
    """Every registered kind parses as its own class and is a branch of the scenario's JSON Schema."""
    sc = _scenario(*EXAMPLES.values())
    assert sc.investment is not None
    assert {type(o) for o in sc.investment.options} == set(LEVERS.values())
    tags: set[str] = set()

    def visit(node):
        if isinstance(node, dict):
            if node.get("discriminator", {}).get("propertyName") == "kind":
                tags.update(node["discriminator"]["mapping"])
            for v in node.values():
                visit(v)
        elif isinstance(node, list):
            for v in node:
                visit(v)

    visit(scenario_json_schema())
    assert tags == set(LEVERS)


def test_unknown_kind_is_one_line():
    data = copy.deepcopy(_base())
    data["investment"]["options"] = [{**EXAMPLES["training"], "kind": "bribery"}]
    with pytest.raises(InputError) as err:
        parse_scenario(data)
    assert "\n" not in str(err.value) and "kind" in str(err.value)


def test_a_lever_missing_a_method_fails_when_its_class_is_created():
    with pytest.raises(TypeError, match="describe"):
        class Incomplete(Lever):  # noqa: F841 (the class statement is the test)
            kind: Literal["test_incomplete"]

            def check(self, sc, where): ...
            def max_units_in(self, sc): return 1
            def unit_label(self): return "thing"
            def apply(self, units, draft): return None
            def cost_items(self, units, horizon_weeks): return []
            def recurring(self, units): return 0.0
    assert "test_incomplete" not in LEVERS


def test_a_kind_is_registered_once():
    with pytest.raises(TypeError, match="already"):
        class MoreOvertime(Overtime):  # inherits kind 'overtime'
            pass
    assert LEVERS["overtime"] is Overtime


def test_an_intermediate_base_without_a_kind_may_stay_abstract():
    class Family(Lever):
        """Shared behaviour for a family of levers; not itself a lever."""

    assert Family not in LEVERS.values()


@pytest.mark.parametrize("kind", KINDS)
def test_every_lever_says_what_it_is(kind):
    sc = _one(kind)
    assert sc.investment is not None
    (o,) = sc.investment.options
    assert max_units(o, sc) >= 1
    assert unit_label(o).strip()
    for u in (1, 2, 3):
        text = o.describe(u)
        assert text.strip() and "do nothing" not in text
        assert o.name in text or o.name.replace("_", " ") in text
    assert describe_mix(sc, {}) == ["do nothing"] and mix_label({o.name: 0}) == "do nothing"
    assert describe_mix(sc, {o.name: 1}) == [o.describe(1)] and mix_label({o.name: 1}) == o.name


@pytest.mark.parametrize("kind", KINDS)
def test_one_unit_changes_the_scenario_or_returns_a_contract(kind):
    """No lever is bought for nothing: it changes the scenario, or (outsourcing) hands the model a contract."""
    sc = _one(kind)
    name = EXAMPLES[kind]["name"]
    changed = raw(apply_mix(sc, {name: 1})) != {**raw(sc), "investment": None}
    contracts = outsourcing_contracts(sc, {name: 1})
    assert changed or contracts
    if kind == "outsourcing":  # documented: the scenario cannot express it; apply returns the contract
        assert not changed and [c.name for c in contracts] == [name] and isinstance(contracts[0], Contract)
    assert mix_cost(sc, {name: 1}) > 0
    assert all(isinstance(i, CostItem) and i.option == name for i in cost_items(sc, {name: 1}))


@pytest.mark.parametrize("kind", KINDS)
def test_apply_returns_a_contract_only_for_outsourcing(kind):
    sc = _one(kind)
    assert sc.investment is not None
    (o,) = sc.investment.options
    data = sc.model_dump(mode="json", by_alias=True)
    draft = Draft(sc, data, staff=[dict(g) for g in data["examiners"]])
    assert (o.apply(1, draft) is not None) == (kind == "outsourcing")


# ---- properties over every registered lever ---------------------------------------------------------

def _bounds(info) -> tuple[float, float, bool, bool]:
    lo, hi, open_lo, open_hi = 0.0, 1e9, False, False
    for m in info.metadata:
        if isinstance(m, at.Ge):
            lo = float(m.ge)
        elif isinstance(m, at.Gt):
            lo, open_lo = float(m.gt), True
        elif isinstance(m, at.Le):
            hi = min(hi, float(m.le))
        elif isinstance(m, at.Lt):
            hi, open_hi = min(hi, float(m.lt)), True
    return lo, hi, open_lo, open_hi


def _money_and_time_fields(cls: type[Lever]) -> dict[str, Any]:
    """Each plain float field about money, rates or weeks, with its stated range."""
    return {n: info for n, info in cls.model_fields.items()
            if info.annotation is float and any(w in n for w in ("gbp", "rate", "weeks"))}


@st.composite
def _lever_case(draw):
    kind = draw(st.sampled_from(KINDS))
    option = dict(EXAMPLES[kind])
    for name, info in _money_and_time_fields(LEVERS[kind]).items():
        lo, hi, open_lo, open_hi = _bounds(info)
        if draw(st.booleans()):
            option[name] = draw(st.floats(lo, hi, exclude_min=open_lo, exclude_max=open_hi, allow_nan=False))
    return kind, option


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_lever_case())
def test_cost_is_non_negative_and_grows_with_units(case):
    kind, option = case
    try:
        sc = _scenario(option)
    except InputError:
        assume(False)
        return
    assert sc.investment is not None
    (o,) = sc.investment.options
    top = max_units(o, sc)
    assert top >= 1
    costs = [mix_cost(sc, {o.name: k}) for k in range(min(top, 12) + 1)]
    assert costs[0] == 0 and all(c >= 0 for c in costs)
    assert all(b >= a for a, b in zip(costs, costs[1:])), costs
    for k in range(1, min(top, 3) + 1):
        assert "do nothing" not in o.describe(k) and describe_mix(sc, {o.name: k}) != ["do nothing"]
