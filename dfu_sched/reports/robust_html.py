"""The invest report's "Is the choice robust?" section (``invest --input-uncertainty``).

Why a module: the invest page (``invest_html``) calls one function; the rows are the terminal's
(``robust_text.robust_rows``), so the report and the command say the same numbers. Reads the
JSON block only.
"""
from __future__ import annotations

from html import escape

from dfu_sched.reports.page import section, table
from dfu_sched.reports.robust_text import HEADER, robust_note, robust_rows


def robust_section(out: dict) -> str:
    """The section, or '' when the run did not test the choice against uncertain estimates."""
    block = out.get("robust")
    if not block:
        return ""
    f = block.get("fragility") or {}
    verdict = "fragile" if block.get("fragile") else "robust"
    body = (f'<p><strong>{escape(str(block.get("headline", "")))}</strong></p>'
            f'<p class="note">{escape(robust_note(block))} Best: lowest mean {escape(str(block.get("objective")))} '
            "in that world (a target question: the cheapest mix meeting the target); the expected regret is how much "
            "worse than each world's best the mix is, on average over the worlds; the interval with estimate "
            "uncertainty is the range of the mean over 95% of the plausible worlds.</p>"
            + table(HEADER, robust_rows(block)))
    if f.get("input"):
        side = "below" if f.get("side") == "below" else "above"
        acc = 100 * (f.get("accuracy") or 0)
        body += (f'<p class="note">The split: {escape(str(f["input"]))} {side} {f.get("threshold"):.4g} '
                 f"separates {acc:.0f}% of the {f.get('worlds')} worlds in which either mix is best.</p>")
    return section(f"Is the choice robust? ({verdict})", body, anchor="robust")
