"""The Sweep page: vary one or two keys of the scenario over a grid, run every point, find the cheapest.

Why thin: the grid, its checks and caps, the run and the answer are ``dfu-sched sweep``'s own
library calls, reached through ``dfu_sched.app.sweep_page``; this module lays out the controls
(the values typed as ``--grid`` takes them), follows the background run and shows the result.
"""
from __future__ import annotations

import json
import zlib

import streamlit as st

from dfu_sched.app import simulate_page as page
from dfu_sched.app import sweep_page
from dfu_sched.app.jobs import Job, finished
from dfu_sched.app.ui.common import Page, choose_source, follow, show_error, start_run
from dfu_sched.errors import InputError
from dfu_sched.sweep.study import SweepPlan

NAME = "sweep"


@st.cache_data(show_spinner=False, max_entries=8)
def cached_downloads(out_json: str, scenario_yaml: str) -> sweep_page.ReportDownloads:
    """The report, CSV and JSON of one result, drawn once per result."""
    return sweep_page.downloads(json.loads(out_json), scenario_yaml)


def _grid(src: page.ScenarioSource) -> tuple[tuple[str, str], ...]:
    offered = sweep_page.sweep_keys(src.scenario)
    widget = f"sweep_keys_{zlib.crc32(' '.join(offered).encode())}"  # another scenario starts afresh, not empty
    chosen = st.multiselect(f"Keys to vary (one or two; {len(offered)} offered)", offered, default=offered[:1],
                            max_selections=sweep_page.MAX_KEYS, key=widget,
                            help="A key of the scenario, as `dfu-sched sweep --grid KEY=VALUES` names it.")
    axes = []
    for k in chosen:
        label = f"Values of {page.markdown_text(k)}"  # a label is Markdown; a group's name is not
        values = st.text_input(label, sweep_page.default_values(src.scenario, k), key=f"sweep_values_{k}",
                               help="As --grid takes them: 3..7 (whole numbers), 3..7..2 (a step), 0,1,2 or "
                                    "6,7.5,9 (a list), fifo,priority (words).")
        axes.append((k, values))
    return tuple(axes)


def form(src: page.ScenarioSource) -> sweep_page.SweepForm:
    """The controls, in the command line's terms."""
    sc = src.scenario
    st.subheader("Grid")
    axes = _grid(src)
    st.subheader("What to read")
    names, default = sweep_page.measure_choices(sc)
    measures = st.multiselect("Measures", names, default=default, key="sweep_measures",
                              help="Any measure of a replication (the command line's --measure).")
    a, b, c = st.columns(3)
    target = a.text_input("Target (optional)", "", key="sweep_target", placeholder="invest.backlog_at_12m<=1000",
                          help="The syntax and names of invest --target, e.g. VH.wait_to_start_days.p90<=30.")
    by = b.text_input("Wait target from (date or week, optional)", "", key="sweep_by")
    costs = [sweep_page.AUTO_COST, "investment", "grid order", *(k for k, _ in axes)]
    cost = c.selectbox("Cheapest by", costs, key="sweep_cost",
                       help="automatic: the investment cost when a key is under investment., else grid order.")
    st.subheader("Run")
    a, b, c = st.columns(3)
    n = a.number_input("Replications of every point", 1, sweep_page.MAX_REPLICATIONS, min(sc.run.replications, 5),
                       1, key="sweep_n")
    seed = b.number_input("Seed", 0, 2**31 - 1, sc.run.seed, 1, key="sweep_seed")
    pseudo = c.checkbox("Pseudonymise the file name in downloads", value=True, key="sweep_pseudo")
    return sweep_page.SweepForm(axes, tuple(measures), target.strip() or None, by.strip() or None,
                                None if cost == sweep_page.AUTO_COST else str(cost), int(n), int(seed), bool(pseudo))


def show_result(out: dict, scenario_yaml: str) -> None:
    st.subheader("What the sweep says")
    for line in sweep_page.answer_lines(out):
        st.markdown("- " + page.markdown_text(line))
    st.dataframe(sweep_page.table_rows(out), hide_index=True, width="stretch")
    made = cached_downloads(json.dumps(out), scenario_yaml)
    for title, svg in made.charts:
        st.caption(page.markdown_text(title))
        st.image(svg, width="stretch")
    a, b, c = st.columns(3)
    a.download_button("Download HTML report", made.html, "sweep.html", "text/html", key="dl_sweep_html")
    b.download_button("Download CSV", made.csv, "points.csv", "text/csv", key="dl_sweep_csv")
    c.download_button("Download JSON", made.json, "sweep.json", "application/json", key="dl_sweep_json")


def run_job(key: tuple[str, sweep_page.SweepForm], plan: SweepPlan, source: str) -> Job:
    """The sweep of ``key``: already finished on a cache hit, else one tick per replication."""
    kept = sweep_page.SWEEPS.peek(key)
    if kept is not None:
        return finished(kept)
    return Job(lambda tick: sweep_page.cached_run(key, plan, source, tick), plan.jobs, "Sweeping")


def draw() -> None:
    st.title("DFU backlog: sweep a grid of options")
    try:
        src = choose_source()
        chosen = form(src)
        plan = sweep_page.plan_of(src.scenario, chosen)
    except InputError as exc:
        show_error(exc)  # the command line's one line: a bad grid value, key, target or a run too big
        return
    st.caption(sweep_page.runs_line(plan))
    key = (page.scenario_json(src.scenario), chosen)
    if st.button("Run", key="sweep_run", type="primary"):
        start_run(NAME, key, run_job(key, plan, src.label))
    out = follow(NAME, key)
    if out is not None:
        show_result(out, src.text)


PAGE = Page("Sweep", draw)
