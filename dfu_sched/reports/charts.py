"""Charts for reports: small pure functions of a summary dict -> matplotlib Figure -> inline SVG.

Why matplotlib rendered to SVG on the server: the report must open offline and print, so no
JavaScript chart library is fetched at view time, and the same figures export to PNG/SVG for
slide decks. Colours follow the Okabe-Ito palette (safe for the common colour-vision
deficiencies); each risk tier keeps one colour in every chart, and lines also differ in
marker or dash so a grey-scale print still reads.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot users anywhere in the process

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, PercentFormatter  # noqa: E402

# ---- palette -----------------------------------------------------------------------------------

#: Okabe-Ito colours (Wong 2011, Nature Methods), in the order tiers take them: the highest
#: risk gets the strongest warm colour.
TIER_COLOURS = ["#D55E00", "#E69F00", "#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#F0E442"]
TIER_MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
TIER_DASHES = ["-", "--", "-.", ":", "-", "--", "-."]
INK = "#222222"
GREY = "#777777"
TARGET = "#B2182B"      # target lines: a dark red, always dashed and labelled
SERIES = {"main": "#0072B2", "second": "#CC79A7", "third": "#009E73", "fourth": "#E69F00"}

_RC = {
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


def tier_style(index: int) -> dict:
    """Colour, marker and dash of the ``index``-th tier (same in every chart)."""
    k = index % len(TIER_COLOURS)
    return {"color": TIER_COLOURS[k], "marker": TIER_MARKERS[k], "linestyle": TIER_DASHES[k]}


#: Plain words for the usual KIRAT-like tier names; other names are shown as given.
TIER_WORDS = {"VH": "very high", "H": "high", "M": "medium", "L": "low"}


def tier_label(name: str) -> str:
    words = TIER_WORDS.get(name)
    return f"{name} ({words})" if words else name


# ---- helpers -----------------------------------------------------------------------------------

def _arr(values: Sequence | None) -> np.ndarray:
    """A JSON list with nulls -> float array with NaN."""
    if values is None:
        return np.array([], dtype=float)
    return np.array([np.nan if v is None else float(v) for v in values], dtype=float)


def _series(summary: dict, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    block = summary.get("backlog_weekly", {}).get(key)
    if not block:
        return None
    return _arr(block.get("mean")), _arr(block.get("ci95_low")), _arr(block.get("ci95_high"))


def week_dates(summary: dict) -> np.ndarray:
    """Calendar date of each week boundary, so managers read months, not week numbers."""
    weeks = summary.get("backlog_weekly", {}).get("week", [])
    try:
        start = dt.date.fromisoformat(summary["start_date"])
    except (KeyError, TypeError, ValueError):
        start = dt.date(2000, 1, 3)
    return np.array([np.datetime64(start + dt.timedelta(weeks=int(w))) for w in weeks])


def rolling_mean(x: np.ndarray, window: int = 4) -> np.ndarray:
    """Trailing mean over ``window`` weeks ignoring NaN (weekly shares of few devices are noisy)."""
    out = np.full(x.size, np.nan)
    for i in range(x.size):
        seg = x[max(0, i - window + 1): i + 1]
        seg = seg[np.isfinite(seg)]
        if seg.size:
            out[i] = seg.mean()
    return out


def _new_figure(size: tuple[float, float] = WIDE) -> tuple[Figure, object]:
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=size, layout="constrained")
        ax = fig.add_subplot()
    return fig, ax


def _date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _thousands(ax, axis: str = "y") -> None:
    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _legend_below(ax, ncol: int = 2) -> None:
    """Legends under time charts: every plot keeps the full width, so date axes line up."""
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.14), ncol=ncol, handlelength=2.6)


def _band(ax, x, mean, low, high, color, label, **line_kw) -> None:
    ok = np.isfinite(low) & np.isfinite(high)
    if ok.any():
        ax.fill_between(x, np.where(ok, low, np.nan), np.where(ok, high, np.nan), color=color,
                        alpha=0.18, linewidth=0, label=None)
    ax.plot(x, mean, color=color, label=label, **line_kw)


def _wait_threshold(summary: dict) -> float | None:
    """The longest wait threshold the scenario measures (e.g. 30 days), for target lines."""
    keys = []
    for k in summary.get("first_week_below", {}):
        try:
            keys.append(float(k))
        except ValueError:
            pass
    return max(keys) if keys else None


def _estimate(block: dict | None) -> float:
    v = (block or {}).get("estimate")
    return float(v) if v is not None else math.nan


def _ci(block: dict | None) -> tuple[float, float]:
    lo, hi = (block or {}).get("ci95", [None, None])
    return (math.nan if lo is None else float(lo)), (math.nan if hi is None else float(hi))


# ---- simulation charts ---------------------------------------------------------------------------

def backlog_chart(summary: dict) -> Figure | None:
    """Devices awaiting examination with its 95% band, each stage's queue, and the target line."""
    main = _series(summary, "backlog.awaiting_examination")
    if main is None:
        return None
    x = week_dates(summary)
    fig, ax = _new_figure()
    _band(ax, x, *main, SERIES["main"], "Awaiting examination (all stages before it)", linewidth=2.0)
    styles = {"triage": ("#009E73", ":"), "extraction": ("#CC79A7", "--"),
              "examination": ("#E69F00", "-."), "report": ("#56B4E9", ":")}
    for key in summary["backlog_weekly"]:
        if key.startswith("backlog.waiting."):
            stage = key.rsplit(".", 1)[1]
            colour, dash = styles.get(stage, (GREY, ":"))
            _band(ax, x, *_series(summary, key), colour, f"Queueing for {stage}",
                  linewidth=1.3, linestyle=dash)
    target = backlog_target(summary)
    if target is not None:
        thr, devices = target
        ax.axhline(devices, color=TARGET, linestyle="--", linewidth=1.2,
                   label=f"Target: {devices:,.0f} devices = a {thr:g}-day wait at today's throughput")
    ax.set_ylabel("devices")
    ax.set_ylim(bottom=0)
    _thousands(ax)
    _date_axis(ax)
    _legend_below(ax)
    return fig


def backlog_target(summary: dict) -> tuple[float, float] | None:
    """Backlog that would mean a ``threshold``-day wait (Little's law: devices = rate x wait)."""
    thr = _wait_threshold(summary)
    rate = _estimate(summary.get("throughput_per_week", {}).get("examined"))
    if thr is None or not math.isfinite(rate) or rate <= 0:
        return None
    return thr, rate * thr / 7.0


def months_of_work_chart(summary: dict) -> Figure | None:
    """Backlog over the recent examination rate, in months, against the wait target."""
    s = _series(summary, "months_of_work")
    if s is None or not np.isfinite(s[0]).any():
        return None
    x = week_dates(summary)
    fig, ax = _new_figure(SQUAT)
    _band(ax, x, *s, SERIES["main"], "Months of work waiting (95% band)", linewidth=2.0)
    thr = _wait_threshold(summary)
    if thr is not None:
        months = thr / (365.25 / 12)
        ax.axhline(months, color=TARGET, linestyle="--", linewidth=1.2, label=f"Target: {thr:g} days of work")
    ax.set_ylabel("months")
    ax.set_ylim(bottom=0)
    _date_axis(ax)
    _legend_below(ax)
    return fig


def wait_by_tier_chart(summary: dict) -> Figure | None:
    """P50/P90/P95 and mean (with CI) wait to start per tier, on a log scale, against each target.

    A log axis because targets are 1-30 days while waits can run to hundreds: on a linear axis
    the targets would sit invisibly on zero. The numbers are also printed beside each row.
    """
    tiers = list(summary.get("tiers", {}).items())
    if not tiers:
        return None
    fig, ax = _new_figure((7.6, 0.55 * len(tiers) + 1.5))
    ymax = len(tiers) - 1
    values: list[float] = []
    text_rows: list[tuple[float, str]] = []
    for i, (name, b) in enumerate(tiers):
        y = ymax - i
        st = tier_style(i)
        w = b.get("wait_to_start_days", {})
        p50, p90, p95 = (_estimate(w.get(k)) for k in ("p50", "p90", "p95"))
        mean = _estimate(w.get("mean"))
        lo, hi = _ci(w.get("mean"))
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
    for y, text in text_rows:
        ax.text(1.02, y, text, transform=trans, va="center", fontsize=7.5, color=INK)
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
    fig, ax = _new_figure(SQUAT)
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
    _date_axis(ax)
    _legend_below(ax, ncol=4)
    return fig


def past_target_chart(summary: dict) -> Figure | None:
    """Very-high and high risk devices still waiting beyond their target, week by week."""
    tiers = list(summary.get("tiers", {}))[:2]
    if not tiers or _series(summary, f"past_target.{tiers[0]}") is None:
        return None
    x = week_dates(summary)
    fig, ax = _new_figure(SQUAT)
    for i, name in enumerate(tiers):
        st = tier_style(i)
        target = summary["tiers"][name].get("target_days")
        label = f"{tier_label(name)}: waiting over {target:g} day{'s' if target != 1 else ''}" if target \
            else tier_label(name)
        _band(ax, x, *_series(summary, f"past_target.{name}"), st["color"], label,
              linewidth=1.8, linestyle=st["linestyle"])
    ax.set_ylabel("devices past target")
    ax.set_ylim(bottom=0)
    _thousands(ax)
    _date_axis(ax)
    _legend_below(ax)
    return fig


def utilisation_chart(summary: dict) -> Figure | None:
    """Busy share of rostered hours per examiner group (and kit), with 95% CI."""
    util = summary.get("utilisation", {})
    if not util:
        return None
    # examiner groups first, then all examiners, then kit (stations): people before machines
    names = sorted(util, key=lambda n: (n.endswith("stations"), n == "all examiners"))
    fig, ax = _new_figure((7.6, 0.36 * len(names) + 0.9))
    ys = np.arange(len(names))[::-1]
    for y, name in zip(ys, names):
        est = _estimate(util[name])
        lo, hi = _ci(util[name])
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
    fig, ax = _new_figure(SQUAT)
    ax.plot(x, rolling_mean(came[0][:-1]), color=SERIES["second"], linewidth=1.6, linestyle="--",
            label="submitted (arrivals)")
    ax.plot(x, rolling_mean(done[0][:-1]), color=SERIES["main"], linewidth=1.8, label="examined (throughput)")
    tp = summary.get("throughput_per_week", {})
    for key, colour in (("submitted", SERIES["second"]), ("examined", SERIES["main"])):
        v = _estimate(tp.get(key))
        if math.isfinite(v):
            ax.axhline(v, color=colour, linewidth=0.9, linestyle=":", label=f"{key}: {v:,.1f}/week on average")
    ax.set_ylabel("devices per week")
    ax.set_ylim(bottom=0)
    _date_axis(ax)
    _legend_below(ax)
    return fig


# ---- registry and output -------------------------------------------------------------------------

@dataclass(frozen=True)
class ChartSpec:
    """A chart of a report: file stem, title, caption (how to read it) and its pure function."""

    name: str
    title: str
    caption: str
    draw: Callable[[dict], Figure | None]


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


@dataclass(frozen=True)
class RenderedChart:
    spec: ChartSpec
    svg: str             # inline <svg> element, ids prefixed with the chart name
    figure: Figure


def render_charts(summary: dict, specs: Sequence[ChartSpec] = SIMULATION_CHARTS) -> list[RenderedChart]:
    """Draw every chart that has data (a chart without data is left out, never drawn empty)."""
    out = []
    for spec in specs:
        with matplotlib.rc_context(_RC):
            fig = spec.draw(summary)
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
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = _REF.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", text)
    text = re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"',
                  lambda m: f'<svg{m.group(1)} class="chart" data-chart="{prefix}" role="img"'
                            f' preserveAspectRatio="xMidYMid meet"', text, count=1)
    if title:
        from html import escape
        text = text.replace(">", f"><title>{escape(title)}</title>", 1)
    return text.strip()


def save_figures(charts: Sequence[RenderedChart], out_dir: str | Path, dpi: int = 200) -> list[Path]:
    """Write each chart as ``NAME.png`` and ``NAME.svg`` (for slide decks), atomically."""
    from dfu_sched.io import atomic_dir

    out_dir = Path(out_dir)
    written = []
    with atomic_dir(out_dir) as tmp:
        for c in charts:
            with matplotlib.rc_context({**_RC, "svg.fonttype": "path"}):  # fonts travel with the file
                c.figure.savefig(tmp / f"{c.spec.name}.png", format="png", dpi=dpi, facecolor="white")
                c.figure.savefig(tmp / f"{c.spec.name}.svg", format="svg", metadata={"Date": None})
            written += [out_dir / f"{c.spec.name}.png", out_dir / f"{c.spec.name}.svg"]
    return written
