"""The weekly plan's objective and weight as the outputs name and say them: one definition.

Why it exists: the objective's summary key and its words were spelled in the plan rows, the CLI's
text, the report page and the plan-file schema; a rename in one silently broke another. This module
imports nothing, so any wing (reports included) may read its labels.
"""
from __future__ import annotations

#: Summary key of the plan's objective (the optimiser's ``WeekPlan.objective``), in risk-hours.
OBJECTIVE_KEY = "objective_risk_hours_saved"
#: Summary key of the greedy rule's objective, the baseline every plan is compared with.
GREEDY_OBJECTIVE_KEY = "greedy_objective"
#: The objective in words, as a sentence starts it.
OBJECTIVE_WORDS = "Risk-hours saved"
#: What the objective counts, for a reader checking the plan.
OBJECTIVE_MEANING = ("risk-hours saved: tier weight x aging x hours left in the week when the "
                     "examination starts")


def aging_text(aging_days: float | None) -> str:
    """How a device's weight grows with waiting, as the summary states it."""
    if aging_days:
        return f"weight x (1 + age/{aging_days:g} days)"
    return "weight x (1 + days past tier target / tier target)"
