"""``sensitivity``: which estimate matters most: each ranged input at its low and high end, as a tornado."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from dfu_sched.cli.common import (
    executor_options,
    handles_input_errors,
    progress_bar,
    seed_option,
    workers_option,
)
from dfu_sched.cli.report import HTML_SUFFIXES, PSEUDONYMISE_HELP, report_from_output, tell
from dfu_sched.io import Outputs
from dfu_sched.privacy import FILE_PLACEHOLDER
from dfu_sched.reports.files import to_json
from dfu_sched.reports.sensitivity_text import sensitivity_text, write_sensitivity_csv, write_sensitivity_dir
from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim.dask_executor import executor_from_options
from dfu_sched.uncertainty.sensitivity import plan_sensitivity, run_planned, sensitivity_json


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--measure", "measures", multiple=True, metavar="KEY",
              help="A measure to draw a tornado of (repeat; default: invest.backlog_at_12m, the first tier's "
                   "wait_to_start_days.p90 and overall.exposure; names as in the README section Sweeps).")
@click.option("-n", "--replications", type=int,
              help="Replications at each end of each range, and of the base (default: the scenario's "
                   "run.replications, else 10).")
@seed_option()
@click.option("--mix", metavar="file|none",
              help="file: every run with the scenario's investment.mix applied, as compare does (the default when "
                   "the scenario has one); none: the unit as staffed today.")
@click.option("--method", metavar="auto|oat|morris",
              help="oat: each estimate at its low and high end, the rest at their values; morris: a Morris "
                   "screening (SALib) first, then oat on the estimates that matter most; auto (default): morris "
                   "when there are more than 12 ranged inputs.")
@workers_option()
@executor_options()
@click.option("--json", "json_file", metavar="FILE", help="Write the JSON here ('-': print it instead of the table).")
@click.option("--html", "--report", "report_file", type=click.Path(path_type=Path),
              help="Write a self-contained HTML report with a tornado per measure (the page `dfu-sched report` "
                   "makes from the --out folder).")
@click.option("--csv", "csv_file", type=click.Path(path_type=Path), help="Write one row per bar to this CSV file.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Write sensitivity.json, bars.csv and a copy of the scenario (scenario.yaml) into this folder.")
@click.option("--figures", "figures_dir", type=click.Path(path_type=Path),
              help="Also write each tornado as PNG and SVG into this folder.")
@click.option("--pseudonymise", is_flag=True, help=PSEUDONYMISE_HELP)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or notes on stderr.")
@handles_input_errors
def sensitivity(scenario: Path, measures, replications, seed, mix, method, workers, executor, scheduler, json_file,
                report_file, csv_file, out_dir, figures_dir, pseudonymise, quiet):
    """Which estimate matters most: each ranged input of SCENARIO at its low and high end.

    Every other input stays at its value, and every run sees the same simulated devices (common
    random numbers), so each bar is the estimate's effect and an estimate with no effect has none.
    Prints, per measure, the inputs by swing with the measure at the low end, the base and the high
    end; --html draws the tornadoes. With more than 12 ranged inputs a Morris screening runs first.

    \b
    Examples:
      dfu-sched sensitivity scenarios/north_yorkshire_400k.yaml -n 20 --html tornado.html
      dfu-sched sensitivity scenarios/north_yorkshire_400k.yaml --mix none --measure overall.exposure
    """
    to_stdout = json_file == "-"
    json_path = None if json_file is None or to_stdout else Path(json_file)
    outs = Outputs(inputs=[scenario])
    outs.folder("--out", out_dir)
    outs.file("--json", json_path, (".json",))
    outs.file("--csv", csv_file, (".csv",))
    outs.file("--html", report_file, HTML_SUFFIXES)
    outs.figures("--figures", figures_dir)
    base = load_scenario(scenario)
    plan = plan_sensitivity(base, measures, replications, seed, mix, method)  # every check, nothing run
    outs.check()
    with executor_from_options(executor, scheduler, workers, plan.jobs) as ex, \
            progress_bar(plan.jobs, f"sensitivity: {len(plan.estimates)} ranged inputs", quiet) as bar:
        res = run_planned(plan, executor=ex, progress=bar.update)
    out = sensitivity_json(res, FILE_PLACEHOLDER if pseudonymise else str(scenario))
    out["pseudonymised"] = bool(pseudonymise)
    said = []
    with outs.transaction() as stage:
        if out_dir is not None:
            names = write_sensitivity_dir(out, stage[out_dir])
            shutil.copyfile(scenario, stage[out_dir] / "scenario.yaml")  # the report's assumptions, as run
            said.append(f"wrote {out_dir}/ ({', '.join(names + ['scenario.yaml'])})")
        if json_path is not None:
            stage[json_path].write_text(to_json(out), encoding="utf-8")
            said.append(f"wrote {json_path}")
        if csv_file is not None:
            write_sensitivity_csv(out, stage[csv_file])
            said.append(f"wrote {csv_file} ({sum(len(b) for b in out['bars'].values())} bars)")
        said += report_from_output(out_dir, lambda: _render(out, scenario, pseudonymise), report_file, figures_dir,
                                   pseudonymise, stage)
    tell(said, quiet)
    click.echo(to_json(out) if to_stdout else sensitivity_text(out))


def _render(out: dict, scenario: Path, pseudonymise: bool):
    """The report page from the JSON as written (matplotlib is imported only when a report is asked for)."""
    from dfu_sched.reports.sensitivity_html import render_sensitivity

    return render_sensitivity(json.loads(to_json(out)), scenario.read_text(encoding="utf-8"),
                              pseudonymise=pseudonymise)


COMMANDS = [sensitivity]
