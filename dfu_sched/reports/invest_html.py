"""The ``invest`` report: what the money buys, for a finance committee.

The explanation sentences of ``invest.json`` lead the page; then the efficient frontier, the
chosen mix's month-by-month backlog and wait against doing nothing, the spend by financial year
and lever, every option and mix evaluated, and the assumptions (each lever's cost source with
[S]/[E], then every input of the scenario file copied into the run folder).
"""
from __future__ import annotations

import shlex
from html import escape
from pathlib import Path

from dfu_sched.invest.objectives import DEFAULT_OBJECTIVE, OBJECTIVES
from dfu_sched.reports.appraisal_report import appraisal_section
from dfu_sched.reports.assumptions import classify
from dfu_sched.reports.charts.common import render_charts
from dfu_sched.reports.charts.invest import INVEST_CHARTS
from dfu_sched.reports.page import (
    RenderedReport,
    aggregate_privacy,
    assumptions_body,
    diff_cell,
    facts,
    gbp,
    headline_box,
    measure_cell,
    num,
    numbered_figures,
    page,
    report_footer,
    section,
    table,
)
from dfu_sched.reports.queue_note import queue_arguments, queue_facts
from dfu_sched.reports.robust_html import robust_section
from dfu_sched.scenario.levers import in_words, option_label
from dfu_sched.sim.measures import label_of


def lever_status(source: str | None) -> str:
    """[S]/[E] status of a lever's ``source`` text; a text starting "estimate" counts as an estimate
    even if it cites a sourced figure inside it, and a mix of both markers is "partly sourced"."""
    text = (source or "").strip()
    low = text.lower()
    has_s, has_e = "[s" in low, "[e" in low
    if low.startswith("estimate") or low.startswith("[e"):
        return "partly sourced" if has_s else "estimate"
    if low.startswith("[s") or has_s:
        return "partly sourced" if has_e else "sourced"
    return classify(text)


_LEVER_TAG = {"sourced": ("sourced", "[S] sourced"), "estimate": ("estimate", "[E] estimate"),
              "partly sourced": ("comment", "[S]+[E] partly sourced"), "comment": ("comment", "no marker"),
              "not annotated": ("none", "no source")}


def _lever_tag(status: str) -> str:
    klass, text = _LEVER_TAG.get(status, ("comment", status))
    return f'<span class="tag {klass}">{escape(text)}</span>'


def options_table(out: dict) -> str:
    """Every lever the search could pull: unit, cost, how many it could afford, how many it chose."""
    mix = out["chosen"].get("mix", {})
    rows = []
    for o in out.get("options", []):
        rows.append([escape(option_label(o["name"])), escape(o.get("kind", "").replace("_", " ")),
                     escape(o.get("unit", "")),
                     escape(gbp(o.get("cost_per_unit_gbp"))), escape(str(o.get("max_units", ""))),
                     escape(str(o.get("max_affordable_units", ""))), f"<strong>{mix.get(o['name'], 0)}</strong>"
                     if mix.get(o["name"]) else "0",
                     _lever_tag(lever_status(o.get("source"))) + "<br>" + escape(o.get("source") or "")])
    for name, why in out.get("excluded_options", {}).items():
        rows.append([escape(option_label(name)), "", "", "", "", "", "excluded", escape(str(why))])
    return table(["option", "kind", "unit", "cost of one unit", "max units", "affordable", "chosen",
                  "where the cost and effect come from"], rows,
                 numeric=[False, False, False, True, True, True, True, False], raw=True)


def mixes_table(out: dict) -> str:
    """The mixes evaluated with the chosen mix's replications, cheapest first; frontier and chosen marked."""
    chosen_label = out["chosen"].get("label")
    rows = []
    target = out.get("target") is not None
    for p in sorted(out.get("evaluated", []), key=lambda p: (p["cost_gbp"], p["label"])):
        mark = ("chosen" if p["label"] == chosen_label else "") + (
            " (on frontier)" if p["label"] == chosen_label and p.get("on_frontier") else
            "frontier" if p.get("on_frontier") else "")
        label = escape(in_words(p["label"]))
        if mark == "chosen":
            label = f"<strong>{label}</strong>"
        row = [label, escape(gbp(p["cost_gbp"]))]
        row += [escape(num(p["objectives"].get(o.name), o.decimals)) for o in OBJECTIVES.values()]
        if target:
            row.append("yes" if p.get("meets_target") else "no")
        row.append(escape(mark))
        rows.append(row)
    head = ["mix", "cost"] + [o.column for o in OBJECTIVES.values()] + (["meets target"] if target else []) + [""]
    numeric = [False, True] + [True] * len(OBJECTIVES) + ([False] if target else []) + [False]
    return table(head, rows, numeric=numeric,
                 raw=True)


def chosen_table(out: dict) -> str:
    """Each measure: doing nothing, the chosen mix, and the paired difference, all with 95% CIs."""
    base, ch = out["baseline"]["measures"], out["chosen"]
    rows = [[escape(label_of(k)), measure_cell(k, base.get(k, {})), measure_cell(k, v),
             "" if k.startswith("first_week_below.") else diff_cell(ch["vs_baseline"].get(k, {}))]
            for k, v in ch["measures"].items()]
    return table(["measure (mean; 95% CI below)", "doing nothing", "chosen mix", "chosen minus doing nothing"],
                 rows, raw=True)


def cost_table(out: dict) -> str:
    cp = out["cost_profile"]
    opts = cp.get("options", [])
    rows = [[f"FY {y['financial_year']}"] + [gbp(y.get(o, 0.0)) for o in opts] + [gbp(y["total"])]
            for y in cp.get("by_financial_year", [])]
    rows.append(["total"] + [gbp(cp.get("by_option", {}).get(o, 0.0)) for o in opts] + [gbp(cp.get("total_gbp"))])
    extra = ""
    if cp.get("recurring_after_horizon_gbp_per_year"):
        extra = (f'<p class="note">After the horizon the mix keeps costing '
                 f"{escape(gbp(cp['recurring_after_horizon_gbp_per_year']))} a year (permanent staff, licences, "
                 "running costs).</p>")
    return table(["financial year"] + [option_label(o) for o in opts] + ["total"], rows) + extra


def invest_headline(out: dict) -> list[str]:
    """The explanation sentences (escaped); the first, the answer, in bold."""
    names = [o["name"] for o in out.get("options", [])]
    lines = [escape(in_words(x, names)) for x in out.get("explanation", [])]
    if lines:
        lines[0] = f"<strong>{lines[0]}</strong>"
    return lines


def reproduce_part(out: dict, pseudonymise: bool = False) -> str:
    cmd = ["dfu-sched", "invest", str(out.get("scenario_file") or "SCENARIO.yaml")]
    if out.get("target"):
        cmd += ["--target", str(out["target"]["expression"])]
        if out["target"].get("from_week"):
            cmd += ["--by", f"{out['target']['from_week']:g}"]
        if out.get("budget_gbp") is not None:
            cmd += ["--budget", f"{out['budget_gbp']:.0f}"]
    elif out.get("budget_gbp") is not None:
        cmd += ["--budget", f"{out['budget_gbp']:.0f}"]
    reps = out.get("replications", {})
    cmd += ["--objective", str(out.get("objective", {}).get("name", DEFAULT_OBJECTIVE)), "-n", str(reps.get("final")),
            "--seed", str(out.get("seed")), *queue_arguments(out, pseudonymise)]
    if out.get("robust"):
        cmd += ["--input-uncertainty", "--worlds", str(out["robust"]["worlds"]),
                "--world-replications", str(out["robust"]["replications"])]
    run = out.get("run", {})
    pairs = [("scenario", str(out.get("scenario", "–"))), ("scenario file", str(out.get("scenario_file") or "–")),
             ("question", "best mix within the budget" if out.get("mode") == "budget"
              else "least cost to meet the target"),
             ("objective", str(out.get("objective", {}).get("meaning", "–"))),
             ("replications", f"{reps.get('screen')} to screen, {reps.get('candidates')} per candidate, "
                              f"{reps.get('final')} for the chosen mix and doing nothing"),
             ("seed", str(out.get("seed"))), ("dfu-sched version", str(out.get("version", "–"))),
             ("period", f"{out.get('horizon_weeks')} weeks from {out.get('start_date')}"),
             ("search", f"{run.get('mixes_evaluated', '–')} mixes, {run.get('replications_simulated', '–')} "
                        f"replications in {run.get('seconds', 0):.0f} s on {run.get('workers', 1)} worker(s)"),
             *queue_facts(out, pseudonymise)]
    body = facts(pairs)
    body += ("<p>To reproduce these numbers exactly (any number of workers gives the same result); a copy of the "
             "scenario file is kept in the run folder as <code>scenario.yaml</code>:</p>")
    body += f"<pre>{escape(' '.join(shlex.quote(c) for c in cmd))} --out RUN_DIR</pre>"
    body += ('<p class="note">The chosen mix and doing nothing are simulated with the same arrivals (common random '
             "numbers): each difference is computed within a replication and averaged, with a two-sided 95% "
             "Student-t interval. Every mix on the frontier has at least the candidate replications (the table "
             "says how many), the chosen mix and doing nothing all of them; a mix dropped with fewer was beaten "
             "with 95% confidence (paired interval) by a mix with at least as many.</p>")
    return section("Reproducing this report", body, anchor="reproduce")


def render_invest(out: dict, scenario_yaml: str | None, *, pseudonymise: bool = False) -> RenderedReport:
    """The invest report and its charts (for ``--figures``)."""
    for k in ("chosen", "baseline", "cost_profile", "trajectory", "evaluated"):
        if k not in out:
            raise KeyError(k)
    charts = render_charts(out, INVEST_CHARTS)
    fig = numbered_figures(charts)

    ch = out["chosen"]
    body = [headline_box(invest_headline(out), title="In brief, for the finance committee")]
    body.append('<p class="note">Results of simulations, not forecasts: the chosen mix and doing nothing are each '
                f"the mean of {out.get('replications', {}).get('final')} simulated histories of the unit described "
                "under <em>Assumptions</em>, with 95% confidence intervals; the estimates [E] among them should be "
                "replaced with the force's own figures before money is committed.</p>")
    body.append(section("What the money buys", fig("invest_frontier") + "<h3>The chosen mix</h3><ul>"
                        + "".join(f"<li>{escape(in_words(a, [o['name'] for o in out.get('options', [])]))}</li>"
                                  for a in ch.get("actions", [])) + "</ul>"
                        + f"<p>Cost inside the horizon <strong>{escape(gbp(ch.get('cost_gbp')))}</strong>"
                        + (f" of a {escape(gbp(out.get('budget_gbp')))} budget" if out.get("budget_gbp") else "")
                        + (f"; then {escape(gbp(ch['recurring_gbp_per_year_after_horizon']))} a year"
                           if ch.get("recurring_gbp_per_year_after_horizon") else "")
                        + (f"; {escape(gbp(ch['gbp_per_month_of_backlog_removed']))} per month of backlog removed"
                           if ch.get("gbp_per_month_of_backlog_removed") else "") + ".</p>",
                        anchor="frontier"))
    body.append(section("The chosen mix against doing nothing",
                        fig("invest_backlog") + fig("invest_wait")
                        + "<h3>Every measure, with 95% CIs</h3>" + chosen_table(out), anchor="trajectory"))
    body.append(robust_section(out))  # '' unless invest --input-uncertainty
    body.append(section("Spending", fig("invest_cost") + cost_table(out), anchor="cost"))
    body.append(appraisal_section(out.get("appraisal")))  # '' unless the scenario sets investment.appraisal
    screened = out.get("screened", [])
    reps = sorted({p["replications"] for p in screened})
    reps_text = (f"{reps[0]}" if len(reps) == 1 else f"{reps[0]} to {reps[-1]}") if reps else ""
    body.append(section("Options and mixes evaluated",
                        "<h3>The options (levers)</h3>" + options_table(out)
                        + f"<h3>Mixes evaluated, with at least {out.get('replications', {}).get('candidates')} "
                          f"replications ({len(out.get('evaluated', []))})</h3>"
                        + (f'<p class="note">A further {len(screened)} mixes were dropped after {reps_text} '
                           "replications each, because an evaluated mix beats them with 95% confidence "
                           "(light grey on the frontier chart).</p>" if screened else "")
                        + mixes_table(out), anchor="options"))
    body.append(section("Assumptions: every input, and where it comes from",
                        "<p>The levers' costs and effects are listed with their sources above; below, every input "
                        "of the scenario file, with whether the file marks it as sourced [S] or an estimate [E].</p>"
                        + assumptions_body(scenario_yaml), anchor="assumptions", new_page=True))
    body.append(reproduce_part(out, pseudonymise))
    privacy = aggregate_privacy("an investment report", pseudonymise)
    question = (f"best use of {gbp(out.get('budget_gbp'))}" if out.get("mode") == "budget"
                else f"least cost to meet {out.get('target', {}).get('expression')}")
    title = f"Investment options: {out.get('scenario', '')}"
    subtitle = (f"{question} · {out.get('horizon_weeks')} weeks from {out.get('start_date')} · "
                f"{out.get('replications', {}).get('final')} replications · seed {out.get('seed')}")
    footer = report_footer(out.get('version'), privacy)
    return RenderedReport(page(title, "\n".join(body), kicker="DFU investment options", subtitle=subtitle,
                               footer=footer), charts)


def scenario_text(out: dict, run_dir: Path | None) -> str | None:
    """The run folder's scenario.yaml copy, else the file recorded in invest.json if it still exists."""
    for p in ([run_dir / "scenario.yaml"] if run_dir is not None else []) + (
            [Path(out["scenario_file"])] if out.get("scenario_file") else []):
        try:
            return p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return None


def render_run_dir(run_dir: Path, summary: dict, *, pseudonymise: bool = False, salt: str | None = None
                   ) -> RenderedReport:
    """``dfu-sched report`` on an ``invest --out`` folder."""
    return render_invest(summary, scenario_text(summary, Path(run_dir)), pseudonymise=pseudonymise)
