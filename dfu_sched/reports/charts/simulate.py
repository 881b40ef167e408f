"""The simulation report's charts: backlog, months of work, waits by tier, utilisation, throughput.

Why here: each chart is a small pure function of ``summary.json`` (the dict ``simulate`` writes),
listed with its title and caption in :data:`SIMULATION_CHARTS`, the order the page and
``--figures`` use. Adding a simulation chart touches this module (function and ``ChartSpec``) and
its test.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, PercentFormatter

from dfu_sched.reports.charts.common import (
    SQUAT,
    Band,
    ChartSpec,
    band,
    band_of,
    ci,
    date_axis,
    estimate,
    legend_below,
    new_figure,
    rolling_mean,
    thousands,
)
from dfu_sched.reports.charts.palette import GREY, INK, SERIES, STAGE_STYLES, TARGET, tier_label, tier_style


def _series(summary: dict, key: str) -> Band | None:
    return band_of(summary.get("backlog_weekly", {}).get(key))


def _series_needed(summary: dict, key: str) -> Band:
    """A series the chart cannot do without (a missing one is a malformed summary)."""
    s = _series(summary, key)
    if s is None:
        raise KeyError(key)
    return s


def week_dates(summary: dict) -> np.ndarray:
    """Calendar date of each week boundary, so managers read months, not week numbers."""
    weeks = summary.get("backlog_weekly", {}).get("week", [])
    try:
        start = dt.date.fromisoformat(summary["start_date"])
    except (KeyError, TypeError, ValueError):
        start = dt.date(2000, 1, 3)
    return np.array([np.datetime64(start + dt.timedelta(weeks=int(w))) for w in weeks])




def _wait_threshold(summary: dict) -> float | None:
    """The longest wait threshold the scenario measures (e.g. 30 days), for target lines."""
    keys = []
    for k in summary.get("first_week_below", {}):
        try:
            keys.append(float(k))
        except ValueError:
            pass
    return max(keys) if keys else None


def backlog_chart(summary: dict) -> Figure | None:
    """Devices awaiting examination with its 95% band, each stage's queue, and the target line."""
    main = _series(summary, "backlog.awaiting_examination")
    if main is None:
        return None
    x = week_dates(summary)
    fig, ax = new_figure()
    band(ax, x, *main, SERIES["main"], "Awaiting examination (all stages before it)", linewidth=2.0)
    for key in summary["backlog_weekly"]:
        if key.startswith("backlog.waiting."):
            stage = key.rsplit(".", 1)[1]
            colour, dash = STAGE_STYLES.get(stage, (GREY, ":"))
            band(ax, x, *_series_needed(summary, key), colour, f"Queueing for {stage}",
                  linewidth=1.3, linestyle=dash)
    target = backlog_target(summary)
    if target is not None:
        thr, devices = target
        ax.axhline(devices, color=TARGET, linestyle="--", linewidth=1.2,
                   label=f"Target: {devices:,.0f} devices = a {thr:g}-day wait at today's throughput")
    ax.set_ylabel("devices")
    ax.set_ylim(bottom=0)
    thousands(ax)
    date_axis(ax)
    legend_below(ax)
    return fig


def backlog_target(summary: dict) -> tuple[float, float] | None:
    """Backlog that would mean a ``threshold``-day wait (Little's law: devices = rate x wait)."""
    thr = _wait_threshold(summary)
    rate = estimate(summary.get("throughput_per_week", {}).get("examined"))
    if thr is None or not math.isfinite(rate) or rate <= 0:
        return None
    return thr, rate * thr / 7.0


def months_of_work_chart(summary: dict) -> Figure | None:
    """Backlog over the recent examination rate, in months, against the wait target."""
    s = _series(summary, "months_of_work")
    if s is None or not np.isfinite(s[0]).any():
        return None
    x = week_dates(summary)
    fig, ax = new_figure(SQUAT)
    band(ax, x, *s, SERIES["main"], "Months of work waiting (95% band)", linewidth=2.0)
    thr = _wait_threshold(summary)
    if thr is not None:
        months = thr / (365.25 / 12)
        ax.axhline(months, color=TARGET, linestyle="--", linewidth=1.2, label=f"Target: {thr:g} days of work")
    ax.set_ylabel("months")
    ax.set_ylim(bottom=0)
    date_axis(ax)
    legend_below(ax)
    return fig


def wait_by_tier_chart(summary: dict) -> Figure | None:
    """P50/P90/P95 and mean (with CI) wait to start per tier, on a log scale, against each target.

    A log axis because targets are 1-30 days while waits can run to hundreds: on a linear axis
    the targets would sit invisibly on zero. The numbers are also printed beside each row.
    """
    tiers = list(summary.get("tiers", {}).items())
    if not tiers:
        return None
    fig, ax = new_figure((7.6, 0.55 * len(tiers) + 1.5))
    ymax = len(tiers) - 1
    values: list[float] = []
    text_rows: list[tuple[float, str]] = []
    for i, (_name, b) in enumerate(tiers):
        y = ymax - i
        st = tier_style(i)
        w = b.get("wait_to_start_days", {})
        p50, p90, p95 = (estimate(w.get(k)) for k in ("p50", "p90", "p95"))
        mean = estimate(w.get("mean"))
        lo, hi = ci(w.get("mean"))
        values += [v for v in (p50, p90, p95, mean, lo, hi) if math.isfinite(v) and v > 0]
        t = b.get("target_days")
        if t:
            values.append(float(t))
            ax.plot([t, t], [y - 0.36, y + 0.36], color=TARGET, linewidth=2.4, solid_capstyle="butt",
                    label="tier target" if i == 0 else None)
        if t and math.isfinite(p50) and p50 > t:  # the gap between target and typical wait
            ax.plot([t, p50], [y + 0.1, y + 0.1], color=st["color"], linewidth=1.0, linestyle=":")
        if math.isfinite(p50) and math.isfinite(p95) and p95 > 0:
            ax.plot([max(p50, 1e-2), p95], [y + 0.1, y + 0.1], color=st["color"], linewidth=6, alpha=0.3,
                    solid_capstyle="butt")
        for v, mk, lab in ((p50, "o", "median (P50)"), (p90, "s", "P90"), (p95, "^", "P95")):
            if math.isfinite(v) and v > 0:
                ax.plot([v], [y + 0.1], marker=mk, color=st["color"], markeredgecolor="white",
                        markeredgewidth=0.6, markersize=7, linestyle="none", label=lab if i == 0 else None)
        if math.isfinite(mean) and mean > 0:
            err = None
            if math.isfinite(lo) and math.isfinite(hi):
                err = [[max(mean - max(lo, 1e-2), 0.0)], [max(hi - mean, 0.0)]]
            ax.errorbar([mean], [y - 0.2], xerr=err, fmt="D", color=INK, markersize=4, capsize=3,
                        linewidth=1, label="mean, 95% CI" if i == 0 else None)
        text = f"median {_days(p50)} · P90 {_days(p90)} · P95 {_days(p95)} days"
        text_rows.append((y, text + (f"\n(target {t:g} day{'s' if t != 1 else ''})" if t else "")))
    ax.set_yticks(range(ymax, -1, -1), [tier_label(n) for n, _ in tiers])
    ax.set_ylim(-0.7, ymax + 0.7)
    ax.grid(axis="y", visible=False)
    ax.set_xscale("log")
    if values:
        ax.set_xlim(min(values + [1.0]) / 1.5, max(values) * 1.5)
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 3.0)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    ax.set_xlabel("days from submission to start of examination (log scale)")
    trans = ax.get_yaxis_transform()  # x in axes fraction, y in data
    for row_y, text in text_rows:
        ax.text(1.02, row_y, text, transform=trans, va="center", fontsize=7.5, color=INK)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.2), ncol=5, handletextpad=0.3, columnspacing=1.2)
    return fig


def _days(v: float) -> str:
    return f"{v:,.0f}" if math.isfinite(v) and v >= 10 else (f"{v:.1f}" if math.isfinite(v) else "-")


def within_target_chart(summary: dict) -> Figure | None:
    """Share of each week's examination starts that met their tier target (4-week average)."""
    tiers = list(summary.get("tiers", {}))
    if not tiers or _series(summary, f"within_target_share.{tiers[0]}") is None:
        return None
    x = week_dates(summary)
    fig, ax = new_figure(SQUAT)
    for i, name in enumerate(tiers):
        s = _series(summary, f"within_target_share.{name}")
        if s is None:
            continue
        st = tier_style(i)
        ax.plot(x, rolling_mean(s[0]), color=st["color"], linestyle=st["linestyle"], linewidth=1.6,
                marker=st["marker"], markevery=max(1, len(x) // 12), markersize=4, label=tier_label(name))
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("started within target")
    date_axis(ax)
    legend_below(ax, ncol=4)
    return fig


def past_target_chart(summary: dict) -> Figure | None:
    """Very-high and high risk devices still waiting beyond their target, week by week."""
    tiers = list(summary.get("tiers", {}))[:2]
    if not tiers or _series(summary, f"past_target.{tiers[0]}") is None:
        return None
    x = week_dates(summary)
    fig, ax = new_figure(SQUAT)
    for i, name in enumerate(tiers):
        st = tier_style(i)
        target = summary["tiers"][name].get("target_days")
        label = f"{tier_label(name)}: waiting over {target:g} day{'s' if target != 1 else ''}" if target \
            else tier_label(name)
        band(ax, x, *_series_needed(summary, f"past_target.{name}"), st["color"], label,
              linewidth=1.8, linestyle=st["linestyle"])
    ax.set_ylabel("devices past target")
    ax.set_ylim(bottom=0)
    thousands(ax)
    date_axis(ax)
    legend_below(ax)
    return fig


def utilisation_chart(summary: dict) -> Figure | None:
    """Busy share of rostered hours per examiner group (and kit), with 95% CI."""
    util = summary.get("utilisation", {})
    if not util:
        return None
    # examiner groups first, then all examiners, then kit (stations): people before machines
    names = sorted(util, key=lambda n: (n.endswith("stations"), n == "all examiners"))
    fig, ax = new_figure((7.6, 0.36 * len(names) + 0.9))
    ys = np.arange(len(names))[::-1]
    for y, name in zip(ys, names):
        est = estimate(util[name])
        lo, hi = ci(util[name])
        colour = INK if name == "all examiners" else (GREY if name.endswith("stations") else SERIES["main"])
        ax.barh([y], [est if math.isfinite(est) else 0], color=colour, height=0.6, alpha=0.85)
        if math.isfinite(lo) and math.isfinite(hi) and math.isfinite(est):
            ax.errorbar([est], [y], xerr=[[est - lo], [hi - est]], fmt="none", ecolor=INK, capsize=3)
        if math.isfinite(est):
            ax.annotate(f"{est:.0%}", (min(est, 1.0), y), textcoords="offset points", xytext=(4, 0),
                        va="center", fontsize=8, color=INK)
    ax.set_yticks(ys, [f"{n} (kit)" if n.endswith("stations") else n for n in names])
    ax.set_xlim(0, 1.12)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("busy share of rostered hours")
    ax.grid(axis="y", visible=False)
    return fig


def throughput_chart(summary: dict) -> Figure | None:
    """Devices examined vs devices submitted per week: the backlog grows when arrivals win.

    Weekly counts of a few dozen devices jump about; 4-week trailing averages show the trend.
    """
    done = _series(summary, "throughput.examined")
    came = _series(summary, "throughput.submitted")
    if done is None or came is None:
        return None
    x = week_dates(summary)[:-1]  # the last boundary closes no week
    fig, ax = new_figure(SQUAT)
    ax.plot(x, rolling_mean(came[0][:-1]), color=SERIES["second"], linewidth=1.6, linestyle="--",
            label="submitted (arrivals)")
    ax.plot(x, rolling_mean(done[0][:-1]), color=SERIES["main"], linewidth=1.8, label="examined (throughput)")
    tp = summary.get("throughput_per_week", {})
    for key, colour in (("submitted", SERIES["second"]), ("examined", SERIES["main"])):
        v = estimate(tp.get(key))
        if math.isfinite(v):
            ax.axhline(v, color=colour, linewidth=0.9, linestyle=":", label=f"{key}: {v:,.1f}/week on average")
    ax.set_ylabel("devices per week")
    ax.set_ylim(bottom=0)
    date_axis(ax)
    legend_below(ax)
    return fig



SIMULATION_CHARTS: list[ChartSpec] = [
    ChartSpec("backlog", "Backlog awaiting examination, week by week",
              "Devices submitted but not yet started by an examiner (solid line: mean of replications; "
              "shaded: 95% confidence band), with the queue in front of each stage. The dashed red line "
              "is the backlog that would mean the longest measured wait target at today's throughput "
              "(Little's law).", backlog_chart),
    ChartSpec("months_of_work", "Months of work waiting",
              "Backlog divided by the examination rate of the previous 13 weeks: how long the queue would "
              "take to clear if nothing new arrived.", months_of_work_chart),
    ChartSpec("wait_by_tier", "Wait to start examination by risk tier, against each tier's target",
              "For devices whose examination started in the period: the median (circle), 90th (square) and "
              "95th (triangle) percentiles and the mean with its 95% CI (black diamond). The red bar is "
              "the tier's response target; everything right of it is late. Log scale: gridlines at "
              "1, 3, 10, 30, 100, 300 days.", wait_by_tier_chart),
    ChartSpec("within_target", "Share started within target, over time",
              "Of the devices whose examination started in a week, the share that had waited no longer "
              "than their tier's target (4-week trailing average of the replication means).",
              within_target_chart),
    ChartSpec("past_target", "Very-high and high risk devices past target",
              "Devices still waiting for examination beyond their tier's target, week by week "
              "(mean and 95% band).", past_target_chart),
    ChartSpec("utilisation", "Examiner and kit utilisation",
              "Share of rostered hours spent working on devices, per examiner group and for the extraction "
              "kit, with 95% CI. Near 100% means the queue, not the people, sets the pace.",
              utilisation_chart),
    ChartSpec("throughput", "Throughput against arrivals",
              "Devices whose examination finished each week against devices submitted each week "
              "(4-week trailing averages of the replication means; dotted: averages over the period). "
              "When arrivals exceed throughput the backlog grows.", throughput_chart),
]
