"""The measures a sweep can show or target, named before anything runs.

Why: ``--measure`` and ``--target`` name a measure of a replication, and a misspelt name found
after forty points have run wastes the run. The names a replication of a point produces
(``sim.measures.measure`` plus ``invest.evaluate.replicate``'s investment measures) follow from
the scenario alone (its tiers, thresholds, examiner groups and stages): ``invest.measure_keys``
lists them (``sensitivity`` uses the same list) and ``tests/sweep`` checks it against a real
replication's keys.
"""
from __future__ import annotations

from dfu_sched.errors import InputError
from dfu_sched.invest.measure_keys import measure_names
from dfu_sched.invest.targets import Target
from dfu_sched.scenario.input_errors import suggest
from dfu_sched.scenario.schema import Scenario

#: What ``dfu-sched sweep`` shows without ``--measure``: the simulate headline's backlog at 12 months
#: and the first tier's median wait to start (``{tier}`` is the scenario's first tier).
DEFAULT_MEASURES = ("invest.backlog_at_12m", "{tier}.wait_to_start_days.p50")

def default_measures(sc: Scenario) -> list[str]:
    return [m.format(tier=sc.tier_names[0]) for m in DEFAULT_MEASURES]


def check_measures(sc: Scenario, keys: list[str], option: str = "--measure") -> list[str]:
    """The keys, each known for ``sc`` (else a one-line InputError with a suggestion), duplicates dropped."""
    known = measure_names(sc)
    for k in keys:
        if k not in known:
            raise InputError(f"{option}: unknown measure '{k[:80]}'{suggest(k, known)} "
                             "(see the README section Sweeps for the names)")
    return list(dict.fromkeys(keys))


def target_measure(sc: Scenario, tgt: Target) -> str:
    """The measure a target is judged on: a window measure for waits (as ``invest --target``), else its key."""
    if not tgt.window:
        check_measures(sc, [tgt.key], "--target")
    return tgt.result_key
