"""The Invest page's "Test the choice against uncertain estimates": the request, the estimate, the table."""
from __future__ import annotations

import os

import pytest
import yaml

from dfu_sched.app import invest_page as inv
from dfu_sched.app import simulate_page as page
from dfu_sched.errors import InputError
from dfu_sched.reports.robust_text import HEADER
from tests.uncertainty.robust_builders import ranged_small_data

if not os.environ.get("CI"):  # the app is an extra: skipped without it, except under CI (which installs it)
    pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from dfu_sched.app.server import SCRIPT  # noqa: E402


def form(**kw) -> inv.InvestForm:
    return inv.InvestForm(**{"budget": "150k", "target": "", "by": "", "objective": "exposure", "replications": 4,
                             "seed": 3, **kw})


def test_robust_request_needs_ranges_and_costs_more():
    src = page.read_upload("small.yaml", yaml.safe_dump(ranged_small_data(), sort_keys=False).encode())
    assert src.scenario.estimates
    with_test = inv.estimate(inv.make_request(src, form(robust=True)))
    without = inv.estimate(inv.make_request(src, form()))
    assert with_test.replications > without.replications
    assert inv.make_request(src, form(robust=True)).key != inv.make_request(src, form()).key
    no_ranges = page.read_upload("plain.yaml", page.edited_yaml(src.scenario, "tests").encode())  # values only
    with pytest.raises(InputError, match="needs ranged inputs"):
        inv.make_request(no_ranges, form(robust=True))
    assert inv.phase_after("robust: the choice in 20 worlds") == "testing the choice against uncertain estimates"


def test_robust_rows_are_the_reports_table():
    block = {"mode": "budget", "mixes": [{"role": "chosen", "words": "triage kiosk", "cost_gbp": 139000.0,
                                          "best_share": 0.85, "best_share_ci95": [0.64, 0.95],
                                          "regret": {"estimate": 3.0, "ci95": [1.0, 5.0]},
                                          "measures": {"invest.backlog_at_12m": {
                                              "without": {"estimate": 8.0, "ci95": [5.0, 10.0]},
                                              "with": {"mean": 30.0, "worlds_range95": [4.0, 190.0]}}}}]}
    rows = inv.robust_rows({"robust": block})
    assert list(rows[0]) == HEADER and rows[0]["mix"] == "triage kiosk (chosen)"
    assert rows[0]["best in (95% CI)"] == "85% (64%-95%)" and "190" in rows[0]["with estimate uncertainty"]
    assert inv.robust_rows({}) == []


def test_the_checkbox_is_on_the_page():
    at = AppTest.from_file(str(SCRIPT), default_timeout=30)
    at.run()
    at.radio(key="page").set_value("Invest").run()
    assert not at.exception
    box = at.checkbox(key="inv_robust")
    assert box.label == "Test the choice against uncertain estimates" and box.value is False
