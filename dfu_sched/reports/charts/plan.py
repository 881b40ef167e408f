"""The plan's one Gantt geometry: the week chart of every examiner and each examiner's week strip.

Why together: the page shows the week twice, once for the whole unit (a matplotlib chart, also
exported by ``--figures``) and once per examiner (a small inline SVG strip above their list). Both
place an hour with :func:`week_x` on the same Monday-to-Friday axis of working hours
(:func:`working_day_span`), colour a device by :func:`~.palette.tier_colour` and shade rostered
hours in :data:`~.palette.WORKING_HOURS`, so the two can never disagree. Weekday names come from
:data:`dfu_sched.calendar.WEEKDAYS`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape
from typing import Any

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from dfu_sched.calendar import WEEKDAYS
from dfu_sched.reports.charts.common import ChartSpec, new_figure
from dfu_sched.reports.charts.palette import LIGHT_GREY, WORKING_HOURS, ink_on, tier_colour, tier_label, tier_style


def working_day_span(examiners: Sequence[dict]) -> tuple[float, float]:
    """Earliest start and latest end of a working day (hours after midnight) across the examiners."""
    wins = [w for ex in examiners for w in ex.get("windows", [])]
    lo = min((a % 24 for a, _ in wins), default=8.0)
    hi = max((a % 24 + (b - a) for a, b in wins), default=16.0)
    return lo, max(hi, lo + 1.0)


def week_x(hour: float, day_from: float, day_to: float) -> float:
    """Hours since Monday 00:00 -> position on a Mon-Fri axis of working days (one unit a day)."""
    day = min(int(hour // 24), 4)
    within = min(max(hour - 24 * day - day_from, 0.0), day_to - day_from)
    return day + within / (day_to - day_from)


def plan_week_chart(doc: dict) -> Figure | None:
    """Every examiner's week on one chart: working hours shaded, planned devices as bars by tier."""
    examiners = doc.get("examiners", [])
    if not examiners:
        return None
    tiers = plan_tiers(doc)
    day_from, day_to = working_day_span(examiners)
    fig, ax = new_figure((7.6, 0.42 * len(examiners) + 1.3))
    n = len(examiners)
    for i, ex in enumerate(examiners):
        y = n - 1 - i
        for a, b in ex.get("windows", []):
            if int(a // 24) < 5:
                x0, x1 = week_x(a, day_from, day_to), week_x(b - 1e-9, day_from, day_to)
                ax.barh([y], [x1 - x0], left=[x0], height=0.78, color=WORKING_HOURS, edgecolor="none", zorder=1)
        for r in doc.get("devices", []):
            if r.get("status") != "planned" or r.get("examiner") != ex["examiner"] or r.get("start_hour") is None:
                continue
            for a, b in ex.get("windows", []) or [(r["start_hour"], r["end_hour"])]:
                lo, hi = max(a, r["start_hour"]), min(b, r["end_hour"])
                if hi <= lo or int(lo // 24) >= 5:
                    continue
                x0, x1 = week_x(lo, day_from, day_to), week_x(hi - 1e-9, day_from, day_to)
                st = tier_style(tiers.index(r["tier"]) if r["tier"] in tiers else len(tiers))
                ax.barh([y], [x1 - x0], left=[x0], height=0.6, color=st["color"], edgecolor="white",
                        linewidth=0.8, zorder=2)
                if x1 - x0 > 0.07:
                    ax.text((x0 + x1) / 2, y, str(r.get("rank", "")), ha="center", va="center", fontsize=7,
                            color=ink_on(st["color"]), zorder=3)
    for d in range(1, 5):
        ax.axvline(d, color=LIGHT_GREY, linewidth=0.8, zorder=0)
    ax.set_xlim(0, 5)
    ax.set_xticks([d + 0.5 for d in range(5)], [_day_label(doc, d) for d in range(5)])
    ax.tick_params(axis="x", length=0)
    ax.grid(False)
    ax.set_yticks(range(n - 1, -1, -1), [ex["examiner"] for ex in examiners])
    ax.set_ylim(-0.6, n - 0.4)
    handles = [Patch(color=tier_style(i)["color"], label=tier_label(t)) for i, t in enumerate(tiers)]
    handles.append(Patch(color=WORKING_HOURS, label="working hours"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, -0.12), ncol=min(len(handles), 5))
    return fig


def _day_label(doc: dict, day: int) -> str:
    try:
        d = dt.date.fromisoformat(doc["summary"]["week_start"]) + dt.timedelta(days=day)
        return f"{WEEKDAYS[day]} {d.day} {d:%b}"
    except (KeyError, TypeError, ValueError):
        return WEEKDAYS[day]


def plan_tiers(doc: dict) -> list[str]:
    """Tiers present in a plan, highest risk first (VH, H, M, L; others after, as met)."""
    order = ["VH", "H", "M", "L"]
    seen: list[str] = []
    for r in doc.get("devices", []):
        if r.get("tier") and r["tier"] not in seen:
            seen.append(r["tier"])
    return sorted(seen, key=lambda t: (order.index(t) if t in order else 99, seen.index(t)))


PLAN_CHARTS: list[ChartSpec] = [
    ChartSpec("plan_week", "The week at a glance: who examines what, when",
              "One row per examiner, Monday to Friday, working hours only (light green: the hours the "
              "examiner is rostered). Each bar is a planned device, coloured by risk tier and numbered by "
              "its place in that examiner's list below.", plan_week_chart),
]


def examiner_strip(rows: list[dict[str, Any]], windows: list[list[float]], tiers: list[str],
                   day_from: float, day_to: float) -> str:
    """One examiner's week as inline SVG: five day columns of working hours, a bar per device part.

    Same axis as the week chart (:func:`week_x`) and the same tier colours.
    """
    width, height, left, top = 900, 54, 4, 16
    day_w = (width - left) / 5

    def x(hour: float) -> float:
        return left + week_x(hour, day_from, day_to) * day_w

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="week timeline">']
    for d in range(5):
        x0 = left + d * day_w
        parts.append(f'<rect x="{x0:.1f}" y="{top}" width="{day_w:.1f}" height="{height - top - 4}" '
                     'fill="#fafafa" stroke="#ccc"/>')
        parts.append(f'<text x="{x0 + 4:.1f}" y="12" font-size="11" fill="#555">{WEEKDAYS[d]}</text>')
    for a, b in windows:
        if int(a // 24) < 5:
            parts.append(f'<rect x="{x(a):.1f}" y="{top}" width="{max(x(b) - x(a), 0):.1f}" '
                         f'height="{height - top - 4}" fill="{WORKING_HOURS}"/>')
    for r in rows:
        s, e = r["start_hour"], r["end_hour"]
        colour = tier_colour(r["tier"], tiers)
        for a, b in windows:
            lo, hi = max(a, s), min(b, e)
            if hi > lo and int(lo // 24) < 5:
                parts.append(f'<rect x="{x(lo):.1f}" y="{top + 3}" width="{max(x(hi) - x(lo) - 1, 1):.1f}" '
                             f'height="{height - top - 10}" fill="{colour}" stroke="#333" stroke-width="0.5">'
                             f'<title>{escape(str(r["rank"]))}. {escape(r["device"])} ({escape(r["tier"])}) '
                             f'{escape(r["start"])}-{escape(r["end"])}</title></rect>')
                if x(hi) - x(lo) > 18:
                    parts.append(f'<text x="{x(lo) + 2:.1f}" y="{top + 22}" font-size="10" '
                                 f'fill="{ink_on(colour)}">{r["rank"]}</text>')
    parts.append("</svg>")
    return "".join(parts)
