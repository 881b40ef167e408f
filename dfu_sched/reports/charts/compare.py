"""The compare report's charts: every scenario's backlog and wait, paired differences, spend.

Why here: each chart is a pure function of ``compare.json`` listed in :data:`COMPARE_CHARTS`
(page and ``--figures`` order). Scenario colours come from the palette, the first scenario (the
reference) in ink; the month-by-month lines share :func:`~.common.trajectories_chart` with the
invest report.
"""
from __future__ import annotations

import math
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from dfu_sched.reports.charts.common import (
    RC,
    SQUAT,
    ChartSpec,
    ci,
    estimate,
    finish_spend_axes,
    new_figure,
    short_number,
    trajectories_chart,
)
from dfu_sched.reports.charts.palette import GREY, scenario_style
from dfu_sched.reports.text import scenario_title


def compare_backlog_chart(d: dict) -> Figure | None:
    named = [(scenario_title(s), s["trajectory"], scenario_style(i)) for i, s in enumerate(d.get("scenarios", []))]
    return trajectories_chart(named, d.get("start_date"), "backlog")


def compare_wait_chart(d: dict) -> Figure | None:
    named = [(scenario_title(s), s["trajectory"], scenario_style(i)) for i, s in enumerate(d.get("scenarios", []))]
    return trajectories_chart(named, d.get("start_date"), "wait")


#: Measures worth a forest-plot panel, in reading order (those a compare file lacks are skipped).
FOREST_KEYS = ["overall.exposure", "VH.exposure", "overall.wait_to_start_days.p50", "VH.wait_to_start_days.p50",
               "H.wait_to_start_days.p50", "invest.wait_at_12m_days", "invest.backlog_at_12m",
               "overall.waiting_at_end"]


def forest_keys(d: dict) -> list[str]:
    keys = [k for k in FOREST_KEYS if k in d.get("measures", [])]
    return [k for k in keys if any(estimate(x["measures"].get(k)) == estimate(x["measures"].get(k))
                                   for x in d.get("differences", []))]


def compare_forest_chart(d: dict) -> Figure | None:
    """Paired differences (scenario minus the first) with 95% CI whiskers: one panel per measure.

    Panels, not one axis, because the measures have different units (device-days, days, devices);
    each panel has its own scale and a zero line, so "the whisker crosses zero" reads at a glance.
    Scenarios are told apart by colour and marker (legend below), so the panels keep the full width.
    """
    diffs, keys = d.get("differences", []), forest_keys(d)
    if not diffs or not keys:
        return None
    ids = [s["id"] for s in d["scenarios"]]
    titles = {s["id"]: scenario_title(s) for s in d["scenarios"]}
    rows = len(diffs)
    markers = ["o", "s", "^", "D", "v", "P"]
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.6, (0.5 + 0.2 * rows) * len(keys) + 0.35 * rows + 0.3), layout="constrained")
        axes = fig.subplots(len(keys), 1, squeeze=False)[:, 0]
    handles: list[Any] = []
    for ax, key in zip(axes, keys):
        blocks = [x["measures"].get(key, {}) for x in diffs]
        for j, (diff, b) in enumerate(zip(diffs, blocks)):
            v, (lo, hi) = estimate(b), ci(b)
            y = rows - 1 - j
            style = scenario_style(ids.index(diff["id"]) if diff["id"] in ids else j + 1)
            if not math.isfinite(v):
                continue
            err = [[v - lo], [hi - v]] if math.isfinite(lo) and math.isfinite(hi) else None
            h = ax.errorbar([v], [y], xerr=err, fmt=markers[j % len(markers)], color=style["color"], capsize=4,
                            markersize=6, linewidth=1.6, label=f"{titles.get(diff['id'], diff['id'])} minus "
                                                                 f"{titles.get(diff['versus'], diff['versus'])}")
            if len(handles) < rows and ax is axes[0]:
                handles.append(h)
            txt = _signed(v) + (f"  ({_signed(lo)} to {_signed(hi)})" if err else "")
            ax.annotate(txt, (1.0, y), xycoords=("axes fraction", "data"), xytext=(6, 0),
                        textcoords="offset points", va="center", fontsize=7.5, color=style["color"])
        ax.axvline(0, color=GREY, linewidth=1.0)
        ax.set_yticks([])
        ax.set_ylim(-0.6, rows - 0.4)
        ax.grid(axis="y", visible=False)
        ax.spines["left"].set_visible(False)
        ax.set_title(d.get("labels", {}).get(key, key), loc="left", fontsize=8.5, pad=2)
        vals = [0.0]
        for b in blocks:
            vals += [x for x in (estimate(b), *ci(b)) if math.isfinite(x)]
        pad = 0.06 * ((max(vals) - min(vals)) or 1.0)
        ax.set_xlim(min(vals) - pad, max(vals) + pad)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: short_number(v)))
        ax.tick_params(axis="x", labelsize=7.5, pad=1)
    if handles:
        fig.legend(handles=handles, loc="outside lower left", ncol=1, frameon=False)
    return fig


def _signed(v: float) -> str:
    if not math.isfinite(v):
        return "-"
    return (f"{v:+,.0f}" if abs(v) >= 100 else f"{v:+,.1f}").replace("-", "−")


def compare_cost_chart(d: dict) -> Figure | None:
    """Spending inside the horizon by financial year, one bar per scenario (none if all cost nothing)."""
    sc = d.get("scenarios", [])
    if not any((s.get("cost_gbp") or 0) > 0 for s in sc):
        return None
    years: list[str] = []
    for s in sc:
        for y in s["cost_profile"]["by_financial_year"]:
            if y["financial_year"] not in years:
                years.append(y["financial_year"])
    years.sort()
    fig, ax = new_figure(SQUAT)
    width = 0.8 / len(sc)
    for i, s in enumerate(sc):
        by = {y["financial_year"]: y["total"] for y in s["cost_profile"]["by_financial_year"]}
        xs = np.arange(len(years)) - 0.4 + width * (i + 0.5)
        ax.bar(xs, [by.get(y, 0.0) for y in years], width=width * 0.92, color=scenario_style(i)["color"],
               label=f"{scenario_title(s)}: £{s['cost_gbp']:,.0f} in all", alpha=0.9)
    ax.set_xticks(range(len(years)), [f"FY {y}" for y in years])
    finish_spend_axes(ax)
    return fig


COMPARE_CHARTS: list[ChartSpec] = [
    ChartSpec("compare_backlog", "Backlog awaiting examination, scenario by scenario",
              "Devices submitted but not yet started, month by month: mean of the replications (line) and "
              "95% confidence band (shaded). Scenarios with the same demand see the same devices arriving "
              "(common random numbers), so the lines differ only through what each scenario changes.",
              compare_backlog_chart),
    ChartSpec("compare_wait", "Mean wait to start examination, month by month",
              "For examinations starting in each month, the mean number of days the device had waited "
              "(all tiers), with 95% bands. A month with no starts in a replication is left out of that "
              "replication's average.", compare_wait_chart),
    ChartSpec("compare_differences", "Paired differences against the first scenario",
              "Each dot is a scenario minus the first scenario, averaged over replications that saw the "
              "same arrivals; the whisker is the paired 95% confidence interval. Left of the grey zero line "
              "= fewer days, devices or exposure than the first scenario. A whisker that crosses zero means "
              "the replications cannot tell the two apart on that measure.", compare_forest_chart),
    ChartSpec("compare_cost", "Spending by financial year",
              "Money each scenario's investments cost inside the horizon, by financial year (recurring "
              "costs spread by the day, one-off payments in the month they are made).", compare_cost_chart),
]

