"""The objectives a staffing mix is judged on: one registry, read by the search, the CLI and reports.

Each objective names the measure it minimises, says in plain words what that measure means, and
says how a headline sentence, a table column and a CSV spell it. Before this registry the names
``exposure``, ``wait-12m`` and ``backlog`` were spelled in five modules; adding an objective now
means one :class:`Objective` here (and its test). Pure data: nothing here runs a simulation, so
report modules may import it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def _days(x: float) -> str:
    return f"{x:,.1f}" if abs(x) < 10 else f"{x:,.0f}"


@dataclass(frozen=True)
class Objective:
    """One objective (smaller is better)."""

    name: str  #: as typed after ``--objective``
    measure: str  #: the replication measure it minimises
    meaning: str  #: one line for the JSON and the report
    column: str  #: a table column heading
    decimals: int  #: how many decimals a table shows
    words: str  #: how a headline sentence names it
    say: Callable[[float, float], str]  #: a mix's value against the chosen mix's, in a sentence
    axis: str  #: the frontier chart's axis label


OBJECTIVES: dict[str, Objective] = {o.name: o for o in (
    Objective("exposure", "overall.exposure",
              "child-safeguarding exposure (tier-weighted device-days unexamined)",
              "exposure (weighted device-days)", 0, "child-safeguarding exposure",
              lambda v, c: f"its exposure is {v:,.0f} risk-weighted device-days against {c:,.0f}",
              "exposure (weighted device-days)"),
    Objective("wait-12m", "invest.wait_at_12m_days",
              "mean wait to start of examinations starting in month 12, days",
              "wait month 12 (days)", 0, "the wait to start in month 12",
              lambda v, c: f"examinations starting in month 12 wait {_days(v)} days on average against {_days(c)}",
              "wait to start in month 12 (days)"),
    Objective("backlog", "overall.waiting_at_end",
              "devices awaiting examination at the end of the horizon",
              "backlog at end (devices)", 0, "the backlog at the end",
              lambda v, c: f"{v:,.0f} devices are still waiting at the end against {c:,.0f}",
              "devices waiting at the end"),
)}

#: What ``invest`` minimises unless ``--objective`` says otherwise.
DEFAULT_OBJECTIVE = "exposure"
#: Objective names in registry order (``--objective`` choices, table and CSV column order).
OBJECTIVE_NAMES: list[str] = list(OBJECTIVES)
#: The measures the efficient frontier is taken over.
FRONTIER_KEYS: list[str] = [o.measure for o in OBJECTIVES.values()]
