"""The Simulate page's "Include uncertainty in the estimates": enabled by ranges, a job, plain words."""
from __future__ import annotations

import os

import pytest
import yaml

from dfu_sched.app import simulate_page as page
from dfu_sched.app.jobs import session_job
from dfu_sched.paths import shipped

if not os.environ.get("CI"):  # the app is an extra: skipped without it, except under CI (which installs it)
    pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from dfu_sched.app.server import SCRIPT  # noqa: E402
from dfu_sched.app.ui.simulate import IU_NAME  # noqa: E402
from tests.app.helpers import run_and_wait  # noqa: E402


def ranged_yaml(weeks: int = 6) -> bytes:
    """The £400K unit (ten ranged estimates) cut to a few weeks, as an uploaded file."""
    data = yaml.safe_load(shipped("north_yorkshire_400k.yaml").read_text(encoding="utf-8"))
    data["calendar"]["horizon_weeks"] = weeks
    return yaml.safe_dump(data, sort_keys=False).encode("utf-8")


def app() -> AppTest:
    at = AppTest.from_file(str(SCRIPT), default_timeout=30)
    at.run()
    return at


def test_the_page_functions_say_how_many_ranges_and_run_the_worlds():
    src = page.read_upload("r.yaml", ranged_yaml())
    label, enabled, _ = page.uncertainty_choice(src.scenario)
    assert enabled and label.endswith("(10 ranged inputs)")
    label, enabled, help = page.uncertainty_choice(page.read_shipped("north_yorkshire_2022.yaml").scenario)
    assert not enabled and "give one a range" in help
    block = page.run_uncertainty(src.scenario, 2, 5, 2)
    lines = page.uncertainty_lines(block)
    assert len(lines) == len(block["measures"]) and all("with the estimates taken as exact" in x for x in lines)


def test_the_checkbox_is_off_for_a_scenario_without_ranges():
    at = app()  # the shipped baseline: no ranged estimates
    box = at.checkbox(key="iu")
    assert box.disabled and "Include uncertainty in the estimates" in box.label


def test_ticked_it_runs_the_worlds_as_a_job_and_shows_the_wider_intervals():
    at = app()
    at.radio(key="source").set_value("Upload a file").run()
    at.file_uploader(key="upload").set_value(("r.yaml", ranged_yaml(), "application/x-yaml")).run()
    at.number_input(key="n").set_value(2)
    box = at.checkbox(key="iu")
    assert not box.disabled and "(10 ranged inputs)" in box.label
    box.check().run()
    at.number_input(key="iu_worlds").set_value(2).run()
    run_and_wait(at)
    kept = session_job(at.session_state, IU_NAME)
    assert kept is not None and kept[1].wait(60), "the worlds did not run"
    at.run()
    assert not at.exception and not at.error
    said = [m.value for m in at.markdown if "with the estimates taken as exact" in m.value]
    assert len(said) == len(kept[1].result["measures"])
    assert "What if our estimates are wrong?" in [h.value for h in at.subheader]
