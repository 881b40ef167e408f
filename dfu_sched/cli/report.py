"""``report``: turn a run folder into one self-contained HTML page (and chart files for slides)."""
from __future__ import annotations

import time
from pathlib import Path

import click

from dfu_sched.cli.common import handles_input_errors
from dfu_sched.io import Outputs

# The report modules import matplotlib (about half a second): imported inside the functions that
# draw, so every other command starts fast.

PSEUDONYMISE_HELP = ("Replace case and device references with keyed pseudonyms (C-3f9a1c). "
                     "Simulation, compare and invest reports hold no references, so there it changes nothing.")
SALT_HELP = "Key for --pseudonymise, so pseudonyms match across reports (default: a random key per run)."


HTML_SUFFIXES = (".html", ".htm")


def declare_report(outs, report_file: Path | None, figures_dir: Path | None, option: str = "--report") -> None:
    """Declare the report page and the figures folder among a command's outputs (checked with the rest)."""
    outs.file(option, report_file, HTML_SUFFIXES)
    outs.figures("--figures", figures_dir)


def write_report(report, out_file: Path | None, figures_dir: Path | None, stage) -> list[str]:
    """Write the HTML and the chart files into their staged paths; return what to tell a human."""
    from dfu_sched.reports.charts.common import write_figures

    said = []
    if out_file is not None:
        stage[out_file].write_text(report.html, encoding="utf-8")
        said.append(f"wrote {out_file} ({len(report.charts)} charts, {len(report.html) // 1024} KB)")
    if figures_dir is not None:
        files = write_figures(report.charts, stage[figures_dir])
        said.append(f"wrote {len(files)} figure files to {figures_dir}/ (PNG and SVG)")
    return said


def report_options(func):
    """``--report FILE``, ``--figures DIR`` and ``--pseudonymise`` for commands that can write a report."""
    func = click.option("--pseudonymise", is_flag=True, help=PSEUDONYMISE_HELP)(func)
    func = click.option("--figures", "figures_dir", type=click.Path(path_type=Path),
                        help="Also write each report chart as PNG and SVG into this folder.")(func)
    func = click.option("--report", "report_file", type=click.Path(path_type=Path),
                        help="Also write a self-contained HTML report here (the same page `dfu-sched report` "
                             "makes from the --out folder).")(func)
    return func


def report_from_output(out_dir: Path | None, render_in_memory, report_file: Path | None,
                       figures_dir: Path | None, pseudonymise: bool, stage, salt: str | None = None) -> list[str]:
    """Write the report of a command's output: from the (staged) --out folder when there is one (so the
    page is byte-identical to ``dfu-sched report`` on that folder), else from ``render_in_memory()``."""
    if report_file is None and figures_dir is None:
        return []
    if out_dir is not None:
        from dfu_sched.reports.kinds import build_report

        rendered = build_report(stage[out_dir], pseudonymise=pseudonymise, salt=salt)
    else:
        rendered = render_in_memory()
    return write_report(rendered, report_file, figures_dir, stage)


def tell(lines: list[str], quiet: bool) -> None:
    """The 'wrote ...' lines, on stderr (stdout stays clean for --json), once everything is in place."""
    if not quiet:
        for line in lines:
            click.echo(line, err=True)


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_file", type=click.Path(path_type=Path),
              help="HTML file to write (default: RUN_DIR/report.html; for a .json file, NAME.report.html beside it).")
@click.option("--figures", "figures_dir", type=click.Path(path_type=Path),
              help="Also write each chart as PNG and SVG into this folder, for slide decks.")
@click.option("--pseudonymise", is_flag=True, help=PSEUDONYMISE_HELP)
@click.option("--salt", help=SALT_HELP)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
@handles_input_errors
def report(run_dir: Path, out_file, figures_dir, pseudonymise, salt, quiet):
    """Write an HTML report of RUN_DIR: charts, tables, assumptions.

    RUN_DIR is a folder written by --out of simulate, compare or invest, or a plan's .json file
    (plan --out plan.json), or a folder holding one named plan.json. The page is self-contained
    (opens offline, no scripts) and prints on A4.

    \b
    Examples:
      dfu-sched simulate scenarios/north_yorkshire_2022.yaml -n 50 --out runs/baseline
      dfu-sched report runs/baseline --figures runs/baseline/figures
      dfu-sched report runs/week23/plan.json --pseudonymise --salt "$KEY"
    """
    from dfu_sched.reports.kinds import build_report, default_report_path, locate_run

    t0 = time.perf_counter()
    outs = Outputs(inputs=[locate_run(run_dir)[1]])
    declare_report(outs, out_file or default_report_path(run_dir), figures_dir, option="-o/--output")
    outs.check()
    rendered = build_report(run_dir, pseudonymise=pseudonymise, salt=salt)
    with outs.transaction() as stage:
        said = write_report(rendered, out_file or default_report_path(run_dir), figures_dir, stage)
    tell(said, quiet)
    if not quiet:
        click.echo(f"rendered in {time.perf_counter() - t0:.1f} s", err=True)


COMMANDS = [report]
