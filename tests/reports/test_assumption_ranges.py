"""A ranged input in the assumptions table: one row, its value and its range, in every report kind."""
from __future__ import annotations

import json
import re

from dfu_sched.reports.assumptions import ESTIMATE, SOURCED, group_rows, parse_assumptions
from dfu_sched.reports.invest_html import render_invest
from dfu_sched.reports.page import assumptions_body
from tests.helpers import ROOT

RANGED = ROOT / "scenarios" / "north_yorkshire_400k.yaml"

TEXT = """\
arrivals:
  cases_per_week: {value: 9.66, sd: 0.516}  # [S] fitted: 9.66 +- 0.516 (SE)
  annual_growth: {value: 0.04, low: 0.0, high: 0.10}     # [E] demand keeps rising
policy:
  expedite_share: {value: 0.004, sd: 0.0021, low: 0.0, high: 0.0103}  # [S] fitted
  aging_days: {value: 30, low: 20, high: 60, shape: uniform}  # [E] a guess
stages:
  triage:
    screen_out_share:
      value: 0.30
      low: 0.20
      high: 0.50
      shape: pert
      note: three-point estimate
    quick_path_share: {value: 0.1, draws: [0.05, 0.2, 0.1, 0.12]}  # [E] bootstrap
device_types:
  phone:
    service_hours:
      examination: {dist: lognormal, mean: {value: 7.0, low: 5.0, high: 10.0}, sd: 3.5}  # [E] phone 3-12 h
"""


def test_a_ranged_input_is_one_row_with_its_value_and_range():
    items = {a.path: a for a in parse_assumptions(TEXT)}
    assert items["arrivals.cases_per_week"].value == "9.66 (sd 0.516, normal)"
    assert items["arrivals.cases_per_week"].status == SOURCED
    assert items["arrivals.annual_growth"].value == "0.04 (0.0-0.10, triangular)"
    assert items["arrivals.annual_growth"].status == ESTIMATE
    assert items["policy.expedite_share"].value == "0.004 (sd 0.0021, 0.0-0.0103, normal)"
    assert items["policy.aging_days"].value == "30 (20-60, uniform)"
    assert items["stages.triage.screen_out_share"].value == "0.30 (0.20-0.50, pert)"
    assert items["stages.triage.quick_path_share"].value == "0.1 (4 draws, 0.05-0.2)"
    assert not [p for p in items if p.endswith((".value", ".low", ".high", ".draws", ".shape", ".note"))]
    assert "arrivals.cases_per_week.sd" not in items and "policy.expedite_share.sd" not in items
    rows = group_rows(parse_assumptions(TEXT))
    row = next(r for r in rows if r.path == "device_types.phone.service_hours.examination")
    assert row.value == "dist: lognormal, mean: 7.0 (5.0-10.0, triangular), sd: 3.5" and row.status == ESTIMATE


def test_a_distribution_is_not_mistaken_for_a_range():
    text = "backlog:\n  - {count: 3, age_days: {dist: uniform, low: 0, high: 120}}  # [E]\n"
    paths = {a.path: a.value for a in parse_assumptions(text)}
    assert paths["backlog[0].age_days.low"] == "0" and paths["backlog[0].age_days.high"] == "120"


def test_the_shipped_ranged_scenario_shows_its_ranges_in_the_assumptions_section():
    html = assumptions_body(RANGED.read_text(encoding="utf-8"))
    for text in ("0.30 (0.20-0.50, triangular)", "7.5 (6.0-9.0, triangular)", "39 (26-52, triangular)"):
        assert text in html, text
    assert not re.search(r"screen_out_share\.<wbr>(value|low|high)", html)


def test_a_report_page_shows_the_range_in_its_assumptions_section():
    """The invest page (from the golden £60K run, no simulation needed) on the ranged scenario file;
    simulate, compare and sweep pages build the section with the same ``assumptions_body``."""
    invest = json.loads((ROOT / "tests" / "golden" / "invest_60k.json").read_text(encoding="utf-8"))
    html = render_invest(invest, RANGED.read_text(encoding="utf-8")).html
    section = html[html.index('id="assumptions"'):]
    assert "0.30 (0.20-0.50, triangular)" in section and "0.55 (0.35-0.60, triangular)" in section
