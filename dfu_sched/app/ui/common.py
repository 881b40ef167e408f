"""What the pages share: the scenario they start from, source notes, one-line errors, background runs.

Why one place: the Simulate, Compare and Invest pages all start from the same scenario (a shipped
file, the file named on the command line, an upload, or the one the Calibrate page fitted), so the
sidebar that picks it is drawn once; every page shows bad input as the command line's one line, and
every long run follows the same progress bar and Cancel button (``dfu_sched.app.jobs``).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from dfu_sched.app import simulate_page as page
from dfu_sched.app.jobs import Job, keep_job, session_job
from dfu_sched.app.server import SCENARIO_ENV
from dfu_sched.app.state import Upload, forget_upload, keep_upload, session_upload
from dfu_sched.errors import InputError

#: Session-state key of a scenario another page made (the Calibrate page's fit, or a start from today's
#: queue): a ``ScenarioSource`` whose label names what made it ("fitted from history.csv").
MADE_KEY = "dfu_made_scenario"
#: The sidebar's option for it: the made scenario's label follows ("The scenario fitted from history.csv").
MADE_OPTION = "The scenario "
_MADE_SELECT = "dfu_made_select"  # set by keep_made_scenario: the next sidebar starts from it


@dataclass(frozen=True)
class Page:
    """One page of the app: its title in the sidebar and the function that draws it."""

    title: str
    draw: Callable[[], None]


def show_error(exc: InputError | str) -> None:
    """The command line's one line, as text (a file name is not Markdown), never a traceback."""
    st.error(page.markdown_text(str(exc)))


def made_option(src: page.ScenarioSource) -> str:
    """The sidebar's option for a made scenario: what made it, in its label."""
    return MADE_OPTION + src.label


def keep_made_scenario(src: page.ScenarioSource) -> None:
    """Offer ``src`` (e.g. a fitted scenario) as a start on every page of this session, and pick it.

    Call it from a button's ``on_click`` (it runs before the sidebar is drawn again), or rerun after.
    """
    st.session_state[MADE_KEY] = src
    st.session_state[_MADE_SELECT] = True


def choose_source() -> page.ScenarioSource:
    """The sidebar: a shipped scenario, the file named on the command line, an upload, or a made one.

    Stops the page (``st.stop``) with a hint while there is nothing to start from.
    """
    named = os.environ.get(SCENARIO_ENV)
    made = st.session_state.get(MADE_KEY)
    mine = made_option(made) if isinstance(made, page.ScenarioSource) else None
    options = ([mine] if mine else []) + (
        ["The file given to dfu-sched app"] if named else []) + ["A shipped scenario", "Upload a file"]
    if st.session_state.pop(_MADE_SELECT, False) and mine:
        st.session_state["source"] = mine  # before the radio is drawn: Streamlit allows it then
    how = st.sidebar.radio("Start from", options, key="source", format_func=page.markdown_text)  # a label is text
    if mine and how == mine and isinstance(made, page.ScenarioSource):
        return made
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


def start_run(name: str, key: Any, job: Job) -> None:
    """Make ``job`` (started here unless already finished) this session's run of page ``name``."""
    if job.state == "running":
        job.start()
    keep_job(st.session_state, name, key, job)


def follow(name: str, key: Any, unit: str = "replication") -> Any | None:
    """This session's run of page ``name`` for inputs ``key``: its result once done, else None.

    While it runs, a progress bar and a Cancel button redraw every half second (a fragment: only they
    rerun), and the whole page reruns when the run ends. A cancelled or failed run says so in one line;
    a run for other inputs says the inputs changed.
    """
    kept = session_job(st.session_state, name)
    if kept is None:
        return None
    started_for, job = kept
    if started_for != key:
        st.info("The inputs changed since the last run: press Run to see their results.")
        return None
    if job.state == "running":
        _progress(job, name, unit)
        return None
    if job.state == "cancelled":
        st.info(f"Cancelled after {job.done} of {job.total} {unit}s. Press Run to start again.")
        return None
    if job.state == "failed":
        show_error(job.message or "the run failed")
        return None
    return job.result


def _progress(job: Job, name: str, unit: str) -> None:
    @st.fragment(run_every=0.5)
    def watch() -> None:
        if job.state != "running":
            st.rerun()  # the whole page: show the result
        st.progress(job.fraction, f"{job.label}: {unit} {job.done} of {job.total}")
        if job.cancel_requested:
            st.caption("Stopping after the current " + unit + " ...")
        elif st.button("Cancel", key=f"cancel_{name}"):
            job.cancel()

    watch()
