"""The fit report's charts: the weekly arrival series with its fitted trend, and per device type the
fitted density over the histogram of hours with a Q-Q plot beside it.

Why both views of the hours: a density over a histogram shows where the mass is; a Q-Q plot shows the
tail, where a queue's long waits come from. Both are drawn from the fit's JSON (``kind: fit``), so
``--figures`` exports exactly what the page shows.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from dfu_sched.reports.charts.common import ChartSpec, date_axis, legend_below, new_figure
from dfu_sched.reports.charts.palette import BLUE, GREY, INK, LIGHT_GREY, VERMILLION

_FAMILIES = {"exponential": stats.expon, "lognormal": stats.lognorm, "gamma": stats.gamma,
             "weibull": stats.weibull_min}
QQ_POINTS = 400  #: a Q-Q plot of at most this many quantiles (the page stays small; the tail still shows)


def arrivals_chart(doc: dict) -> Figure | None:
    """Cases per week (exposure-adjusted), its 4-week mean and the GLM's fitted rate."""
    w = doc.get("arrivals", {}).get("weekly")
    if not w or not w.get("mondays"):
        return None
    x = np.array([dt.date.fromisoformat(m) for m in w["mondays"]], dtype="datetime64[D]")
    cases = np.asarray(w["cases"], float) / np.maximum(np.asarray(w["exposure"], float), 1e-9)
    fig, ax = new_figure()
    ax.bar(x, cases, width=6, color=LIGHT_GREY, label="cases that week (edge weeks scaled to 7 days)")
    label = "fitted rate (trend" + (" and month of year)" if doc["arrivals"].get("seasonal") else ")")
    ax.plot(x, w["fitted"], color=BLUE, linewidth=1.8, label=label)
    ax.set_ylabel("cases per week")
    date_axis(ax)
    legend_below(ax)
    return fig


def _law(h: dict):
    """The frozen scipy law of the chosen family (or of the best family when the empirical was used)."""
    fams = h.get("families") or []
    if not fams:
        return None, ""
    name = h["chosen"] if h["chosen"] in _FAMILIES else fams[0]["name"]
    fam = next(f for f in fams if f["name"] == name)
    return _FAMILIES[name](*fam["params"]), name


def hours_chart(doc: dict) -> Figure | None:
    """One row per fitted device type: histogram + fitted density (left), Q-Q plot (right)."""
    rows = [(t, h) for t, h in doc.get("hours", {}).items() if h.get("families") and h.get("hours")]
    if not rows:
        return None
    fig = Figure(figsize=(7.6, 2.3 * len(rows) + 0.4), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(rows), 2))
    for (t, h), (left, right) in zip(rows, axes):
        x = np.sort(np.asarray(h["hours"], float))
        law, name = _law(h)
        top = float(np.quantile(x, 0.995))
        left.hist(x[x <= top], bins=40, density=True, color=LIGHT_GREY, label="observed")
        grid = np.linspace(top / 400, top, 300)
        rejected = h["chosen"] == "empirical"
        left.plot(grid, law.pdf(grid), color=VERMILLION if rejected else BLUE, linewidth=1.6,
                  linestyle="--" if rejected else "-", label=f"{name}" + (" (rejected: empirical used)" if rejected
                                                                          else " (chosen by AIC)"))
        left.set_title(f"{t}: {len(x):,} devices, hours", loc="left")
        left.set_xlabel("examination hours")
        left.legend(loc="upper right")
        u = (np.arange(min(len(x), QQ_POINTS)) + 0.5) / min(len(x), QQ_POINTS)
        q, obs = law.ppf(u), np.quantile(x, u)
        right.scatter(q, obs, s=5, color=INK, alpha=0.5, linewidths=0)
        lim = float(max(q.max(), obs.max()))
        right.plot([0, lim], [0, lim], color=GREY, linewidth=1, linestyle=":")
        right.set_title(f"{t}: Q-Q against the {name} fit", loc="left")
        right.set_xlabel(f"{name} quantile, hours")
        right.set_ylabel("observed, hours")
    return fig


FIT_CHARTS = (
    ChartSpec("fit-arrivals", "Cases per week and the fitted rate",
              "Grey bars: new cases each week (a case's week is its first device's submission). Blue line: the "
              "Poisson GLM's rate (trend, and month of year when the likelihood-ratio test kept it).",
              arrivals_chart),
    ChartSpec("fit-hours", "Examination hours: fitted law over the data, and Q-Q plots",
              "Left: histogram of observed hours per device (top 0.5% cut for the view) with the fitted density. "
              "Right: observed quantiles against the fitted law's; points on the dotted line mean a good fit, "
              "points above it at the right mean a heavier tail than the law.", hours_chart),
)
