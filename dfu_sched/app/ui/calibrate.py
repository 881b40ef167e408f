"""The Calibrate page: fit a scenario to an uploaded history, back-test it, carry it to the other pages,
and start a scenario from today's queue.

Why thin: reading the uploads, fitting, back-testing and the queue start live in
``dfu_sched.app.calibrate_page`` (the calls of ``dfu-sched fit``, ``backtest`` and ``simulate --queue``);
this module lays out the uploads and options, follows the back-test in the background, and hands a
made scenario to the sidebar (``ui.common.keep_made_scenario``).
"""
from __future__ import annotations

import streamlit as st

from dfu_sched.app import calibrate_page as cal
from dfu_sched.app import simulate_page as page
from dfu_sched.app.jobs import Job, finished, session_job
from dfu_sched.app.state import Upload, forget_upload, keep_upload, session_upload
from dfu_sched.app.ui.common import MADE_KEY, Page, choose_source, follow, keep_made_scenario, show_error, start_run
from dfu_sched.errors import InputError
from dfu_sched.plan.backlog import QUEUE_STAGES

NAME = "backtest"
FIT_KEY = "dfu_fit"            #: session key of the last fit: (inputs, base scenario JSON, FitOutcome)
QUEUE_KEY = "dfu_queue_start"  #: session key of the last queue start: (inputs, base scenario JSON, QueueOutcome)
FITTED, SIDEBAR = "The fitted scenario", "The sidebar's scenario"


def table_uploads(kind: str, label: str) -> cal.TableFiles | None:
    """A table upload and its optional column map, kept in this session's memory only."""
    a, b = st.columns(2)
    for col, name, text, types in ((a, f"cal_{kind}", label, cal.TABLE_TYPES),
                                   (b, f"cal_{kind}_columns", "Column map (YAML, optional)", ("yaml", "yml"))):
        got = col.file_uploader(text, type=list(types), key=name)
        if got is not None:
            keep_upload(st.session_state, name, Upload(got.name, got.getvalue()))
        else:
            forget_upload(st.session_state, name)
    table = session_upload(st.session_state, f"cal_{kind}")
    return None if table is None else cal.TableFiles(table, session_upload(st.session_state, f"cal_{kind}_columns"))


def lines(items: list[str]) -> None:
    for item in items:
        st.markdown("- " + page.markdown_text(item))


def charts(items: list[tuple[str, str]]) -> None:
    for title, svg in items:
        st.caption(page.markdown_text(title))
        st.image(svg, width="stretch")


def kept_for(state_key: str, inputs: tuple, base_json: str, redo: str):
    """The kept outcome for these inputs; a note when it was made from another sidebar scenario."""
    kept = st.session_state.get(state_key)
    if kept is None:
        return None
    if kept[0] != inputs:
        st.info(f"The inputs changed since the last run: press {redo} to see their results.")
        return None
    if kept[1] != base_json:
        st.caption(f"Made from the scenario the sidebar started from then; press {redo} to redo it from this one.")
    return kept[2]


# ---- 1. fit ----------------------------------------------------------------------------------------

def show_fit(fit: cal.FitOutcome) -> None:
    """The fit in words and tables, its warnings, the report's charts, the downloads, and Use."""
    doc = fit.doc
    lines(cal.fit_sentences(doc))
    st.subheader("Reading the history")
    lines(cal.reading_lines(doc))
    for w in doc["warnings"]:
        st.warning(page.markdown_text(w))
    st.subheader("Mixes")
    a, b = st.columns(2)
    a.dataframe(cal.mix_rows(doc, "tier_mix", "tier"), hide_index=True)
    b.dataframe(cal.mix_rows(doc, "device_mix", "device type"), hide_index=True)
    st.subheader("Examination hours (maximum likelihood; KS p is optimistic as fitted)")
    st.dataframe(cal.hours_rows(doc), hide_index=True, width="stretch")
    st.subheader("Examiners")
    lines(cal.staffing_sentences(doc))
    rows = cal.staffing_rows(doc)
    if rows:
        st.dataframe(rows, hide_index=True)
    charts(fit.charts)
    a, b, c = st.columns(3)
    a.download_button("Download the fitted scenario (YAML)", fit.yaml_text, "fitted.yaml", "application/x-yaml",
                      key="dl_fit_yaml")
    b.download_button("Download the fit report (HTML)", fit.html, "fit.html", "text/html", key="dl_fit_html")
    source = cal.fitted_source(fit)
    c.button("Use the fitted scenario", key="cal_use_fit", on_click=keep_made_scenario, args=(source,),
             help="The sidebar then offers it as the start of the Simulate, Compare and Invest pages.")
    used(source)


def used(source: page.ScenarioSource) -> None:
    made = st.session_state.get(MADE_KEY)
    if isinstance(made, page.ScenarioSource) and made == source:
        st.success(page.markdown_text(f"The sidebar now starts from the scenario {source.label}."))


def fit_section(base: page.ScenarioSource, pseudo: bool) -> cal.FitOutcome | None:
    st.header("1. Fit a scenario to the unit's history")
    files = table_uploads("history", "History export (CSV/XLSX, one row per device)")
    a, b, c = st.columns(3)
    start = a.date_input("From (blank: where the history is complete)", value=None, key="cal_from")
    end = b.date_input("To (blank: the last day)", value=None, key="cal_to")
    as_of = c.date_input("Queue on (blank: the last day)", value=None, key="cal_as_of")
    if files is None:
        st.info("Upload a history to fit a scenario to it; what a history cannot tell (tiers, stages, "
                "rosters) comes from the sidebar's scenario.")
        return None
    options = cal.FitOptions(start, end, as_of)
    inputs, base_json = (files, options, pseudo), page.scenario_json(base.scenario)
    if st.button("Fit", key="cal_fit", type="primary"):
        try:
            with st.spinner("Fitting the history"):
                outcome = cal.FITS.fit(files, base.scenario, options, pseudo)
        except InputError as exc:
            show_error(exc)  # the command's one line, never a cell value
            return None
        st.session_state[FIT_KEY] = (inputs, base_json, outcome)
        st.session_state["cal_bt_which"] = FITTED  # the back-test's radio (drawn below) tests the new fit
    fit = kept_for(FIT_KEY, inputs, base_json, "Fit")
    if fit is not None:
        show_fit(fit)
    return fit


# ---- 2. back-test ----------------------------------------------------------------------------------

def backtest_job(key: tuple, files: cal.TableFiles, sc, pseudo: bool) -> Job:
    """The back-test of ``key``: this session's finished run when it was for the same inputs."""
    kept = session_job(st.session_state, NAME)
    if kept is not None and kept[0] == key and kept[1].state == "done":
        return finished(kept[1].result)
    _, _, start, end, n, seed, _ = key
    return Job(lambda tick: cal.backtest_doc(files, sc, start, end, n, seed, pseudo, progress=tick), n,
               "Back-testing")


@st.cache_data(show_spinner=False, max_entries=4)
def cached_backtest_report(doc: dict) -> tuple[str, list[tuple[str, str]]]:
    return cal.backtest_report(doc)


def backtest_section(files: cal.TableFiles | None, fit: cal.FitOutcome | None, base: page.ScenarioSource,
                     pseudo: bool) -> None:
    st.header("2. Back-test: does the model reproduce the history?")
    if files is None:
        st.info("Upload a history above to back-test a scenario on it.")
        return
    choices = ([FITTED] if fit is not None else []) + [SIDEBAR]
    which = st.radio("Scenario to test", choices, key="cal_bt_which", horizontal=True)
    sc = fit.scenario if fit is not None and which == FITTED else base.scenario
    a, b, c, d = st.columns(4)
    start = a.date_input("From (the real queue that day)", value=None, key="cal_bt_from")
    end = b.date_input("To", value=None, key="cal_bt_to")
    n = c.number_input("Replications", 1, cal.MAX_BACKTEST_REPLICATIONS, cal.BACKTEST_REPLICATIONS, 1,
                       key="cal_bt_n")
    seed = d.number_input("Seed", 0, 2**31 - 1, sc.run.seed, 1, key="cal_bt_seed")
    if start is None or end is None:
        st.info("Pick the back-test's first and last day (inside the history).")
        return
    key = (files, page.scenario_json(sc), start, end, int(n), int(seed), pseudo)
    if st.button("Run the back-test", key="cal_bt_run", type="primary"):
        start_run(NAME, key, backtest_job(key, files, sc, pseudo))
    doc = follow(NAME, key)
    if doc is None:
        return
    lines(cal.backtest_lines(doc))
    html, drawn = cached_backtest_report(doc)
    charts(drawn)
    st.dataframe(cal.month_table(doc), hide_index=True, width="stretch")
    st.download_button("Download the back-test report (HTML)", html, "backtest.html", "text/html", key="dl_bt_html")


# ---- 3. today's queue ------------------------------------------------------------------------------

def queue_section(base: page.ScenarioSource, pseudo: bool) -> None:
    st.header("3. Simulate from today's queue")
    st.caption("The queue file the weekly plan reads: its devices, with their ages, tiers, types and estimated "
               "hours, replace the backlog of the sidebar's scenario (as dfu-sched simulate --queue does).")
    files = table_uploads("queue", "Today's queue (CSV/XLSX)")
    a, b = st.columns(2)
    as_of = a.date_input("As of (blank: the scenario's start date)", value=None, key="cal_q_as_of")
    stage = b.selectbox("The queue the devices wait in", QUEUE_STAGES, key="cal_q_stage",
                        help="'first': the first enabled stage; 'examination' if already triaged and extracted.")
    if files is None:
        st.info("Upload today's queue to start a simulation from it.")
        return
    inputs, base_json = (files, as_of, stage, pseudo), page.scenario_json(base.scenario)
    if st.button("Start from this queue", key="cal_q_go", type="primary"):
        try:
            outcome = cal.scenario_from_queue(base, files, as_of, str(stage), pseudo)
        except InputError as exc:
            show_error(exc)
            return
        st.session_state[QUEUE_KEY] = (inputs, base_json, outcome)
    got: cal.QueueOutcome | None = kept_for(QUEUE_KEY, inputs, base_json, "Start from this queue")
    if got is None:
        return
    st.markdown(page.markdown_text(got.note))
    for w in got.warnings:
        st.warning(page.markdown_text(w))
    st.dataframe(got.by_tier, hide_index=True)
    st.button("Use it on the Simulate page", key="cal_q_use", on_click=keep_made_scenario, args=(got.source,))
    used(got.source)


def draw() -> None:
    st.title("Calibrate: the unit's own history and queue")
    try:
        base = choose_source()
    except InputError as exc:
        show_error(exc)
        st.stop()
    pseudo = st.checkbox("Pseudonymise file names (a file name can name a case)", value=True, key="cal_pseudo",
                         help="The fit and back-test hold counts and estimates only; this hides the uploads' names "
                              "on the page's results and in the downloads.")
    fit = fit_section(base, pseudo)
    backtest_section(session_files("history"), fit, base, pseudo)
    queue_section(base, pseudo)


def session_files(kind: str) -> cal.TableFiles | None:
    table = session_upload(st.session_state, f"cal_{kind}")
    return None if table is None else cal.TableFiles(table, session_upload(st.session_state, f"cal_{kind}_columns"))


PAGE = Page("Calibrate", draw)
