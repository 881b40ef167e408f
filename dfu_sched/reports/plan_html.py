"""The weekly plan as one printable, self-contained HTML page (inline CSS and SVG, no scripts).

One section per examiner: a week Gantt (Mon-Fri, working hours only, bars coloured by tier)
and the ranked table with the reason for each device. Prints on A4 landscape.
"""
from __future__ import annotations

from html import escape
from typing import Any

TIER_COLOURS = ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"]
DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:24px;color:#222;font-size:13px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 6px;border-bottom:1px solid #ccc}
.summary{background:#f5f5f5;padding:8px 12px;border-radius:4px}
.warn{background:#fff4e5;border-left:4px solid #e08a00;padding:6px 10px;margin:4px 0}
table{border-collapse:collapse;width:100%;margin-top:6px}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eee}td.n{text-align:right;white-space:nowrap}
.tier{display:inline-block;padding:0 5px;border-radius:3px;font-weight:600}
.examiner{page-break-inside:avoid}
.legend span{margin-right:12px}
@media print{body{margin:8mm}@page{size:A4 landscape}.examiner{page-break-inside:avoid}}
"""


def _tier_colour(tier: str, tiers: list[str]) -> str:
    i = tiers.index(tier) if tier in tiers else len(TIER_COLOURS) - 1
    return TIER_COLOURS[min(i, len(TIER_COLOURS) - 1)]


def _gantt(rows: list[dict[str, Any]], windows: list[list[float]], tiers: list[str],
           day_from: float, day_to: float) -> str:
    """Inline SVG: five day columns of working hours; a bar segment per window a device uses."""
    width, height, left, top = 900, 54, 4, 16
    day_w = (width - left) / 5
    span = max(day_to - day_from, 1.0)

    def x(hour: float) -> float:
        day = min(int(hour // 24), 4)
        within = min(max(hour - 24 * day - day_from, 0.0), span)
        return left + day * day_w + within / span * day_w

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="week timeline">']
    for d in range(5):
        x0 = left + d * day_w
        parts.append(f'<rect x="{x0:.1f}" y="{top}" width="{day_w:.1f}" height="{height - top - 4}" '
                     'fill="#fafafa" stroke="#ccc"/>')
        parts.append(f'<text x="{x0 + 4:.1f}" y="12" font-size="11" fill="#555">{DAY_NAMES[d]}</text>')
    for a, b in windows:
        if int(a // 24) < 5:
            parts.append(f'<rect x="{x(a):.1f}" y="{top}" width="{max(x(b) - x(a), 0):.1f}" '
                         f'height="{height - top - 4}" fill="#eef3ea"/>')
    for r in rows:
        s, e = r["start_hour"], r["end_hour"]
        colour = _tier_colour(r["tier"], tiers)
        for a, b in windows:
            lo, hi = max(a, s), min(b, e)
            if hi > lo and int(lo // 24) < 5:
                parts.append(f'<rect x="{x(lo):.1f}" y="{top + 3}" width="{max(x(hi) - x(lo) - 1, 1):.1f}" '
                             f'height="{height - top - 10}" fill="{colour}" stroke="#333" stroke-width="0.5">'
                             f'<title>{escape(str(r["rank"]))}. {escape(r["device"])} ({escape(r["tier"])}) '
                             f'{escape(r["start"])}-{escape(r["end"])}</title></rect>')
                if x(hi) - x(lo) > 18:
                    parts.append(f'<text x="{x(lo) + 2:.1f}" y="{top + 22}" font-size="10">{r["rank"]}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_plan_html(report) -> str:
    """The whole page for a :class:`~dfu_sched.optimiser.weekly.PlanReport`."""
    s = report.summary
    tiers = []
    for r in report.rows:
        if r["tier"] not in tiers:
            tiers.append(r["tier"])
    order = ["VH", "H", "M", "L"]
    tiers.sort(key=lambda t: order.index(t) if t in order else 99)
    all_windows = [w for ex in report.examiners for w in ex["windows"]]
    day_from = min((a % 24 for a, _ in all_windows), default=8.0)
    day_to = max((a % 24 + (b - a) for a, b in all_windows), default=16.0)
    out = ["<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
           f"<title>Weekly plan {escape(s['week_start'])}</title><style>{CSS}</style></head><body>",
           f"<h1>Weekly examination plan, week of {escape(s['week_start'])}</h1>"]
    bound = s.get("bound")
    out.append('<div class="summary">'
               f"{s['devices_planned']} of {s['devices_in_queue']} device(s) planned on {s['examiners']} "
               f"examiner(s), {s['hours_available']:g} h available. "
               f"Risk-hours saved {s['objective_risk_hours_saved']:,.0f}; greedy rule "
               f"{s['greedy_objective']:,.0f} ({100 * s['improvement_over_greedy']:+.2f}%); within "
               f"{100 * s['gap_to_bound']:.2f}% of the best possible"
               + (f" (proven bound {bound:,.0f})" if bound is not None else "") + ". "
               f"Aging: {escape(s['aging'])}. Risk model: {escape(s['risk_model'])} (KIRAT-like, not KIRAT)."
               "</div>")
    for w in report.warnings:
        out.append(f'<div class="warn">{escape(w)}</div>')
    out.append('<p class="legend">' + "".join(
        f'<span><span class="tier" style="background:{_tier_colour(t, tiers)}">{escape(t)}</span></span>'
        for t in tiers) + "</p>")
    for ex in report.examiners:
        rows = [r for r in report.rows if r["status"] == "planned" and r["examiner"] == ex["examiner"]]
        out.append('<section class="examiner">')
        out.append(f"<h2>{escape(ex['examiner'])} &mdash; {escape(', '.join(ex['skills']))}, level "
                   f"{ex['accreditation']}, {ex['hours']:g} h available, {len(rows)} device(s)</h2>")
        out.append(_gantt(rows, ex["windows"], tiers, day_from, day_to))
        if not rows:
            out.append("<p>No devices planned" + (" (no hours this week)." if ex["hours"] == 0 else ".") + "</p>")
        else:
            out.append("<table><tr><th>#</th><th>Start</th><th>End</th><th>Device</th><th>Case</th>"
                       "<th>Type</th><th>Tier</th><th>Score</th><th>Waited / target (d)</th>"
                       "<th>Hours</th><th>Reason</th></tr>")
            for r in rows:
                score = "" if r["score"] is None else f"{r['score']:g}"
                out.append(
                    f"<tr><td class=n>{r['rank']}</td><td>{escape(r['start'])}</td><td>{escape(r['end'])}</td>"
                    f"<td>{escape(r['device'])}</td><td>{escape(r['case'])}</td><td>{escape(r['device_type'])}</td>"
                    f"<td><span class=tier style=\"background:{_tier_colour(r['tier'], tiers)}\">"
                    f"{escape(r['tier'])}</span></td><td class=n>{score}</td>"
                    f"<td class=n>{r['days_waited']} / {r['target_days']:g}</td><td class=n>{r['hours']:g}</td>"
                    f"<td>{escape(r['reason'])}</td></tr>")
            out.append("</table>")
        out.append("</section>")
    later = [r for r in report.rows if r["status"] != "planned"]
    if later:
        out.append(f"<h2>Not this week ({len(later)} device(s), first 50 by priority)</h2><table>"
                   "<tr><th>Device</th><th>Case</th><th>Tier</th><th>Waited / target (d)</th>"
                   "<th>Expected start</th><th>Reason</th></tr>")
        for r in later[:50]:
            out.append(f"<tr><td>{escape(r['device'])}</td><td>{escape(r['case'])}</td><td>{escape(r['tier'])}</td>"
                       f"<td class=n>{r['days_waited']} / {r['target_days']:g}</td><td>{escape(r['status'])}</td>"
                       f"<td>{escape(r['reason'])}</td></tr>")
        out.append("</table>")
    out.append(f"<p style=\"color:#777\">Method: {escape(s['method'])}; solved in {s['solve_seconds']:g} s.</p>")
    out.append("</body></html>")
    return "\n".join(out)
