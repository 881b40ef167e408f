"""The one palette of every report: tier colours, scenario and lever colours, ink and target red.

Why its own module: a risk tier must look the same in a chart, an HTML tag and an examiner's week
strip, so the colours are defined once, here, and pages that draw no matplotlib chart (the risk
page) import them without importing matplotlib. Colours are Okabe-Ito (Wong 2011, Nature
Methods), readable with the common colour-vision deficiencies; lines also differ in marker and
dash so a grey-scale print still reads.
"""
from __future__ import annotations

from collections.abc import Sequence

# The eight Okabe-Ito colours, by name (black is replaced by the softer INK below).
VERMILLION = "#D55E00"
ORANGE = "#E69F00"
BLUE = "#0072B2"
GREEN = "#009E73"
PURPLE = "#CC79A7"
SKY_BLUE = "#56B4E9"
YELLOW = "#F0E442"

INK = "#222222"
GREY = "#777777"
LIGHT_GREY = "#BBBBBB"
TARGET = "#B2182B"  # target lines: a dark red, always dashed and labelled
WORKING_HOURS = "#EEF3EA"  # an examiner's rostered hours, in the week chart and the week strips

#: Tier colours in the order tiers take them: the highest risk gets the strongest warm colour.
TIER_COLOURS = [VERMILLION, ORANGE, BLUE, GREEN, PURPLE, SKY_BLUE, YELLOW]
TIER_MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
TIER_DASHES = ["-", "--", "-.", ":", "-", "--", "-."]
#: The simulation report's series (main line first).
SERIES = {"main": BLUE, "second": PURPLE, "third": GREEN, "fourth": ORANGE}
#: Each stage's queue on the backlog chart: (colour, dash).
STAGE_STYLES = {"triage": (GREEN, ":"), "extraction": (PURPLE, "--"), "examination": (ORANGE, "-."),
                "report": (SKY_BLUE, ":")}
#: Scenario colours, starting with the blue of the simulation's main series; the first scenario
#: (the reference every difference is taken against) is always the black-ish ink.
SCENARIO_COLOURS = [INK, BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY_BLUE]
SCENARIO_DASHES = ["-", "--", "-.", ":", "-", "--", "-."]
CHOSEN = BLUE
BASELINE_STYLE = {"color": GREY, "linestyle": "--"}
#: Levers stacked in the spend chart.
LEVER_COLOURS = [BLUE, ORANGE, GREEN, PURPLE, SKY_BLUE, VERMILLION, YELLOW, GREY]

#: Plain words for the usual KIRAT-like tier names; other names are shown as given.
TIER_WORDS = {"VH": "very high", "H": "high", "M": "medium", "L": "low"}


def tier_style(index: int) -> dict[str, str]:
    """Colour, marker and dash of the ``index``-th tier (same in every chart)."""
    k = index % len(TIER_COLOURS)
    return {"color": TIER_COLOURS[k], "marker": TIER_MARKERS[k], "linestyle": TIER_DASHES[k]}


def tier_colour(tier: str, tiers: Sequence[str]) -> str:
    """The one colour of ``tier`` (tiers listed most urgent first), for charts, bars and HTML tags."""
    return tier_style(list(tiers).index(tier) if tier in tiers else len(tiers))["color"]


def scenario_style(index: int) -> dict[str, str]:
    """Colour and dash of the ``index``-th compared scenario."""
    k = index % len(SCENARIO_COLOURS)
    return {"color": SCENARIO_COLOURS[k], "linestyle": SCENARIO_DASHES[k]}


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


def tier_label(name: str) -> str:
    """``VH (very high)`` for the usual tier names, else the name as given."""
    words = TIER_WORDS.get(name)
    return f"{name} ({words})" if words else name
