"""``compare`` and ``invest``: what each scenario or mix of investments buys, with paired intervals."""
from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

import click

from dfu_sched.cli.common import (
    QueueArgs,
    StageCounter,
    executor_options,
    handles_input_errors,
    precision_options,
    precision_rule,
    progress_bar,
    queue_options,
    replications_option,
    replications_or_auto_option,
    seed_option,
    workers_option,
)
from dfu_sched.cli.input_uncertainty import (
    carry_estimates,
    compare_worlds,
    input_uncertainty_options,
    require_any_estimates,
    worlds_asked,
)
from dfu_sched.cli.report import declare_report, report_from_output, report_options, tell
from dfu_sched.errors import InputError
from dfu_sched.invest.compare import compare_scenarios
from dfu_sched.invest.objectives import DEFAULT_OBJECTIVE, OBJECTIVE_NAMES
from dfu_sched.invest.request import search_settings
from dfu_sched.invest.results import explain, result_json
from dfu_sched.invest.search import search
from dfu_sched.io import Outputs
from dfu_sched.reports.files import to_json
from dfu_sched.reports.finance_xlsx import write_compare_xlsx, write_invest_xlsx
from dfu_sched.reports.invest_text import compare_text, invest_text, write_compare_dir, write_invest_dir
from dfu_sched.reports.robust_text import robust_text
from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim.dask_executor import executor_from_options
from dfu_sched.sim.experiment import check_size
from dfu_sched.uncertainty.robust import DEFAULT_WORLDS, robust_choice, robust_json
from dfu_sched.uncertainty.worlds import require_estimates, sample_worlds


def _common(func):
    func = click.option("-q", "--quiet", is_flag=True, help="No progress bar or notes on stderr.")(func)
    func = click.option("--xlsx", "xlsx_file", type=click.Path(path_type=Path),
                        help="Write the finance workbook here.")(func)
    func = click.option("--out", "out_dir", type=click.Path(path_type=Path),
                        help="Write JSON, CSV files and the XLSX workbook into this folder.")(func)
    func = click.option("--json", "as_json", is_flag=True, help="Print the JSON on stdout instead of tables.")(func)
    func = executor_options()(func)
    func = workers_option()(func)
    func = seed_option("the first scenario's")(func)
    func = queue_options(func)
    return func


def _outputs(inputs, out_dir: Path | None, xlsx_file: Path | None, report_file: Path | None,
             figures_dir: Path | None):
    """Every output of compare/invest, declared together so all are checked before the simulations."""

    outs = Outputs(inputs=inputs)
    outs.folder("--out", out_dir)
    outs.file("--xlsx", xlsx_file, (".xlsx",))
    declare_report(outs, report_file, figures_dir)
    return outs


@click.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@replications_or_auto_option(2, help="Replications of each (default: the first scenario's run.replications).")
@precision_options()
@_common
@report_options
@input_uncertainty_options
@handles_input_errors
def compare(scenarios, replications, precision, max_replications, seed, workers, executor, scheduler, as_json,
            out_dir, xlsx_file, quiet, report_file, figures_dir, pseudonymise, queue, columns, as_of, queue_stage,
            risk_model, with_uncertainty, worlds):
    """Compare SCENARIOS side by side with paired differences (common random numbers) and costs.

    Each scenario's investment.mix, if any, is applied and costed. Differences are against the
    first scenario.

    \b
    Example:
      dfu-sched compare scenarios/north_yorkshire_2022.yaml scenarios/north_yorkshire_400k.yaml -n 20
      dfu-sched compare A.yaml B.yaml --queue queue.csv --as-of 2024-06-03   (every scenario starts from the queue)
      dfu-sched compare A.yaml B.yaml -n auto --precision 0.05   (as many replications as every headline needs)
      dfu-sched compare A.yaml B.yaml --input-uncertainty --worlds 20 -n 10   (the same plausible worlds for both)
    """
    n_worlds = worlds_asked(with_uncertainty, worlds)
    if len(scenarios) < (1 if n_worlds is not None else 2):  # one, with --input-uncertainty: its mix over worlds
        raise InputError("compare needs at least two scenario files (or one with --input-uncertainty)")
    if len(scenarios) == 1 and any(x is not None for x in (out_dir, xlsx_file, report_file, figures_dir)):
        raise InputError("compare of one scenario prints its input uncertainty (or --json) only; give two scenario "
                         "files for --out, --xlsx, --report or --figures")
    start = QueueArgs.of(queue, columns, as_of, queue_stage, risk_model)
    outs = _outputs([*scenarios, *start.files], out_dir, xlsx_file, report_file, figures_dir)
    loaded, started = [], None
    for p in scenarios:  # each scenario reads the queue against its own tiers and types
        sc, started = start.apply(original := load_scenario(p), pseudonymise)
        loaded.append((str(p), carry_estimates(sc, original)))  # --queue: ranges stay for --input-uncertainty
    first = loaded[0][1]
    rule = precision_rule(replications, precision, max_replications)
    n = rule.minimum if rule is not None else (replications or first.run.replications)
    if n < 2:
        raise InputError("compare needs at least 2 replications for intervals")
    seed = first.run.seed if seed is None else seed
    for _, each in loaded:
        check_size(each, n)  # refuse before starting (dfu_sched.sim.experiment)
    if n_worlds is not None:
        require_any_estimates([sc for _, sc in loaded])
    outs.check()
    bar = StageCounter("compare", quiet, "replications by precision") if rule is not None else \
        progress_bar(n * len(loaded), "compare: replications", quiet)
    with executor_from_options(executor, scheduler, workers) as ex, _closing(bar):
        out = compare_scenarios(loaded, rule or n, seed, workers, bar.update, executor=ex)
    if n_worlds is not None:  # the same worlds and seeds for every scenario, paired (uncertainty.second_order)
        out["input_uncertainty"] = compare_worlds(loaded, [s["id"] for s in out["scenarios"]], n_worlds,
                                                  int(out["replications"]), seed, workers, executor, scheduler, quiet)
    said = _record_queue(out, started, as_json)
    # The report modules pull in matplotlib: imported here, so other commands never load it.
    from dfu_sched.reports.compare_html import copy_scenario_files, render_compare, scenario_files
    with outs.transaction() as stage:
        if out_dir is not None:
            names = write_compare_dir(out, stage[out_dir])
            names += copy_scenario_files(out, stage[out_dir])
            said.append(f"wrote {out_dir}/ ({', '.join(names)})")
        if xlsx_file is not None:
            write_compare_xlsx(out, stage[xlsx_file])
            said.append(f"wrote {xlsx_file}")
        said += report_from_output(out_dir, lambda: render_compare(json.loads(to_json(out)), scenario_files(out, None),
                                                                   pseudonymise=pseudonymise),
                                   report_file, figures_dir, pseudonymise, stage)
    tell(said, quiet)
    click.echo(to_json(out) if as_json else _lead(started) + compare_text(out) + _uncertainty_text(out))


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--budget", type=str, help="£ to spend inside the horizon (default: investment.budget_gbp). "
                                         "With --target: the most you would spend.")
@click.option("--target", type=str, help="Least-cost question, e.g. 'VH+H.wait_to_start_days.p90<=7' or a name: "
                                         "high-risk-week, vh-day, 72h, 30d.")
@click.option("--by", "by", type=str, help="With --target: date (YYYY-MM-DD) or week from which the target must hold.")
@click.option("--objective", type=click.Choice(OBJECTIVE_NAMES), default=DEFAULT_OBJECTIVE, show_default=True,
              help="What 'best' means: exposure (risk-weighted days waited), wait-12m (wait to start in month 12), "
                   "backlog (devices waiting at the end).")
@replications_option(4, 32, help="Replications for the chosen mix and doing nothing (every mix starts with n/8, "
                                  "every frontier mix has at least n/4).")
@click.option("--input-uncertainty", is_flag=True,
              help="Test the choice against the scenario's ranged estimates: the chosen mix, its runners-up on the "
                   "frontier and doing nothing in --worlds plausible worlds; the share of worlds in which each is "
                   "best, its expected regret, and whether the choice is fragile.")
@click.option("--worlds", type=click.IntRange(min=2), default=DEFAULT_WORLDS, show_default=True,
              help="With --input-uncertainty: plausible worlds (Latin hypercube over the ranged estimates).")
@click.option("--world-replications", type=click.IntRange(min=2),
              help="With --input-uncertainty: replications of each mix in each world (default: -n, the search's "
                   "final replications).")
@_common
@report_options
@handles_input_errors
def invest(scenario, budget, target, by, objective, replications, input_uncertainty, worlds, world_replications, seed,
           workers, executor, scheduler, as_json, out_dir, xlsx_file, quiet, report_file, figures_dir, pseudonymise,
           queue, columns, as_of, queue_stage, risk_model):
    """Search mixes of SCENARIO's investment options: the best under a budget, or the cheapest meeting a target.

    Reports the efficient frontier (cost against exposure, wait to start in month 12, backlog at
    the end), the chosen mix with 95% intervals against doing nothing (common random numbers),
    £ per month of backlog removed, the cost by month and financial year, and the trajectory.

    \b
    Examples:
      dfu-sched invest scenarios/north_yorkshire_400k.yaml --budget 400000 --out runs/400k
      dfu-sched invest scenarios/north_yorkshire_400k.yaml --target high-risk-week --by 2024-04-01
      dfu-sched invest scenarios/north_yorkshire_400k.yaml --budget 400k --queue queue.csv --as-of 2024-06-03
      dfu-sched invest scenarios/north_yorkshire_400k.yaml --budget 400000 --input-uncertainty --worlds 20
    """
    start = QueueArgs.of(queue, columns, as_of, queue_stage, risk_model)
    outs = _outputs([scenario, *start.files], out_dir, xlsx_file, report_file, figures_dir)
    original = load_scenario(scenario)
    sc, started = start.apply(original, pseudonymise)
    sc = carry_estimates(sc, original)  # --queue: the ranges stay for --input-uncertainty
    settings = search_settings(sc, str(scenario), budget, target, by, objective, replications, seed, workers)
    check_size(sc, replications)  # the unit as it is; each mix adds at most its options' staff
    plausible = sample_worlds(require_estimates(sc, "--input-uncertainty"), worlds, settings.seed) \
        if input_uncertainty else None  # refused before the search when the scenario has no ranges
    outs.check()
    bar = StageCounter("invest", quiet, "screening")
    settings.progress = bar.update
    settings.log = bar.log
    try:
        with executor_from_options(executor, scheduler, workers) as ex:
            settings.executor = ex
            res = search(sc, settings)
            robust = _robust(sc, res, plausible, world_replications, ex, bar)
    finally:
        bar.close()
    out = _with_robust(result_json(res, sc, str(scenario)), robust, sc)
    said = _record_queue(out, started, as_json)
    from dfu_sched.reports.invest_html import render_invest  # matplotlib: only when invest runs
    with outs.transaction() as stage:
        if out_dir is not None:
            names = write_invest_dir(out, stage[out_dir], sc)
            shutil.copyfile(scenario, stage[out_dir] / "scenario.yaml")  # the report's assumptions, as run
            names.append("scenario.yaml")
            said.append(f"wrote {out_dir}/ ({', '.join(names)})")
        if xlsx_file is not None:
            write_invest_xlsx(out, stage[xlsx_file], sc)
            said.append(f"wrote {xlsx_file}")
        said += report_from_output(out_dir, lambda: render_invest(json.loads(to_json(out)),
                                                                  scenario.read_text(encoding="utf-8"),
                                                                  pseudonymise=pseudonymise),
                                   report_file, figures_dir, pseudonymise, stage)
    tell(said, quiet)
    click.echo(to_json(out) if as_json else _lead(started) + invest_text(out) + robust_text(out.get("robust")))


def _robust(sc, res, plausible, world_replications, ex, bar):
    """``--input-uncertainty``: the choice tested in the plausible worlds (None without the option)."""
    if plausible is None:
        return None
    bar.log(f"robust: the choice in {len(plausible)} plausible worlds of the estimates")
    return robust_choice(sc, res, plausible, world_replications or res.settings.final_reps, executor=ex,
                         progress=bar.update)


def _with_robust(out: dict, robust, sc) -> dict:
    """The invest JSON with its ``robust`` block and the headline's robust line (as given without a test)."""
    if robust is not None:
        out["robust"] = robust_json(robust)
        out["explanation"] = explain(out, sc)
    return out


@contextlib.contextmanager
def _closing(bar):
    """A progress bar (a context manager) or a ``StageCounter`` (closed), as one ``with``."""
    if isinstance(bar, StageCounter):
        try:
            yield bar
        finally:
            bar.close()
    else:
        with bar:
            yield bar


def _record_queue(out: dict, started, as_json: bool) -> list[str]:
    """With ``--queue``: record where the backlog came from under the output's ``inputs``; the line to
    tell on stderr when stdout is the JSON (the tables lead with it otherwise, see ``_lead``)."""
    if started is None:
        return []
    out["inputs"] = {**out.get("inputs", {}), **started.inputs()}
    return [started.note()] if as_json else []


def _uncertainty_text(out: dict) -> str:
    if "input_uncertainty" not in out:
        return ""
    from dfu_sched.reports.uncertainty_text import compare_uncertainty_text

    return "\n\n" + compare_uncertainty_text(out["input_uncertainty"])


def _lead(started) -> str:
    return f"{started.note()}\n" if started is not None else ""


COMMANDS = [compare, invest]
