"""The Streamlit script of ``dfu-sched app``: widgets only, the logic is in ``simulate_page``/``plan_page``.

Why so thin: what the page computes must be what the command line computes, and must be testable
without a browser; this script lays out the controls, keeps the session's upload in memory
(``dfu_sched.app.state``), reuses runs by scenario JSON, replications and seed (``simulate_page.RUNS``), and shows
every bad input as the command line's one line, never a traceback. Streamlit reruns the script top
to bottom on every click.
"""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from dfu_sched.app import plan_page
from dfu_sched.app import simulate_page as page
from dfu_sched.app.server import SCENARIO_ENV
from dfu_sched.app.state import Upload, forget_upload, keep_upload, session_upload
from dfu_sched.errors import InputError


@st.cache_data(show_spinner=False, max_entries=8)
def cached_report(summary_json: str, scenario_json: str, text: str) -> tuple[str, list[tuple[str, str]]]:
    """The report's HTML and charts, drawn once per result."""
    import json

    from dfu_sched.scenario.schema import Scenario

    return page.report_and_charts(json.loads(summary_json), Scenario.model_validate_json(scenario_json), text)


def choose_source() -> page.ScenarioSource:
    """The sidebar: a shipped scenario, the file named on the command line, or an upload."""
    named = os.environ.get(SCENARIO_ENV)
    options = (["The file given to dfu-sched app"] if named else []) + ["A shipped scenario", "Upload a file"]
    how = st.sidebar.radio("Start from", options, key="source")
    if how == "Upload a file":
        got = st.sidebar.file_uploader("Scenario file (YAML)", type=["yaml", "yml"], key="upload")
        if got is not None:
            keep_upload(st.session_state, "scenario", Upload(got.name, got.getvalue()))
        else:
            forget_upload(st.session_state, "scenario")
        upload = session_upload(st.session_state, "scenario")
        if upload is None:
            st.info("Upload a scenario file to start, or pick a shipped one.")
            st.stop()
        return page.read_upload(upload.name, upload.data)
    if how == "A shipped scenario":
        names = page.shipped_scenarios()
        return page.read_shipped(st.sidebar.selectbox("Scenario", names, key="shipped"))
    return page.read_path(Path(named or ""))


def help_of(sources: dict[str, str], path: str) -> str | None:
    """A control's help: the file's [S]/[E] note for its key (Markdown-escaped), if it has one."""
    note = sources.get(path)
    return page.markdown_text(note) if note else None


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
    import json

    st.subheader("What the simulation says")
    for line in page.headline(summary):
        st.markdown("- " + page.markdown_text(line))
    html, charts = cached_report(json.dumps(summary), page.scenario_json(edited), src.text)
    for title, svg in charts:
        st.caption(title)
        st.image(svg)
    st.download_button("Download the HTML report", html, "report.html", "text/html", key="dl_report")


def simulate() -> None:
    st.title("DFU backlog: scenario and simulation")
    try:
        src = choose_source()
        levers, n, seed = form(src)
        edited = page.apply_levers(src.scenario, levers)
    except InputError as exc:
        st.error(page.markdown_text(str(exc)))  # a file name is text, not Markdown
        st.stop()
    st.download_button("Download the edited scenario (YAML)", page.edited_yaml(edited, src.label),
                       "scenario.yaml", "application/x-yaml", key="dl_yaml")
    key = (page.scenario_json(edited), n, seed)
    if st.button("Run", key="run", type="primary"):
        bar = st.progress(0.0, "Running replications")
        done = [0]

        def tick(k: int = 1) -> None:
            done[0] += k
            bar.progress(min(1.0, done[0] / n), f"Replication {done[0]} of {n}")

        try:
            summary = page.RUNS.summary(*key, progress=tick)  # a hit skips the run
        except InputError as exc:
            st.error(page.markdown_text(str(exc)))  # a file name is text, not Markdown
            st.stop()
        bar.progress(1.0, "Done")
        st.session_state["dfu_result"] = (key, summary)
    kept = st.session_state.get("dfu_result")
    if kept is not None and kept[0] == key:
        show_result(src, edited, kept[1])
    elif kept is not None:
        st.info("The inputs changed since the last run: press Run to see their results.")


def plan_uploads() -> plan_page.PlanFiles | None:
    """The queue, staff and column-map uploads, kept in this session's memory only."""
    a, b, c = st.columns(3)
    for col, kind, label, types in ((a, "queue", "Queue (CSV/XLSX)", plan_page.TABLE_TYPES),
                                    (b, "staff", "Staff (CSV/XLSX)", plan_page.TABLE_TYPES),
                                    (c, "columns", "Column map (YAML, optional)", ("yaml", "yml"))):
        got = col.file_uploader(label, type=list(types), key=f"plan_{kind}")
        if got is not None:
            keep_upload(st.session_state, kind, Upload(got.name, got.getvalue()))
        else:
            forget_upload(st.session_state, kind)
    queue, staff = session_upload(st.session_state, "queue"), session_upload(st.session_state, "staff")
    if queue is None or staff is None:
        return None
    return plan_page.PlanFiles(queue, staff, session_upload(st.session_state, "columns"))


def show_plan(outcome: plan_page.PlanOutcome) -> None:
    """The summary, the warnings, a ranked list per examiner, what waits, the week chart, the downloads."""
    st.subheader("Summary")
    for line in plan_page.summary_lines(outcome.doc):
        st.markdown(page.markdown_text(line))
    for w in [*outcome.read_warnings, *outcome.doc["warnings"]]:
        st.warning(page.markdown_text(w))
    for title, svg in outcome.charts:
        st.caption(title)
        st.image(svg)
    for examiner, rows in plan_page.examiner_lists(outcome.doc).items():
        st.subheader(page.markdown_text(str(examiner)))
        st.dataframe(rows, hide_index=True, width="stretch")
    waiting = plan_page.waiting_rows(outcome.doc)
    if waiting:
        st.subheader("Not this week")
        st.dataframe(waiting, hide_index=True, width="stretch")
    a, b, c = st.columns(3)
    a.download_button("Download XLSX", outcome.xlsx, "plan.xlsx",
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_plan_xlsx")
    b.download_button("Download CSV", outcome.csv, "plan.csv", "text/csv", key="dl_plan_csv")
    c.download_button("Download HTML report", outcome.html, "plan.html", "text/html", key="dl_plan_html")


def plan() -> None:
    st.title("DFU weekly plan")
    files = plan_uploads()
    a, b = st.columns(2)
    week = a.date_input("Week (its Monday is used)", plan_page.this_monday(), key="plan_week")
    pseudo = b.checkbox("Pseudonymise case references", value=True, key="plan_pseudo")
    if files is None:
        st.info("Upload the queue and the staff files to plan a week.")
        return
    key = (files, week, pseudo)
    if st.button("Run", key="plan_run", type="primary"):
        try:
            with st.spinner("Planning the week"):
                outcome = plan_page.make_plan(files, week, pseudonymise=pseudo)
        except InputError as exc:
            st.error(page.markdown_text(str(exc)))  # the command's one line, never a cell value
            return
        st.session_state["dfu_plan"] = (key, outcome)
    kept = st.session_state.get("dfu_plan")
    if kept is not None and kept[0] == key:
        show_plan(kept[1])
    elif kept is not None:
        st.info("The inputs changed since the last run: press Run to plan again.")


PAGES = {"Scenario and simulation": simulate, "Weekly plan": plan}


def main() -> None:
    st.set_page_config(page_title="dfu-sched", layout="wide")
    chosen = st.sidebar.radio("Page", list(PAGES), key="page")
    PAGES[str(chosen)]()


main()
