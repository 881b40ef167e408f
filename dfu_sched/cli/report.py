"""``report``: turn a run folder into one self-contained HTML page (and chart files for slides)."""
from __future__ import annotations

import time
from pathlib import Path

import click

from dfu_sched.cli.common import handles_input_errors

PSEUDONYMISE_HELP = ("Replace case and device references with keyed pseudonyms (C-3f9a1c). "
                     "Simulation, compare and invest reports hold no references, so there it changes nothing.")
SALT_HELP = "Key for --pseudonymise, so pseudonyms match across reports (default: a random key per run)."


def write_report(report, out_file: Path | None, figures_dir: Path | None, quiet: bool) -> None:
    """Write the HTML and the chart files atomically; tell a human where they went (stderr)."""
    from dfu_sched.errors import InputError
    from dfu_sched.io import atomic_write
    from dfu_sched.reports.charts import save_figures

    if out_file is not None:
        try:
            with atomic_write(out_file) as fh:
                fh.write(report.html)
        except OSError as exc:
            raise InputError(f"{out_file}: cannot write the report ({exc.strerror or exc})") from None
        if not quiet:
            click.echo(f"wrote {out_file} ({len(report.charts)} charts, {len(report.html) // 1024} KB)", err=True)
    if figures_dir is not None:
        try:
            files = save_figures(report.charts, figures_dir)
        except OSError as exc:
            raise InputError(f"{figures_dir}: cannot write figures ({exc.strerror or exc})") from None
        if not quiet:
            click.echo(f"wrote {len(files)} figure files to {figures_dir}/ (PNG and SVG)", err=True)


def report_options(func):
    """``--report FILE``, ``--figures DIR`` and ``--pseudonymise`` for commands that can write a report."""
    func = click.option("--pseudonymise", is_flag=True, help=PSEUDONYMISE_HELP)(func)
    func = click.option("--figures", "figures_dir", type=click.Path(file_okay=False, path_type=Path),
                        help="Also write each report chart as PNG and SVG into this folder.")(func)
    func = click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
                        help="Also write a self-contained HTML report here (the same page `dfu-sched report` "
                             "makes from the --out folder).")(func)
    return func


def check_report_path(report_file: Path | None) -> None:
    """Fail before any work if --report is not an .html file (one line, nothing written)."""
    from dfu_sched.errors import InputError

    if report_file is not None and report_file.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--report: '{report_file}' must end in .html")


def report_from_output(out_dir: Path | None, render_in_memory, report_file: Path | None,
                       figures_dir: Path | None, pseudonymise: bool, quiet: bool, salt: str | None = None) -> None:
    """Write the report of a command's output: from the --out folder when there is one (so the page is
    byte-identical to ``dfu-sched report`` on that folder), else from ``render_in_memory()``."""
    if report_file is None and figures_dir is None:
        return
    if out_dir is not None:
        from dfu_sched.reports.html import build_report

        rendered = build_report(out_dir, pseudonymise=pseudonymise, salt=salt)
    else:
        rendered = render_in_memory()
    write_report(rendered, report_file, figures_dir, quiet)


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file to write (default: RUN_DIR/report.html; for a .json file, NAME.report.html beside it).")
@click.option("--figures", "figures_dir", type=click.Path(file_okay=False, path_type=Path),
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
    from dfu_sched.reports.html import build_report, default_report_path

    t0 = time.perf_counter()
    rendered = build_report(run_dir, pseudonymise=pseudonymise, salt=salt)
    write_report(rendered, out_file or default_report_path(run_dir), figures_dir, quiet)
    if not quiet:
        click.echo(f"rendered in {time.perf_counter() - t0:.1f} s", err=True)


COMMANDS = [report]
