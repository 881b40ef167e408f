"""The Scenario page's lever registry: every control reads, changes and refuses exactly its own key."""
from __future__ import annotations

import copy

import pytest

from dfu_sched.app import scenario_form as form
from dfu_sched.app import simulate_page as page
from dfu_sched.errors import InputError

BASE = "north_yorkshire_2022.yaml"


def dump(sc) -> dict:
    return sc.model_dump(mode="json", by_alias=True)


def at(data, path):
    for p in path:
        data = data[p]
    return data


def other_value(c: form.Control, value):
    """A value of ``c`` that differs from ``value`` and stays inside its bounds."""
    if c.kind == "bool":
        return not value
    if c.kind == "choice":
        return next(o for o in c.spec.options if o != value)
    if c.kind == "optional_float":
        return 10.0 if value is None else None
    if c.kind == "int":
        return value + 1
    return value + c.spec.step if value + c.spec.step <= c.spec.high else value - c.spec.step


@pytest.mark.parametrize("name", page.shipped_scenarios())
def test_an_untouched_form_gives_the_scenario_unchanged(name):
    sc = page.read_shipped(name).scenario
    assert form.apply_levers(sc, form.levers_of(sc)) == sc
    assert form.apply_levers(sc, form.Levers({})) == sc


def test_the_registry_covers_every_lever_the_issue_names():
    keys = {c.key for c in form.controls_for(page.read_shipped(BASE).scenario)}
    for group in ("mobile", "computer", "senior"):
        assert {f"examiners[{group}].{k}" for k in ("count", "hours_per_week", "absence")} <= keys
    assert {f"arrivals.tier_mix.{t}" for t in ("VH", "H", "M", "L")} <= keys
    assert {"arrivals.cases_per_week", "arrivals.annual_growth", "policy.discipline", "policy.aging_days",
            "policy.expedite_share", "policy.preemptive", "stages.triage.enabled",
            "stages.triage.screen_out_share", "stages.triage.quick_path_share",
            "stages.triage.quick_path_factor", "stages.triage.servers", "stages.extraction.servers"} <= keys
    assert {c.spec.section for c in form.controls_for(page.read_shipped(BASE).scenario)} == set(form.SECTIONS)


def test_each_control_changes_its_key_and_nothing_else():
    sc = page.read_shipped(BASE).scenario
    start = form.levers_of(sc).values
    before = dump(sc)
    for c in form.controls_for(sc):
        if c.spec.sums_to_100:
            continue  # one share alone cannot change: tested below
        new = other_value(c, start[c.key])
        after = dump(form.apply_levers(sc, form.Levers({**start, c.key: new})))
        expected = copy.deepcopy(before)
        at(expected, c.path[:-1])[c.path[-1]] = c.stored(new)
        assert after == expected, c.key  # its own key, and not one other value


def test_shares_are_percentages_and_the_tier_mix_must_add_up():
    sc = page.read_shipped(BASE).scenario
    start = dict(form.levers_of(sc).values)
    assert start["arrivals.tier_mix.VH"] == 7.0 and start["examiners[mobile].absence"] == 20.0
    moved = form.apply_levers(sc, form.Levers({**start, "arrivals.tier_mix.VH": 10.0, "arrivals.tier_mix.L": 30.0}))
    assert moved.arrivals.tier_mix == pytest.approx({"VH": 0.10, "H": 0.25, "M": 0.35, "L": 0.30}, abs=1e-12)
    assert form.share_totals(form.controls_for(sc), start) == {"Tier mix": 100.0}
    assert form.share_totals(form.controls_for(sc), {**start, "arrivals.tier_mix.VH": 12.0}) == {"Tier mix": 105.0}
    with pytest.raises(InputError) as exc:
        form.apply_levers(sc, form.Levers({**start, "arrivals.tier_mix.VH": 12.0}))
    assert str(exc.value) == "the form: Tier mix: the shares add up to 105%; they must add up to 100%"


@pytest.mark.parametrize("key, value, words", [
    ("examiners[mobile].hours_per_week", 500.0, "the form: mobile: hours a week: must be between 1 and 80"),
    ("examiners[mobile].absence", 99.0, "the form: mobile: absence (% of days): must be between 0 and 95"),
    ("stages.extraction.servers", 2.5, "the form: Extraction stations (kit): must be a whole number"),
    ("policy.discipline", "nonsense", "the form: Queue rule: must be one of"),
    ("arrivals.cases_per_week", "lots", "the form: Cases per week: must be a number"),
    ("stages.triage.screen_out_share", 90.0,
     "the form: Triage: screened out (%): stages.triage: screen_out_share + quick_path_share must not exceed 1"),
])
def test_a_bad_value_is_one_line_naming_the_control(key, value, words):
    sc = page.read_shipped(BASE).scenario
    with pytest.raises(InputError) as exc:
        form.apply_levers(sc, form.Levers({**form.levers_of(sc).values, key: value}))
    assert str(exc.value).startswith(words) and "\n" not in str(exc.value)


def test_a_group_with_a_lone_skill_cannot_go_to_zero_silently():
    sc = page.read_shipped(BASE).scenario.with_updates({"examiners": [
        {"name": "only", "count": 2, "skills": ["mobile", "computer"]}]})
    with pytest.raises(InputError, match=r"^the form: .*no examiner has skill"):
        form.apply_levers(sc, form.Levers({"examiners[only].count": 0}))


def test_aging_scale_can_be_set_and_cleared():
    sc = page.read_shipped(BASE).scenario
    on = form.apply_levers(sc, form.Levers({"policy.aging_days": 21.0}))
    assert on.policy.aging_days == 21.0 and sc.policy.aging_days is None
    off = form.apply_levers(on, form.Levers({"policy.aging_days": None}))
    assert off == sc
