"""The Compare page: the sidebar's scenario and one to three variants, run side by side, paired.

Why thin: how a variant is made, the run and the words of the table live in
``dfu_sched.app.compare_page`` (the calls ``dfu-sched compare`` makes); this module lays out the
variants' controls, follows the run (``ui.common.follow``) and shows the result.
"""
from __future__ import annotations

import streamlit as st

from dfu_sched.app import compare_page as cmp
from dfu_sched.app import simulate_page as page
from dfu_sched.app.jobs import Job, finished
from dfu_sched.app.state import Upload, forget_upload, keep_upload, session_upload
from dfu_sched.app.ui.common import Page, choose_source, follow, show_error, start_run
from dfu_sched.errors import InputError

NAME = "compare"
HOW = ("Change the levers", "A shipped scenario", "Upload a file")
LETTERS = "ABCD"


def levers_form(src: page.ScenarioSource, i: int) -> page.Levers:
    """Examiners per group, demand and the queue rule for variant ``i``, starting from the scenario's values.

    The controls are the Scenario page's registry (``scenario_form``), a few of its keys.
    """
    start = page.levers_of(src.scenario).values
    groups = [g.name for g in src.scenario.examiners]
    values: dict = {}
    cols = st.columns(max(1, len(groups)))
    for col, g in zip(cols, groups):
        key = f"examiners[{g}].count"
        values[key] = int(col.number_input(f"{g}: examiners", 0, 500, int(start[key]), 1, key=f"cmp_count_{i}_{g}"))
    a, b, c = st.columns(3)
    values["arrivals.cases_per_week"] = float(a.number_input(
        "Cases per week", 0.0, 10_000.0, float(start["arrivals.cases_per_week"]), 0.5, key=f"cmp_cases_{i}"))
    values["arrivals.annual_growth"] = float(b.number_input(
        "Growth a year (%)", -50.0, 100.0, float(start["arrivals.annual_growth"]), 0.5, key=f"cmp_growth_{i}"))
    names = page.disciplines()
    rule = start["policy.discipline"]
    values["policy.discipline"] = str(c.selectbox("Queue rule", names, names.index(rule) if rule in names else 0,
                                                  key=f"cmp_rule_{i}"))
    return page.Levers(values)


def variant(src: page.ScenarioSource, i: int) -> cmp.Variant | None:
    """Variant ``i`` (1-3) from the levers, a shipped file or an upload; None while its upload is missing."""
    st.markdown(f"**Variant {LETTERS[i]}**")
    a, b = st.columns(2)
    name = a.text_input("Name", f"Variant {LETTERS[i]}", key=f"cmp_name_{i}", max_chars=cmp.MAX_NAME)
    how = b.radio("Made from", HOW, key=f"cmp_how_{i}", horizontal=True)
    if how == HOW[0]:
        return cmp.from_levers(src, name, levers_form(src, i), i + 1)
    if how == HOW[1]:
        shipped = st.selectbox("Scenario", page.shipped_scenarios(), key=f"cmp_shipped_{i}")
        return cmp.from_source(page.read_shipped(shipped), name, i + 1)
    got = st.file_uploader("Scenario file (YAML)", type=["yaml", "yml"], key=f"cmp_upload_{i}")
    kind = f"compare_{i}"
    if got is not None:
        keep_upload(st.session_state, kind, Upload(got.name, got.getvalue()))
    else:
        forget_upload(st.session_state, kind)
    upload = session_upload(st.session_state, kind)
    if upload is None:
        st.info(f"Upload the scenario file of variant {LETTERS[i]}.")
        return None
    return cmp.from_source(page.read_upload(upload.name, upload.data), name, i + 1)


def form(src: page.ScenarioSource) -> cmp.CompareRequest | None:
    """The variants, replications and seed; None while an upload is missing."""
    st.markdown("**Variant A** is the scenario chosen in the sidebar: every difference is against it.")
    first = cmp.from_source(src, st.text_input("Name of variant A", src.scenario.name, key="cmp_name_0",
                                               max_chars=cmp.MAX_NAME), 1)
    extra = int(st.number_input("Variants to compare with it", 1, cmp.MAX_EXTRA_VARIANTS, 1, 1, key="cmp_k"))
    variants = [first]
    for i in range(1, extra + 1):
        with st.container(border=True):
            v = variant(src, i)
        if v is None:
            return None
        variants.append(v)
    a, b = st.columns(2)
    n = a.number_input("Replications of each", 2, page.MAX_REPLICATIONS, min(max(src.scenario.run.replications, 2), 10),
                       1, key="cmp_n")
    seed = b.number_input("Seed", 0, 2**31 - 1, src.scenario.run.seed, 1, key="cmp_seed")
    return cmp.make_request(variants, int(n), int(seed))


@st.cache_data(show_spinner=False, max_entries=4)
def cached_outcome(key: str, _doc: dict, _request: cmp.CompareRequest) -> cmp.CompareOutcome:
    """The report, charts and workbook, drawn once per result (keyed by the request)."""
    return cmp.outcome(_doc, _request)


def show_result(request: cmp.CompareRequest, doc: dict) -> None:
    out = cached_outcome(request.key, doc, request)
    st.subheader("What the comparison says")
    for line in cmp.headline(doc):
        st.markdown("- " + page.markdown_text(line))
    st.subheader("Paired differences against " + page.markdown_text(doc["scenarios"][0]["title"]))
    st.caption("Each variant minus variant A, replication by replication (the same devices arrive in both), "
               "then averaged with a 95% interval. 'Cannot tell apart': the interval holds zero.")
    st.dataframe(cmp.difference_rows(doc), hide_index=True, width="stretch",
                 column_config={"in words": st.column_config.TextColumn(width="large"),
                                **{k: st.column_config.NumberColumn(format="%.1f")
                                   for k in ("difference", "95% CI low", "95% CI high")}})
    with st.expander("Side by side: every measure's mean"):
        table = cmp.side_by_side(doc)
        st.dataframe(table, hide_index=True, width="stretch",
                     column_config={k: st.column_config.NumberColumn(format="%.1f") for k in list(table[0])[1:]})
    for title, svg in out.charts:
        st.caption(page.markdown_text(title))
        st.image(svg, width="stretch")
    a, b, c = st.columns(3)
    a.download_button("Download the HTML report", out.html, "compare.html", "text/html", key="cmp_dl_report")
    b.download_button("Download the workbook (XLSX)", out.xlsx, "compare.xlsx",
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="cmp_dl_xlsx")
    c.download_button("Download the variants (YAML, zip)", cmp.variants_zip(request), "variants.zip",
                      "application/zip", key="cmp_dl_yaml",
                      help="dfu-sched compare on these files, with the same replications and seed, gives these numbers")


def run_job(request: cmp.CompareRequest) -> Job:
    """The comparison's background run: already finished when an identical one is kept."""
    kept = cmp.RUNS.peek(request.key)
    if kept is not None:
        return finished(kept)
    return Job(lambda tick: cmp.compare_cached(request, progress=tick), request.total, "Comparing the variants")


def draw() -> None:
    st.title("Compare scenarios")
    try:
        src = choose_source()
        request = form(src)
    except InputError as exc:
        show_error(exc)
        st.stop()
    if request is None:
        return
    st.caption(page.markdown_text(request.duration()))
    if st.button("Run", key="cmp_run", type="primary"):
        start_run(NAME, request.key, run_job(request))
    doc = follow(NAME, request.key)
    if doc is not None:
        show_result(request, doc)


PAGE = Page("Compare scenarios", draw)
