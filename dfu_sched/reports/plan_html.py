"""The weekly plan as one printable, self-contained page (inline CSS and SVG, no scripts).

One renderer for every way a plan becomes a page: ``plan --out x.html``, ``plan --report`` and
``dfu-sched report plan.json`` all call :func:`render_plan_report` on the plan's JSON document, so
they give the same bytes, with one tier palette (``charts.palette.TIER_COLOURS``, Okabe-Ito) and
one Gantt geometry (``charts.plan``: the week chart and each examiner's strip). A4 landscape.
"""
from __future__ import annotations

import re
import secrets
import shlex
from html import escape
from pathlib import Path

from dfu_sched.privacy import FILE_PLACEHOLDER, PLAN_FIELDS, Pseudonymiser, is_marked, marker
from dfu_sched.reports.charts.common import render_charts
from dfu_sched.reports.charts.plan import PLAN_CHARTS, examiner_strip, plan_tiers, working_day_span
from dfu_sched.reports.page import RenderedReport, facts, figure, headline_box, page, section, table, tier_tag

# ---- the plan in the shared report format (``dfu-sched report plan.json``, ``plan --report``) ------


REPORT_CSS = """
@page { size: A4 landscape; margin: 12mm 12mm 14mm; }
.examiner-head { break-inside: avoid; page-break-inside: avoid; break-after: avoid; page-break-after: avoid; }
.examiner-head svg { display:block; width:100%; height:auto; margin: 4px 0 2px; }
table.plan td:last-child { min-width: 34%; }
@media print { .examiner-head svg rect { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  figure.chart-figure { max-width: 165mm; } }
"""
LATER_ROWS = 100


def already_pseudonymised(doc: dict) -> bool:
    """True when the plan file records that the pseudonymiser wrote it (``plan --pseudonymise``).

    Decided from the file's own record (key fingerprint and fields), never from the look of the
    values: real references such as ``D-240101`` can look exactly like pseudonyms.
    """
    return is_marked(doc)


def pseudonymise_plan(doc: dict, salt: str | None) -> dict:
    """A copy of a plan document with device, case and examiner references and file names replaced.

    Same key and prefixes as ``plan --pseudonymise`` (so the same --salt gives the same pseudonyms);
    the warnings and the reasons name devices in free text, so whole references are replaced there too.
    The copy carries the pseudonymiser's record (key fingerprint, fields).
    """
    key = salt if salt else secrets.token_bytes(32)
    rows = doc.get("devices", [])
    dev = Pseudonymiser(key, prefix="D-").mapping(str(r["device"]) for r in rows)
    case = Pseudonymiser(key, prefix="C-").mapping(str(r["case"]) for r in rows if r.get("case"))
    exs = Pseudonymiser(key, prefix="E-").mapping(
        [str(e["examiner"]) for e in doc.get("examiners", []) if e.get("examiner")]
        + [str(r["examiner"]) for r in rows if r.get("examiner")])
    names = {**exs, **case, **dev}  # warnings and reasons name devices, cases and examiners
    pattern = (re.compile("|".join(rf"(?<![\w/-]){re.escape(k)}(?![\w/-])"
                                   for k in sorted(names, key=len, reverse=True) if k))
               if names else None)

    def text(s: str) -> str:
        return pattern.sub(lambda m: names[m.group(0)], s) if pattern else s

    def ex(r) -> str:
        return exs.get(str(r).strip(), "") if r else r

    out = dict(doc)
    out["devices"] = [{**r, "device": dev[str(r["device"]).strip()], "examiner": ex(r.get("examiner", "")),
                       "case": case.get(str(r["case"]).strip(), "") if r.get("case") else r.get("case", ""),
                       **({"reason": text(str(r["reason"]))} if r.get("reason") else {})}  # reasons name rivals
                      for r in rows]
    out["examiners"] = [{**e, "examiner": ex(e.get("examiner", ""))} for e in doc.get("examiners", [])]
    out["warnings"] = [text(str(w)) for w in doc.get("warnings", [])]
    out["summary"] = {**doc.get("summary", {}),
                      "infeasible_deadlines": [dev.get(str(x).strip(), text(str(x)))
                                               for x in doc.get("summary", {}).get("infeasible_deadlines", [])]}
    if isinstance(doc.get("inputs"), dict):
        out["inputs"] = {k: (FILE_PLACEHOLDER if k in ("queue", "staff", "scenario", "risk_model") and v is not None
                             else v) for k, v in doc["inputs"].items()}
    out["pseudonymised"] = marker(Pseudonymiser(key), PLAN_FIELDS)
    return out


def _n(x, digits: int = 0) -> str:
    return "" if x is None else f"{x:,.{digits}f}" if isinstance(x, (int, float)) else escape(str(x))


def plan_headline(doc: dict, tiers: list[str]) -> list[str]:
    """What a DFU manager needs first: how much is planned, by tier, how good the plan is, what is at risk."""
    s, rows = doc["summary"], doc.get("devices", [])
    items = [f"<strong>{s['devices_planned']} of {s['devices_in_queue']} devices planned</strong> this week "
             f"on {s['examiners']} examiner(s), {s['hours_available']:g} h available."]
    if s.get("plan_start_note"):
        items.append(f"Planned {escape(s['plan_start_note'])}.")
    by = []
    for t in tiers:
        in_t = [r for r in rows if r["tier"] == t]
        done = sum(r["status"] == "planned" for r in in_t)
        by.append(f"{tier_tag(t, tiers)} {done} of {len(in_t)}")
    if by:
        items.append("Planned by risk tier: " + " · ".join(by) + ".")
    if s.get("devices_planned"):
        bound = s.get("bound")
        items.append(f"Risk-hours saved {s['objective_risk_hours_saved']:,.0f}: "
                     f"{100 * s['improvement_over_greedy']:+.1f}% against the simple greedy rule (highest risk first), "
                     f"within {100 * s['gap_to_bound']:.1f}% of the best possible"
                     + (f" (proven bound {bound:,.0f})" if bound is not None else "") + ".")
        if s.get("cases_split"):
            items.append(f"{s['cases_split']} case(s) have devices with more than one examiner this week "
                         "(the plan keeps a case together unless that costs more than the set tolerance).")
    high = tiers[:2]
    late = [r for r in rows if r["tier"] in high and r["status"] != "planned" and (r.get("days_past_target") or 0) > 0]
    if late:
        refs = ", ".join(escape(str(r["device"])) for r in late[:8]) + (" …" if len(late) > 8 else "")
        items.append(f"<strong>{len(late)} {'/'.join(escape(t) for t in high)} device(s) past target are not in "
                     f"this week's plan</strong>: {refs} (reasons below).")
    if s.get("infeasible_deadlines"):
        items.append("<strong>Deadline cannot be met this week:</strong> "
                     + ", ".join(escape(str(x)) for x in s["infeasible_deadlines"]) + ".")
    return items


def examiner_part(doc: dict, ex: dict, tiers: list[str], day_from: float, day_to: float, show_case: bool) -> str:
    """One examiner: the week strip (``charts.plan.examiner_strip``) and the ranked list with the reason for each."""
    rows = [r for r in doc.get("devices", []) if r["status"] == "planned" and r["examiner"] == ex["examiner"]]
    head = (f'<div class="examiner-head"><h3>{escape(str(ex["examiner"]))} '
            f'<span class="note">{escape(", ".join(ex.get("skills", [])))} · level {ex.get("accreditation")} · '
            f'{ex.get("hours", 0):g} h available · {ex.get("planned_hours", 0):g} h planned · {len(rows)} device(s)'
            f"</span></h3>{examiner_strip(rows, ex.get('windows', []), tiers, day_from, day_to)}</div>")
    if not rows:
        return head + "<p>No devices planned" + (" (no hours this week)." if not ex.get("hours") else ".") + "</p>"
    header = ["#", "start", "end", "device"] + (["case"] if show_case else []) + \
             ["type", "tier", "score", "waited / target (d)", "hours", "why this device, now"]
    body = [[_n(r["rank"]), escape(r["start"]), escape(r["end"]), escape(str(r["device"]))]
            + ([escape(str(r.get("case", "")))] if show_case else [])
            + [escape(str(r.get("device_type", ""))), tier_tag(r["tier"], tiers), _n(r.get("score"), 0),
               f"{_n(r.get('days_waited'))} / {_n(r.get('target_days'))}", _n(r.get("hours"), 1),
               escape(str(r.get("reason", "")))] for r in rows]
    numeric = [True, False, False, False] + ([False] if show_case else []) + [False, False, True, True, True, False]
    return head + table(header, body, numeric=numeric, cls="plan", raw=True)


def later_part(doc: dict, tiers: list[str], show_case: bool) -> str:
    later = [r for r in doc.get("devices", []) if r["status"] != "planned"]
    if not later:
        return "<p>Every device in the queue is planned this week.</p>"
    note = (f'<p class="note">The first {LATER_ROWS} of {len(later)} by priority; the full list is in the plan\'s '
            "CSV/JSON.</p>" if len(later) > LATER_ROWS else "")
    header = ["device"] + (["case"] if show_case else []) + ["type", "tier", "waited / target (d)",
                                                             "expected start", "why not this week"]
    body = [[escape(str(r["device"]))] + ([escape(str(r.get("case", "")))] if show_case else [])
            + [escape(str(r.get("device_type", ""))), tier_tag(r["tier"], tiers),
               f"{_n(r.get('days_waited'))} / {_n(r.get('target_days'))}", escape(str(r["status"])),
               escape(str(r.get("reason", "")))] for r in later[:LATER_ROWS]]
    numeric = [False] + ([False] if show_case else []) + [False, False, True, False, False]
    return note + table(header, body, numeric=numeric, cls="plan", raw=True)


def method_part(doc: dict, pseudonymised: str) -> str:
    s = doc["summary"]
    pairs = [("week", f"Monday {s['week_start']}"),
             ("plan start", f"{s['plan_start']}: {s.get('plan_start_note', '')}" if s.get("plan_start") else "–"),
             ("method", str(s.get("method", "–"))),
             ("objective", "risk-hours saved: tier weight × aging × hours left in the week when the examination "
                           "starts"),
             ("aging", str(s.get("aging", "–"))), ("expedite factor", f"{s.get('expedite_factor', '–')}"),
             ("risk model", f"{s.get('risk_model', '–')} (KIRAT-like factor model, not KIRAT)"),
             ("greedy rule", f"{s.get('greedy_objective', 0):,.0f} risk-hours"),
             ("proven bound", "–" if s.get("bound") is None else f"{s['bound']:,.0f} risk-hours"),
             ("solve time", f"{s.get('solve_seconds', 0):g} s"), ("pseudonymised", pseudonymised)]
    body = facts(pairs)
    body += ("<p>The same queue, staff file, options and week give the same plan. To re-plan:</p>"
             f"<pre>{escape(replan_command(doc))}</pre>"
             '<p class="note">This report shows only what the queue and staff files gave (references, device '
             "type, risk factors, dates and hours) and what the planner derived from them.</p>")
    return section("How the plan was made", body, anchor="method")


def replan_command(doc: dict) -> str:
    """The command that gives this plan again (file names as recorded; placeholders if absent or
    pseudonymised, since a file name can name a case)."""
    recorded = doc.get("inputs") or {}
    placeholders = {"queue": "QUEUE.csv", "staff": "STAFF.csv", "scenario": "SCENARIO.yaml",
                    "risk_model": "RISK_MODEL.yaml"}
    inp = {k: (placeholders.get(k, v) if v == FILE_PLACEHOLDER else v) for k, v in recorded.items()}
    parts = ["dfu-sched", "plan", inp.get("queue") or "QUEUE.csv", "--staff", inp.get("staff") or "STAFF.csv"]
    # a plan made from "now" is reproduced by giving that time; a whole-week plan by its week
    parts += (["--now", str(inp["now"])] if inp.get("now")
              else ["--week", str(inp.get("week") or doc["summary"]["week_start"])])
    for flag, key in (("--scenario", "scenario"), ("--risk-model", "risk_model"), ("--time-limit", "time_limit_s"),
                      ("--search-budget", "search_budget"), ("--lookahead", "lookahead"),
                      ("--aging-days", "aging_days"), ("--seed", "seed")):
        if inp.get(key) is not None:
            parts += [flag, str(inp[key])]
    if inp.get("scip"):
        parts.append("--scip")
    return " ".join(shlex.quote(p) for p in parts) + " --out plan.json --report plan-report.html"


def render_plan_report(doc: dict, *, pseudonymise: bool = False, salt: str | None = None) -> RenderedReport:
    """The weekly plan in the shared report format: headline, week chart, a ranked list per examiner."""
    for k in ("week_start", "devices_planned", "devices_in_queue"):
        if k not in doc["summary"]:
            raise KeyError(k)
    if already_pseudonymised(doc):  # same page with or without the flag: nothing left to replace
        state = "yes (in the plan file)"
        if salt and doc["pseudonymised"]["key_fingerprint"] != Pseudonymiser(salt).fingerprint():
            state = "yes (in the plan file, under another key than --salt: pseudonyms will not match)"
    elif pseudonymise:
        doc = pseudonymise_plan(doc, salt)
        state = "yes (keyed pseudonyms" + (", --salt given)" if salt else ", a one-off key)")
    else:
        state = "no"
    tiers = plan_tiers(doc)
    charts = render_charts(doc, PLAN_CHARTS)
    day_from, day_to = working_day_span(doc.get("examiners", []))
    show_case = any(r.get("case") for r in doc.get("devices", []))
    body = [headline_box(plan_headline(doc, tiers), title="This week")]
    body.append("".join(figure(c.svg, c.spec.title, c.spec.caption, name=c.spec.name, number=i)
                        for i, c in enumerate(charts, start=1)))
    if doc.get("warnings"):
        body.append(section("Needs attention", "<ul>" + "".join(f"<li>{escape(str(w))}</li>"
                                                               for w in doc["warnings"]) + "</ul>", anchor="warnings"))
    body.append(section("Each examiner's list, in order",
                        "".join(examiner_part(doc, ex, tiers, day_from, day_to, show_case)
                                for ex in doc.get("examiners", [])), anchor="examiners"))
    body.append(section("Not this week", later_part(doc, tiers, show_case), anchor="later"))
    body.append(method_part(doc, state))
    s = doc["summary"]
    title = f"Weekly examination plan: week of {s['week_start']}"
    subtitle = (f"{s['devices_planned']} of {s['devices_in_queue']} devices · {s['examiners']} examiner(s) · "
                f"{s['hours_available']:g} h · highest child-safeguarding risk first")
    footer = (f"dfu-sched weekly plan · pseudonymised: {escape(state)} · "
              "Self-contained page: no scripts, no network; prints on A4 landscape.")
    return RenderedReport(page(title, "\n".join(body), kicker="DFU weekly plan", subtitle=subtitle, footer=footer,
                               extra_css=REPORT_CSS), charts)


def render_run_dir(run_dir: Path, summary: dict, *, pseudonymise: bool = False, salt: str | None = None
                   ) -> RenderedReport:
    """``dfu-sched report`` on a plan's JSON (``summary`` is the whole plan document)."""
    doc = {k: v for k, v in summary.items() if k != "kind"}
    return render_plan_report(doc, pseudonymise=pseudonymise, salt=salt)
