"""``simulate`` and ``schema``: run a scenario's replications; print the scenario JSON Schema."""
from __future__ import annotations

import json
from pathlib import Path

import click

from dfu_sched.calibrate.synthetic import history_rows, row_columns
from dfu_sched.cli.common import (
    QueueArgs,
    StageCounter,
    executor_options,
    handles_input_errors,
    precision_options,
    precision_rule,
    progress_bar,
    queue_options,
    replications_or_auto_option,
    seed_option,
    workers_option,
)
from dfu_sched.cli.input_uncertainty import (
    carry_estimates,
    check_request,
    input_uncertainty_options,
    simulate_worlds,
    worlds_asked,
)
from dfu_sched.cli.report import declare_report, tell, write_report
from dfu_sched.io import Outputs
from dfu_sched.reports.files import to_json, write_run_files
from dfu_sched.reports.history_file import HISTORY_SUFFIXES, pseudonymised, write_history
from dfu_sched.reports.text import simulation_text
from dfu_sched.scenario.schema import load_scenario, scenario_json_schema
from dfu_sched.sim.dask_executor import executor_from_options
from dfu_sched.sim.experiment import check_size, run_experiment
from dfu_sched.sim.precision import run_until_precise


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@replications_or_auto_option(help="Replications (default: the scenario's run.replications).")
@precision_options()
@seed_option()
@workers_option()
@executor_options()
@click.option("--json", "as_json", is_flag=True, help="Print the JSON summary on stdout instead of the table.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Write summary.json, weekly.csv, weekly_replications.csv, replications.csv, "
                   "devices.csv (replication 0) here.")
@click.option("--report", "report_file", type=click.Path(path_type=Path),
              help="Also write a self-contained HTML report (charts, tables, assumptions) here.")
@click.option("--figures", "figures_dir", type=click.Path(path_type=Path),
              help="Also write each report chart as PNG and SVG into this folder.")
@click.option("--history-out", "history_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write replication 0's devices as a case history file (.csv or .xlsx) here.")
@click.option("--pseudonymise", is_flag=True,
              help="Pseudonymise the references in --history-out and replace a --queue file's name by a "
                   "placeholder (simulation reports hold no case references).")
@queue_options
@input_uncertainty_options
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handles_input_errors
def simulate(scenario: Path, replications, precision, max_replications, seed, workers, executor, scheduler, as_json,
             out_dir, report_file, figures_dir, history_file, pseudonymise, queue, columns, as_of, queue_stage,
             risk_model, with_uncertainty, worlds, quiet):
    """Simulate SCENARIO: backlog and waits by risk tier with 95% intervals.

    \b
    Example:
      dfu-sched simulate scenarios/north_yorkshire_2022.yaml -n 50 --out runs/baseline
      dfu-sched simulate scenarios/north_yorkshire_2022.yaml --queue queue.csv --as-of 2024-06-03
      dfu-sched simulate scenarios/north_yorkshire_2022.yaml -n auto --precision 0.05
      dfu-sched simulate scenarios/north_yorkshire_2022.yaml --executor dask --scheduler tcp://10.0.0.5:8786
      dfu-sched simulate scenarios/north_yorkshire_400k.yaml --input-uncertainty --worlds 20 -n 10
    """
    start = QueueArgs.of(queue, columns, as_of, queue_stage, risk_model)
    outs = Outputs(inputs=[scenario, *start.files])
    outs.folder("--out", out_dir)
    declare_report(outs, report_file, figures_dir)
    outs.file("--history-out", history_file, HISTORY_SUFFIXES)
    loaded = load_scenario(scenario)
    sc, started = start.apply(loaded, pseudonymise)
    sc = carry_estimates(sc, loaded)  # --queue: the ranges stay for --input-uncertainty
    rule = precision_rule(replications, precision, max_replications)
    n_worlds = worlds_asked(with_uncertainty, worlds)
    if n_worlds is not None:
        check_request(sc, replications)  # one line, before anything runs
    outs.check()  # every output path, before the simulation runs
    result = _run(sc, str(scenario), replications, rule, seed, workers, executor, scheduler,
                  out_dir is not None, quiet)
    if n_worlds is not None:  # the worlds' inner replications: as many as the usual run had (-n auto: needed)
        result.extra["input_uncertainty"] = simulate_worlds(sc, n_worlds, result.replications, result.seed,
                                                             workers, executor, scheduler, quiet)
    if started is not None:
        result.extra["inputs"] = started.inputs()
    summary = result.summary()
    said = []
    with outs.transaction() as stage:
        if out_dir is not None:
            names = write_run_files(result, stage[out_dir], scenario)
            said.append(f"wrote {out_dir}/ ({', '.join(names)})")
        if report_file is not None or figures_dir is not None:
            from dfu_sched.reports.simulate_html import render_simulation  # matplotlib: only when asked for

            clean = json.loads(to_json(summary))  # exactly what `dfu-sched report` reads from summary.json
            rendered = render_simulation(clean, scenario.read_text(encoding="utf-8"), pseudonymise=pseudonymise,
                                         scenario_model=sc.model_dump(mode="json", by_alias=True))
            said += write_report(rendered, report_file, figures_dir, stage)
        if history_file is not None:
            said.append(_write_history(sc, result.seed, history_file, stage, pseudonymise))
    if started is not None and as_json:
        said.insert(0, started.note())  # stdout is the JSON (it records the queue under "inputs")
    tell(said, quiet)
    lead = f"{started.note()}\n" if started is not None else ""
    click.echo(to_json(summary) if as_json else lead + _text(summary))


def _text(summary: dict) -> str:
    """The terminal summary, and the input-uncertainty section after it when the run has one."""
    if "input_uncertainty" not in summary:
        return simulation_text(summary)
    from dfu_sched.reports.uncertainty_text import input_uncertainty_text

    return simulation_text(summary) + "\n\n" + input_uncertainty_text(summary["input_uncertainty"])


def _run(sc, source: str, replications, rule, seed, workers, kind: str, scheduler, keep_records: bool,
         quiet: bool):
    """The replications, a fixed number or by precision (``rule``), where ``--executor`` says."""
    if rule is not None:
        check_size(sc, rule.minimum)  # refuse before any cluster starts
        with executor_from_options(kind, scheduler, workers) as ex:
            counter = StageCounter(sc.name, quiet, "replications by precision")
            try:
                return run_until_precise(sc, rule, seed, ex if kind == "dask" else None, workers, keep_records,
                                         counter.update, source)
            finally:
                counter.close()
    n: int = replications or sc.run.replications
    check_size(sc, n)
    with executor_from_options(kind, scheduler, workers, n) as ex, \
            progress_bar(n, f"{sc.name}: replications", quiet) as bar:
        return run_experiment(sc, n, seed, workers, keep_records=keep_records, progress=bar.update, source=source,
                              executor=ex if kind == "dask" else None)  # local: run_experiment's own worker rule


def _write_history(sc, seed: int, path: Path, stage, pseudonymise: bool) -> str:
    """Replication 0 of the run (same seed, same devices) as history rows, into the staged path."""
    rows = history_rows(sc, seed)
    write_history(stage[path], row_columns(rows), pseudonymised(rows) if pseudonymise else rows)
    return f"wrote {path} ({len(rows):,} devices, replication 0 as a case history)"


@click.command()
@click.option("--out", "out_file", type=click.Path(path_type=Path), help="Write to a file instead of stdout.")
@handles_input_errors
def schema(out_file):
    """Print the JSON Schema of scenario files (point your editor's YAML plugin at it)."""

    outs = Outputs()
    outs.file("--out", out_file, (".json",))
    outs.check()
    text = json.dumps(scenario_json_schema(), indent=2)
    if out_file:
        with outs.transaction() as stage:
            stage[out_file].write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)


COMMANDS = [simulate, schema]
