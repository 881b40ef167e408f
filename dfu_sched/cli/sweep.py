"""``sweep``: one scenario at every point of a grid of its inputs, paired, with the cheapest point meeting a target."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from dfu_sched.cli.common import (
    executor_options,
    handles_input_errors,
    progress_bar,
    replications_option,
    seed_option,
    workers_option,
)
from dfu_sched.cli.report import declare_report, report_from_output, report_options, tell
from dfu_sched.io import Outputs
from dfu_sched.privacy import FILE_PLACEHOLDER
from dfu_sched.reports.files import to_json
from dfu_sched.reports.sweep_text import sweep_text, write_sweep_csv, write_sweep_dir
from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim.dask_executor import executor_from_options
from dfu_sched.sweep.study import plan_sweep, run_planned


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--grid", "grids", multiple=True, required=True, metavar="KEY=VALUES",
              help="A scenario key and its values: examiners.mobile.count=3..7, arrivals.cases_per_week=6,7.5,9, "
                   "policy.discipline=fifo,priority, investment.mix.overtime=0..3 (repeat for a grid).")
@click.option("--measure", "measures", multiple=True, metavar="KEY",
              help="A measure to show (repeat; default: invest.backlog_at_12m and the first tier's "
                   "wait_to_start_days.p50).")
@click.option("--target", help="Find the cheapest point meeting this, e.g. 'invest.backlog_at_12m<=500' or "
                               "'VH.wait_to_start_days.p90<=30' (the syntax and names of invest --target).")
@click.option("--by", help="With --target: date (YYYY-MM-DD) or week from which a wait target must hold.")
@click.option("--cost", "cost", metavar="KEY",
              help="What 'cheapest' ranks by: 'investment' (the mix's cost; the default when a --grid key is "
                   "under investment.), a numeric --grid key, or nothing (the first point in grid order).")
@replications_option(help="Replications of every point (default: the scenario's run.replications).")
@seed_option()
@workers_option()
@executor_options()
@click.option("--json", "as_json", is_flag=True, help="Print the JSON on stdout instead of the table.")
@click.option("--csv", "csv_file", type=click.Path(path_type=Path), help="Write one row per point to this CSV file.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path),
              help="Write sweep.json, points.csv and a copy of the scenario (scenario.yaml) into this folder.")
@report_options
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or notes on stderr.")
@handles_input_errors
def sweep(scenario: Path, grids, measures, target, by, cost, replications, seed, workers, executor, scheduler, as_json,
          csv_file, out_dir, report_file, figures_dir, pseudonymise, quiet):
    """Run SCENARIO at every point of a grid of its inputs, with common random numbers.

    Every point runs the same replications with the same seeds, so differences between points are
    paired. Prints each point's mean and 95% CI, and with --target the cheapest point that meets it
    and its difference from the baseline (the first point).

    \b
    Examples:
      dfu-sched sweep scenarios/north_yorkshire_2022.yaml --grid examiners.mobile.count=3..6 -n 10
      dfu-sched sweep scenarios/north_yorkshire_400k.yaml --grid investment.mix.overtime=0..3 \\
          --grid investment.mix.training=0,4,7 --target 'invest.backlog_at_12m<=700' --report sweep.html
    """
    outs = Outputs(inputs=[scenario])
    outs.folder("--out", out_dir)
    outs.file("--csv", csv_file, (".csv",))
    declare_report(outs, report_file, figures_dir)
    base = load_scenario(scenario)
    plan = plan_sweep(base, grids, replications, seed, measures, target, by, cost)  # every check, nothing run
    outs.check()
    with executor_from_options(executor, scheduler, workers, plan.jobs) as ex, \
            progress_bar(plan.jobs, f"sweep: {len(plan.grid.points)} points", quiet) as bar:
        out = run_planned(plan, executor=ex, progress=bar.update,
                          source=FILE_PLACEHOLDER if pseudonymise else str(scenario))
    out["pseudonymised"] = bool(pseudonymise)
    said = []
    with outs.transaction() as stage:
        if out_dir is not None:
            names = write_sweep_dir(out, stage[out_dir])
            shutil.copyfile(scenario, stage[out_dir] / "scenario.yaml")  # the report's assumptions, as run
            said.append(f"wrote {out_dir}/ ({', '.join(names + ['scenario.yaml'])})")
        if csv_file is not None:
            write_sweep_csv(out, stage[csv_file])
            said.append(f"wrote {csv_file} ({len(out['points'])} points)")
        said += report_from_output(out_dir, lambda: _render(out, scenario, pseudonymise), report_file, figures_dir,
                                   pseudonymise, stage)
    tell(said, quiet)
    click.echo(to_json(out) if as_json else sweep_text(out))


def _render(out: dict, scenario: Path, pseudonymise: bool):
    """The report page from the JSON as written (matplotlib is imported only when a report is asked for)."""
    from dfu_sched.reports.sweep_html import render_sweep

    return render_sweep(json.loads(to_json(out)), scenario.read_text(encoding="utf-8"), pseudonymise=pseudonymise)


COMMANDS = [sweep]
