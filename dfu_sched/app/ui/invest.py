"""The Invest page: budget, target, "by" date and objective; the search in the background; the answer.

Why thin: reading the question, estimating the run, searching and rendering live in
``dfu_sched.app.invest_page`` (the calls ``dfu-sched invest`` makes); this module lays out the form,
follows the run (``ui.common.follow``) and shows the answer for a finance committee.
"""
from __future__ import annotations

import streamlit as st

from dfu_sched.app import invest_page as inv
from dfu_sched.app import simulate_page as page
from dfu_sched.app.jobs import Job, finished
from dfu_sched.app.ui.common import Page, choose_source, follow, show_error, start_run
from dfu_sched.errors import InputError
from dfu_sched.invest.objectives import DEFAULT_OBJECTIVE, OBJECTIVE_NAMES, OBJECTIVES
from dfu_sched.invest.targets import NAMED_TARGETS

NAME = "invest"


def form(src: page.ScenarioSource) -> inv.InvestForm:
    """The question, as the command's options: empty boxes are options left off."""
    sc = src.scenario
    default = sc.investment.budget_gbp if sc.investment else None
    a, b, c = st.columns(3)
    budget = a.text_input("Budget (£)", "", key="inv_budget",
                          placeholder=f"{default:,.0f} (the scenario's)" if default is not None else "",
                          help="Pounds to spend inside the horizon, e.g. 400000, 400k or £1.2m; empty: the "
                               "scenario's budget, or with a target no limit.")
    target = b.text_input("Target (optional)", "", key="inv_target",
                          placeholder="e.g. high-risk-week",
                          help="The cheapest mix meeting it: a name (" + ", ".join(NAMED_TARGETS)
                               + ") or KEY<=VALUE, e.g. VH+H.wait_to_start_days.p90<=7.")
    by = c.text_input("By (optional, with a target)", "", key="inv_by",
                      placeholder=f"YYYY-MM-DD from {sc.calendar.start_date}",
                      help=f"The date (or week number) from which the target must hold; the run covers "
                           f"{sc.calendar.horizon_weeks} weeks from {sc.calendar.start_date}.")
    a, b, c = st.columns(3)
    objective = a.selectbox("Objective (what 'best' means)", OBJECTIVE_NAMES,
                            OBJECTIVE_NAMES.index(DEFAULT_OBJECTIVE), key="inv_objective",
                            format_func=lambda name: f"{name}: {OBJECTIVES[name].meaning}")
    n = b.number_input("Replications for the chosen mix", inv.MIN_REPLICATIONS, page.MAX_REPLICATIONS,
                       inv.DEFAULT_REPLICATIONS, 1, key="inv_n",
                       help="Screening uses an eighth of them, candidate mixes a quarter.")
    seed = c.number_input("Seed", 0, 2**31 - 1, sc.run.seed, 1, key="inv_seed")
    robust = st.checkbox("Test the choice against uncertain estimates", False, key="inv_robust",
                         disabled=not sc.estimates,
                         help="Runs the chosen mix, its runners-up and doing nothing in 20 plausible worlds of the "
                              "scenario's ranged estimates: is the choice still best if our estimates are wrong? "
                              + ("" if sc.estimates else "This scenario has no ranged estimates."))
    return inv.InvestForm(budget, target, by, str(objective), int(n), int(seed), bool(robust))


@st.cache_data(show_spinner=False, max_entries=4)
def cached_outcome(key: str, _doc: dict, _request: inv.InvestRequest) -> inv.InvestOutcome:
    """The report, charts and workbook, drawn once per answer (keyed by the request)."""
    return inv.outcome(_doc, _request)


def show_result(request: inv.InvestRequest, doc: dict) -> None:
    out = cached_outcome(request.key, doc, request)
    st.subheader("In brief, for the finance committee")
    for line in inv.headline(doc):
        st.markdown("- " + page.markdown_text(line))
    charts = {name: (title, svg) for name, title, svg in out.charts}
    if "invest_frontier" in charts:
        st.caption(page.markdown_text(charts["invest_frontier"][0]))
        st.image(charts["invest_frontier"][1], width="stretch")
    if doc.get("robust"):
        st.subheader("Is the choice robust?")
        st.markdown(page.markdown_text(str(doc["robust"].get("headline", ""))))
        st.dataframe(inv.robust_rows(doc), hide_index=True, width="stretch")
    st.subheader("The chosen mix")
    for action in inv.chosen_actions(doc):
        st.markdown("- " + page.markdown_text(action))
    st.subheader("Spend by financial year (£)")
    rows = inv.spend_rows(doc)
    pounds = {k: st.column_config.NumberColumn(format="localized") for k in rows[0] if k != "financial year"}
    st.dataframe(rows, hide_index=True, width="stretch", column_config=pounds)
    with st.expander("The chosen mix against doing nothing, month by month"):
        for name, (title, svg) in charts.items():
            if name != "invest_frontier":
                st.caption(page.markdown_text(title))
                st.image(svg, width="stretch")
    a, b = st.columns(2)
    a.download_button("Download the finance workbook (XLSX)", out.xlsx, "invest.xlsx",
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="inv_dl_xlsx")
    b.download_button("Download the HTML report", out.html, "invest.html", "text/html", key="inv_dl_report")


def run_job(request: inv.InvestRequest, total: int) -> Job:
    """The search's background run (its label names the phase): already finished when an identical one is kept.

    ``total`` is the estimate (``invest_page.estimate``); a search that runs past it raises it, so the
    bar never sits full while the search goes on.
    """
    kept = inv.RUNS.peek(request.key)
    if kept is not None:
        return finished(kept)
    counted = [0]

    def work(tick):
        def progress(k: int) -> None:
            counted[0] += k
            if counted[0] >= job.total:
                job.total = counted[0] + request.settings.final_reps
            tick(k)

        def log(text: str) -> None:  # the phase, as the command's progress line names it
            phase = inv.phase_after(text)
            if phase:
                job.label = "Searching: " + phase

        return inv.invest_cached(request, progress=progress, log=log)

    job: Job = Job(work, total, "Searching: screening the options")
    return job


def draw() -> None:
    st.title("What money buys")
    try:
        src = choose_source()
        request = inv.make_request(src, form(src))
    except InputError as exc:
        show_error(exc)  # the command's one line
        st.stop()
    guess = inv.estimate(request)
    st.caption(page.markdown_text(guess.words()))
    if st.button("Run", key="inv_run", type="primary"):
        start_run(NAME, request.key, run_job(request, guess.replications))
    doc = follow(NAME, request.key)
    if doc is not None:
        show_result(request, doc)


PAGE = Page("Invest", draw)
