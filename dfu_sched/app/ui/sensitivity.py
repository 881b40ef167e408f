"""The Sensitivity page: which estimate matters most, as a tornado per measure and in plain words.

Why thin: the checks, the run and the answer are ``dfu-sched sensitivity``'s own library calls,
reached through ``dfu_sched.app.sensitivity_page``; this module lays out the controls, follows the
background run (progress and Cancel) and shows the headline, the tornadoes and the table.
"""
from __future__ import annotations

import json

import streamlit as st

from dfu_sched.app import sensitivity_page as sp
from dfu_sched.app import simulate_page as page
from dfu_sched.app.jobs import Job, finished
from dfu_sched.app.ui.common import Page, choose_source, follow, show_error, start_run
from dfu_sched.errors import InputError
from dfu_sched.uncertainty.sensitivity import SensitivityPlan

NAME = "sensitivity"


@st.cache_data(show_spinner=False, max_entries=8)
def cached_downloads(out_json: str, scenario_yaml: str) -> sp.ReportDownloads:
    """The report, CSV and JSON of one result, drawn once per result."""
    return sp.downloads(json.loads(out_json), scenario_yaml)


def form(src: page.ScenarioSource) -> sp.SensitivityForm:
    """The controls, in the command line's terms."""
    sc = src.scenario
    names, default = sp.measure_choices(sc)
    measures = st.multiselect("Measures (one tornado each)", names, default=default, key="sens_measures",
                              help="Any measure of a replication (the command line's --measure).")
    a, b = st.columns(2)
    mixes = sp.mix_choices(sc)
    mix = a.selectbox("Investment mix", mixes, key="sens_mix",
                      help="The scenario's chosen mix applied to every run (as compare does), or the unit as "
                           "staffed today (--mix).")
    method = b.selectbox("Method", sp.method_choices(), key="sens_method",
                         help="auto: a Morris screening first when there are more than 12 ranged inputs; oat: "
                              "each estimate at its low and high end; morris: always screen first.")
    a, b, c = st.columns(3)
    n = a.number_input("Replications at each end", 1, sp.MAX_REPLICATIONS, min(sc.run.replications or 10, 3), 1,
                       key="sens_n")
    seed = b.number_input("Seed", 0, 2**31 - 1, sc.run.seed, 1, key="sens_seed")
    pseudo = c.checkbox("Pseudonymise the file name in downloads", value=True, key="sens_pseudo")
    return sp.SensitivityForm(tuple(measures), sp.MIX_WORDS[str(mix)], str(method), int(n), int(seed), bool(pseudo))


def show_result(out: dict, scenario_yaml: str) -> None:
    st.subheader("Which estimate matters most")
    for line in sp.answer_lines(out):
        st.markdown("- " + page.markdown_text(line))
    made = cached_downloads(json.dumps(out), scenario_yaml)
    for (title, svg), key in zip(made.charts, out["measures"]):
        st.caption(page.markdown_text(title))
        st.image(svg, width="stretch")
        st.dataframe(sp.table_rows(out, key), hide_index=True, width="stretch")
    a, b, c = st.columns(3)
    a.download_button("Download HTML report", made.html, "sensitivity.html", "text/html", key="dl_sens_html")
    b.download_button("Download CSV", made.csv, "bars.csv", "text/csv", key="dl_sens_csv")
    c.download_button("Download JSON", made.json, "sensitivity.json", "application/json", key="dl_sens_json")


def run_job(key: tuple, plan: SensitivityPlan, source: str) -> Job:
    """The run of ``key``: already finished on a cache hit, else one tick per replication."""
    kept = sp.RUNS.peek(key)
    if kept is not None:
        return finished(kept)
    return Job(lambda tick: sp.cached_run(key, plan, source, tick), plan.jobs, "Sensitivity")


def draw() -> None:
    st.title("DFU backlog: which estimate matters most?")
    try:
        src = choose_source()
        chosen = form(src)
        plan = sp.plan_of(src.scenario, chosen)
    except InputError as exc:
        show_error(exc)  # the command line's one line: no ranged inputs, an unknown measure, ...
        return
    st.caption(sp.runs_line(plan))
    key = (page.scenario_json(src.scenario), chosen)
    if st.button("Run", key="sens_run", type="primary"):
        start_run(NAME, key, run_job(key, plan, src.label))
    out = follow(NAME, key)
    if out is not None:
        show_result(out, src.text)


PAGE = Page("Sensitivity", draw)
