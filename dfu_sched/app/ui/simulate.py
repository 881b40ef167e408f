"""The Scenario and simulation page: the levers, Run (in the background, cancellable), the headline.

Why thin: what a lever changes and how a run is made live in ``dfu_sched.app.simulate_page``; this
module lays out the controls and follows the run (``ui.common.follow``).
"""
from __future__ import annotations

import json

import streamlit as st

from dfu_sched.app import simulate_page as page
from dfu_sched.app.jobs import Job, finished
from dfu_sched.app.ui.common import Page, choose_source, follow, help_of, show_error, start_run
from dfu_sched.errors import InputError

NAME = "simulate"


@st.cache_data(show_spinner=False, max_entries=8)
def cached_report(summary_json: str, scenario_json: str, text: str) -> tuple[str, list[tuple[str, str]]]:
    """The report's HTML and charts, drawn once per result."""
    from dfu_sched.scenario.schema import Scenario

    return page.report_and_charts(json.loads(summary_json), Scenario.model_validate_json(scenario_json), text)


def form(src: page.ScenarioSource) -> tuple[page.Levers, int, int]:
    """The controls, starting from the scenario's values; each shows its [S]/[E] note."""
    start, sources, sc = page.levers_of(src.scenario), page.control_sources(src.text), src.scenario
    st.subheader("Examiners")
    groups = []
    for g in start.groups:
        a, b = st.columns(2)
        count = a.number_input(f"{g.name}: examiners", 0, 500, g.count, 1, key=f"count_{g.name}",
                               help=help_of(sources, f"examiners[{g.name}].count"))
        hours = b.number_input(f"{g.name}: hours a week", 1.0, 80.0, float(g.hours_per_week), 0.5,
                               key=f"hours_{g.name}", help=help_of(sources, f"examiners[{g.name}].hours_per_week"))
        groups.append(page.GroupLever(g.name, int(count), float(hours)))
    st.subheader("Demand and queue rule")
    a, b, c = st.columns(3)
    cases = a.number_input("Cases per week", 0.0, 10_000.0, float(start.cases_per_week), 0.5, key="cases",
                           help=help_of(sources, "arrivals.cases_per_week"))
    growth = b.number_input("Growth a year (%)", -50.0, 100.0, round(start.annual_growth * 100, 3), 0.5,
                            key="growth", help=help_of(sources, "arrivals.annual_growth"))
    names = page.disciplines()
    discipline = c.selectbox("Queue rule", names, names.index(start.discipline), key="discipline",
                             help=help_of(sources, "policy.discipline"))
    st.subheader("Run")
    a, b = st.columns(2)
    n = a.number_input("Replications", 1, page.MAX_REPLICATIONS, min(sc.run.replications, 10), 1, key="n")
    seed = b.number_input("Seed", 0, 2**31 - 1, sc.run.seed, 1, key="seed")
    return page.Levers(tuple(groups), float(cases), float(growth) / 100, str(discipline)), int(n), int(seed)


def show_result(src: page.ScenarioSource, edited, summary: dict) -> None:
    st.subheader("What the simulation says")
    for line in page.headline(summary):
        st.markdown("- " + page.markdown_text(line))
    html, charts = cached_report(json.dumps(summary), page.scenario_json(edited), src.text)
    for title, svg in charts:
        st.caption(title)
        st.image(svg, width="stretch")  # the SVG has only a viewBox: "content" draws it 300 px wide
    st.download_button("Download the HTML report", html, "report.html", "text/html", key="dl_report")


def run_job(key: tuple[str, int, int]) -> Job:
    """The run of ``key`` (scenario JSON, replications, seed): already finished on a cache hit."""
    kept = page.RUNS.peek(*key)
    if kept is not None:
        return finished(kept)
    return Job(lambda tick: page.RUNS.summary(*key, progress=tick), key[1], "Running replications")


def draw() -> None:
    st.title("DFU backlog: scenario and simulation")
    try:
        src = choose_source()
        levers, n, seed = form(src)
        edited = page.apply_levers(src.scenario, levers)
    except InputError as exc:
        show_error(exc)
        st.stop()
    st.download_button("Download the edited scenario (YAML)", page.edited_yaml(edited, src.label),
                       "scenario.yaml", "application/x-yaml", key="dl_yaml")
    key = (page.scenario_json(edited), n, seed)
    if st.button("Run", key="run", type="primary"):
        start_run(NAME, key, run_job(key))
    summary = follow(NAME, key)
    if summary is not None:
        show_result(src, edited, summary)


PAGE = Page("Scenario and simulation", draw)
