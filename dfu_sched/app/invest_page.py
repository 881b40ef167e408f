"""The Invest page's logic, as plain functions over the library API.

Why plain functions: the Streamlit script only lays out widgets; how the form's words become a
search, how long the search will take, how it is run and what its answer says live here, where a
unit test or a notebook can call them. The form is read by ``invest.request.search_settings``, the
function ``dfu-sched invest`` reads its options with (the same defaults, replications per phase and
one-line errors), the search is ``invest.search.search``, the JSON ``invest.results.result_json``,
the report ``render_invest`` and the finance workbook ``write_invest_xlsx``: for the same scenario,
question, replications and seed the page gives the command's answer.
"""
from __future__ import annotations

import dataclasses
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dfu_sched.app.runs import PACE, KeptResults, duration_words, rough_seconds, scenario_events
from dfu_sched.app.simulate_page import MAX_REPLICATIONS, ScenarioSource, scenario_json
from dfu_sched.errors import InputError
from dfu_sched.invest.search import SearchSettings

#: The fewest replications for the chosen mix (``dfu-sched invest -n`` refuses fewer) and the default.
MIN_REPLICATIONS = 4
DEFAULT_REPLICATIONS = 32


@dataclass(frozen=True)
class InvestForm:
    """The question as typed on the page (an empty text: not given, as an option left off the command)."""

    budget: str
    target: str
    by: str
    objective: str
    replications: int
    seed: int
    robust: bool = False   #: test the choice against the scenario's ranged estimates (``--input-uncertainty``)


@dataclass(frozen=True)
class InvestRequest:
    """A checked question: the scenario it is asked of, the form, and the search settings read from it."""

    source: ScenarioSource
    form: InvestForm
    settings: SearchSettings

    @property
    def key(self) -> str:
        """The cache key: same scenario, question, replications and seed, same answer."""
        return json.dumps([self.source.label, scenario_json(self.source.scenario),
                           dataclasses.astuple(self.form)])


@dataclass(frozen=True)
class InvestOutcome:
    """An answered question: the command's JSON, its report and charts, and the finance workbook's bytes."""

    doc: dict
    html: str
    charts: list[tuple[str, str, str]]   #: (chart name, title, inline SVG)
    xlsx: bytes


def _given(text: str) -> str | None:
    return text.strip() or None


def make_request(src: ScenarioSource, form: InvestForm) -> InvestRequest:
    """The search ``dfu-sched invest`` would make for these options; ``InputError`` (its one line) if not."""
    from dfu_sched.invest.request import search_settings
    from dfu_sched.sim.experiment import check_size

    if not MIN_REPLICATIONS <= form.replications <= MAX_REPLICATIONS:
        raise InputError(f"replications must be between {MIN_REPLICATIONS} and {MAX_REPLICATIONS}",
                         source="the form")
    settings = search_settings(src.scenario, src.label, _given(form.budget), _given(form.target), _given(form.by),
                               form.objective, form.replications, form.seed, workers=1)
    check_size(src.scenario, form.replications)
    if form.robust:  # the command's one line when the scenario has no ranged estimates
        from dfu_sched.uncertainty.worlds import require_estimates
        require_estimates(src.scenario, "testing the choice against uncertain estimates")
    return InvestRequest(src, form, settings)


@dataclass(frozen=True)
class RunEstimate:
    """Roughly what a search will cost before it starts: replications and seconds (a guide only)."""

    screening: int          #: replications to screen each option alone (exact)
    replications: int       #: all replications, estimated
    seconds: float

    def words(self) -> str:
        return (f"This search simulates roughly {self.replications:,} replications ({self.screening:,} to screen "
                f"the options): {duration_words(self.seconds)} at this computer's latest pace, one replication "
                "at a time.")


def estimate(request: InvestRequest) -> RunEstimate:
    """How many replications the search will make, and roughly how long, from the scenario alone.

    Screening is counted exactly: doing nothing plus each affordable option at up to three levels,
    ``screen_reps`` each (``invest.search.screen``). The later phases depend on what screening finds;
    they are estimated from the £400K search (48 mixes, 296 replications, README) and smaller ones
    (within a factor of two, ``tests/app/test_invest_page.py``): about as many new candidate mixes
    as screened levels at ``screen_reps`` (no more than the mixes there are), a third of all
    mixes (the frontier) taken on to ``candidate_reps``, and doing nothing and the chosen mix to
    ``final_reps``. Seconds come from the scenario's size (``runs.rough_seconds``).
    """
    from math import prod

    from dfu_sched.invest.search import option_table, screen_levels
    from dfu_sched.scenario.levers import max_units, mix_cost
    sc, st = request.source.scenario, request.settings
    opts = sc.investment.options if sc.investment else []
    cap = st.budget if st.budget is not None else sum(mix_cost(sc, {o.name: max_units(o, sc)}) for o in opts)
    affordable = [r["max_affordable_units"] for r in option_table(sc, cap) if r["max_affordable_units"] > 0]
    screened = 1 + sum(len(screen_levels(u)) for u in affordable)
    candidates = min(prod(u + 1 for u in affordable) - screened, screened)
    final = max(2, (screened + candidates) // 3) if affordable else 1
    total = ((screened + candidates) * st.screen_reps + final * max(0, st.candidate_reps - st.screen_reps)
             + 2 * (st.final_reps - st.screen_reps)) if affordable else st.final_reps
    if request.form.robust:  # every contender (at most MAX_CONTENDERS and doing nothing) in every world
        from dfu_sched.uncertainty.robust import DEFAULT_WORLDS, MAX_CONTENDERS
        total += DEFAULT_WORLDS * min(MAX_CONTENDERS + 1, max(2, final)) * st.final_reps
    return RunEstimate(screened * st.screen_reps, total, rough_seconds(sc, total))


#: What the search does next after each line it logs (``invest.search``'s phases, by the line's first word).
NEXT_PHASE = {"screened": "evaluating candidate mixes", "proposed": "trying neighbouring mixes",
              "local": "evaluating the frontier and the best mix",
              "frontier": "evaluating the frontier and the best mix",
              "robust": "testing the choice against uncertain estimates"}


def phase_after(line: str) -> str | None:
    """The phase a search is in after it logged ``line`` (None: a line that starts none)."""
    return NEXT_PHASE.get(line.split(" ")[0].split(":")[0])


def run_invest(request: InvestRequest, progress: Callable[[int], None] | None = None,
               log: Callable[[str], None] | None = None) -> dict:
    """The search's JSON (what ``dfu-sched invest --json`` prints), in this process.

    One process (the serial executor): the answer does not depend on the workers, and the app's
    server does not fork a pool from a background thread (see ``sim.experiment.worker_pool``).
    """
    from dfu_sched.invest.results import result_json
    from dfu_sched.invest.search import search
    from dfu_sched.reports.files import to_json
    from dfu_sched.sim.experiment import SerialExecutor

    settings = dataclasses.replace(request.settings, progress=progress, log=log, executor=SerialExecutor())
    sc = request.source.scenario
    res = search(sc, settings)
    PACE.observe(scenario_events(sc, res.evaluator.replications_run), res.evaluator.seconds)
    out = result_json(res, sc, request.source.label)
    if request.form.robust:
        add_robust(out, res, sc, progress, log)
    clean: dict = json.loads(to_json(out))
    return clean


def add_robust(out: dict, res, sc, progress: Callable[[int], None] | None = None,
               log: Callable[[str], None] | None = None) -> None:
    """``--input-uncertainty`` with its defaults: the choice in plausible worlds, into ``out`` and its headline."""
    from dfu_sched.invest.results import explain
    from dfu_sched.sim.experiment import SerialExecutor
    from dfu_sched.uncertainty.robust import DEFAULT_WORLDS, robust_choice, robust_json
    from dfu_sched.uncertainty.worlds import require_estimates, sample_worlds

    worlds = sample_worlds(require_estimates(sc, "testing the choice"), DEFAULT_WORLDS, res.settings.seed)
    if log:
        log(f"robust: the choice in {len(worlds)} plausible worlds of the estimates")
    found = robust_choice(sc, res, worlds, res.settings.final_reps, executor=SerialExecutor(), progress=progress)
    out["robust"] = robust_json(found)
    out["explanation"] = explain(out, sc)


def robust_rows(doc: dict) -> list[dict]:
    """The report's robustness table as rows for a data frame ([] when the choice was not tested)."""
    from dfu_sched.reports.robust_text import HEADER
    from dfu_sched.reports.robust_text import robust_rows as rows

    block = doc.get("robust")
    return [dict(zip(HEADER, r)) for r in rows(block)] if block else []


#: The page's answers (one cache per server process, shared by sessions: an answer is a pure
#: function of its request).
RUNS = KeptResults()


def invest_cached(request: InvestRequest, progress: Callable[[int], None] | None = None,
                  log: Callable[[str], None] | None = None) -> dict:
    """:func:`run_invest`, or the kept answer of an identical request."""
    found: dict = RUNS.get(request.key, lambda: run_invest(request, progress, log))
    return found


def outcome(doc: dict, request: InvestRequest) -> InvestOutcome:
    """The report ``dfu-sched invest --report`` writes, its charts, and the ``--xlsx`` workbook's bytes."""
    from dfu_sched.reports.finance_xlsx import write_invest_xlsx
    from dfu_sched.reports.invest_html import render_invest

    rendered = render_invest(doc, request.source.text, pseudonymise=False)  # totals only: no references
    with tempfile.TemporaryDirectory(prefix="dfu-app-") as tmp:
        xlsx = write_invest_xlsx(doc, Path(tmp) / "invest.xlsx", request.source.scenario).read_bytes()
    charts = [(c.spec.name, c.spec.title, c.svg) for c in rendered.charts]
    return InvestOutcome(doc, rendered.html, charts, xlsx)


def headline(doc: dict) -> list[str]:
    """The answer in plain sentences (the report's "In brief" box): ``invest.results.explain``."""
    return [str(line) for line in doc.get("explanation", [])]


def chosen_actions(doc: dict) -> list[str]:
    """What the chosen mix buys, each lever in words ('2 contract examiners from week 6 ...')."""
    return [str(a) for a in doc["chosen"].get("actions", [])]


def spend_rows(doc: dict) -> list[dict]:
    """The spend by financial year and lever in whole pounds, with a total row: the report's Spending table.

    Each cell is rounded on its own, as the report prints it, so a column can differ from its total
    by a pound or two.
    """
    cp = doc["cost_profile"]
    opts = list(cp.get("options", []))

    def gbp(x) -> int | None:
        return None if x is None else round(x)

    rows = [{"financial year": f"FY {y['financial_year']}", **{o: gbp(y.get(o, 0.0)) for o in opts},
             "total": gbp(y["total"])} for y in cp.get("by_financial_year", [])]
    rows.append({"financial year": "total", **{o: gbp(cp.get("by_option", {}).get(o, 0.0)) for o in opts},
                 "total": gbp(cp.get("total_gbp"))})
    return rows
