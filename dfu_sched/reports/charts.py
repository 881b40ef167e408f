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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display; must precede pyplot users anywhere in the process

import matplotlib.dates as mdates  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
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


def tier_colour(tier: str, tiers: Sequence[str]) -> str:
    """The one colour of ``tier`` (tiers listed most urgent first), for charts, bars and HTML tags."""
    return tier_style(list(tiers).index(tier) if tier in tiers else len(tiers))["color"]


def _luminance(colour: str) -> float:
    rgb = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def ink_on(colour: str) -> str:
    """White or near-black text on ``colour``, whichever has the higher WCAG contrast."""
    bg = _luminance(colour)
    on_white = 1.05 / (bg + 0.05)
    on_ink = (bg + 0.05) / (_luminance(INK) + 0.05)
    return "#FFFFFF" if on_white > on_ink else INK


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


def write_figures(charts: Sequence[RenderedChart], folder: str | Path, dpi: int = 200) -> list[str]:
    """Write each chart as ``NAME.png`` and ``NAME.svg`` into ``folder`` (e.g. a staged one); the names."""
    folder = Path(folder)
    names = []
    for c in charts:
        with matplotlib.rc_context({**_RC, "svg.fonttype": "path"}):  # fonts travel with the file
            c.figure.savefig(folder / f"{c.spec.name}.png", format="png", dpi=dpi, facecolor="white")
            c.figure.savefig(folder / f"{c.spec.name}.svg", format="svg", metadata={"Date": None})
        names += [f"{c.spec.name}.png", f"{c.spec.name}.svg"]
    return names


def save_figures(charts: Sequence[RenderedChart], out_dir: str | Path, dpi: int = 200) -> list[Path]:
    """Write each chart as ``NAME.png`` and ``NAME.svg`` (for slide decks), all together or none.

    Other files already in ``out_dir`` (a slide deck's folder) are kept.
    """
    from dfu_sched.io import Outputs

    out_dir = Path(out_dir)
    outs = Outputs()
    outs.figures("--figures", out_dir)
    with outs.transaction() as stage:
        names = write_figures(charts, stage[out_dir], dpi)
    return [out_dir / n for n in names]


# ---- compare and invest charts -------------------------------------------------------------------

#: Scenario colours (Okabe-Ito again, starting with the blue of the simulation's main series);
#: the first scenario (the reference every difference is taken against) is always the black-ish ink.
SCENARIO_COLOURS = [INK, "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
SCENARIO_DASHES = ["-", "--", "-.", ":", "-", "--", "-."]
CHOSEN = "#0072B2"
BASELINE_STYLE = {"color": GREY, "linestyle": "--"}


def scenario_style(index: int) -> dict:
    k = index % len(SCENARIO_COLOURS)
    return {"color": SCENARIO_COLOURS[k], "linestyle": SCENARIO_DASHES[k]}


def _traj_x(weeks: Sequence[float], start_date: str | None) -> tuple[np.ndarray, bool]:
    """Calendar dates for trajectory points when the start date is known, else month numbers."""
    try:
        start = dt.date.fromisoformat(str(start_date))
    except (TypeError, ValueError):
        return np.array([w / (52.0 / 12.0) for w in weeks], dtype=float), False
    return np.array([np.datetime64(start + dt.timedelta(days=round(7 * float(w)))) for w in weeks]), True


def _month_axis(ax, dated: bool) -> None:
    if dated:
        _date_axis(ax)
    else:
        ax.set_xlabel("months from the start")


def _traj_series(traj: dict, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    block = traj.get("series", {}).get(key)
    if not block:
        return None
    return _arr(block.get("mean")), _arr(block.get("ci95_low")), _arr(block.get("ci95_high"))


def _wait_points(traj: dict) -> tuple[list[float], tuple[np.ndarray, np.ndarray, np.ndarray]] | None:
    """Monthly mean wait to start, placed mid-month (it averages the examinations started in the month)."""
    w = traj.get("wait_to_start_days")
    weeks = traj.get("week", [])
    if not w or not w.get("mean") or len(weeks) < 2:
        return None
    mids = [(weeks[m - 1] + weeks[m]) / 2 for m in w["month"] if 1 <= m < len(weeks)]
    n = len(mids)
    return mids, (_arr(w["mean"][:n]), _arr(w["ci95_low"][:n]), _arr(w["ci95_high"][:n]))


def trajectories_chart(named: Sequence[tuple[str, dict, dict]], start_date: str | None, what: str) -> Figure | None:
    """One line (and 95% band) per trajectory: backlog (``what="backlog"``) or monthly wait to start."""
    fig, ax = _new_figure(WIDE)
    drawn = False
    for label, traj, style in named:
        if what == "backlog":
            s = _traj_series(traj, "backlog.awaiting_examination")
            weeks = traj.get("week", [])
        else:
            wp = _wait_points(traj)
            s, weeks = (wp[1], wp[0]) if wp else (None, [])
        if s is None or not np.isfinite(s[0]).any():
            continue
        x, dated = _traj_x(weeks, start_date)
        _band(ax, x, *s, style["color"], label, linewidth=style.get("linewidth", 1.9),
              linestyle=style.get("linestyle", "-"))
        drawn = True
    if not drawn:
        return None
    ax.set_ylabel("devices awaiting examination" if what == "backlog" else "mean wait to start (days)")
    ax.set_ylim(bottom=0)
    _thousands(ax)
    _month_axis(ax, dated)
    _legend_below(ax, ncol=2)
    return fig


def compare_backlog_chart(d: dict) -> Figure | None:
    named = [(_title(s), s["trajectory"], scenario_style(i)) for i, s in enumerate(d.get("scenarios", []))]
    return trajectories_chart(named, d.get("start_date"), "backlog")


def compare_wait_chart(d: dict) -> Figure | None:
    named = [(_title(s), s["trajectory"], scenario_style(i)) for i, s in enumerate(d.get("scenarios", []))]
    return trajectories_chart(named, d.get("start_date"), "wait")


def _title(s: dict) -> str:
    """A compared scenario's name for legends (older compare.json files: its file id)."""
    return s.get("title") or s["id"]


#: Measures worth a forest-plot panel, in reading order (those a compare file lacks are skipped).
FOREST_KEYS = ["overall.exposure", "VH.exposure", "overall.wait_to_start_days.p50", "VH.wait_to_start_days.p50",
               "H.wait_to_start_days.p50", "invest.wait_at_12m_days", "invest.backlog_at_12m",
               "overall.waiting_at_end"]


def forest_keys(d: dict) -> list[str]:
    keys = [k for k in FOREST_KEYS if k in d.get("measures", [])]
    return [k for k in keys if any(_estimate(x["measures"].get(k)) == _estimate(x["measures"].get(k))
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
    titles = {s["id"]: _title(s) for s in d["scenarios"]}
    rows = len(diffs)
    markers = ["o", "s", "^", "D", "v", "P"]
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(7.6, (0.5 + 0.2 * rows) * len(keys) + 0.35 * rows + 0.3), layout="constrained")
        axes = fig.subplots(len(keys), 1, squeeze=False)[:, 0]
    handles = []
    for ax, key in zip(axes, keys):
        blocks = [x["measures"].get(key, {}) for x in diffs]
        for j, (diff, b) in enumerate(zip(diffs, blocks)):
            v, (lo, hi) = _estimate(b), _ci(b)
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
            vals += [x for x in (_estimate(b), *_ci(b)) if math.isfinite(x)]
        pad = 0.06 * ((max(vals) - min(vals)) or 1.0)
        ax.set_xlim(min(vals) - pad, max(vals) + pad)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _short(v)))
        ax.tick_params(axis="x", labelsize=7.5, pad=1)
    if handles:
        fig.legend(handles=handles, loc="outside lower left", ncol=1, frameon=False)
    return fig


def _signed(v: float) -> str:
    if not math.isfinite(v):
        return "-"
    return (f"{v:+,.0f}" if abs(v) >= 100 else f"{v:+,.1f}").replace("-", "−")


def _short(v: float) -> str:
    a = abs(v)
    s = f"{v / 1e6:,.1f}M" if a >= 1e6 else f"{v / 1e3:,.0f}k" if a >= 1e4 else f"{v:,.0f}" if a >= 10 else f"{v:g}"
    return s.replace("-", "−")


def _gbp_axis(ax, axis: str = "y") -> None:
    def fmt(v, _):
        a = abs(v)
        return f"£{v / 1e6:,.1f}M" if a >= 1e6 else f"£{v / 1e3:,.0f}K" if a >= 1e3 else f"£{v:,.0f}"
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(FuncFormatter(fmt))


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
    fig, ax = _new_figure(SQUAT)
    width = 0.8 / len(sc)
    for i, s in enumerate(sc):
        by = {y["financial_year"]: y["total"] for y in s["cost_profile"]["by_financial_year"]}
        xs = np.arange(len(years)) - 0.4 + width * (i + 0.5)
        ax.bar(xs, [by.get(y, 0.0) for y in years], width=width * 0.92, color=scenario_style(i)["color"],
               label=f"{_title(s)}: £{s['cost_gbp']:,.0f} in all", alpha=0.9)
    ax.set_xticks(range(len(years)), [f"FY {y}" for y in years])
    ax.grid(axis="x", visible=False)
    _gbp_axis(ax)
    ax.set_ylabel("spend")
    _legend_below(ax, ncol=2)
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


# ---- invest charts -----------------------------------------------------------------------------------

def frontier_chart(d: dict) -> Figure | None:
    """Cost against the objective for every mix evaluated: frontier joined, dominated grey, chosen starred."""
    key = d.get("objective", {}).get("name", "exposure")
    pts = [p for p in d.get("evaluated", []) if p["objectives"].get(key) is not None]
    if not pts:
        return None
    fig, ax = _new_figure(WIDE)
    screened = [p for p in d.get("screened", []) if p["objectives"].get(key) is not None]
    if screened:
        ax.scatter([p["cost_gbp"] for p in screened], [p["objectives"][key] for p in screened], s=10,
                   color="#BBBBBB", marker=".", label="screened (few replications)", zorder=1)
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
    if _estimate(base) == _estimate(base):
        ax.scatter([0], [_estimate(base)], marker="s", s=40, color=INK, label="do nothing", zorder=4)
    ch = d.get("chosen", {})
    ch_v = _estimate(ch.get("measures", {}).get(d.get("objective", {}).get("key", "")))
    if math.isfinite(ch_v):
        lo, hi = _ci(ch["measures"][d["objective"]["key"]])
        err = [[ch_v - lo], [hi - ch_v]] if math.isfinite(lo) and math.isfinite(hi) else None
        ax.errorbar([ch["cost_gbp"]], [ch_v], yerr=err, fmt="*", color=TIER_COLOURS[0], markersize=15,
                    markeredgecolor=INK, markeredgewidth=0.6, capsize=4, zorder=5,
                    label="chosen mix (95% CI)")
    if d.get("budget_gbp"):
        ax.axvline(d["budget_gbp"], color=TARGET, linestyle="--", linewidth=1.2,
                   label=f"budget £{d['budget_gbp']:,.0f}")
    ax.set_xlim(left=-0.02 * max([p["cost_gbp"] for p in pts] + [d.get("budget_gbp") or 0, 1]))
    ax.set_ylim(bottom=0)
    _gbp_axis(ax, "x")
    ax.set_xlabel("cost inside the horizon")
    ax.set_ylabel(OBJECTIVE_AXIS.get(key, key))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _short(v)))
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.2), ncol=3, handlelength=2.2)
    return fig


OBJECTIVE_AXIS = {"exposure": "exposure (weighted device-days)", "wait-12m": "wait to start in month 12 (days)",
                  "backlog": "devices waiting at the end"}


def _invest_named(d: dict) -> list[tuple[str, dict, dict]]:
    tr = d.get("trajectory", {})
    return [("doing nothing", tr.get("baseline", {}), {**BASELINE_STYLE, "linewidth": 1.6}),
            (f"chosen mix: {d.get('chosen', {}).get('label', '')}", tr.get("chosen", {}),
             {"color": CHOSEN, "linestyle": "-", "linewidth": 2.2})]


def invest_backlog_chart(d: dict) -> Figure | None:
    return trajectories_chart(_invest_named(d), d.get("start_date"), "backlog")


def invest_wait_chart(d: dict) -> Figure | None:
    return trajectories_chart(_invest_named(d), d.get("start_date"), "wait")


LEVER_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", GREY]


def invest_cost_chart(d: dict) -> Figure | None:
    """The chosen mix's spend by financial year, stacked by lever."""
    cp = d.get("cost_profile", {})
    years, opts = cp.get("by_financial_year", []), cp.get("options", [])
    if not years or not opts or not (cp.get("total_gbp") or 0) > 0:
        return None
    fig, ax = _new_figure(SQUAT)
    x = np.arange(len(years))
    bottom = np.zeros(len(years))
    hatches = ["", "//", "..", "xx", "\\\\", "++", "oo", "--"]
    for i, o in enumerate(opts):
        v = np.array([y.get(o, 0.0) for y in years], dtype=float)
        ax.bar(x, v, bottom=bottom, width=0.6, color=LEVER_COLOURS[i % len(LEVER_COLOURS)],
               hatch=hatches[i % len(hatches)], edgecolor="white", linewidth=0.5,
               label=f"{o}: £{cp.get('by_option', {}).get(o, v.sum()):,.0f}")
        bottom += v
    for xi, total in zip(x, bottom):
        ax.annotate(f"£{total:,.0f}", (xi, total), xytext=(0, 3), textcoords="offset points", ha="center",
                    fontsize=7.5)
    ax.set_xticks(x, [f"FY {y['financial_year']}" for y in years])
    ax.set_ylim(0, max(bottom.max() * 1.15, 1))
    ax.grid(axis="x", visible=False)
    _gbp_axis(ax)
    ax.set_ylabel("spend")
    _legend_below(ax, ncol=2)
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


# ---- plan chart ------------------------------------------------------------------------------------

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri"]


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
    fig, ax = _new_figure((7.6, 0.42 * len(examiners) + 1.3))
    n = len(examiners)
    for i, ex in enumerate(examiners):
        y = n - 1 - i
        for a, b in ex.get("windows", []):
            if int(a // 24) < 5:
                x0, x1 = week_x(a, day_from, day_to), week_x(b - 1e-9, day_from, day_to)
                ax.barh([y], [x1 - x0], left=[x0], height=0.78, color="#EEF3EA", edgecolor="none", zorder=1)
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
        ax.axvline(d, color="#BBBBBB", linewidth=0.8, zorder=0)
    ax.set_xlim(0, 5)
    ax.set_xticks([d + 0.5 for d in range(5)], [_day_label(doc, d) for d in range(5)])
    ax.tick_params(axis="x", length=0)
    ax.grid(False)
    ax.set_yticks(range(n - 1, -1, -1), [ex["examiner"] for ex in examiners])
    ax.set_ylim(-0.6, n - 0.4)
    handles = [Patch(color=tier_style(i)["color"], label=tier_label(t)) for i, t in enumerate(tiers)]
    handles.append(Patch(color="#EEF3EA", label="working hours"))
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
