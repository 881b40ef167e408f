"""``dfu-sched fit --report fit.html``: what the fitted scenario rests on, as one self-contained page.

Why a page: a finance committee asked to trust a fitted scenario needs to see each estimate with its
uncertainty, the laws drawn over the data, and what reading the export had to repair. The page reads
only the fit's JSON (``kind: fit``): estimates, counts and dates, never a case reference; with
``--pseudonymise`` the history's file name is replaced too.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from dfu_sched import __version__
from dfu_sched.reports.charts.common import render_charts
from dfu_sched.reports.charts.fit import FIT_CHARTS
from dfu_sched.reports.page import (
    RenderedReport,
    assumptions_section,
    facts,
    headline_box,
    numbered_figures,
    page,
    report_footer,
    section,
)
from dfu_sched.reports.page import table as html_table
from dfu_sched.reports.run_files import anything, obj, text

#: What a fit's JSON must have before the page is drawn (the page guards the rest).
_FIT_KEYS = ("arrivals", "devices_per_case", "tier_mix", "device_mix", "hours", "hours_inference", "read_summary",
             "left_out", "warnings")
FIT = obj({"kind": text, **dict.fromkeys(_FIT_KEYS, anything)}, rest=anything)


def _pct(s: dict) -> str:
    return f"{s['share']:.1%} ± {s['se']:.1%}"


def _hours_rows(doc: dict) -> list[list[str]]:
    rows = []
    for t, h in doc["hours"].items():
        if h["chosen"] == "base":
            rows.append([escape(t), "base kept", "–", "–", "–", "–", escape(h["note"])])
            continue
        aic = ", ".join(f"{f['name']} {f['aic']:,.0f}" for f in h["families"])
        rows.append([escape(t), escape(h["chosen"]), f"{h['mean']:.2f} [{h['mean_ci'][0]:.2f}, {h['mean_ci'][1]:.2f}]",
                     f"{h['devices']:,} ({escape(h['source'])})", f"{h['ks_p']:.2g}", escape(aic), escape(h["note"])])
    return rows


def render_fit(doc: dict, *, pseudonymise: bool = False, scenario_yaml: str | None = None) -> RenderedReport:
    """The fit report page from the fit's JSON document (and the fitted scenario's assumptions, if given)."""
    a, c = doc["arrivals"], doc["devices_per_case"]
    charts = render_charts(doc, FIT_CHARTS)
    fig = numbered_figures(charts)
    season = (f"kept (LR test p = {a['seasonality_p']:.3g} < 0.05)" if a["seasonal"]
              else f"not kept (LR test p = {a['seasonality_p']:.3g})")
    brief = [f"<strong>{a['cases_per_week_at_as_of']:.1f} cases a week</strong> at {escape(doc['as_of'])} "
             f"(SE {a['cases_per_week_se']:.2f}), growing <strong>{a['annual_growth']:.1%} a year</strong> "
             f"(SE {a['annual_growth_se']:.1%}); seasonality {season}.",
             f"{c['mean']:.2f} devices per case (SE {c['se']:.3f}; law: {escape(c['chosen'])}, lowest AIC).",
             f"<strong>{doc['backlog_devices']:,} devices waiting</strong> at {escape(doc['as_of'])}, each with "
             "its real age, tier and type."]
    mixes = [[k, _pct(v), f"{v['count']:,}"] for k, v in doc["tier_mix"].items()]
    types = [[k, _pct(v), f"{v['count']:,}"] for k, v in doc["device_mix"].items()]
    body = [headline_box(brief, title="The history says"),
            section("The history read", facts([("file", doc["source"]), ("submitted", f"{doc['from']} to {doc['to']}"),
                                                ("devices", f"{doc['devices']:,}"), ("base scenario", doc["base"])])
                    + "<ul>" + "".join(f"<li>{escape(x)}</li>" for x in doc["read_summary"])
                    + "".join(f"<li>{n:,} {escape(w)}</li>" for w, n in doc["left_out"].items()) + "</ul>"),
            section("Arrivals", fig("fit-arrivals") + _months(a)
                    + html_table(["tier", "share of cases ± SE", "cases"], mixes, numeric=[False, True, True])
                    + html_table(["device type", "share of devices ± SE", "devices"], types,
                                 numeric=[False, True, True])),
            section("Examination hours", html_table(
                ["type", "law", "mean h [95% bootstrap]", "devices", "KS p", "AIC", "note"], _hours_rows(doc),
                raw=True) + _inference_note(doc) + fig("fit-hours"), new_page=True),
            section("Examiners", _staff(doc))]
    if scenario_yaml is not None:
        body.append(assumptions_section(scenario_yaml, heading="The fitted scenario: every input, and its source"))
    if doc["warnings"]:
        body.append(section("Needs attention", "<ul>" + "".join(f"<li>{escape(w)}</li>" for w in doc["warnings"])
                            + "</ul>"))
    privacy = ("pseudonymised: the file name is replaced; a fit holds no case references" if pseudonymise
               else "a fit holds counts and estimates only: no case references")
    html = page("Scenario fitted to the unit's history", "".join(body), kicker="dfu-sched fit",
                subtitle=f"{doc['devices']:,} devices submitted {doc['from']} to {doc['to']}; queue at {doc['as_of']}",
                footer=report_footer(__version__, privacy))
    return RenderedReport(html, charts)


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _months(a: dict) -> str:
    """The month-of-year factors (mean 1) with their SEs, when the LR test kept them."""
    if not a["seasonal"]:
        return (f'<p class="note">No month-of-year pattern: the likelihood-ratio test of 11 month terms gives '
                f'p = {a["seasonality_p"]:.3g} (kept only below 0.05).</p>')
    cells = [f"{f:.2f} ± {se:.2f}" for f, se in zip(a["month_factors"], a["month_factor_se"])]
    return html_table(["", *MONTHS], [["factor ± SE", *cells]], numeric=[False] + [True] * 12)


def _inference_note(doc: dict) -> str:
    inf = doc["hours_inference"]
    text = (f"Where booked hours are missing, hours are inferred from the exam dates: each working day gives "
            f"{inf['hours_per_working_day']:.1f} productive hours (the base scenario's roster, productivity and "
            "absence), shared equally among the examiner's open devices. Whole-day dates make this crude.")
    chk = inf.get("check_against_booked")
    if chk:
        text += (f" On {chk['devices']:,} devices with both, inferred/booked is {chk['median_ratio']:.2f} at the "
                 f"median (10-90%: {chk['p10_ratio']:.2f} to {chk['p90_ratio']:.2f}).")
    text += " KS p-values are optimistic: the parameters were fitted to the same data."
    return f'<p class="note">{escape(text)}</p>'


def _staff(doc: dict) -> str:
    s = doc.get("examiners")
    if not s:
        return "<p>No examiner is recorded: the base scenario's groups are kept.</p>"
    skills = sorted({k for q in s["headcount_by_quarter"].values() for k in q})
    rows = [[q] + [str(v.get(k, 0)) for k in skills] for q, v in s["headcount_by_quarter"].items()]
    pairs = [("latest quarter", s["latest_quarter"]),
             ("groups", ", ".join(f"{g['count']} {'+'.join(g['skills'])}" for g in s["groups"]))]
    if s["productive_hours_per_week"] is not None:
        se = f" (SE {s['productive_se']:.1f})" if s.get("productive_se") is not None else ""
        pairs.append(("booked hours per saturated examiner-week", f"{s['productive_hours_per_week']:.1f}{se}"))
    if s["absence_share"] is not None:
        pairs.append(("weeks in post with no device open", f"{s['absence_share']:.1%}"))
    return facts(pairs) + html_table(["quarter"] + [f"{k} examiners" for k in skills], rows,
                                     numeric=[False] + [True] * len(skills))


def render_run_dir(run_dir: Path, summary: dict, *, pseudonymise: bool = False, salt: str | None = None
                   ) -> RenderedReport:
    """``dfu-sched report`` on a fit's JSON (written by ``fit --json``)."""
    return render_fit(summary, pseudonymise=pseudonymise)
