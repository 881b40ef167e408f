"""The Sweep page's logic, as plain functions over the sweep wing's library API.

Why plain functions: finance asks "how many examiners until waits fall under 30 days?", and the
answer on the page must be the answer ``dfu-sched sweep`` prints. So the page builds the same
``--grid KEY=VALUES`` texts a user would type, plans the sweep with ``sweep.study.plan_sweep`` (every
check and cap of the command line, the same one-line messages, nothing run), runs it with
``run_planned`` in this process (one process: no pool forked per click, and the numbers do not
depend on workers anyway), and reads only the sweep's JSON for the table, the plain-words answer and
the downloads (``reports.sweep_text``, ``reports.sweep_html``), which are built in memory.
"""
from __future__ import annotations

import io
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from dfu_sched.app.simulate_page import disciplines, plain_words
from dfu_sched.errors import InputError
from dfu_sched.privacy import FILE_PLACEHOLDER
from dfu_sched.reports.cells import write_csv_rows
from dfu_sched.reports.files import to_json
from dfu_sched.reports.sweep_text import cost_phrase, csv_table
from dfu_sched.scenario.levers import max_units
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import make_executor
from dfu_sched.sweep.keys import default_measures, measure_names
from dfu_sched.sweep.study import SweepPlan, plan_sweep, run_planned

#: Keys the page lets a user vary at once (a table and a heat map stay readable).
MAX_KEYS = 2
#: Replications of every point the page offers (the command line's caps still apply on top).
MAX_REPLICATIONS = 200
#: What the cost choice says when the command line's default is meant (no ``--cost``).
AUTO_COST = "automatic"


@dataclass(frozen=True)
class SweepForm:
    """What the page's form asks for, as the command line's options (hashable: a run's cache key).

    ``axes`` are (key, values as typed: ``3..7`` or ``0,1,2``); ``target``/``by``/``cost`` None when
    not given; ``measures`` empty for the command's default.
    """

    axes: tuple[tuple[str, str], ...]
    measures: tuple[str, ...] = ()
    target: str | None = None
    by: str | None = None
    cost: str | None = None
    replications: int = 2
    seed: int = 0
    pseudonymise: bool = True

    def grid_texts(self) -> list[str]:
        """The ``--grid`` options: ``examiners.mobile.count=3..7``."""
        return [f"{key}={values.strip()}" for key, values in self.axes]


def sweep_keys(sc: Scenario) -> list[str]:
    """The keys the page offers to vary: each examiner group's count and hours, cases a week, the
    queue rule, and (with an ``investment:`` section) the units of each option of the lever registry."""
    keys = []
    for g in sc.examiners:
        keys += [f"examiners.{g.name}.count", f"examiners.{g.name}.hours_per_week"]
    keys += ["arrivals.cases_per_week", "policy.discipline"]
    if sc.investment is not None:
        keys += [f"investment.mix.{o.name}" for o in sc.investment.options]
    return keys


def _g(x: float) -> str:
    return f"{x:g}"


def default_values(sc: Scenario, key: str) -> str:
    """A starting grid for ``key``, typed as ``--grid`` takes it, from the scenario's own value.

    Counts and hours start at today's (the baseline is the first point; fewer examiners than today
    can contradict an investment option sized to today's staff), cases a week go 10% either side.
    """
    parts = key.split(".")
    if parts[0] == "examiners":
        g = next(g for g in sc.examiners if g.name == parts[1])
        if parts[2] == "count":
            return f"{g.count}..{g.count + 2}"  # today's first: the baseline, then more
        h = g.hours_per_week
        return f"{_g(h)},{_g(h + 4)}" if h + 4 <= 80 else f"{_g(h - 4)},{_g(h)}"
    if key == "arrivals.cases_per_week":
        c = sc.arrivals.cases_per_week
        return ",".join(_g(round(x, 2)) for x in (c * 0.9, c, c * 1.1))
    if key == "policy.discipline":
        here = sc.policy.discipline
        return ",".join([here] + [d for d in disciplines() if d != here][:1])
    if parts[:2] == ["investment", "mix"] and sc.investment is not None:
        option = sc.investment.option(parts[2])
        return f"0..{min(max_units(option, sc), 3)}"
    raise InputError(f"--grid {key[:60]}: not a key the page offers")


def measure_choices(sc: Scenario) -> tuple[list[str], list[str]]:
    """Every measure a sweep of ``sc`` can show, and the command line's default ones."""
    return measure_names(sc), default_measures(sc)


def plan_of(sc: Scenario, form: SweepForm) -> SweepPlan:
    """The sweep checked and sized by the command line's own call (one-line ``InputError`` if not)."""
    if not form.axes:
        raise InputError("--grid: choose at least one key to vary")
    if len(form.axes) > MAX_KEYS:
        raise InputError(f"--grid: the page varies at most {MAX_KEYS} keys at once (the command line takes more)")
    if not 1 <= form.replications <= MAX_REPLICATIONS:
        raise InputError(f"replications must be between 1 and {MAX_REPLICATIONS}", source="the form")
    return plan_sweep(sc, form.grid_texts(), form.replications, form.seed, form.measures, form.target, form.by,
                      form.cost)


def runs_line(plan: SweepPlan) -> str:
    """How much the Run button will simulate, in words."""
    n = len(plan.grid.points)
    return (f"{n} point{'s' if n != 1 else ''} x {plan.replications} replication"
            f"{'s' if plan.replications != 1 else ''} = {plan.jobs:,} runs, every point with the same "
            "simulated devices (common random numbers)")


def run_plan(plan: SweepPlan, form: SweepForm, source: str, progress: Callable[[int], None] | None = None) -> dict:
    """Run a planned sweep in this process; the JSON ``dfu-sched sweep --json`` prints (a plain copy)."""
    out = run_planned(plan, executor=make_executor(1), progress=progress,
                      source=FILE_PLACEHOLDER if form.pseudonymise else source)
    out["pseudonymised"] = form.pseudonymise
    clean: dict = json.loads(to_json(out))
    return clean


class SweepCache:
    """Sweep results by (scenario JSON, form), the newest ``size`` kept, process-wide.

    A sweep is a pure function of its key (same scenario, grid, replications and seed: same JSON),
    so any session may reuse it; every hit is a fresh copy. The run time in the JSON is the first run's.
    """

    def __init__(self, size: int = 16):
        self.size = size
        self._kept: OrderedDict[tuple[str, SweepForm], str] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: tuple[str, SweepForm]) -> dict | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        found: dict | None = None if kept is None else json.loads(kept)
        return found

    def keep(self, key: tuple[str, SweepForm], out: dict) -> None:
        with self._lock:
            self._kept[key] = to_json(out)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)


#: The page's sweep cache (one per server process).
SWEEPS = SweepCache()


def cached_run(key: tuple[str, SweepForm], plan: SweepPlan, source: str,
               progress: Callable[[int], None] | None = None) -> dict:
    """The sweep of ``key``: the kept result, else run and keep it."""
    found = SWEEPS.peek(key)
    if found is None:
        found = run_plan(plan, key[1], source, progress)
        SWEEPS.keep(key, found)
    return found


def _num(x) -> float | None:
    return None if x is None else round(float(x), 2)


def _ci(block: dict) -> str:
    """``30.5 to 118.8`` (whole numbers from 100 up, as the command's table), or an empty cell."""
    lo, hi = block.get("ci95", [None, None])
    if lo is None or hi is None:
        return ""
    est = block.get("estimate")
    digits = 0 if est is not None and abs(est) >= 100 else 1
    return f"{lo:,.{digits}f} to {hi:,.{digits}f}"


def table_rows(out: dict) -> list[dict]:
    """One row per point for a data table: grid values, each measure's mean (a number) and 95% CI,
    the cost, whether it meets the target (two columns a measure: the table stays readable)."""
    keys = [a["key"] for a in out["axes"]]
    invest = out["cost_basis"] == "investment" or any(p["cost_gbp"] for p in out["points"])
    rows = []
    for p in out["points"]:
        row: dict = {k: p["values"][k] for k in keys}
        for m in out["measures"]:
            block, label = p["measures"][m], out["labels"].get(m, m)
            row[label] = _num(block.get("estimate"))
            row[f"{label}: 95% CI"] = _ci(block)
        if invest:
            row["cost in horizon (GBP)"] = p["cost_gbp"]
        if out.get("target"):
            row["meets target"] = "no" if not p["meets_target"] else (
                "yes (cheapest)" if p["index"] == out.get("cheapest") else "yes")
        rows.append(row)
    return rows


def answer_lines(out: dict) -> list[str]:
    """The report's "In brief" in plain words: what was run, then the cheapest point that meets the
    target (or that none does) with its paired difference from the baseline."""
    from dfu_sched.reports.sweep_html import headline  # matplotlib: only when a result is shown

    lines = [plain_words(item) for item in headline(out)]
    if not out.get("target"):
        lines.append(f"No target given: every point is shown ({cost_phrase(out)} once a target is set).")
    return lines


@dataclass(frozen=True)
class ReportDownloads:
    """What a study page (sweep, sensitivity) offers to download, built in memory, and the
    report's charts (title, SVG)."""

    html: str
    csv: bytes
    json: str
    charts: list[tuple[str, str]]


def report_downloads(out: dict, scenario_yaml: str | None, render: Callable, table: Callable) -> ReportDownloads:
    """The HTML report ``render`` makes, the CSV ``table`` gives and the JSON, from a study's output
    as its command writes it (JSON round trip first, so the page offers what the files hold)."""
    doc = json.loads(to_json(out))
    rendered = render(doc, scenario_yaml, pseudonymise=bool(out.get("pseudonymised")))
    buf = io.StringIO(newline="")
    write_csv_rows(buf, *table(doc))
    return ReportDownloads(rendered.html, buf.getvalue().encode("utf-8"), to_json(doc),
                           [(c.spec.title, c.svg) for c in rendered.charts])


def downloads(out: dict, scenario_yaml: str | None) -> ReportDownloads:
    """The HTML report ``sweep --report`` writes, ``points.csv`` and ``sweep.json``, from the JSON."""
    from dfu_sched.reports.sweep_html import render_sweep  # matplotlib: only when a result is shown

    return report_downloads(out, scenario_yaml, render_sweep, csv_table)
