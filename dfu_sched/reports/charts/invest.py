"""The invest report's charts: the efficient frontier, the chosen mix against doing nothing, spend.

Why here: each chart is a pure function of ``invest.json`` listed in :data:`INVEST_CHARTS`
(page and ``--figures`` order); the axis of the frontier is named by the objective registry
(:data:`dfu_sched.invest.objectives.OBJECTIVES`), the only investment code a report reads.
"""
from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from dfu_sched.invest.objectives import DEFAULT_OBJECTIVE, OBJECTIVES
from dfu_sched.reports.charts.common import (
    SQUAT,
    WIDE,
    ChartSpec,
    ci,
    estimate,
    finish_spend_axes,
    gbp_axis,
    new_figure,
    short_number,
    trajectories_chart,
)
from dfu_sched.reports.charts.palette import (
    BASELINE_STYLE,
    CHOSEN,
    GREY,
    INK,
    LEVER_COLOURS,
    LIGHT_GREY,
    SERIES,
    TARGET,
    TIER_COLOURS,
)
from dfu_sched.scenario.levers import option_label


def frontier_chart(d: dict) -> Figure | None:
    """Cost against the objective for every mix evaluated: frontier joined, dominated grey, chosen starred."""
    key = d.get("objective", {}).get("name", DEFAULT_OBJECTIVE)
    pts = [p for p in d.get("evaluated", []) if p["objectives"].get(key) is not None]
    if not pts:
        return None
    fig, ax = new_figure(WIDE)
    screened = [p for p in d.get("screened", []) if p["objectives"].get(key) is not None]
    if screened:
        ax.scatter([p["cost_gbp"] for p in screened], [p["objectives"][key] for p in screened], s=10,
                   color=LIGHT_GREY, marker=".", label="screened (few replications)", zorder=1)
    dom = [p for p in pts if not p.get("on_frontier")]
    if dom:
        ax.scatter([p["cost_gbp"] for p in dom], [p["objectives"][key] for p in dom], s=22, color=GREY,
                   alpha=0.6, label="dominated (a cheaper mix is no worse)", zorder=2)
    front = sorted([p for p in pts if p.get("on_frontier")], key=lambda p: p["cost_gbp"])
    if front:
        ax.plot([p["cost_gbp"] for p in front], [p["objectives"][key] for p in front], color=SERIES["main"],
                marker="o", markersize=5, linewidth=1.4, drawstyle="steps-post",
                label="efficient frontier", zorder=3)
    base = d.get("baseline", {}).get("measures", {}).get(d.get("objective", {}).get("key", ""))
    if estimate(base) == estimate(base):
        ax.scatter([0], [estimate(base)], marker="s", s=40, color=INK, label="do nothing", zorder=4)
    ch = d.get("chosen", {})
    ch_v = estimate(ch.get("measures", {}).get(d.get("objective", {}).get("key", "")))
    if math.isfinite(ch_v):
        lo, hi = ci(ch["measures"][d["objective"]["key"]])
        err = [[ch_v - lo], [hi - ch_v]] if math.isfinite(lo) and math.isfinite(hi) else None
        ax.errorbar([ch["cost_gbp"]], [ch_v], yerr=err, fmt="*", color=TIER_COLOURS[0], markersize=15,
                    markeredgecolor=INK, markeredgewidth=0.6, capsize=4, zorder=5,
                    label="chosen mix (95% CI)")
    if d.get("budget_gbp"):
        ax.axvline(d["budget_gbp"], color=TARGET, linestyle="--", linewidth=1.2,
                   label=f"budget £{d['budget_gbp']:,.0f}")
    ax.set_xlim(left=-0.02 * max([p["cost_gbp"] for p in pts] + [d.get("budget_gbp") or 0, 1]))
    ax.set_ylim(bottom=0)
    gbp_axis(ax, "x")
    ax.set_xlabel("cost inside the horizon")
    ax.set_ylabel(OBJECTIVES[key].axis if key in OBJECTIVES else key)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: short_number(v)))
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.2), ncol=3, handlelength=2.2)
    return fig


def _invest_named(d: dict) -> list[tuple[str, dict, dict]]:
    tr = d.get("trajectory", {})
    return [("doing nothing", tr.get("baseline", {}), {**BASELINE_STYLE, "linewidth": 1.6}),
            (f"chosen mix: {option_label(d.get('chosen', {}).get('label', ''))}", tr.get("chosen", {}),
             {"color": CHOSEN, "linestyle": "-", "linewidth": 2.2})]


def invest_backlog_chart(d: dict) -> Figure | None:
    return trajectories_chart(_invest_named(d), d.get("start_date"), "backlog")


def invest_wait_chart(d: dict) -> Figure | None:
    return trajectories_chart(_invest_named(d), d.get("start_date"), "wait")


def invest_cost_chart(d: dict) -> Figure | None:
    """The chosen mix's spend by financial year, stacked by lever."""
    cp = d.get("cost_profile", {})
    years, opts = cp.get("by_financial_year", []), cp.get("options", [])
    if not years or not opts or not (cp.get("total_gbp") or 0) > 0:
        return None
    fig, ax = new_figure(SQUAT)
    x = np.arange(len(years))
    bottom = np.zeros(len(years))
    hatches = ["", "//", "..", "xx", "\\\\", "++", "oo", "--"]
    for i, o in enumerate(opts):
        v = np.array([y.get(o, 0.0) for y in years], dtype=float)
        ax.bar(x, v, bottom=bottom, width=0.6, color=LEVER_COLOURS[i % len(LEVER_COLOURS)],
               hatch=hatches[i % len(hatches)], edgecolor="white", linewidth=0.5,
               label=f"{option_label(o)}: £{cp.get('by_option', {}).get(o, v.sum()):,.0f}")
        bottom += v
    for xi, total in zip(x, bottom):
        ax.annotate(f"£{total:,.0f}", (xi, total), xytext=(0, 3), textcoords="offset points", ha="center",
                    fontsize=7.5)
    ax.set_xticks(x, [f"FY {y['financial_year']}" for y in years])
    ax.set_ylim(0, max(bottom.max() * 1.15, 1))
    finish_spend_axes(ax)
    return fig


INVEST_CHARTS: list[ChartSpec] = [
    ChartSpec("invest_frontier", "What each mix buys: cost against the objective",
              "Every mix of the options simulated in the search. Blue steps: the efficient frontier (no other "
              "mix is both cheaper and better). Grey: dominated mixes; light grey dots: mixes screened out "
              "with few replications. The star is the chosen mix with its 95% CI; the black square is doing "
              "nothing; the dashed red line is the budget. Lower is better.", frontier_chart),
    ChartSpec("invest_backlog", "Backlog: the chosen mix against doing nothing",
              "Devices awaiting examination at each month boundary (mean and 95% band). Both lines see the "
              "same arrivals (common random numbers), so the gap between them is the mix's effect.",
              invest_backlog_chart),
    ChartSpec("invest_wait", "Wait to start: the chosen mix against doing nothing",
              "Mean days waited by the devices whose examination started in each month (mean and 95% band).",
              invest_wait_chart),
    ChartSpec("invest_cost", "Spending by financial year, by lever",
              "The chosen mix's cost inside the horizon, by financial year and option (recurring costs spread "
              "by the day, one-off payments in the month they are made).", invest_cost_chart),
]

