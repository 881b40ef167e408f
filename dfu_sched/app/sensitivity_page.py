"""The Sensitivity page's logic, as plain functions over the uncertainty wing's library API.

Why plain functions: a finance committee asks "which assumption matters most?", and the answer on
the page must be the answer ``dfu-sched sensitivity`` prints. So the page plans the run with
``uncertainty.sensitivity.plan_sensitivity`` (every check of the command line, the same one-line
messages, nothing run), runs it with ``run_planned`` in this process (one process: no pool forked
per click; the numbers do not depend on workers anyway), and reads only the run's JSON for the
headline, the table and the downloads (``reports.sensitivity_text``, ``reports.sensitivity_html``),
built in memory.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from dfu_sched.app.simulate_page import plain_words
from dfu_sched.app.sweep_page import ReportDownloads, SweepCache, report_downloads
from dfu_sched.errors import InputError
from dfu_sched.privacy import FILE_PLACEHOLDER
from dfu_sched.reports.files import to_json
from dfu_sched.reports.sensitivity_text import csv_table, method_line, mix_line
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import make_executor
from dfu_sched.uncertainty.sensitivity import (
    METHODS,
    SensitivityPlan,
    default_measures,
    measure_names,
    plan_sensitivity,
    run_planned,
    sensitivity_json,
)

#: Replications at each end the page offers (the command line takes more).
MAX_REPLICATIONS = 100
#: The mix choices in words, as the page offers them, and the ``--mix`` each stands for.
MIX_WORDS = {"the scenario's chosen mix": "file", "none (as staffed today)": "none"}


@dataclass(frozen=True)
class SensitivityForm:
    """What the page's form asks for, as the command line's options (hashable: a run's cache key)."""

    measures: tuple[str, ...] = ()
    mix: str | None = None
    method: str = "auto"
    replications: int = 3
    seed: int = 0
    pseudonymise: bool = True


def mix_choices(sc: Scenario) -> list[str]:
    """The mix choices the scenario allows, the command line's default first."""
    has_mix = sc.investment is not None and any(sc.investment.mix.values())
    return list(MIX_WORDS) if has_mix else ["none (as staffed today)"]


def measure_choices(sc: Scenario) -> tuple[list[str], list[str]]:
    """Every measure a tornado can show, and the command line's default ones."""
    return measure_names(sc), default_measures(sc)


def method_choices() -> list[str]:
    return list(METHODS)


def plan_of(sc: Scenario, form: SensitivityForm) -> SensitivityPlan:
    """The run checked and sized by the command line's own call (one-line ``InputError`` if not)."""
    if not 1 <= form.replications <= MAX_REPLICATIONS:
        raise InputError(f"replications must be between 1 and {MAX_REPLICATIONS}", source="the form")
    return plan_sensitivity(sc, form.measures, form.replications, form.seed, form.mix, form.method)


def runs_line(plan: SensitivityPlan) -> str:
    """How much the Run button will simulate, in words."""
    k = len(plan.estimates)
    first = "a Morris screening, then " if plan.screen else ""
    return (f"{k} ranged input{'s' if k != 1 else ''}: {first}each at its low and high end with "
            f"{plan.replications} replication{'s' if plan.replications != 1 else ''} = {plan.jobs:,} runs, "
            "every run with the same simulated devices (common random numbers)")


def run_plan(plan: SensitivityPlan, form: SensitivityForm, source: str,
             progress: Callable[[int], None] | None = None) -> dict:
    """Run a planned sensitivity in this process; the JSON ``dfu-sched sensitivity --json -`` prints."""
    res = run_planned(plan, executor=make_executor(1), progress=progress)
    out = sensitivity_json(res, FILE_PLACEHOLDER if form.pseudonymise else source)
    out["pseudonymised"] = form.pseudonymise
    clean: dict = json.loads(to_json(out))
    return clean


#: The page's result cache (one per server process): a run is a pure function of its key.
RUNS = SweepCache()


def cached_run(key: tuple, plan: SensitivityPlan, source: str, progress: Callable[[int], None] | None = None) -> dict:
    """The sensitivity of ``key`` (scenario JSON, form): the kept result, else run and keep it."""
    found = RUNS.peek(key)
    if found is None:
        found = run_plan(plan, key[1], source, progress)
        RUNS.keep(key, found)
    return found


def answer_lines(out: dict) -> list[str]:
    """The headline in plain words: per measure what it depends on most, then how it was run."""
    return [plain_words(out["headline"][k]) for k in out["measures"]] + [method_line(out), mix_line(out)]


def _num(x) -> float | None:
    return None if x is None else round(float(x), 1)


def table_rows(out: dict, key: str) -> list[dict]:
    """One row per input for a data table: its range, the measure at each end and the swing."""
    base = out["base"][key].get("estimate")
    return [{"estimate": b["words"], "low": b["low_text"], "high": b["high_text"],
             "at low": _num(b["low"].get("estimate")), "base": _num(base), "at high": _num(b["high"].get("estimate")),
             "swing": _num(b["swing"])} for b in out["bars"][key]]


def downloads(out: dict, scenario_yaml: str | None) -> ReportDownloads:
    """The HTML report ``sensitivity --html`` writes, ``bars.csv`` and ``sensitivity.json``, from the
    JSON; the charts are the tornadoes."""
    from dfu_sched.reports.sensitivity_html import render_sensitivity  # matplotlib: only when a result is shown

    return report_downloads(out, scenario_yaml, render_sensitivity, csv_table)
