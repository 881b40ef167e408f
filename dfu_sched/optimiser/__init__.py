"""The weekly priority plan: which devices each examiner works this week, in what order, and why.

Pure algorithms on plain data (``model``): no file, report or CLI is imported here, so the plan
can be tested and audited on its own. The search and its phases are in :mod:`.search`; the
greedy rule, the LP, the Lagrangian bound and the improvement moves each have their own module.
This package names only the public API.
"""
from __future__ import annotations

from dfu_sched.optimiser.model import PlanConfig, PlanDevice, PlanExaminer, WeekPlan
from dfu_sched.optimiser.search import plan_week

__all__ = ["PlanConfig", "PlanDevice", "PlanExaminer", "WeekPlan", "plan_week"]
