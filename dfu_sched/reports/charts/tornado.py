"""The sensitivity report's charts: one tornado per measure.

Why a tornado: it answers "which assumption matters most?" at a glance. Each ranged input is a
row, largest swing at the top; its bar runs from the base value (the vertical line: every input at
its value) to the measure with the input at its low end (one colour) and at its high end (the
other), so a row whose colours swap sides says the input works the other way. An input with no
effect is an empty row with "no effect" written on it, never a hairline to squint at. The paired
95% intervals of each end's difference from the base are the whiskers. Colours are Okabe-Ito
(blue low, vermillion high), readable with any colour vision; the legend names them. Each chart
is a pure function of ``sensitivity.json`` listed in :data:`TORNADO_CHARTS`.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from dfu_sched.reports.charts.common import ChartSpec, ci, estimate, new_figure, thousands
from dfu_sched.reports.charts.palette import BLUE, GREY, INK, VERMILLION

LOW_COLOUR, HIGH_COLOUR = BLUE, VERMILLION
#: Rows one tornado shows (the largest swings; the table in the page lists every input).
MAX_ROWS = 15
#: Measures the report draws a tornado for (in ``measures`` order).
MAX_CHARTS = 6


def tornado(d: dict, key: str) -> Figure | None:
    bars = (d.get("bars") or {}).get(key) or []
    base = estimate((d.get("base") or {}).get(key))
    if not bars or not np.isfinite(base):
        return None
    bars = bars[:MAX_ROWS]
    fig, ax = new_figure((7.6, 1.2 + 0.42 * len(bars)))
    y = np.arange(len(bars))[::-1]
    for yi, b in zip(y, bars):
        lo, hi = estimate(b.get("low")), estimate(b.get("high"))
        if not (b.get("swing") or 0) > 0:
            word = "no effect" if b.get("swing") == 0 else "not defined at an end"
            ax.text(base, yi, "  " + word, va="center", ha="left", fontsize=7.5, color=GREY)
            continue
        for end, colour, diff in ((lo, LOW_COLOUR, b.get("low_diff")), (hi, HIGH_COLOUR, b.get("high_diff"))):
            if not np.isfinite(end):
                continue
            ax.barh(yi, end - base, left=base, height=0.62, color=colour, alpha=0.9)
            d_lo, d_hi = ci(diff)
            if np.isfinite(d_lo) and np.isfinite(d_hi):
                ax.plot([base + d_lo, base + d_hi], [yi, yi], color=INK, linewidth=0.9)
    ax.axvline(base, color=INK, linewidth=1.1)
    ax.set_yticks(y, [b.get("label", b.get("key", "")) for b in bars])
    ax.grid(axis="y", visible=False)
    label = d.get("labels", {}).get(key, key)
    ax.set_xlabel(f"{label}; base {base:,.0f}" if abs(base) >= 100 else f"{label}; base {base:,.1f}")
    if abs(base) >= 1000:
        thousands(ax, "x")
    ax.set_ylim(-0.7, len(bars) - 0.3)
    ax.legend(handles=[Patch(color=LOW_COLOUR, label="estimate at its low end"),
                       Patch(color=HIGH_COLOUR, label="estimate at its high end")],
              loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, fontsize=7.5)  # above: clear of every bar
    return fig


def measure_tornado(n: int) -> Callable[[dict], Figure | None]:
    """The tornado of the ``n``-th measure (None when the run has fewer)."""

    def draw(d: dict) -> Figure | None:
        keys = d.get("measures", [])
        return tornado(d, keys[n]) if n < len(keys) else None

    return draw


_CAPTION = ("Each row moves one estimate to the low (blue) and the high (red) end of its range, every other "
            "estimate at its value; the bars run from the base (the vertical line). Every run sees the same "
            "simulated devices (common random numbers), so a bar is the estimate's effect, not noise; the thin "
            "lines are the paired 95% intervals of each end's difference from the base. Largest swing at the top.")

TORNADO_CHARTS = [ChartSpec(f"tornado-{i + 1}", f"Tornado of measure {i + 1}", _CAPTION, measure_tornado(i))
                  for i in range(MAX_CHARTS)]
