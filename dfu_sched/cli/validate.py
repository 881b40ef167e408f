"""``validate``: the simulator against queueing theory, side by side."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from dfu_sched.cli.common import handles_input_errors
from dfu_sched.reports.text import table

if TYPE_CHECKING:  # the checks load the simulator (SimPy, NumPy): only when the command runs
    from dfu_sched.validation.checks import Check


@click.command()
@click.option("-n", "--replications", type=click.IntRange(min=2), help="Replications per case (default: each file's).")
@click.option("--seed", type=click.IntRange(min=0), help="Root seed for every case (default: each file's).")
@click.option("--workers", type=click.IntRange(min=1), help="Processes (default: all cores).")
@click.option("--no-little", is_flag=True, help="Skip the Little's law checks.")
@click.option("--theory-dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Folder of theory cases (default: scenarios/theory).")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines.")
@handles_input_errors
def validate(replications, seed, workers, no_little, theory_dir, quiet):
    """Check the simulator against closed forms with two-sided 95% intervals.

    \b
    Cases (scenarios/theory/): M/M/1 and M/M/3 at two loads (Erlang C), M/G/1 with
    lognormal service (Pollaczek-Khinchine), non-preemptive priority on 1 and 2 servers
    (Cobham), preemptive-resume priority, and Little's law (theory case and baseline).
    A check passes when theory lies inside the interval and the interval is narrow.
    Exit code 1 if any check fails.
    """
    from dfu_sched.validation.checks import run_validation  # lazy: loads the simulator

    def progress(name: str) -> None:
        if not quiet:
            click.echo(f"running {name} ...", err=True)

    checks = run_validation(replications, seed, workers, include_little=not no_little, progress=progress,
                            directory=theory_dir)
    click.echo(format_checks(checks))
    if not all(c.passed for c in checks):
        raise SystemExit(1)


def check_verdict(c: Check) -> str:
    """PASS, or why not: theory outside the interval, or an interval too wide to mean anything."""
    return "PASS" if c.passed else ("FAIL (wide CI)" if c.covered else "FAIL")


def format_checks(checks: list[Check]) -> str:
    """The checks as an aligned table with a pass/fail count (validation returns data; this prints it)."""
    rows = []
    for c in checks:
        iv = c.simulated
        rows.append([c.case, c.measure, f"{c.theory:.5g}", f"{iv.estimate:.5g}", f"[{iv.low:.5g}, {iv.high:.5g}]",
                     f"{c.rel_halfwidth:.1%}", check_verdict(c)])
    n_pass = sum(c.passed for c in checks)
    return table(["case", "measure", "theory", "simulated", "95% CI", "±rel", "result"], rows,
                 align="llrrrrl") + f"\n\n{n_pass} passed, {len(checks) - n_pass} failed"


COMMANDS = [validate]
