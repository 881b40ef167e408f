"""``backtest``: start a scenario from a history's real queue on one day and check it month by month.

A thin shell over :func:`dfu_sched.calibrate.backtest.backtest` (a notebook user calls that with a
``History`` and a ``Scenario``); this module reads the files, declares every output before the
simulation runs, and writes them in one transaction.
"""
from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import replace
from pathlib import Path

import click

from dfu_sched.calibrate.backtest import BacktestResult, backtest
from dfu_sched.calibrate.history import read_history
from dfu_sched.cli.common import handles_input_errors, progress_bar, replications_option, seed_option, workers_option
from dfu_sched.cli.report import declare_report, tell, write_report
from dfu_sched.columnmap import load_column_map
from dfu_sched.errors import InputError
from dfu_sched.io import Outputs
from dfu_sched.privacy import FILE_PLACEHOLDER
from dfu_sched.reports.backtest_text import backtest_text, month_rows
from dfu_sched.reports.cells import write_csv_rows
from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim.experiment import default_workers, make_executor

DEFAULT_REPLICATIONS = 20


def read_history_file(path: Path, columns: Path | None):
    """The history through ``calibrate.history.read_history`` (with the column map, if any)."""
    return read_history(path, columns=None if columns is None else load_column_map(columns))


def _date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option}: expected a date as YYYY-MM-DD") from None


def write_outputs(result: BacktestResult, out_dir: Path) -> list[str]:
    """``backtest.json`` and ``backtest.csv`` (one row per month) into ``out_dir`` (a staged folder)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = result.as_dict()
    (out_dir / "backtest.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    header, rows = month_rows(doc)
    buf = io.StringIO()
    write_csv_rows(buf, header, rows)
    (out_dir / "backtest.csv").write_text(buf.getvalue(), encoding="utf-8", newline="")
    return ["backtest.json", "backtest.csv"]


@click.command("backtest")
@click.argument("history", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", "scenario_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The scenario to test (e.g. the one `dfu-sched fit` wrote).")
@click.option("--from", "start", required=True, help="First day of the back-test (YYYY-MM-DD): the queue that day.")
@click.option("--to", "end", required=True, help="Last day of the back-test (YYYY-MM-DD), inside the history.")
@click.option("--columns", "columns", type=click.Path(dir_okay=False, path_type=Path),
              help="Column map of the export (its headers, date formats and value names).")
@replications_option(help=f"Replications [default: {DEFAULT_REPLICATIONS}].")
@seed_option()
@workers_option()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Write backtest.json and backtest.csv here.")
@click.option("--report", "report_file", type=click.Path(path_type=Path), help="Also write the HTML page here.")
@click.option("--figures", "figures_dir", type=click.Path(path_type=Path),
              help="Also write each chart as PNG and SVG into this folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON document instead of the table.")
@click.option("--pseudonymise", is_flag=True,
              help="Replace the history's file name (it can name a case) in every output; the outputs hold "
                   "monthly totals only, never a device, case or examiner reference.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handles_input_errors
def backtest_command(history: Path, scenario_path: Path, start: str, end: str, columns, replications, seed, workers,
                     out_dir, report_file, figures_dir, as_json, pseudonymise, quiet):
    """Back-test SCENARIO on HISTORY: start from the queue on --from, simulate to --to, and set the
    actual monthly backlog, median wait and devices examined against the simulated 95% band.

    \b
    Example:
      dfu-sched backtest scenarios/examples/history.csv --columns scenarios/examples/history_columns.yaml \\
        --scenario scenarios/examples/history_truth.yaml --from 2025-01-01 --to 2025-12-28 --report bt.html
    """
    t0, t1 = _date(start, "--from"), _date(end, "--to")
    outs = Outputs(inputs=[history, scenario_path, columns])
    outs.folder("--out", out_dir)
    declare_report(outs, report_file, figures_dir)
    sc = load_scenario(scenario_path)
    hist = read_history_file(history, columns)
    outs.check()
    n = replications or DEFAULT_REPLICATIONS
    seed = sc.run.seed if seed is None else seed
    with progress_bar(n, f"{sc.name}: back-test", quiet) as bar:
        result = backtest(hist, sc, t0, t1, n, seed, executor=make_executor(min(workers or default_workers(), n)),
                          progress=bar.update)
    if pseudonymise:
        result = replace(result, history=FILE_PLACEHOLDER,
                         scenario=result.scenario.replace(history.name, FILE_PLACEHOLDER))
    doc = json.loads(json.dumps(result.as_dict()))
    said = []
    with outs.transaction() as stage:
        if out_dir is not None:
            said.append(f"wrote {out_dir}/ ({', '.join(write_outputs(result, stage[out_dir]))})")
        if report_file is not None or figures_dir is not None:
            from dfu_sched.reports.backtest_html import render_backtest  # matplotlib: only when asked for

            said += write_report(render_backtest(doc), report_file, figures_dir, stage)
    tell(said, quiet)
    click.echo(json.dumps(doc, indent=2) if as_json else backtest_text(doc))


COMMANDS = [backtest_command]
