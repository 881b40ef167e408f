"""The sweep report's charts: each shown measure across the grid, as a heat map or a line.

Why here: each chart is a pure function of ``sweep.json`` listed in :data:`SWEEP_CHARTS` (page and
``--figures`` order), one per shown measure (the target's measure first). A grid of two keys is a
heat map (first key down, second across; every cell its mean; the target's cells starred and the
cheapest one framed), one key is a line with 95% whiskers (bars for words such as disciplines),
more keys are a dot plot of the points. The heat map uses cividis: ordered light to dark and
readable with any colour vision, in print too (reversed: darker is larger).
"""
from __future__ import annotations

from collections.abc import Callable

import matplotlib
import numpy as np
from matplotlib.colors import Normalize, to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from dfu_sched.reports.charts.common import WIDE, ChartSpec, ci, estimate, new_figure, short_number, thousands
from dfu_sched.reports.charts.palette import BLUE, INK, TARGET, ink_on

#: Points a dot plot (three or more keys) can show legibly.
MAX_DOTS = 60


def _numeric(values: list) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _target_line(ax, d: dict, key: str, horizontal: bool = True) -> None:
    t = d.get("target")
    if t and t.get("key") == key:
        draw = ax.axhline if horizontal else ax.axvline
        draw(t["value"], color=TARGET, linestyle="--", linewidth=1.2, label=f"target {t['op']} {t['value']:g}")


def _cells(d: dict, key: str) -> tuple[list, list, np.ndarray, dict]:
    """Rows (first key's values), columns (second key's), the matrix of means, and (row, col) -> point."""
    a0, a1 = d["axes"][0], d["axes"][1]
    rows, cols = list(dict.fromkeys(a0["values"])), list(dict.fromkeys(a1["values"]))
    m = np.full((len(rows), len(cols)), np.nan)
    where: dict[tuple[int, int], int] = {}
    for p in d["points"]:
        r, c = rows.index(p["values"][a0["key"]]), cols.index(p["values"][a1["key"]])
        if (r, c) not in where:  # a value listed twice: its first point (the same numbers, by CRN)
            where[(r, c)] = p["index"]
            m[r, c] = estimate(p["measures"].get(key))
    return rows, cols, m, where


def heat_map(d: dict, key: str) -> Figure | None:
    rows, cols, m, where = _cells(d, key)
    if not np.isfinite(m).any():
        return None
    size = (min(7.6, 1.6 + 0.75 * len(cols)), min(6.5, 1.2 + 0.45 * len(rows)))
    fig, ax = new_figure(size)
    lo, hi = np.nanmin(m), np.nanmax(m)
    norm = Normalize(lo, hi if hi > lo else lo + 1)
    cmap = matplotlib.colormaps["cividis_r"]
    ax.imshow(np.ma.masked_invalid(m), cmap=cmap, norm=norm, aspect="auto")
    ax.grid(False)
    best = d.get("cheapest")
    starred = (d.get("target") or {}).get("key") == key
    for (r, c), i in where.items():
        v = m[r, c]
        if not np.isfinite(v):
            continue
        meets = starred and d["points"][i].get("meets_target")
        ax.text(c, r, short_number(v) + ("*" if meets else ""), ha="center", va="center", fontsize=7.5,
                color=ink_on(to_hex(cmap(norm(v)))), fontweight="bold" if meets else "normal")
        if best == i:
            ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor=TARGET, linewidth=2.2))
    ax.set_xticks(range(len(cols)), [str(v) for v in cols])
    ax.set_yticks(range(len(rows)), [str(v) for v in rows])
    ax.set_xlabel(d["axes"][1]["key"])
    ax.set_ylabel(d["axes"][0]["key"])
    ax.set_title(d["labels"].get(key, key), loc="left")
    return fig


def line_chart(d: dict, key: str) -> Figure | None:
    axis = d["axes"][0]
    pts = list({p["values"][axis["key"]]: p for p in reversed(d["points"])}.values())[::-1]  # first of repeats
    est = np.array([estimate(p["measures"].get(key)) for p in pts])
    if not np.isfinite(est).any():
        return None
    lows, highs = zip(*(ci(p["measures"].get(key)) for p in pts))
    err = np.vstack([est - np.array(lows), np.array(highs) - est])
    err = np.where(np.isfinite(err), err, 0.0)
    fig, ax = new_figure(WIDE)
    xs = [p["values"][axis["key"]] for p in pts]
    best = next((k for k, p in enumerate(pts) if p["index"] == d.get("cheapest")), None)
    if _numeric(xs):
        ax.errorbar(xs, est, yerr=err, color=BLUE, marker="o", capsize=3, linewidth=1.8, label="mean, 95% CI")
        if all(isinstance(x, int) for x in xs) and len(xs) <= 25:
            ax.set_xticks(xs, [str(x) for x in xs])
        if best is not None:
            ax.plot([xs[best]], [est[best]], marker="o", markersize=11, markerfacecolor="none", color=TARGET,
                    linestyle="none", label="cheapest meeting the target")
    else:
        bars = ax.bar(range(len(xs)), est, yerr=err, color=BLUE, capsize=3, label="mean, 95% CI")
        ax.set_xticks(range(len(xs)), [str(x) for x in xs])
        if best is not None:
            bars[best].set_edgecolor(TARGET)
            bars[best].set_linewidth(2.2)
    _target_line(ax, d, key)
    ax.set_xlabel(axis["key"])
    ax.set_ylabel(d["labels"].get(key, key))
    ax.set_ylim(bottom=0)
    thousands(ax)
    ax.legend(loc="best")
    return fig


def dot_plot(d: dict, key: str) -> Figure | None:
    pts = d["points"]
    if len(pts) > MAX_DOTS:
        return None
    est = np.array([estimate(p["measures"].get(key)) for p in pts])
    if not np.isfinite(est).any():
        return None
    fig, ax = new_figure((7.6, 1.0 + 0.22 * len(pts)))
    y = np.arange(len(pts))[::-1]
    for yi, p, v in zip(y, pts, est):
        lo, hi = ci(p["measures"].get(key))
        if np.isfinite(lo) and np.isfinite(hi):
            ax.plot([lo, hi], [yi, yi], color=BLUE, linewidth=1.4)
        ax.plot([v], [yi], marker="o", color=INK if p["index"] == d.get("cheapest") else BLUE, markersize=4)
    ax.set_yticks(y, [p["label"] for p in pts], fontsize=6.5)
    _target_line(ax, d, key, horizontal=False)
    ax.set_xlabel(d["labels"].get(key, key))
    return fig


def measure_chart(n: int) -> Callable[[dict], Figure | None]:
    """The chart of the ``n``-th shown measure (None when the sweep shows fewer)."""

    def draw(d: dict) -> Figure | None:
        keys = d.get("measures", [])
        if n >= len(keys) or not d.get("points") or not d.get("axes"):
            return None
        if len(d["axes"]) == 1:
            return line_chart(d, keys[n])
        if len(d["axes"]) == 2:
            return heat_map(d, keys[n])
        return dot_plot(d, keys[n])

    return draw


_CAPTION = ("Each point's mean over the replications; every point sees the same simulated devices, so "
            "differences between points are paired. Two grid keys: a heat map (darker is larger; on the target's "
            "measure a star marks each point whose mean meets it). One key: the mean with its 95% interval and the "
            "target dashed. The cheapest point meeting the target is framed or ringed in red.")

SWEEP_CHARTS = [ChartSpec(f"sweep-measure-{i + 1}", f"The {word} measure across the grid", _CAPTION, measure_chart(i))
                for i, word in enumerate(("first", "second", "third"))]
