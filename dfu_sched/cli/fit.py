"""``fit``: a scenario estimated from the unit's case history, with a fit report.

A thin shell over :func:`dfu_sched.calibrate.fit.fit_history`: read the history (with an optional
column map), fit, write the scenario (and the report) whole or not at all, print the summary.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from dfu_sched.calibrate.history import read_history
from dfu_sched.cli.common import handles_input_errors
from dfu_sched.cli.report import declare_report, tell, write_report
from dfu_sched.columnmap import load_column_map
from dfu_sched.io import Outputs

_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: dt.datetime | None) -> dt.date | None:
    return None if value is None else value.date()


def read_history_file(path: Path, columns: Path | None):
    """The history through ``calibrate.history.read_history``, with the column map if given."""
    return read_history(path, columns=None if columns is None else load_column_map(columns))


@click.command()
@click.argument("history", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--columns", "columns", type=click.Path(dir_okay=False, path_type=Path),
              help="Column map (YAML): your export's headers, date formats and values -> the history's.")
@click.option("--from", "start", type=_DATE, metavar="DATE",
              help="First submission date to fit from (YYYY-MM-DD; default: the first).")
@click.option("--to", "end", type=_DATE, metavar="DATE",
              help="Last submission date to fit to (default: the history's last day).")
@click.option("--as-of", "as_of", type=_DATE, metavar="DATE",
              help="Day of the queue the scenario starts from (default: last day).")
@click.option("--base", "base_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Scenario giving what the history cannot (tiers, stages, rosters; default: the shipped baseline).")
@click.option("-o", "--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Write the fitted scenario (YAML) here.")
@click.option("--report", "report_file", type=click.Path(path_type=Path),
              help="Also write the fit report (HTML: fitted laws over the data, Q-Q plots, arrivals) here.")
@click.option("--figures", "figures_dir", type=click.Path(path_type=Path),
              help="Also write each report chart as PNG and SVG into this folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the fit as JSON instead of the summary.")
@click.option("--pseudonymise", is_flag=True, help="Replace the history's file name in the JSON and the report "
              "(a fit holds counts and estimates only: no case, device or examiner reference).")
@click.option("-q", "--quiet", is_flag=True, help="Do not say which files were written.")
@handles_input_errors
def fit(history: Path, columns, start, end, as_of, base_path, out_file, report_file, figures_dir, as_json,
        pseudonymise, quiet):
    """Fit a scenario to HISTORY (CSV/XLSX, one row per device): arrivals, hours, examiners, today's queue.

    \b
    Example:
      dfu-sched fit history.csv --columns map.yaml -o fitted.yaml --report fit.html
    """
    from dfu_sched.calibrate.fit import default_base, fit_history
    from dfu_sched.privacy import FILE_PLACEHOLDER
    from dfu_sched.scenario.schema import load_scenario

    outs = Outputs(inputs=[history, columns, base_path])
    outs.file("-o", out_file, (".yaml", ".yml"))
    declare_report(outs, report_file, figures_dir)
    outs.check()
    base = load_scenario(base_path) if base_path is not None else default_base()
    hist = read_history_file(history, columns)
    result = fit_history(hist, base, start=_day(start), end=_day(end), as_of=_day(as_of))
    doc = result.to_json(FILE_PLACEHOLDER if pseudonymise else history.name)
    said = []
    with outs.transaction() as stage:
        stage[out_file].write_text(result.yaml_text, encoding="utf-8")
        said.append(f"wrote {out_file} (scenario: every number with its source)")
        if report_file is not None or figures_dir is not None:
            from dfu_sched.reports.fit_html import render_fit

            page = render_fit(doc, pseudonymise=pseudonymise, scenario_yaml=result.yaml_text)
            said += write_report(page, report_file, figures_dir, stage)
    tell(said, quiet)
    click.echo(json.dumps(doc, indent=1) if as_json else "\n".join(result.lines()))


COMMANDS = [fit]
