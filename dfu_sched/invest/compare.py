"""``compare``: the same measures for several scenarios, each with its investment mix applied, paired.

Why a module: a comparison is not a search (no mixes are proposed), but it needs the same
evaluation (``invest.evaluate``: common random numbers, outsourcing, costs) and the same interval
blocks (``invest.results``), plus what only a comparison says: which inputs differ from the first
scenario (``scenario_changes``) and whether the differences are paired at all.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from dfu_sched import __version__
from dfu_sched.invest.appraisal import appraisal_json, difference_appraisal
from dfu_sched.invest.evaluate import Evaluator, prepare
from dfu_sched.invest.results import (
    backlog_months_removed,
    compare_keys,
    describe_mix,
    measures_block,
    monthly_trajectory,
    monthly_wait,
    paired_block,
)
from dfu_sched.scenario.levers import cost_profile, mix_label
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import Executor
from dfu_sched.sim.measures import label_of
from dfu_sched.sim.precision import PrecisionRule, headline_keys, sequential, size_cap


def _demand(sc: Scenario) -> dict:
    d = sc.model_dump(mode="json", by_alias=True)
    return {k: d[k] for k in ("calendar", "tiers", "arrivals", "backlog")}


def compare_scenarios(scenarios: list[tuple[str, Scenario]], replications: int | PrecisionRule, seed: int,
                      workers: int | None = None, progress: Callable[[int], None] | None = None,
                      executor: Executor | None = None) -> dict:
    """The same measures for each scenario (its ``investment.mix`` applied), paired against the first.

    Same seed and replications for all, so scenarios with the same demand see the same devices
    and their differences are common-random-number paired. ``replications`` a ``PrecisionRule``
    (``-n auto``): as many as every scenario's headline measures need (``sim.precision``).
    """
    ev = Evaluator(scenarios[0][1], seed, workers, None, progress, executor)
    keys_by = []
    for i, (_, sc) in enumerate(scenarios):
        mix = dict(sc.investment.mix) if sc.investment else {}
        p = prepare(sc, mix)
        keys_by.append(ev.add_prepared(replace(p, key=(f"#{i}",) + p.key), "compare").key)
    t0 = time.perf_counter()
    with ev:
        precision = None
        if isinstance(replications, PrecisionRule):
            precision = _size_by_precision(ev, keys_by, [sc for _, sc in scenarios], replications)
            replications = int(precision["replications_needed"])
        ev.ensure(keys_by, replications)
    first = scenarios[0][1]
    paired = all(_demand(sc) == _demand(first) for _, sc in scenarios[1:])
    keys = [k for k in compare_keys(first) if all(k in ev.runs[key][0][0] for key in keys_by)]
    ids = _unique_ids([_stem(p) for p, _ in scenarios])
    titles = _titles([sc.name for _, sc in scenarios], ids)
    out_sc = []
    for i, ((path, sc), k, ident) in enumerate(zip(scenarios, keys_by, ids)):
        p = ev.preps[k]
        out_sc.append({
            "id": ident, "name": sc.name, "title": titles[i], "file": path,
            "mix": {n: u for n, u in p.mix.items() if u}, "label": mix_label(p.mix),
            "actions": describe_mix(sc, p.mix) if any(p.mix.values()) else ["no investment"],
            "changes": scenario_changes(first, sc) if i else [],
            "cost_gbp": round(p.cost, 2),
            "recurring_gbp_per_year_after_horizon": p.recurring,
            "measures": measures_block(ev, k, keys, replications),
            "cost_profile": cost_profile(sc, p.mix),
            "trajectory": {**monthly_trajectory(ev, k, sc, ["backlog.awaiting_examination", "months_of_work"]),
                           "wait_to_start_days": monthly_wait(ev, k, sc)},
        })
    diffs = []
    for k, ident in list(zip(keys_by, ids))[1:]:
        block: dict[str, Any] = {
            "id": ident, "versus": ids[0], "measures": paired_block(ev, keys_by[0], k, keys, replications),
            "cost_gbp": round(ev.preps[k].cost - ev.preps[keys_by[0]].cost, 2)}
        bm = backlog_months_removed(ev, keys_by[0], k, replications)
        months, cost = bm["months_removed"]["estimate"], block["cost_gbp"]
        block["backlog_removed"] = bm
        block["gbp_per_month_of_backlog_removed"] = cost / months if months and months > 0 and cost > 0 else None
        diffs.append(block)
    _add_appraisals(scenarios, out_sc, diffs)
    out: dict[str, Any] = {
        "kind": "compare",
        "version": __version__,
        "seed": seed,
        "replications": replications,
        "paired": paired,
        "note": None if paired else
        "demand, calendar or backlog differ: differences are not common-random-number paired",
        "measures": keys,
        "labels": {k: label_of(k) for k in keys},
        "scenarios": out_sc,
        "differences": diffs,
        "run": {"seconds": round(time.perf_counter() - t0, 2), "replications_simulated": ev.replications_run,
                "workers": ev.workers},
    }
    if precision is not None:
        out["run"]["precision"] = precision
    return out


def _add_appraisals(scenarios: list[tuple[str, Scenario]], out_sc: list[dict], diffs: list[dict]) -> None:
    """Green Book blocks (``invest.appraisal``) for the scenarios that set ``investment.appraisal``, and for
    each difference whose scenario has one: its extra PV cost over the first and the benefits it buys."""
    for (_, sc), s in zip(scenarios, out_sc):
        block = appraisal_json(sc, s["mix"])
        if block is not None:
            s["appraisal"] = block
    first_sc, first_mix = scenarios[0][1], out_sc[0]["mix"]
    for (_, sc), s, d in zip(scenarios[1:], out_sc[1:], diffs):
        if "appraisal" in s:  # the first scenario's costs appraised with this one's settings
            first = appraisal_json(first_sc, first_mix, settings=sc.investment.appraisal if sc.investment else None)
            d["appraisal"] = difference_appraisal(s["appraisal"], first, d["measures"])


def _size_by_precision(ev: Evaluator, keys_by: list[tuple], scenarios: list[Scenario], rule: PrecisionRule) -> dict:
    """``-n auto``: replications until every scenario's headline measures meet ``rule``; those past the
    n needed are dropped, so the comparison is exactly that of ``-n n``. ``run.precision`` of the JSON."""
    names = _titles([sc.name for sc in scenarios], [str(i + 1) for i in range(len(scenarios))])
    keys = {f"{name}|{m}": (k, m) for name, k, sc in zip(names, keys_by, scenarios) for m in headline_keys(sc)}

    def extend(n: int) -> dict:
        ev.ensure(keys_by, n)
        return {key: ev.values(k, m, n) for key, (k, m) in keys.items()}

    outcome = sequential(rule, min(size_cap(sc, rule) for sc in scenarios), ev.workers, list(keys), extend)
    ev.keep_first(keys_by, outcome.replications)
    return outcome.as_dict()


def _titles(names: list[str], ids: list[str]) -> list[str]:
    """Scenario names for display; a name two scenarios share gets the file id added."""
    return [n if names.count(n) == 1 else f"{n} ({i})" for n, i in zip(names, ids)]


#: Sections a comparison does not list as changes: names, run settings (the comparison sets them) and
#: the investment options (what is bought is described as actions, with its cost).
_NOT_CHANGES = ("name", "description", "run", "investment", "extends")


def scenario_changes(ref: Scenario, sc: Scenario, limit: int = 6) -> list[str]:
    """What ``sc`` sets differently from ``ref`` outside its investments: 'policy.discipline: priority
    (first scenario: fifo)'. Lists of different length or shape are reported as changed whole."""
    a, b = ref.model_dump(mode="json", by_alias=True), sc.model_dump(mode="json", by_alias=True)
    found: list[str] = []

    def show(v) -> str:
        return "not set" if v is None else str(v).lower() if isinstance(v, bool) else f"{v:g}" \
            if isinstance(v, float) else str(v) if not isinstance(v, (dict, list)) else "..."

    def walk(x, y, path: str) -> None:
        if x == y:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for key in list(x) + [k for k in y if k not in x]:
                walk(x.get(key), y.get(key), f"{path}.{key}" if path else key)
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for j, (u, v) in enumerate(zip(x, y)):
                walk(u, v, f"{path}[{j}]")
        elif isinstance(x, (dict, list)) or isinstance(y, (dict, list)):
            found.append(f"{path}: changed")
        else:
            found.append(f"{path}: {show(y)} (first scenario: {show(x)})")

    for key in a:
        if key not in _NOT_CHANGES:
            walk(a[key], b.get(key), key)
    if len(found) > limit:
        found = found[:limit] + [f"and {len(found) - limit} more inputs"]
    return found


def _stem(path: str) -> str:
    return Path(path).stem


def _unique_ids(stems: list[str]) -> list[str]:
    out: list[str] = []
    seen: dict[str, int] = {}
    for s in stems:
        seen[s] = seen.get(s, 0) + 1
        out.append(s if seen[s] == 1 else f"{s}-{seen[s]}")
    return out
