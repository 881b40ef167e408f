"""The simulation report: findings in plain words, seven charts, the numbers, assumptions, how to re-run.

Why its own module: one page module per run kind. Everything on the page comes from a run
folder's ``summary.json`` (and the ``scenario.yaml``/``scenario.json`` copies beside it), so the
same folder always gives the same page; ``simulate --report`` renders from that folder too.
"""
from __future__ import annotations

import math
import shlex
from collections.abc import Sequence
from html import escape
from pathlib import Path

from dfu_sched.errors import InputError
from dfu_sched.reports.charts.common import render_charts
from dfu_sched.reports.charts.simulate import SIMULATION_CHARTS
from dfu_sched.reports.page import (
    RenderedReport,
    aggregate_privacy,
    assumptions_section,
    ci_text,
    est,
    facts,
    headline_box,
    num,
    numbered_figures,
    page,
    pct,
    report_footer,
    section,
    table,
    week_date,
    with_ci,
)
from dfu_sched.reports.precision_note import precision_html
from dfu_sched.reports.queue_note import queue_arguments, queue_facts
from dfu_sched.reports.run_files import parse_json_text
from dfu_sched.reports.text import small_n_note
from dfu_sched.reports.uncertainty_html import input_uncertainty_section


def reproduce_command(summary: dict, report_path: str | None = None, pseudonymised: bool = False) -> str:
    """The command line that re-runs this experiment exactly (the worker count does not matter)."""
    scen = summary.get("scenario_file") or "scenario.yaml"
    cmd = ["dfu-sched", "simulate", str(scen), "-n", str(summary.get("replications")),
           "--seed", str(summary.get("seed")), *queue_arguments(summary, pseudonymised)]
    cmd += ["--out", "RUN_DIR"]
    if report_path:
        cmd += ["--report", report_path]
    return " ".join(shlex.quote(c) if c != "RUN_DIR" else c for c in cmd)


def reproduce_section(summary: dict, *, pseudonymised: bool = False, extra: Sequence[tuple[str, str]] = ()) -> str:
    run = summary.get("run", {})
    pairs = [
        ("scenario", str(summary.get("scenario", "–"))),
        ("scenario file", str(summary.get("scenario_file") or "not recorded")),
        ("replications", str(summary.get("replications", "–"))),
        ("seed", str(summary.get("seed", "–"))),
        ("dfu-sched version", str(summary.get("version", "–"))),
        ("policy", f"{summary.get('policy', '–')}{' (preemptive)' if summary.get('preemptive') else ''}"),
        ("period", f"{summary.get('horizon_weeks', '–')} weeks from {summary.get('start_date', '–')}"
                   f" (warm-up {num(summary.get('warmup_weeks'), 0)} weeks)"),
        ("run time", f"{run.get('seconds', 0):.1f} s, {run.get('events', 0):,} events, "
                     f"{run.get('workers', 1)} worker(s)" if run else "–"),
        *queue_facts(summary, pseudonymised),
        *extra,
        ("pseudonymised", "yes" if pseudonymised else "no"),
    ]
    body = facts(pairs)
    if run.get("precision"):  # -n auto: how many replications were needed (the command below re-runs them)
        body += precision_html(run["precision"])
    body += ("<p>To reproduce these numbers exactly (any number of workers gives the same result), run "
             "the scenario file with the same seed and replications; a copy of the file is kept in the "
             "run folder as <code>scenario.yaml</code>:</p>")
    body += f"<pre>{escape(reproduce_command(summary, pseudonymised=pseudonymised))}</pre>"
    body += ("<p class=\"note\">Intervals are two-sided 95% Student-t confidence intervals of the mean over "
             f"replications; each replication is an independent {summary.get('horizon_weeks')}-week history of "
             "the same DFU with "
             "different random arrivals and work times. Percentiles (P50, P90, P95) are computed within "
             "each replication and then averaged.</p>")
    return section("Reproducing this report", body, anchor="reproduce")


_TIER_PHRASE = {"VH": "very-high-risk", "H": "high-risk", "M": "medium-risk", "L": "low-risk"}


def tier_phrase(name: str) -> str:
    return _TIER_PHRASE.get(name, f"{name}-tier")


def simulation_headline(summary: dict) -> list[str]:
    """Plain-words findings, each one sentence with its uncertainty: what a panel member reads."""
    items: list[str] = []
    overall = summary.get("overall", {})
    w = overall.get("wait_to_start_days", {})
    p50 = w.get("p50")
    if est(p50) is not None:
        ci = ci_text(p50)
        items.append(f"<strong>Median wait to start examination: {num(est(p50))} days</strong>"
                     f"{' (' + ci + ')' if ci else ''}, all risk tiers, for devices whose examination "
                     f"started in the {summary.get('horizon_weeks')} weeks from "
                     f"{escape(week_date(summary, 0))}.")
    tiers = list(summary.get("tiers", {}).items())
    for name, b in tiers[:2]:
        share = b.get("within_target_share")
        target = b.get("target_days")
        if est(share) is None or target is None:
            continue
        ci = ci_text(share, 0, percent=True)
        items.append(f"<strong>{pct(est(share))} of {escape(tier_phrase(name))} ({escape(name)}) devices</strong> "
                     f"started within their {num(target)}-day target{' (' + ci + ')' if ci else ''}; their median "
                     f"wait was {num(est(b.get('wait_to_start_days', {}).get('p50')))} days.")
    bw = summary.get("backlog_weekly", {})
    aw = bw.get("backlog.awaiting_examination")
    if aw and aw.get("mean"):
        start, end = aw["mean"][0], aw["mean"][-1]
        end_block = {"estimate": end, "ci95": [aw["ci95_low"][-1], aw["ci95_high"][-1]]}
        if start is not None and end is not None:
            trend = "rising" if end > start * 1.02 else "falling" if end < start * 0.98 else "about level"
            mw = bw.get("months_of_work", {}).get("mean", [])
            months = f", about {num(mw[-1], 1)} months of work" if mw and mw[-1] is not None else ""
            items.append(f"<strong>Devices awaiting examination: {num(start)} at the start, "
                         f"{with_ci(end_block)} after {summary.get('horizon_weeks')} weeks</strong> "
                         f"({trend}{months}).")
    tp = summary.get("throughput_per_week", {})
    done, came = est(tp.get("examined")), est(tp.get("submitted"))
    util = est(summary.get("utilisation", {}).get("all examiners"))
    if done is not None and came is not None:
        busy = f"Examiners are busy {pct(util)} of their rostered hours and " if util is not None else ""
        if came > done * 1.01:
            verdict = "more arrive than are examined, so the queue grows unless capacity rises or demand falls."
        elif done > came * 1.01:
            verdict = "more are examined than arrive, so the queue shrinks."
        else:
            verdict = "throughput and arrivals are about equal, so the queue stays where it is."
        items.append(f"{busy}examine <strong>{num(done, 1)} devices a week</strong> against "
                     f"<strong>{num(came, 1)} submitted</strong>: {verdict}")
    late = [(n, est(b.get("past_target_at_end"))) for n, b in tiers[:2]]
    late = [(n, v) for n, v in late if v is not None]
    if late:
        parts = " and ".join(f"{num(v)} {escape(n)}" for n, v in late)
        items.append(f"At the end of the period <strong>{parts} devices</strong> are still waiting beyond "
                     "their target.")
    never = []
    for thr, v in sorted(summary.get("first_week_below", {}).items(), key=lambda kv: _float(kv[0])):
        reached = v.get("reached_share", 0.0) or 0.0
        if reached == 0:
            never.append(thr)
        else:
            wk = est(v)
            items.append(f"The average wait to start first falls below {escape(thr)} days around "
                         f"{escape(week_date(summary, wk))} (week {num(wk)}; {ci_text(v)}), in "
                         f"{pct(reached)} of replications.")
    if never:
        limits = " or ".join(escape(t) for t in never)
        items.append(f"The average wait to start <strong>never falls below {limits} days</strong> within the "
                     f"{summary.get('horizon_weeks')} weeks, in any replication.")
    return items


def _float(s: str) -> float:
    try:
        return float(s)
    except ValueError:
        return math.inf


def simulation_tables(summary: dict) -> str:
    """The numbers behind the charts, for readers who want them exactly."""
    scopes = list(summary.get("tiers", {}).items()) + [("all tiers", summary.get("overall", {}))]
    rows = []
    for name, b in scopes:
        w = b.get("wait_to_start_days", {})
        rows.append([name, num(b.get("target_days")) if "target_days" in b else "", with_ci(w.get("mean")),
                     num(est(w.get("p50"))), num(est(w.get("p90"))), num(est(w.get("p95"))),
                     with_ci(b.get("within_target_share"), 0, percent=True), num(est(b.get("started")))])
    out = ["<h3>Wait to start examination (days)</h3>",
           table(["tier", "target", "mean", "P50", "P90", "P95", "within target", "started"], rows)]
    rows = []
    for name, b in scopes:
        w = b.get("time_to_complete_days", {})
        rows.append([name, with_ci(w.get("mean")), num(est(w.get("p50"))), num(est(w.get("p90"))),
                     num(est(w.get("p95"))), num(est(b.get("completed")))])
    out += ["<h3>Time from submission to completed examination (days)</h3>",
            table(["tier", "mean", "P50", "P90", "P95", "completed"], rows)]
    rows = [[name, with_ci(b.get("exposure")), num(est(b.get("waiting_at_end"))), num(est(b.get("past_target_at_end")))]
            for name, b in scopes]
    tiers = list(summary.get("tiers", {}).items())
    example = ""
    if len(tiers) >= 2 and tiers[0][1].get("weight") and tiers[-1][1].get("weight"):
        (hi_name, hi), (lo_name, lo) = tiers[0], tiers[-1]
        example = (f": a day waited by a {escape(tier_phrase(hi_name))} device counts as much as "
                   f"{num(hi['weight'] / lo['weight'], 1 if (hi['weight'] / lo['weight']) % 1 else 0)} days "
                   f"waited by {escape(tier_phrase(lo_name))} devices")
    out += ["<h3>Child-safeguarding exposure and devices left waiting</h3>",
            '<p class="note">Exposure = tier weight × device-days spent waiting for examination in the period'
            f"{example} (weights are set in the scenario).</p>",
            table(["tier", "exposure (weighted device-days)", "waiting at end", "past target at end"], rows)]
    bw = summary.get("backlog_weekly", {})
    weeks = bw.get("week", [])
    aw, mw = bw.get("backlog.awaiting_examination"), bw.get("months_of_work")
    if weeks and aw:
        marks = sorted({0, *range(13, weeks[-1], 13), weeks[-1]})
        rows = []
        for wk in marks:
            i = weeks.index(wk)
            block = {"estimate": aw["mean"][i], "ci95": [aw["ci95_low"][i], aw["ci95_high"][i]]}
            rows.append([f"week {wk}", week_date(summary, wk), with_ci(block),
                         num(mw["mean"][i], 1) if mw else "–"])
        out += ["<h3>Backlog awaiting examination, quarter by quarter</h3>",
                table(["", "date", "devices", "months of work"], rows, numeric=[False, False, True, True])]
    rows = [[k, with_ci(v, 0, percent=True)] for k, v in summary.get("utilisation", {}).items()]
    rows += [[f"{k.replace('_', ' ')} per week", with_ci(v, 1)]
             for k, v in summary.get("throughput_per_week", {}).items()]
    out += ["<h3>Utilisation and throughput</h3>", table(["measure", "value"], rows)]
    return "\n".join(out)


def render_simulation(summary: dict, scenario_yaml: str | None, *, pseudonymise: bool = False,
                      scenario_model: dict | None = None) -> RenderedReport:
    """The simulation report and its charts.

    ``pseudonymise`` is accepted for every report kind; a simulation summary holds aggregates
    only (no case or device references), so there is nothing to replace and the report says so.
    """
    require_keys(summary, ("tiers", "overall", "backlog_weekly"), "simulation")
    charts = render_charts(summary, SIMULATION_CHARTS)
    fig = numbered_figures(charts)

    body = [headline_box(simulation_headline(summary))]
    body.append('<p class="note">Results of a simulation, not a forecast: each figure is the mean over '
                f"{summary.get('replications')} simulated histories of the DFU described under "
                "<em>Assumptions</em>, with 95% confidence intervals. Change the assumptions and the numbers "
                "change; the estimates [E] among them should be replaced with the force's own data.</p>")
    note = small_n_note(summary.get("replications"))
    if note:
        body.append(f'<p class="note"><strong>{escape(note)}</strong></p>')
    body.append(section("Backlog", fig("backlog") + fig("months_of_work"), anchor="backlog"))
    body.append(section("Waits by risk tier", fig("wait_by_tier") + fig("within_target") + fig("past_target"),
                        anchor="waits"))
    body.append(section("Capacity", fig("utilisation") + fig("throughput"), anchor="capacity"))
    body.append(input_uncertainty_section(summary.get("input_uncertainty")))  # simulate --input-uncertainty
    body.append(section("The numbers", simulation_tables(summary), anchor="numbers"))
    body.append(assumptions_section(scenario_yaml, scenario_model))
    privacy = aggregate_privacy("a simulation report", pseudonymise)
    body.append(reproduce_section(summary, pseudonymised=pseudonymise))
    title = f"Digital forensic backlog: {summary.get('scenario', 'simulation')}"
    subtitle = (f"Simulation of {summary.get('horizon_weeks')} weeks from {week_date(summary, 0)} · policy "
                f"{summary.get('policy')} · {summary.get('replications')} replications · seed {summary.get('seed')}")
    footer = report_footer(summary.get('version'), privacy)
    return RenderedReport(page(title, "\n".join(body), kicker="DFU backlog simulation", subtitle=subtitle,
                               footer=footer), charts)


def render_simulation_report(summary: dict, scenario_yaml: str | None, *, pseudonymise: bool = False,
                             scenario_model: dict | None = None) -> str:
    """HTML of a simulation report (see :func:`render_simulation`)."""
    return render_simulation(summary, scenario_yaml, pseudonymise=pseudonymise,
                             scenario_model=scenario_model).html


def require_keys(summary: dict, keys: Sequence[str], kind: str) -> None:
    """One line naming what a summary lacks (checked before the schema, for a clearer message)."""
    missing = [k for k in keys if k not in summary]
    if missing:
        raise InputError(f"summary.json is not a complete {kind} summary (missing {', '.join(missing)})")


def _read_optional(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError, IsADirectoryError):
        return None


def render_run_dir(run_dir: Path, summary: dict, *, pseudonymise: bool = False, salt: str | None = None
                   ) -> RenderedReport:
    """``dfu-sched report`` on a ``simulate --out`` folder (``salt`` unused: nothing to pseudonymise)."""
    yaml_text = _read_optional(run_dir / "scenario.yaml")
    model_text = _read_optional(run_dir / "scenario.json")
    model = None
    if model_text:
        try:  # strict (no NaN); an unreadable copy only loses the "defaults" rows, as before
            model = parse_json_text(model_text.encode("utf-8"), "scenario.json")
        except InputError:
            model = None
        model = model if isinstance(model, dict) else None
    return render_simulation(summary, yaml_text, pseudonymise=pseudonymise, scenario_model=model)
