"""The back-test report's charts: per series, the history's actual months over the simulated band.

Why here: each chart is a pure function of ``backtest.json`` listed in :data:`BACKTEST_CHARTS`
(page and ``--figures`` order). One palette: the simulated mean and its 95% prediction band in
blue, the actual in ink with a marker per month, so "is the black line inside the shading" reads
at a glance, in print and for colour-blind readers.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure

from dfu_sched.reports.charts.common import SQUAT, ChartSpec, as_array, band, date_axis, legend_below, new_figure
from dfu_sched.reports.charts.palette import BLUE, INK


def _month_x(months: list[str]) -> np.ndarray:
    """Middle of each month (a label ``YYYY-MM``), so a point sits over its month on a date axis."""
    return np.array([dt.date(int(m[:4]), int(m[5:7]), 15) for m in months], dtype="datetime64[D]")


def series_chart(key: str, axis_label: str) -> Callable[[dict], Figure | None]:
    """The chart of one series: actual line over the simulated mean and band (``None`` without data)."""

    def draw(d: dict) -> Figure | None:
        s = d.get("series", {}).get(key)
        months = d.get("months") or []
        if not s or not months:
            return None
        actual = as_array(s["actual"])
        if not np.isfinite(actual).any():
            return None
        x = _month_x(months)
        fig, ax = new_figure(SQUAT)
        band(ax, x, as_array(s["mean"]), as_array(s["low"]), as_array(s["high"]), BLUE,
             "simulated mean (95% band of replications)")
        ax.plot(x, actual, color=INK, marker="o", markersize=3.5, linewidth=1.6, label="actual (history)")
        ax.set_ylabel(axis_label)
        ax.set_ylim(bottom=0)
        date_axis(ax)
        legend_below(ax, ncol=2)
        return fig

    return draw


BACKTEST_CHARTS = [
    ChartSpec("backtest_backlog", "Backlog at month end: actual and simulated",
              "Black: devices the history shows awaiting examination at each month end. Blue: the simulated "
              "mean, shaded where 95% of replications fall. Months with black inside the shading are covered.",
              series_chart("backlog", "devices awaiting")),
    ChartSpec("backtest_wait", "Median wait to start of examination: actual and simulated",
              "Median days from submission to the start of examination, over examinations started in each "
              "month (months with none are left out).",
              series_chart("median_wait_days", "days")),
    ChartSpec("backtest_examined", "Devices examined each month: actual and simulated",
              "Devices whose examination ended in each month.",
              series_chart("examined", "devices")),
]
