"""``report``: turn a run folder into one self-contained HTML page (and chart files for slides)."""
from __future__ import annotations

import time
from pathlib import Path

import click

from dfu_sched.cli.common import handles_input_errors

PSEUDONYMISE_HELP = ("Replace case and device references with keyed pseudonyms (C-3f9a1c). "
                     "Simulation reports hold no references, so there it changes nothing.")
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


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              help="HTML file to write (default: RUN_DIR/report.html).")
@click.option("--figures", "figures_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write each chart as PNG and SVG into this folder, for slide decks.")
@click.option("--pseudonymise", is_flag=True, help=PSEUDONYMISE_HELP)
@click.option("--salt", help=SALT_HELP)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
@handles_input_errors
def report(run_dir: Path, out_file, figures_dir, pseudonymise, salt, quiet):
    """Write an HTML report of RUN_DIR (a folder written by --out): charts, tables, assumptions.

    The page is self-contained (opens offline, no scripts) and prints on A4.

    \b
    Example:
      dfu-sched simulate scenarios/north_yorkshire_2022.yaml -n 50 --out runs/baseline
      dfu-sched report runs/baseline --figures runs/baseline/figures
    """
    from dfu_sched.reports.html import build_report

    t0 = time.perf_counter()
    rendered = build_report(run_dir, pseudonymise=pseudonymise, salt=salt)
    write_report(rendered, out_file or Path(run_dir) / "report.html", figures_dir, quiet)
    if not quiet:
        click.echo(f"rendered in {time.perf_counter() - t0:.1f} s", err=True)


COMMANDS = [report]
