"""The edited scenario's YAML: reads back to the edited model, keeps the file's comments and key order."""
from __future__ import annotations

import random

import pytest

from dfu_sched.app import scenario_form as form
from dfu_sched.app import simulate_page as page
from dfu_sched.app import yaml_edit
from dfu_sched.reports.assumptions import parse_assumptions
from dfu_sched.scenario.schema import parse_scenario
from dfu_sched.yamlfile import parse_yaml
from tests.app.test_scenario_form import other_value

BASE = "north_yorkshire_2022.yaml"
#: One lever of every section, and a key the baseline leaves to its default (policy.aging_days).
EDITS = {"examiners[mobile].count": 5, "examiners[senior].absence": 10.0, "arrivals.cases_per_week": 9.0,
         "arrivals.tier_mix.VH": 10.0, "arrivals.tier_mix.L": 30.0, "policy.discipline": "priority",
         "policy.aging_days": 20.0, "stages.triage.enabled": True, "stages.extraction.servers": 5}


def read_back(text: str):
    data = parse_yaml(text, "download.yaml")
    assert isinstance(data, dict) and "extends" not in data
    return parse_scenario(data, source="download.yaml")


def edited(name: str):
    src = page.read_shipped(name)
    levers = form.levers_of(src.scenario).values
    return src, form.apply_levers(src.scenario, form.Levers({**levers, **EDITS}))


def top_keys(text: str) -> list[str]:
    return [line.split(":")[0] for line in text.splitlines() if line[:1].isalpha()]


@pytest.mark.parametrize("name", page.shipped_scenarios())
def test_the_download_reads_back_to_the_edited_scenario(name):
    src, sc = edited(name)
    text = page.edited_yaml(src, sc)
    assert read_back(text) == sc
    assert "could not be kept" not in text  # the round trip edited the file in place
    assert read_back(page.edited_yaml(src, src.scenario)) == src.scenario


def test_every_source_note_and_the_key_order_are_kept():
    src, sc = edited(BASE)
    text = page.edited_yaml(src, sc)
    before = {a.path: a.note for a in parse_assumptions(src.text) if a.marker}
    after = {a.path: a.note for a in parse_assumptions(text) if a.marker}
    assert before and after == before  # every [S]/[E] note, on the same key (changed values keep theirs)
    assert top_keys(text) == top_keys(src.text)
    assert src.text.splitlines()[0] in text.splitlines()  # the file's own header is still there


def test_the_header_lists_each_change_and_an_added_key_is_marked():
    src, sc = edited(BASE)
    text = page.edited_yaml(src, sc)
    head = text.split("\n# North Yorkshire")[0]
    assert "#   examiners[mobile].count: 3 -> 5" in head and "#   policy.discipline: fifo -> priority" in head
    assert "#   policy.aging_days: null -> 20.0" in head
    line = next(x for x in text.splitlines() if x.strip().startswith("aging_days:"))
    assert line.endswith(yaml_edit.ADDED_NOTE)
    unchanged = page.edited_yaml(src, src.scenario)
    assert "Changed here" not in unchanged
    assert unchanged.split("\n", 2)[2] == src.text  # nothing changed: the file exactly, under the header


def test_a_variant_is_downloaded_merged_with_its_bases_notes():
    src, sc = edited("north_yorkshire_2022_priority.yaml")
    assert "extends" in src.text
    text = page.edited_yaml(src, sc)
    assert "extends" not in parse_yaml(text, "x") and "base file it extends merged in" in text
    base = {a.path: a.note for a in parse_assumptions(page.read_shipped(BASE).text) if a.marker}
    after = {a.path: a.note for a in parse_assumptions(text) if a.marker}
    # the base's notes, less the one about the value the variant replaced (FIFO's source is not priority's)
    assert after == {k: v for k, v in base.items() if k != "policy.discipline"}
    assert "name: North Yorkshire 2022, strict tier priority" in text


def test_if_the_round_trip_cannot_reproduce_the_edit_the_plain_dump_says_so(monkeypatch):
    src, sc = edited(BASE)
    monkeypatch.setattr(yaml_edit, "_edit", lambda *args: None)  # an edit the round trip failed to make
    text = page.edited_yaml(src, sc)
    assert "could not be kept" in text and read_back(text) == sc


def test_an_uploaded_file_is_edited_in_place_too():
    data = page.read_shipped(BASE).text.replace("count: 3\n", "count: 3   # [S] our own roster\n")
    src = page.read_upload("ours.yaml", data.encode())
    sc = form.apply_levers(src.scenario, form.Levers({"examiners[mobile].count": 4}))
    text = page.edited_yaml(src, sc)
    assert read_back(text) == sc and "  count: 4   # [S] our own roster" in text


def test_a_value_with_a_line_break_stays_inside_the_header_comment():
    src = page.read_shipped(BASE)
    sc = src.scenario.with_updates({"name": "ours\nexaminers: []"})
    text = page.edited_yaml(src, sc)
    assert read_back(text) == sc and "could not be kept" not in text
    assert "#   name: North Yorkshire 2022 baseline -> ours\\nexaminers: []" in text.splitlines()


def test_a_base_file_gone_since_the_page_read_it_gives_the_plain_dump(tmp_path):
    base = tmp_path / BASE
    base.write_text(page.read_shipped(BASE).text, encoding="utf-8")
    variant = tmp_path / "variant.yaml"
    variant.write_text(f"extends: {BASE}\npolicy:\n  discipline: priority\n", encoding="utf-8")
    src = page.read_path(variant)
    base.unlink()
    text = page.edited_yaml(src, src.scenario)
    assert "could not be kept" in text and read_back(text) == src.scenario


def test_random_edits_of_every_control_read_back():
    """Random edits of four controls each (a fixed seed): every control kind goes through the round trip."""
    rng = random.Random(12)
    src = page.read_shipped("north_yorkshire_400k.yaml")  # investment options, a second layout
    start = form.levers_of(src.scenario).values
    controls = [c for c in form.controls_for(src.scenario) if not c.spec.sums_to_100]
    for _ in range(3):
        picked = rng.sample(controls, 4)
        values = {**start, **{c.key: other_value(c, start[c.key]) for c in picked}}
        sc = form.apply_levers(src.scenario, form.Levers(values))
        text = page.edited_yaml(src, sc)
        assert read_back(text) == sc and "could not be kept" not in text, [c.key for c in picked]


def test_the_first_increments_call_still_gives_a_file_that_reads_back():
    sc = page.read_shipped(BASE).scenario.with_updates({"calendar": {"horizon_weeks": 8}})
    text = page.edited_yaml(sc, "test\nlabel")  # edited_yaml(scenario, source label), as on main before
    assert read_back(text) == sc and text.startswith("# Edited in the dfu-sched web app, starting from test\\nlabel.")
