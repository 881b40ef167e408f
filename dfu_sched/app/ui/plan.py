"""The Weekly plan page: upload the queue and staff files, pick the week, run, read and download.

Why thin: reading the uploads, solving and rendering live in ``dfu_sched.app.plan_page`` (the same
calls as ``dfu-sched plan``); this module lays out the uploads, the switches and the result.
"""
from __future__ import annotations

import streamlit as st

from dfu_sched.app import plan_page
from dfu_sched.app import simulate_page as page
from dfu_sched.app.state import Upload, forget_upload, keep_upload, session_upload
from dfu_sched.app.ui.common import Page, show_error
from dfu_sched.errors import InputError


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
        st.image(svg, width="stretch")  # the SVG has only a viewBox: "content" draws it 300 px wide
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


def draw() -> None:
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
            show_error(exc)  # the command's one line, never a cell value
            return
        st.session_state["dfu_plan"] = (key, outcome)
    kept = st.session_state.get("dfu_plan")
    if kept is not None and kept[0] == key:
        show_plan(kept[1])
    elif kept is not None:
        st.info("The inputs changed since the last run: press Run to plan again.")


PAGE = Page("Weekly plan", draw)
