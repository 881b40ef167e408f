"""The robust-choice table (``invest --input-uncertainty``) for the terminal, from the JSON block.

Why its own module: the terminal and the HTML report show the same rows (``robust_rows``): per mix,
the share of plausible worlds in which it is best (Wilson 95% interval), its expected regret, and
the 12-month backlog without estimate uncertainty (the search's 95% CI at the central estimates)
and with it (the mean over worlds and the 95% range of the world means). Data in, text out.
"""
from __future__ import annotations

from dfu_sched.reports.text import table

BACKLOG = "invest.backlog_at_12m"
HEADER = ["mix", "cost", "best in (95% CI)", "expected regret (95% CI)", "12-month backlog: estimates as given",
          "with estimate uncertainty"]


def _n(x, digits: int = 0) -> str:
    return "-" if x is None else f"{x:,.{digits}f}"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _share(m: dict) -> str:
    lo, hi = m.get("best_share_ci95") or [None, None]
    return f"{_pct(m.get('best_share'))} ({_pct(lo)}-{_pct(hi)})"


def _regret(m: dict, pounds: bool) -> str:
    r = m.get("regret") or {}
    lo, hi = r.get("ci95") or [None, None]
    d = 0 if pounds or abs(r.get("estimate") or 0) >= 10 else 1
    cur = "£" if pounds else ""
    main = f"{cur}{_n(r.get('estimate'), d)}" if r.get("estimate") is not None else "-"
    txt = f"{main} ({cur}{_n(lo, d)}-{cur}{_n(hi, d)})" if lo is not None and hi is not None else main
    share = m.get("meets_target_share")
    return txt + (f", meets the target in {_pct(share)}" if share is not None else "")


def _without(block: dict | None) -> str:
    b = block or {}
    lo, hi = b.get("ci95") or [None, None]
    return f"{_n(b.get('estimate'))} (95% CI {_n(lo)}-{_n(hi)})" if lo is not None else _n(b.get("estimate"))


def _with(block: dict | None) -> str:
    b = block or {}
    lo, hi = b.get("worlds_range95") or [None, None]
    return f"{_n(b.get('mean'))} (95% of worlds {_n(lo)}-{_n(hi)})" if lo is not None else _n(b.get("mean"))


def mix_name(m: dict) -> str:
    role = m.get("role")
    tag = " (chosen)" if role == "chosen" else ""
    return ("do nothing" if role == "do nothing" else str(m.get("words", m.get("label", "")))) + tag


def robust_rows(block: dict) -> list[list[str]]:
    """One row per mix tested, in the block's order (the chosen mix first)."""
    pounds = block.get("mode") == "target"
    rows = []
    for m in block.get("mixes", []):
        shown = (m.get("measures") or {}).get(BACKLOG) or {}
        rows.append([mix_name(m), f"£{m.get('cost_gbp', 0):,.0f}", _share(m), _regret(m, pounds),
                     _without(shown.get("without")), _with(shown.get("with"))])
    return rows


def robust_note(block: dict) -> str:
    """How the table was made, in one sentence."""
    units = block.get("regret_units", "")
    return (f"{block.get('worlds')} plausible worlds of {len(block.get('inputs', []))} ranged estimates (Latin "
            f"hypercube), {block.get('replications')} replications of each mix in each world, the same devices "
            f"for every mix in a world; regret in {units}; fragile when the chosen mix is best in under "
            f"{100 * block.get('rule', {}).get('fragile_below_share', 0.6):.0f}% of worlds.")


def robust_text(block: dict | None) -> str:
    """The terminal lines after the invest tables ('' when the choice was not tested)."""
    if not block:
        return ""
    return "\n".join(["", "", "Is the choice robust? " + str(block.get("headline", "")), robust_note(block),
                      table(HEADER, robust_rows(block))])
