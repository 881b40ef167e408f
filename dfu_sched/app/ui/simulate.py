"""The Scenario and simulation page: the levers, Run (in the background, cancellable), the headline.

Why thin: what a lever changes lives in the registry of ``dfu_sched.app.scenario_form`` (this module
draws one widget per control, by kind), how a run is made in ``dfu_sched.app.simulate_page``, the
YAML download in ``dfu_sched.app.yaml_edit`` and the run folder in ``dfu_sched.app.run_folder``.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import streamlit as st

from dfu_sched.app import simulate_page as page
from dfu_sched.app.jobs import Job, finished, session_job
from dfu_sched.app.run_folder import run_folder_zip
from dfu_sched.app.scenario_form import SECTIONS, Control, share_totals
from dfu_sched.app.ui.common import Page, choose_source, follow, show_error, start_run
from dfu_sched.errors import InputError
from dfu_sched.reports.precision_note import precision_sentence
from dfu_sched.scenario.schema import Scenario

NAME = "simulate"
IU_NAME = "simulate_uncertainty"  #: the session's job of "Include uncertainty in the estimates"
IU_PENDING = "simulate_uncertainty_pending"  #: the inputs Run asked the worlds for (started once the run is done)
FOLDER_NAME = "simulate_folder"  #: the session's job that builds the run folder's ZIP
COLUMNS = 3
FOLDER_HELP = ("What dfu-sched simulate --out DIR writes for this run: the summary, the weekly and "
               "per-replication CSVs, replication 0's devices and the scenario")


@st.cache_data(show_spinner=False, max_entries=8)
def cached_report(summary_json: str, scenario_json: str, text: str) -> tuple[str, list[tuple[str, str]]]:
    """The report's HTML and charts, drawn once per result."""
    return page.report_and_charts(json.loads(summary_json), Scenario.model_validate_json(scenario_json), text)


def widget_key(src: page.ScenarioSource, control_key: str) -> str:
    """A control's widget key: per starting scenario, so another file's form starts from its own values."""
    tag = hashlib.sha256((src.label + "\0" + page.scenario_json(src.scenario)).encode()).hexdigest()[:10]
    return f"{tag}:{control_key}"


def widget(c: Control, value: Any, key: str, note: str | None) -> Any:
    """One control drawn by its kind, its source marker in the label and its note as help.

    Bounds widen to hold the file's own value.
    """
    marker = page.source_marker(note)
    label, spec = page.markdown_text(c.label + (f" {marker}" if marker else "")), c.spec
    help = page.markdown_text(note) if note else None
    if c.kind == "bool":
        return st.checkbox(label, bool(value), key=key, help=help)
    if c.kind == "choice":
        options = list(spec.options)
        return st.selectbox(label, options, options.index(value) if value in options else 0, key=key, help=help)
    if c.kind == "int":
        low, high = int(min(spec.low or 0, value)), int(max(spec.high or value, value))
        return st.number_input(label, low, high, int(value), int(spec.step), key=key, help=help)
    low_f = float(spec.low if spec.low is not None else 0.0)
    high_f = float(spec.high if spec.high is not None else 1e9)
    if value is not None:
        low_f, high_f = min(low_f, float(value)), max(high_f, float(value))
    return st.number_input(label, low_f, high_f, None if value is None else float(value), float(spec.step),
                           key=key, help=help, placeholder=spec.empty or None)


def form(src: page.ScenarioSource) -> tuple[page.Levers, int, int, float | None]:
    """The controls in their sections, starting from the scenario's values; each shows its [S]/[E] note."""
    start, sources, sc = page.levers_of(src.scenario).values, page.control_sources(src.text), src.scenario
    controls = page.controls_for(sc)
    values: dict[str, Any] = {}
    for section in SECTIONS:
        mine = [c for c in controls if c.spec.section == section]
        if section == "Examiners":  # a row per group: count, hours, absence
            mine.sort(key=lambda c: c.path[1])
        with st.expander(section, expanded=section in ("Examiners", "Demand")):
            cols = st.columns(COLUMNS)
            for i, c in enumerate(mine):
                with cols[i % COLUMNS]:
                    values[c.key] = widget(c, start[c.key], widget_key(src, c.key), sources.get(c.key))
            for group, total in share_totals(mine, values).items():
                st.caption(f"{group} adds up to {total:g}%" + ("." if total == 100 else " (it must add up to 100%)"))
    st.subheader("Run")
    a, b, col_auto, d = st.columns(4)
    auto = col_auto.checkbox("Until precise", False, key="auto", help=AUTO_HELP)
    n = a.number_input("Replications (at most)" if auto else "Replications", 1, page.MAX_REPLICATIONS,
                       min(sc.run.replications, 10), 1, key="n")
    seed = b.number_input("Seed", 0, 2**31 - 1, sc.run.seed, 1, key="seed")
    share = d.number_input("Within ± % of the mean", 0.5, 50.0, 5.0, 0.5, key="precision", disabled=not auto)
    return page.Levers(values), int(n), int(seed), (round(float(share) / 100, 6) if auto else None)


AUTO_HELP = ("Add replications until the 95% interval of every headline measure (mean waits, exposure, devices "
             "waiting at the end) is within the given share of its mean, up to the replications given; as "
             "dfu-sched simulate -n auto --precision.")


def folder_job(src: page.ScenarioSource, edited: Scenario, n: int, seed: int) -> Job:
    """The run folder of these inputs as a ZIP, built in the background (Cancel stops it)."""
    source = f"{src.label} (edited in the web app)"

    def work(tick):
        return run_folder_zip(edited, page.edited_yaml(src, edited), n, seed, page.MAX_REPLICATIONS, tick, source)

    return Job(work, n, "Making the run folder")


def show_result(src: page.ScenarioSource, edited: Scenario, summary: dict, key: tuple) -> None:
    st.subheader("What the simulation says")
    for line in page.headline(summary):
        st.markdown("- " + page.markdown_text(line))
    precision = summary.get("run", {}).get("precision")
    if precision:
        st.caption(page.markdown_text(precision_sentence(precision)))
    html, charts = cached_report(json.dumps(summary), page.scenario_json(edited), src.text)
    for title, svg in charts:
        st.caption(page.markdown_text(title))
        st.image(svg, width="stretch")  # the SVG has only a viewBox: "content" draws it 300 px wide
    st.download_button("Download the HTML report", html, "report.html", "text/html", key="dl_report")
    kept = session_job(st.session_state, FOLDER_NAME)
    ready = kept is not None and kept[0] == key and kept[1].state == "done"  # made once per result
    if not ready and st.button("Make the run folder (ZIP)", key="make_folder", help=FOLDER_HELP):
        n = int(summary["replications"])  # by precision: the replications it needed
        start_run(FOLDER_NAME, key, folder_job(src, edited, n, key[2]))
    zipped = follow(FOLDER_NAME, key)
    if zipped is not None:
        st.download_button("Download the run folder (ZIP)", zipped, "run.zip", "application/zip", key="dl_folder")


def run_job(key: tuple[str, int, int, float | None]) -> Job:
    """The run of ``key`` (scenario JSON, replications, seed, precision or None): finished on a cache hit."""
    text, n, seed, precision = key
    kept = page.RUNS.peek(text, n, seed, precision)
    if kept is not None:
        return finished(kept)
    label = "Running replications" if precision is None else f"Replications until within {precision:.1%} (at most {n})"
    return Job(lambda tick: page.RUNS.summary(text, n, seed, progress=tick, precision=precision), n, label)


def uncertainty_controls(edited: Scenario) -> int | None:
    """The checkbox (enabled when the scenario has ranged inputs) and its worlds; the worlds when ticked."""
    label, enabled, help = page.uncertainty_choice(edited)
    a, b = st.columns(2)
    on = a.checkbox(label, False, key="iu", disabled=not enabled, help=help)
    worlds = b.number_input("Plausible worlds", 2, page.MAX_WORLDS, page.DEFAULT_WORLDS, 1, key="iu_worlds",
                            disabled=not (on and enabled))
    return int(worlds) if on and enabled else None


def show_uncertainty(edited: Scenario, summary: dict, key: tuple, worlds: int) -> None:
    """The worlds' run (a job: progress, Cancel), started once the usual run is done, and its sentences."""
    iu_key = (*key, worlds, page.ranges_key(edited))
    if st.session_state.get(IU_PENDING) == iu_key:
        st.session_state[IU_PENDING] = None
        n = int(summary["replications"])  # by precision: the replications it needed, as the command
        start_run(IU_NAME, iu_key, Job(lambda tick: page.run_uncertainty(edited, n, key[2], worlds, tick),
                                       (worlds + 1) * n, f"Running {worlds} plausible worlds x {n} replications"))
    block = follow(IU_NAME, iu_key)
    if block is not None:
        st.subheader("What if our estimates are wrong?")
        st.caption(f"{block['worlds']} plausible worlds of the ranged estimates x {block['replications']} "
                   "replications each; the usual intervals cover chance only.")
        for line in page.uncertainty_lines(block):
            st.markdown("- " + page.markdown_text(line))


def draw() -> None:
    st.title("DFU backlog: scenario and simulation")
    try:
        src = choose_source()
        levers, n, seed, precision = form(src)
        edited = page.apply_levers(src.scenario, levers)
    except InputError as exc:
        show_error(exc)
        st.stop()
    # Made when clicked (a round trip takes a few tenths of a second: not on every edit of the form).
    st.download_button("Download the edited scenario (YAML)", lambda: page.edited_yaml(src, edited), "scenario.yaml",
                       "application/x-yaml", key="dl_yaml",
                       help="The starting file with your changes set in place: its [S]/[E] notes are kept")
    worlds = uncertainty_controls(edited)
    key = (page.scenario_json(edited), n, seed, precision)
    if st.button("Run", key="run", type="primary"):
        start_run(NAME, key, run_job(key))
        st.session_state[IU_PENDING] = (*key, worlds, page.ranges_key(edited)) if worlds else None
    summary = follow(NAME, key)
    if summary is not None:
        show_result(src, edited, summary, key)
        if worlds:
            show_uncertainty(edited, summary, key, worlds)


PAGE = Page("Scenario and simulation", draw)
