"""The weekly plan's JSON document and its recorded options, shared by ``dfu-sched plan`` and the web app.

Why here, not in the command: the web app's Weekly plan page must write the same bytes the command
writes for the same files, and the app may not import ``cli``. The document records file names
only (folders can name a case); with pseudonymisation not even those, and it says what was done.
"""
from __future__ import annotations

from pathlib import Path

from dfu_sched.privacy import FILE_PLACEHOLDER

#: The command's defaults for a plan (the web app plans with these).
DEFAULT_TIME_LIMIT_S = 300.0
DEFAULT_SEARCH_BUDGET = 20000
DEFAULT_LOOKAHEAD = 4
DEFAULT_AGING_DAYS = "180"


def plan_options(time_limit: float = DEFAULT_TIME_LIMIT_S, lookahead: int = DEFAULT_LOOKAHEAD,
                 aging_days: str = DEFAULT_AGING_DAYS, seed: int = 0, scip: bool = False,
                 search_budget: int = DEFAULT_SEARCH_BUDGET, columns_name: str | None = None,
                 pseudonymise: bool = False) -> dict:
    """What reproduces a plan, as its document records it (the column map only when one was used,
    so plans without a map are unchanged)."""
    options: dict = {"time_limit_s": time_limit, "lookahead": lookahead, "aging_days": aging_days, "seed": seed,
                     "scip": bool(scip), "search_budget": search_budget}
    if columns_name is not None:
        options["columns"] = FILE_PLACEHOLDER if pseudonymise else Path(columns_name).name
    return options


def plan_document(report, start, pseudo, files: list, options: dict) -> dict:
    """The plan's JSON: summary, warnings, lists, and what reproduces it.

    ``files``: the queue, staff, scenario and risk-model file names (``None`` when not given)."""
    queue, staff, scenario, risk = (Path(f).name if f else None for f in files)
    doc = {"summary": report.summary, "warnings": report.warnings, "examiners": report.examiners,
           "devices": report.rows,
           "inputs": {"queue": queue, "staff": staff, "scenario": scenario, "risk_model": risk,
                      "week": start.week_start.isoformat() if start.now is None else None,
                      "now": None if start.now is None else f"{start.now:%Y-%m-%d %H:%M}",
                      **options}}
    if pseudo:
        for k in ("queue", "staff", "scenario", "risk_model"):
            if doc["inputs"][k] is not None:
                doc["inputs"][k] = FILE_PLACEHOLDER
        doc["pseudonymised"] = pseudo.marker
    return doc
