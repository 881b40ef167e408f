"""Ranged inputs and measures in words, for the tornado's labels and the headline.

Why: the tornado is read in a finance committee, so a bar says "triage kiosk screen-out 20%-50%",
not ``investment.options.triage_kiosk.screen_out_share``, and the headline says "the 12-month
backlog depends most on cases a week (6.0-9.0: 180 to 420 devices)". The words are made here, from
an estimate's key and range, and written into the JSON, so reports and the web app only read them.
"""
from __future__ import annotations

import re

from dfu_sched.scenario.estimates import Estimate
from dfu_sched.sim.measures import label_of

#: A key part as people say it (the rest: underscores become spaces).
_PART_WORDS = {
    "cases_per_week": "cases a week", "annual_growth": "annual growth", "screen_out_share": "screen-out",
    "time_saved_share": "time saved", "applies_to_share": "share of hours it applies to",
    "productivity_gain": "productivity gain", "ramp_up_weeks": "ramp-up weeks", "hours_per_week": "hours a week",
    "count": "headcount", "absence": "absence", "turnaround_days": "turnaround (days)",
}
#: Key parts that say nothing to a reader.
_SILENT = {"investment", "options", "arrivals", "service_times", "service_hours", "device_types", "examiners",
           "value", "params"}
#: Leaves whose numbers are shares of 1, shown as percentages.
_SHARE_LEAVES = ("_share", "absence", "growth", "gain", "_rate", "_prob")
#: How the default measures read in a sentence (others: ``sim.measures.label_of`` without its unit).
_MEASURE_NAMES = {"invest.backlog_at_12m": "the 12-month backlog", "overall.exposure": "exposure",
                  "invest.wait_at_12m_days": "the wait to start in month 12"}


#: Words written in capitals.
_ACRONYMS = {"cse": "CSE", "iiod": "IIOD", "cctv": "CCTV", "gb": "GB", "tb": "TB"}


def _words(part: str) -> str:
    if part in _PART_WORDS:
        return _PART_WORDS[part]
    return " ".join(_ACRONYMS.get(w, w) for w in part.split("_"))


def input_words(key: str) -> str:
    """``investment.options.triage_kiosk.screen_out_share`` -> ``triage kiosk screen-out``."""
    parts = [p for p in key.split(".") if p not in _SILENT and not p.isdigit()]
    if len(parts) >= 2 and parts[-1] == "mean":  # a service time's mean: service_times.phone.examination.mean
        return f"{' '.join(_words(p) for p in parts[:-1])} hours"
    return " ".join(_words(p) for p in parts) or key


def mix_words(mix: dict[str, int]) -> str:
    """``3x overtime + triage kiosk + CSE automation`` (``do nothing`` when nothing is bought)."""
    parts = [f"{u}x {_words(n)}" if u != 1 else _words(n) for n, u in mix.items() if u]
    return " + ".join(parts) if parts else "do nothing"


def is_share(e: Estimate) -> bool:
    leaf = e.key.rsplit(".", 1)[-1]
    return leaf.endswith(_SHARE_LEAVES) and 0.0 <= min(e.support) and max(e.support) <= 1.0


def value_text(e: Estimate, x: float) -> str:
    """One value of an input as people write it: ``30%``, ``7.5``, ``39``."""
    if is_share(e):
        return f"{100 * x:.0f}%" if abs(100 * x - round(100 * x)) < 1e-9 else f"{100 * x:.1f}%"
    if e.integer or (abs(x) >= 10 and float(x).is_integer()):
        return f"{x:,.0f}"
    return f"{x:,.1f}" if abs(x) < 100 else f"{x:,.0f}"


def end_texts(e: Estimate) -> tuple[str, str]:
    """The one-at-a-time ends, written alike: ``("20%", "50%")``, ``("5.0", "10.0")``, ``("26", "52")``."""
    lo, hi = e.swing
    if is_share(e) or e.integer:
        return value_text(e, lo), value_text(e, hi)
    whole = float(lo).is_integer() and float(hi).is_integer() and min(abs(lo), abs(hi)) >= 10
    digits = 0 if whole or min(abs(lo), abs(hi)) >= 100 else 1
    return f"{lo:,.{digits}f}", f"{hi:,.{digits}f}"


def range_text(e: Estimate) -> str:
    """The one-at-a-time range: ``20%-50%``, ``6.0-9.0``, ``5.0-10.0``, ``26-52``."""
    return "-".join(end_texts(e))


def input_label(e: Estimate) -> str:
    """The bar's label: ``triage kiosk screen-out 20%-50%``."""
    return f"{input_words(e.key)} {range_text(e)}"


def measure_words(key: str) -> tuple[str, str]:
    """(name in a sentence, unit): ``("the 12-month backlog", "devices")``, ``("the VH P90 wait to start", "days")``."""
    label = label_of(key)
    m = re.match(r"^(.*) \(([^()]*)\)$", label)
    name, unit = (m.group(1), m.group(2)) if m else (label, "")
    parts = key.split(".")
    if len(parts) == 3 and parts[1] == "wait_to_start_days" and parts[2].startswith("p"):
        name = f"the {parts[0]} {parts[2].upper()} wait to start"
    elif len(parts) == 3 and parts[1] == "wait_to_start_days":
        name = f"the {parts[0]} {parts[2]} wait to start"
    if key in _MEASURE_NAMES:
        name = _MEASURE_NAMES[key]
    if key.endswith(".exposure"):
        unit = "device-days"
    return name, unit


def number_text(x: float | None, scale: float | None = None) -> str:
    """A measure's value in running text: ``1,240``, ``35.2`` (``-`` when unknown); whole numbers from 100
    up (of ``scale`` when given, so both ends of a range read alike: ``300 to 90``)."""
    if x is None:
        return "-"
    return f"{x:,.0f}" if abs(x if scale is None else scale) >= 100 else f"{x:,.1f}"
