"""Self-contained HTML reports: charts as inline SVG, print CSS for A4, no network at view time.

A report is one file a DFU manager can e-mail to a chief officer or print for a Police and
Crime Panel: the page carries its own CSS and pictures, and no script runs. Every number on it
comes from a run folder's JSON (``summary.json``, ``compare.json``, ``invest.json``, or a plan's
``.json``) plus the scenario files copied beside it, so the same folder always gives the same report.

Building blocks (``page``, ``figure``, ``table``, ``headline_box``, ``assumptions_section``,
``reproduce_section``) are shared by every kind of report; ``render_report`` dispatches on the
summary's ``"kind"``.
"""
from __future__ import annotations

import datetime as dt
import importlib
import math
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from dfu_sched.errors import InputError
from dfu_sched.reports.text import small_n_note

# ---- formatting ------------------------------------------------------------------------------------


def num(x, digits: int = 0) -> str:
    """``1,234`` / ``12.3``; a dash for missing values (never "nan" on a page)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:,.{digits}f}"


def pct(x, digits: int = 0) -> str:
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{100 * x:.{digits}f}%"


def est(block: dict | None):
    return (block or {}).get("estimate")


def ci_text(block: dict | None, digits: int = 0, percent: bool = False) -> str:
    """``95% CI 426–434`` for an interval dict, or '' when it has none (one replication)."""
    lo, hi = (block or {}).get("ci95", [None, None])
    if lo is None or hi is None:
        return ""
    f = (lambda v: pct(v, digits)) if percent else (lambda v: num(v, digits))
    return f"95% CI {f(lo)}–{f(hi)}"


def with_ci(block: dict | None, digits: int = 0, percent: bool = False) -> str:
    """``430 (95% CI 426–434)``."""
    v = est(block)
    main = pct(v, digits) if percent else num(v, digits)
    ci = ci_text(block, digits, percent)
    return f"{main} ({ci})" if ci else main


def week_date(summary: dict, week: float) -> str:
    """``14 Mar 2024`` for a week number of the run (``week N`` if the start date is unknown)."""
    try:
        d = dt.date.fromisoformat(summary["start_date"]) + dt.timedelta(weeks=float(week))
        return d.strftime("%-d %b %Y")
    except (KeyError, TypeError, ValueError):
        return f"week {week:g}"


# ---- page skeleton ---------------------------------------------------------------------------------

CSS = """
:root { --ink:#1d1d1f; --muted:#5b5b60; --rule:#d9d9de; --accent:#0b4f8a; --warn:#a4161a; --panel:#f4f6f9; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font-family: "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif;
       color: var(--ink); margin: 0; line-height: 1.45; font-size: 15px; background: #fff; }
main { max-width: 940px; margin: 0 auto; padding: 28px 28px 48px; }
header.report-head { border-bottom: 3px solid var(--accent); padding-bottom: 10px; margin-bottom: 18px; }
header.report-head .kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: var(--accent);
       font-weight: 600; }
h1 { font-size: 26px; margin: 4px 0 6px; line-height: 1.2; }
h2 { font-size: 19px; margin: 30px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--rule);
     color: var(--accent); break-after: avoid; page-break-after: avoid; }
h3 { font-size: 15px; margin: 18px 0 6px; break-after: avoid; page-break-after: avoid; }
p { margin: 6px 0 10px; }
.sub { color: var(--muted); font-size: 14px; margin: 0; }
.headline { background: var(--panel); border-left: 6px solid var(--warn); padding: 12px 18px 10px; margin: 16px 0 8px;
            break-inside: avoid; page-break-inside: avoid; }
.headline h2 { border: 0; margin: 0 0 6px; padding: 0; color: var(--ink); font-size: 17px; }
.headline ul { margin: 0; padding-left: 20px; }
.headline li { margin: 4px 0; }
.headline strong { font-weight: 700; }
figure.chart-figure { margin: 18px 0 22px; break-inside: avoid; page-break-inside: avoid; }
figure.chart-figure .fig-title { font-weight: 600; font-size: 15px; margin: 0 0 4px; }
figure.chart-figure svg { display: block; width: 100%; height: auto; max-width: 100%; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); vertical-align: top; text-align: left; }
th { background: var(--panel); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
table.assumptions td:nth-child(1) { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 12px;
       overflow-wrap: anywhere; width: 28%; }
table.assumptions td:nth-child(2) { word-break: break-word; width: 26%; }
table.assumptions td:nth-child(3) { white-space: nowrap; }
.tag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; font-weight: 600; }
.tag.sourced { background: #dbeafe; color: #0b3b75; }
.tag.estimate { background: #fde8cf; color: #7a3a00; }
.tag.comment, .tag.default { background: #ececec; color: #444; }
.tag.none { background: #f8d7da; color: #7a1118; }
.tiertag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; font-weight: 600;
           -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.note { color: var(--muted); font-size: 13px; }
code, pre { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 12.5px; }
pre { background: var(--panel); padding: 8px 10px; white-space: pre-wrap; word-break: break-all; margin: 6px 0 12px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 6px 0 12px; font-size: 14px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.header-comment { white-space: pre-wrap; font-size: 13px; color: var(--muted); border-left: 3px solid var(--rule);
                  padding-left: 10px; margin: 6px 0 12px; }
footer { margin-top: 36px; border-top: 1px solid var(--rule); padding-top: 8px; font-size: 12px; color: var(--muted); }
@page { size: A4; margin: 14mm 13mm 16mm; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  h1 { font-size: 19pt; }
  h2 { font-size: 14pt; margin-top: 16pt; }
  table { font-size: 8.5pt; }
  figcaption, .note { font-size: 8.5pt; }
  figure.chart-figure { margin: 8pt 0 12pt; }
  .headline { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .tag, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section.page-break { break-before: page; page-break-before: always; }
  a { color: inherit; text-decoration: none; }
}
"""


def page(title: str, body: str, *, kicker: str = "dfu-sched report", subtitle: str = "",
         footer: str = "", extra_css: str = "") -> str:
    """A complete HTML document: inline CSS (screen and A4 print), no scripts, no external links.

    ``extra_css`` is appended after the shared rules (e.g. a landscape ``@page`` for wide tables).
    """
    sub = f'<p class="sub">{escape(subtitle)}</p>' if subtitle else ""
    foot = f"<footer>{footer}</footer>" if footer else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}{extra_css}</style>\n</head>\n<body>\n<main>\n"
        f'<header class="report-head"><div class="kicker">{escape(kicker)}</div>'
        f"<h1>{escape(title)}</h1>{sub}</header>\n{body}\n{foot}\n</main>\n</body>\n</html>\n"
    )


def section(title: str, body: str, *, anchor: str = "", new_page: bool = False) -> str:
    cls = ' class="page-break"' if new_page else ""
    ident = f' id="{escape(anchor)}"' if anchor else ""
    return f"<section{ident}{cls}>\n<h2>{escape(title)}</h2>\n{body}\n</section>\n"


def figure(svg: str, title: str, caption: str, *, name: str, number: int | None = None) -> str:
    """A chart with its title above and how-to-read caption below; never split across pages."""
    label = f"Figure {number}. " if number is not None else ""
    return (f'<figure class="chart-figure" id="fig-{escape(name)}">\n'
            f'<div class="fig-title">{escape(label + title)}</div>\n{svg}\n'
            f"<figcaption>{escape(caption)}</figcaption>\n</figure>\n")



def aggregate_privacy(what: str, pseudonymise: bool) -> str:
    """The privacy line of a report built from simulated totals (nothing to pseudonymise)."""
    if pseudonymise:
        return (f"Pseudonymisation requested: {what} shows only totals over simulated devices, "
                "with no case or device references, so nothing needed replacing.")
    return "This report shows only totals over simulated devices: no case or device references."


def report_footer(version, privacy: str, paper: str = "A4") -> str:
    """The footer every report page shares: version, privacy, and that it is self-contained."""
    return (f"dfu-sched {escape(str(version or ''))} · {escape(privacy)} · "
            f"Self-contained page: no scripts, no network; prints on {paper}.")


def numbered_figures(charts):
    """``fig(name)``: the named chart as a numbered figure (numbers follow the order used)."""
    by_name = {c.spec.name: c for c in charts}
    count = [0]

    def fig(name: str) -> str:
        c = by_name.get(name)
        if c is None:
            return ""
        count[0] += 1
        return figure(c.svg, c.spec.title, c.spec.caption, name=name, number=count[0])

    return fig


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: Sequence[bool] | None = None,
          cls: str = "", raw: bool = False) -> str:
    """An HTML table; ``numeric`` right-aligns columns; cells are escaped unless ``raw``."""
    numeric = list(numeric) if numeric is not None else [False] + [True] * (len(header) - 1)
    c = (lambda s: str(s)) if raw else (lambda s: escape(str(s)))

    def cell(tag: str, v, i: int) -> str:
        klass = ' class="n"' if i < len(numeric) and numeric[i] else ""
        return f"<{tag}{klass}>{c(v)}</{tag}>"

    head = "".join(cell("th", h, i) for i, h in enumerate(header))
    body = "\n".join("<tr>" + "".join(cell("td", v, i) for i, v in enumerate(r)) + "</tr>" for r in rows)
    klass = f' class="{escape(cls)}"' if cls else ""
    return f"<table{klass}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>\n"


def tier_tag(tier: str, tiers: Sequence[str]) -> str:
    """A risk tier as a coloured tag: the tier's one colour from ``charts.TIER_COLOURS`` (Okabe-Ito),
    with the text colour of higher contrast, so every report kind shows a tier the same way."""
    from dfu_sched.reports.charts import ink_on, tier_colour

    colour = tier_colour(tier, tiers)
    return f'<span class="tiertag" style="background:{colour};color:{ink_on(colour)}">{escape(tier)}</span>'


def headline_box(items: Sequence[str], title: str = "In brief") -> str:
    """The plain-words summary at the top. ``items`` are trusted HTML fragments (built here)."""
    lis = "\n".join(f"<li>{i}</li>" for i in items)
    return f'<div class="headline" role="note">\n<h2>{escape(title)}</h2>\n<ul>\n{lis}\n</ul>\n</div>\n'


def facts(pairs: Sequence[tuple[str, str]]) -> str:
    inner = "\n".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in pairs)
    return f'<dl class="facts">\n{inner}\n</dl>\n'


# ---- assumptions and reproducibility ---------------------------------------------------------------

_STATUS_TEXT = {"sourced": "[S] sourced", "estimate": "[E] estimate", "comment": "comment, no marker",
                "not annotated": "not annotated", "default": "model default"}


def _tag(status: str) -> str:
    klass = "none" if status == "not annotated" else status
    return f'<span class="tag {klass}">{escape(_STATUS_TEXT.get(status, status))}</span>'


def assumptions_section(scenario_yaml: str | None, scenario_model: dict | None = None, *,
                        heading: str = "Assumptions: every input, and where it comes from") -> str:
    """Each input of the scenario with its value and its source marker, read from the file's comments.

    ``scenario_model``: the validated scenario (``scenario.json``), to list defaults the file
    did not set. Without a scenario file the section says so rather than pretending.
    """
    return section(heading, assumptions_body(scenario_yaml, scenario_model), anchor="assumptions", new_page=True)


def assumptions_body(scenario_yaml: str | None, scenario_model: dict | None = None) -> str:
    """The inside of an assumptions section for one scenario file (reports of several files repeat it)."""
    from dfu_sched.reports.assumptions import (
        defaults_not_in_file,
        group_rows,
        header_comment,
        parse_assumptions,
        status_counts,
    )

    if not scenario_yaml:
        return ('<p class="note">The run folder has no copy of the scenario file (scenario.yaml), so the '
                "inputs' sources cannot be shown. Re-run with the scenario file to get this section.</p>")
    try:
        stated = parse_assumptions(scenario_yaml)
    except Exception as exc:  # a YAML error in a copied file: say so, keep the rest of the report
        return f'<p class="note">The scenario file could not be read for assumptions: {escape(str(exc))}</p>'
    defaults = defaults_not_in_file(scenario_model, stated) if scenario_model else []
    rows_stated = group_rows(stated)
    counts = status_counts(rows_stated)
    parts = []
    head = header_comment(scenario_yaml)
    if head:
        parts.append("<h3>What the scenario file says about itself</h3>")
        parts.append(f'<div class="header-comment">{escape(head)}</div>')
    parts.append(
        f"<p>The scenario file sets {len(rows_stated)} inputs (one row each below): <strong>{counts.get('sourced', 0)} sourced [S]</strong> "
        f"(a public source is named in the file), <strong>{counts.get('estimate', 0)} estimates [E]</strong>, "
        f"{counts.get('comment', 0)} with a comment but no marker and {counts.get('not annotated', 0)} not "
        "annotated. An input without its own comment takes the comment of the key it sits under "
        "(shown as “from …”). Estimates are defaults to be overwritten with the force's own data.</p>")
    rows = []
    for a in rows_stated:
        note = escape(a.note)
        if a.inherited_from:
            note = f'<span class="note">from {escape(a.inherited_from)}:</span> {note}'
        rows.append([_breakable_path(a.path), escape(a.value), _tag(a.status), note])
    parts.append(table(["input", "value", "status", "comment in the file"], rows,
                       numeric=[False] * 4, cls="assumptions", raw=True))
    if defaults:
        parts.append("<h3>Inputs the file leaves to the model's defaults</h3>")
        parts.append(table(["input", "value", "status", ""],
                           [[_breakable_path(a.path), escape(a.value), _tag("default"), ""]
                            for a in group_rows(defaults)],
                           numeric=[False] * 4, cls="assumptions", raw=True))
    return "\n".join(parts)


def _breakable_path(path: str) -> str:
    """Escaped key path with line-break chances after dots and before brackets, not mid-word."""
    return escape(path).replace(".", ".<wbr>").replace("[", "<wbr>[")


def reproduce_command(summary: dict, report_path: str | None = None) -> str:
    """The command line that re-runs this experiment exactly (the worker count does not matter)."""
    scen = summary.get("scenario_file") or "scenario.yaml"
    cmd = ["dfu-sched", "simulate", str(scen), "-n", str(summary.get("replications")),
           "--seed", str(summary.get("seed"))]
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
        *extra,
        ("pseudonymised", "yes" if pseudonymised else "no"),
    ]
    body = facts(pairs)
    body += ("<p>To reproduce these numbers exactly (any number of workers gives the same result), run "
             "the scenario file with the same seed and replications; a copy of the file is kept in the "
             "run folder as <code>scenario.yaml</code>:</p>")
    body += f"<pre>{escape(reproduce_command(summary))}</pre>"
    body += ("<p class=\"note\">Intervals are two-sided 95% Student-t confidence intervals of the mean over "
             f"replications; each replication is an independent {summary.get('horizon_weeks')}-week history of "
             "the same DFU with "
             "different random arrivals and work times. Percentiles (P50, P90, P95) are computed within "
             "each replication and then averaged.</p>")
    return section("Reproducing this report", body, anchor="reproduce")


# ---- the simulation report -------------------------------------------------------------------------

@dataclass
class RenderedReport:
    """A report's HTML and the charts in it (for ``--figures`` export without redrawing)."""

    html: str
    charts: list = field(default_factory=list)


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
    rows += [[f"{k.replace('_', ' ')} per week", with_ci(v, 1)] for k, v in summary.get("throughput_per_week", {}).items()]
    out += ["<h3>Utilisation and throughput</h3>", table(["measure", "value"], rows)]
    return "\n".join(out)


def render_simulation(summary: dict, scenario_yaml: str | None, *, pseudonymise: bool = False,
                      scenario_model: dict | None = None) -> RenderedReport:
    """The simulation report and its charts.

    ``pseudonymise`` is accepted for every report kind; a simulation summary holds aggregates
    only (no case or device references), so there is nothing to replace and the report says so.
    """
    from dfu_sched.reports.charts import SIMULATION_CHARTS, render_charts

    _require(summary, ("tiers", "overall", "backlog_weekly"), "simulation")
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


def _require(summary: dict, keys: Sequence[str], kind: str) -> None:
    missing = [k for k in keys if k not in summary]
    if missing:
        raise InputError(f"summary.json is not a complete {kind} summary (missing {', '.join(missing)})")


# ---- run folders and dispatch ----------------------------------------------------------------------

@dataclass(frozen=True)
class ReportOptions:
    pseudonymise: bool = False
    salt: str | None = None


Renderer = Callable[[Path, dict, ReportOptions], RenderedReport]


def _simulation_from_dir(run_dir: Path, summary: dict, opts: ReportOptions) -> RenderedReport:
    yaml_text = _read_optional(run_dir / "scenario.yaml")
    model_text = _read_optional(run_dir / "scenario.json")
    model = None
    if model_text:
        from dfu_sched.reports.run_files import parse_json_text

        try:  # strict (no NaN); an unreadable copy only loses the "defaults" rows, as before
            model = parse_json_text(model_text.encode("utf-8"), "scenario.json")
        except InputError:
            model = None
        model = model if isinstance(model, dict) else None
    return render_simulation(summary, yaml_text, pseudonymise=opts.pseudonymise, scenario_model=model)


def _delegate(module: str, function: str) -> Renderer:
    """A renderer living in another module, imported only when that kind of report is asked for.

    The module's ``function(run_dir, summary, pseudonymise=..., salt=...)`` returns HTML text or a
    :class:`RenderedReport`; until it exists, asking for that report is a clear one-line error.
    """

    def render(run_dir: Path, summary: dict, opts: ReportOptions) -> RenderedReport:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            mod = None
        fn = getattr(mod, function, None)
        if fn is None:
            raise InputError(f"{run_dir}: HTML reports for {summary.get('kind')!r} runs are not available "
                             f"in this version (needs {module}.{function})")
        out = fn(run_dir, summary, pseudonymise=opts.pseudonymise, salt=opts.salt)
        return out if isinstance(out, RenderedReport) else RenderedReport(str(out))

    return render


#: summary.json "kind" -> renderer. Compare, invest and plan reports plug in here.
RENDERERS: dict[str, Renderer] = {
    "simulation": _simulation_from_dir,
    "compare": _delegate("dfu_sched.reports.compare_html", "render_run_dir"),
    "invest": _delegate("dfu_sched.reports.invest_html", "render_run_dir"),
    "plan": _delegate("dfu_sched.reports.plan_html", "render_run_dir"),
}


#: The JSON file each command writes into its --out folder, in the order a folder is searched.
RUN_FILES = ("summary.json", "compare.json", "invest.json", "plan.json")


def is_plan_document(doc: object) -> bool:
    """A ``plan --out x.json`` document: it has no "kind" field, so recognise it by its shape."""
    return (isinstance(doc, dict) and isinstance(doc.get("summary"), dict) and "week_start" in doc["summary"]
            and isinstance(doc.get("devices"), list) and isinstance(doc.get("examiners"), list))


def locate_run(path: str | Path) -> tuple[Path, Path]:
    """(run folder, JSON file) for a run folder or a JSON file given directly (e.g. plan.json)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such run folder")
    if path.is_file():
        if path.suffix.lower() != ".json":
            raise InputError(f"{path}: not a folder or a .json file (give the folder written by --out, "
                             "or a plan's .json)")
        return path.parent, path
    if not path.is_dir():
        raise InputError(f"{path}: not a folder (give the run folder written by --out)")
    for name in RUN_FILES:
        if (path / name).is_file():
            return path, path / name
    raise InputError(f"{path}: no summary.json, compare.json, invest.json or plan.json "
                     "(is this a folder written by --out?)")


def read_run_file(json_path: Path) -> dict:
    """A run's JSON, checked against its kind's schema (``run_files``), with "kind" filled in for
    plan documents (which have none)."""
    from dfu_sched.reports.run_files import read_json_file, validate_run_document

    summary = read_json_file(json_path)
    if is_plan_document(summary):
        summary = {**summary, "kind": "plan"}
    elif not isinstance(summary, dict) or not isinstance(summary.get("kind"), str):
        raise InputError(f"{json_path}: no \"kind\" field (not a dfu-sched summary)")
    elif summary["kind"] not in RENDERERS:
        raise InputError(f"{json_path}: kind: unknown kind (expected one of {', '.join(RENDERERS)})")
    if summary["kind"] == "simulation":
        _require(summary, ("tiers", "overall", "backlog_weekly"), "simulation")
    validate_run_document(summary, summary["kind"], str(json_path))
    return summary


def read_run_dir(run_dir: str | Path) -> dict:
    """The run folder's summary (summary.json, compare.json, invest.json or plan.json), checked."""
    return read_run_file(locate_run(run_dir)[1])


def default_report_path(path: str | Path) -> Path:
    """Where ``dfu-sched report`` writes without -o: RUN_DIR/report.html, or NAME.report.html beside a file."""
    path = Path(path)
    return path.with_name(f"{path.stem}.report.html") if path.is_file() else path / "report.html"


def build_report(run_dir: str | Path, *, pseudonymise: bool = False, salt: str | None = None) -> RenderedReport:
    """Read a run folder (or a plan's .json) and render the report its kind calls for."""
    folder, json_path = locate_run(run_dir)
    summary = read_run_file(json_path)
    kind = summary["kind"]
    renderer = RENDERERS.get(kind)
    if renderer is None:
        raise InputError(f"{json_path}: unknown kind {kind!r} (expected one of {', '.join(RENDERERS)})")
    try:
        return renderer(folder, summary, ReportOptions(pseudonymise, salt))
    except (KeyError, TypeError, IndexError, ValueError, AttributeError, ArithmeticError, RecursionError):
        # A safety net behind the schema check: the exception's text can quote a value (even a case
        # reference), so the message names the file and the kind only.
        raise InputError(f"{json_path}: incomplete or malformed {kind} summary (not the shape dfu-sched "
                         "writes: edited, or from another version?)") from None


def render_report(run_dir: str | Path, *, pseudonymise: bool = False, salt: str | None = None) -> str:
    """HTML of the report for a run folder or a plan's .json (any kind)."""
    return build_report(run_dir, pseudonymise=pseudonymise, salt=salt).html


def _read_optional(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError, IsADirectoryError):
        return None
