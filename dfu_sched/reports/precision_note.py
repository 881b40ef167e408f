"""What a run sized by precision (``-n auto``) says about itself, for the terminal and the HTML page.

Why a module: the terminal table and the report's section read the same ``run.precision`` block of
the JSON summary (written by ``sim.precision``), and must say the same thing, including, plainly,
when the cap was reached before the precision was.
"""
from __future__ import annotations

from html import escape

from dfu_sched.reports.page import table
from dfu_sched.sim.measures import label_of


def measure_label(key: str) -> str:
    """'overall.exposure' -> its label; 'with kiosk|overall.exposure' (compare) -> 'with kiosk: ' + label."""
    scope, _, key = key.rpartition("|")
    return f"{scope}: {label_of(key)}" if scope else label_of(key)


def precision_sentence(p: dict) -> str:
    """One line: how many replications were needed, or that the cap stopped the run."""
    target = float(p["target_relative_half_width"])
    if p.get("met"):
        return (f"Replications by precision: {p['replications_needed']} were needed for a 95% half-width within "
                f"{target:.1%} of every headline measure's mean (or under its floor: "
                f"{', '.join(p.get('floors', {}).values())}).")
    missed = [measure_label(k) for k, m in p.get("measures", {}).items() if not m.get("met")]
    return (f"Replications by precision: NOT REACHED. The run stopped at the cap of {p['maximum']} replications "
            f"before every half-width was within {target:.1%}; still wider: {'; '.join(missed)}. "
            "Raise --max-replications or read these intervals as wider than asked.")


def precision_rows(p: dict) -> list[list[str]]:
    """``[measure, mean, half-width, relative, met]`` per headline measure, as text."""
    rows = []
    for key, m in p.get("measures", {}).items():
        est, half, rel = m.get("estimate"), m.get("half_width"), m.get("relative_half_width")
        rows.append([measure_label(key), "-" if est is None else f"{est:,.2f}", "-" if half is None else f"{half:,.2f}",
                     "-" if rel is None else f"{rel:.1%}",
                     "not measured" if est is None else ("yes" if m.get("met") else "no")])
    return rows


PRECISION_HEADER = ["headline measure", "mean", "95% half-width", "relative", "precise enough"]


def precision_html(p: dict) -> str:
    """The sentence and the table, for a report's "Reproducing" section."""
    return (f"<p>{escape(precision_sentence(p))}</p>"
            + table(PRECISION_HEADER, precision_rows(p), numeric=[False, True, True, True, False]))
