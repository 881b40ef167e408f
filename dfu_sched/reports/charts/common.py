"""What every chart shares: the matplotlib style, the figure factory, helpers, SVG and PNG export.

Why matplotlib rendered to SVG on the server: the report must open offline and print, so no
JavaScript chart library is fetched at view time, and the same figures export to PNG/SVG for
slide decks. A chart is a pure function of a run's JSON dict returning a Figure (or None when
the data is missing: a chart without data is left out, never drawn empty); a :class:`ChartSpec`
gives it a file stem, a title and a caption. Colours come from :mod:`.palette`.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot users anywhere in the process

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from dfu_sched.io import Outputs  # noqa: E402

RC: dict[Any, Any] = {  # matplotlib types its keys as Literal names; plain strings here
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.0,
    "axes.edgecolor": "#555555",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "legend.fontsize": 8.0,
    "legend.frameon": False,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "svg.fonttype": "none",   # text stays text: smaller, selectable, searchable in the page
    "svg.hashsalt": "dfu-sched",  # deterministic ids (re-prefixed per chart below)
}

WIDE = (7.6, 3.1)
SQUAT = (7.6, 2.5)

#: An interval series of a run's JSON: mean, 95% low, 95% high (NaN where missing).
Band = tuple[np.ndarray, np.ndarray, np.ndarray]


# ---- the figure factory and axis helpers ----------------------------------------------------------

def new_figure(size: tuple[float, float] = WIDE) -> tuple[Figure, Axes]:
    """A figure in the report style with one set of axes (constrained layout)."""
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=size, layout="constrained")
        ax = fig.add_subplot()
    return fig, ax


def date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def thousands(ax: Axes, axis: str = "y") -> None:
    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def gbp_axis(ax: Axes, axis: str = "y") -> None:
    def fmt(v: float, _: object) -> str:
        a = abs(v)
        return f"£{v / 1e6:,.1f}M" if a >= 1e6 else f"£{v / 1e3:,.0f}K" if a >= 1e3 else f"£{v:,.0f}"
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(fmt))


def short_number(v: float) -> str:
    """``1.2M``, ``35k``, ``120``, ``2.5`` (with a real minus sign), for crowded axes."""
    a = abs(v)
    s = f"{v / 1e6:,.1f}M" if a >= 1e6 else f"{v / 1e3:,.0f}k" if a >= 1e4 else f"{v:,.0f}" if a >= 10 else f"{v:g}"
    return s.replace("-", "−")


def legend_below(ax: Axes, ncol: int = 2) -> None:
    """Legends under time charts: every plot keeps the full width, so date axes line up."""
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.14), ncol=ncol, handlelength=2.6)


def finish_spend_axes(ax: Axes) -> None:
    """The money charts' common finish: pounds on y, no vertical grid, the legend below."""
    ax.grid(axis="x", visible=False)
    gbp_axis(ax)
    ax.set_ylabel("spend")
    legend_below(ax, ncol=2)


def band(ax: Axes, x: Any, mean: np.ndarray, low: np.ndarray, high: np.ndarray, color: str, label: str | None,
         **line_kw: Any) -> None:
    """A mean line with its shaded 95% band (the band only where both ends are known)."""
    ok = np.isfinite(low) & np.isfinite(high)
    if ok.any():
        ax.fill_between(x, np.where(ok, low, np.nan), np.where(ok, high, np.nan), color=color,
                        alpha=0.18, linewidth=0, label=None)
    ax.plot(x, mean, color=color, label=label, **line_kw)


# ---- reading a run's JSON -------------------------------------------------------------------------

def as_array(values: Sequence[float | None] | None) -> np.ndarray:
    """A JSON list with nulls -> float array with NaN."""
    if values is None:
        return np.array([], dtype=float)
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def band_of(block: dict | None) -> Band | None:
    """The (mean, low, high) arrays of a JSON series block, None when there is none."""
    if not block:
        return None
    return as_array(block.get("mean")), as_array(block.get("ci95_low")), as_array(block.get("ci95_high"))


def estimate(block: dict | None) -> float:
    """An interval's estimate as a float (NaN when missing)."""
    v = (block or {}).get("estimate")
    return float(v) if v is not None else math.nan


def ci(block: dict | None) -> tuple[float, float]:
    """An interval's 95% bounds as floats (NaN when missing)."""
    lo, hi = (block or {}).get("ci95", [None, None])
    return (math.nan if lo is None else float(lo)), (math.nan if hi is None else float(hi))


def rolling_mean(x: np.ndarray, window: int = 4) -> np.ndarray:
    """Trailing mean over ``window`` weeks ignoring NaN (weekly shares of few devices are noisy)."""
    out = np.full(x.size, np.nan)
    for i in range(x.size):
        seg = x[max(0, i - window + 1): i + 1]
        seg = seg[np.isfinite(seg)]
        if seg.size:
            out[i] = seg.mean()
    return out


# ---- month-by-month trajectories (compare and invest) ---------------------------------------------

def _traj_x(weeks: Sequence[float], start_date: str | None) -> tuple[np.ndarray, bool]:
    """Calendar dates for trajectory points when the start date is known, else month numbers."""
    try:
        start = dt.date.fromisoformat(str(start_date))
    except (TypeError, ValueError):
        return np.array([w / (52.0 / 12.0) for w in weeks], dtype=float), False
    return np.array([np.datetime64(start + dt.timedelta(days=round(7 * float(w)))) for w in weeks]), True


def _wait_points(traj: dict) -> tuple[list[float], Band] | None:
    """Monthly mean wait to start, placed mid-month (it averages the examinations started in the month)."""
    w = traj.get("wait_to_start_days")
    weeks = traj.get("week", [])
    if not w or not w.get("mean") or len(weeks) < 2:
        return None
    mids = [(weeks[m - 1] + weeks[m]) / 2 for m in w["month"] if 1 <= m < len(weeks)]
    n = len(mids)
    return mids, (as_array(w["mean"][:n]), as_array(w["ci95_low"][:n]), as_array(w["ci95_high"][:n]))


def trajectories_chart(named: Sequence[tuple[str, dict, dict]], start_date: str | None, what: str) -> Figure | None:
    """One line (and 95% band) per trajectory: backlog (``what="backlog"``) or monthly wait to start."""
    fig, ax = new_figure(WIDE)
    dated = False
    drawn = False
    for label, traj, style in named:
        s: Band | None
        if what == "backlog":
            s = band_of(traj.get("series", {}).get("backlog.awaiting_examination"))
            weeks = traj.get("week", [])
        else:
            wp = _wait_points(traj)
            s, weeks = (wp[1], wp[0]) if wp else (None, [])
        if s is None or not np.isfinite(s[0]).any():
            continue
        x, dated = _traj_x(weeks, start_date)
        band(ax, x, *s, style["color"], label, linewidth=style.get("linewidth", 1.9),
             linestyle=style.get("linestyle", "-"))
        drawn = True
    if not drawn:
        return None
    ax.set_ylabel("devices awaiting examination" if what == "backlog" else "mean wait to start (days)")
    ax.set_ylim(bottom=0)
    thousands(ax)
    if dated:
        date_axis(ax)
    else:
        ax.set_xlabel("months from the start")
    legend_below(ax, ncol=2)
    return fig


# ---- registry entries and output ------------------------------------------------------------------

@dataclass(frozen=True)
class ChartSpec:
    """A chart of a report: file stem, title, caption (how to read it) and its pure function."""

    name: str
    title: str
    caption: str
    draw: Callable[[dict], Figure | None]


@dataclass(frozen=True)
class RenderedChart:
    spec: ChartSpec
    svg: str             # inline <svg> element, ids prefixed with the chart name
    figure: Figure


def render_charts(data: dict, specs: Sequence[ChartSpec]) -> list[RenderedChart]:
    """Draw every chart that has data (a chart without data is left out, never drawn empty)."""
    out = []
    for spec in specs:
        with matplotlib.rc_context(RC):
            fig = spec.draw(data)
        if fig is not None:
            out.append(RenderedChart(spec, figure_to_svg(fig, spec.name, spec.title), fig))
    return out


_ID = re.compile(r'id="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^")]+)')


def figure_to_svg(fig: Figure, prefix: str, title: str | None = None) -> str:
    """An ``<svg>`` element that scales to its container (width 100%, height from the viewBox).

    Ids are prefixed per chart so several charts in one page never share a clip path.
    """
    buf = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", text)
    text = re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"',
                  lambda m: f'<svg{m.group(1)} class="chart" data-chart="{prefix}" role="img"'
                            f' preserveAspectRatio="xMidYMid meet"', text, count=1)
    if title:
        text = text.replace(">", f"><title>{escape(title)}</title>", 1)
    return text.strip()


def write_figures(charts: Sequence[RenderedChart], folder: str | Path, dpi: int = 200) -> list[str]:
    """Write each chart as ``NAME.png`` and ``NAME.svg`` into ``folder`` (e.g. a staged one); the names."""
    folder = Path(folder)
    names = []
    for c in charts:
        with matplotlib.rc_context({**RC, "svg.fonttype": "path"}):  # fonts travel with the file
            c.figure.savefig(folder / f"{c.spec.name}.png", format="png", dpi=dpi, facecolor="white")
            c.figure.savefig(folder / f"{c.spec.name}.svg", format="svg", metadata={"Date": None})
        names += [f"{c.spec.name}.png", f"{c.spec.name}.svg"]
    return names


def save_figures(charts: Sequence[RenderedChart], out_dir: str | Path, dpi: int = 200) -> list[Path]:
    """Write each chart as ``NAME.png`` and ``NAME.svg`` (for slide decks), all together or none.

    Other files already in ``out_dir`` (a slide deck's folder) are kept.
    """
    out_dir = Path(out_dir)
    outs = Outputs()
    outs.figures("--figures", out_dir)
    with outs.transaction() as stage:
        names = write_figures(charts, stage[out_dir], dpi)
    return [out_dir / n for n in names]
