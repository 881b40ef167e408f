"""``--input-uncertainty`` and ``--worlds`` on simulate and compare: the options and the runs behind them.

Why a module: both commands spell and explain the options the same way and run the worlds where
``--executor`` says (``uncertainty.second_order`` does the work; this only wires options, the
executor and the progress bar to it). The worlds' inner replications are the usual run's ``-n``;
with ``-n auto`` they are the number the usual run needed.
"""
from __future__ import annotations

from collections.abc import Callable

import click

from dfu_sched.cli.common import progress_bar
from dfu_sched.errors import InputError
from dfu_sched.scenario.estimates import value_at
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.dask_executor import executor_from_options
from dfu_sched.sim.experiment import check_size
from dfu_sched.uncertainty.second_order import (
    DEFAULT_WORLDS,
    compare_input_uncertainty,
    compare_uncertainty_json,
    input_uncertainty,
    input_uncertainty_json,
    union_estimates,
)
from dfu_sched.uncertainty.worlds import MAX_WORLDS, require_estimates


def input_uncertainty_options(func: Callable) -> Callable:
    """``--input-uncertainty`` and ``--worlds`` (simulate and compare): second-order Monte Carlo."""
    func = click.option("--worlds", type=click.IntRange(min=2, max=MAX_WORLDS),
                        help=f"With --input-uncertainty (implies it): plausible worlds of the ranged inputs, "
                             f"each run for -n replications (default {DEFAULT_WORLDS}).")(func)
    return click.option("--input-uncertainty", "with_uncertainty", is_flag=True,
                        help="Also draw the scenario's ranged inputs ({value, low, high}) over plausible worlds "
                             "and report intervals that include estimate uncertainty beside the usual ones, and "
                             "which input causes how much of the spread.")(func)


def worlds_asked(with_uncertainty: bool, worlds: int | None) -> int | None:
    """The number of worlds to run (``--worlds`` alone implies ``--input-uncertainty``), or None."""
    if worlds is not None:
        return worlds
    return DEFAULT_WORLDS if with_uncertainty else None


def carry_estimates(started: Scenario, loaded: Scenario) -> Scenario:
    """``--queue`` rebuilds the scenario with the file's backlog: the ranges of the inputs it left alone stay."""
    if started is loaded or not loaded.estimates:
        return started
    data = started.model_dump(mode="json", by_alias=True)
    return started.with_estimates(tuple(e for e in loaded.estimates if value_at(data, e) == e.value))


def check_request(sc: Scenario, replications) -> None:
    """simulate: ranged inputs and at least 2 replications a world (``-n auto`` starts at 2 or more)."""
    require_estimates(sc, "--input-uncertainty")
    n = sc.run.replications if replications is None else replications
    if n != "auto" and n < 2:
        raise InputError("--input-uncertainty needs at least 2 replications per world (-n 2 or more) to tell "
                         "chance from the estimates")


def simulate_worlds(sc: Scenario, n_worlds: int, n: int, seed: int, workers, kind: str, scheduler, quiet: bool) -> dict:
    """``--input-uncertainty``: W worlds x n replications (plus the base), where ``--executor`` says."""
    total = (n_worlds + 1) * n
    check_size(sc, total)
    with executor_from_options(kind, scheduler, workers, total) as ex, \
            progress_bar(total, f"{sc.name}: {n_worlds} worlds x {n} replications", quiet) as bar:
        return input_uncertainty_json(input_uncertainty(sc, None, n_worlds, n, seed, ex, progress=bar.update))


def require_any_estimates(scenarios: list[Scenario]) -> None:
    """compare: at least one scenario must carry a ranged input (one line, before anything runs)."""
    if not union_estimates(scenarios):
        raise InputError("compare --input-uncertainty needs ranged inputs: give an estimate a range in a scenario "
                         "file, e.g. screen_out_share: {value: 0.30, low: 0.20, high: 0.50} (docs/uncertainty.md)")


def compare_worlds(loaded: list[tuple[str, Scenario]], ids: list[str], n_worlds: int, n: int, seed: int, workers,
                   kind: str, scheduler, quiet: bool) -> dict:
    """``compare --input-uncertainty``: every scenario over the same worlds and seeds (paired)."""
    total = len(loaded) * (n_worlds + 1) * n
    for _, sc in loaded:
        check_size(sc, (n_worlds + 1) * n)
    with executor_from_options(kind, scheduler, workers, total) as ex, \
            progress_bar(total, f"compare: {n_worlds} worlds x {n} replications", quiet) as bar:
        res = compare_input_uncertainty([(i, sc) for i, (_, sc) in zip(ids, loaded)], None, n_worlds, n, seed, ex,
                                        progress=bar.update)
    return compare_uncertainty_json(res)
