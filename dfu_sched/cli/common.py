"""What every command shares: one-line errors with exit code 2, quiet-aware progress, common options.

Commands stay thin: the replications/seed/workers options and the progress display are defined
once here, so every command spells and explains them the same way.
"""
from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import click
from click._termui_impl import ProgressBar

from dfu_sched.errors import InputError

EXIT_BAD_INPUT = 2


def one_line(message: str) -> str:
    """The message with line breaks and other control characters escaped ('\\n', '\\x85').

    Messages may quote what the user typed; a newline or NEL inside it must not split the line.
    """
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)


def fail(message: str) -> NoReturn:
    """Print one line to stderr and exit 2: the contract for every bad input."""
    click.echo(f"error: {one_line(message)}", err=True)
    sys.exit(EXIT_BAD_INPUT)


def handles_input_errors(func: Callable) -> Callable:
    """Turn an InputError raised anywhere below a command into one line and exit 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            fail(str(exc))

    return wrapper


#: click >= 8.2 shows the help for a bare group as a usage error; older versions have no such class.
_NO_ARGS_IS_HELP = getattr(click.exceptions, "NoArgsIsHelpError", ())


class OneLineGroup(click.Group):
    """A command group whose usage errors (bad option value, missing argument) are one line, exit 2.

    click prints usage, a hint and the error over four lines; every other bad input here is one
    line naming what to fix, so option errors are too.
    """

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _NO_ARGS_IS_HELP as exc:  # bare `dfu-sched`: the help text, as click shows it
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else (prog_name or self.name)
            fail(f"{where}: {' '.join(exc.format_message().split())} (see {where} -h)")
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except (click.exceptions.Abort, EOFError, KeyboardInterrupt):
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)  # --help and --version return their exit code


def stderr_is_terminal() -> bool:
    """Progress bars only on a terminal: piped output stays clean."""
    return sys.stderr.isatty()


# ---- progress ------------------------------------------------------------------------------------

def progress_bar(n: int, label: str, quiet: bool) -> ProgressBar[int] | _NoBar:
    """A click progress bar on a terminal's stderr; nothing when piped or quiet."""
    if quiet or not stderr_is_terminal():
        return _NoBar()
    return click.progressbar(length=n, label=label, file=sys.stderr)  # click.get_text_stream is deprecated


class _NoBar:
    """What ``progress_bar`` gives when there is nothing to show: the same calls, doing nothing."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        pass


class StageCounter:
    """Progress on a terminal's stderr when the total is not known up front (the investment search):
    count replications and name the stage."""

    def __init__(self, label: str, quiet: bool, stage: str):
        self.label = label
        self.on = not quiet and stderr_is_terminal()
        self.done = 0
        self.stage = stage

    def update(self, n: int) -> None:
        self.done += n
        if self.on:
            click.echo(f"\r{self.label}: {self.stage}: {self.done} replications", err=True, nl=False)

    def log(self, text: str) -> None:
        self.stage = text.split(":")[0].split(" ")[0]
        if self.on:
            click.echo(f"\r{text}" + " " * 20, err=True)

    def close(self) -> None:
        if self.on:
            click.echo("", err=True)


# ---- shared options ----------------------------------------------------------------------------------

def replications_option(minimum: int = 1, default: int | None = None, help: str = "Replications.") -> Callable:
    """``-n/--replications``: at least ``minimum``."""
    return click.option("-n", "--replications", type=click.IntRange(min=minimum), default=default,
                        show_default=default is not None, help=help)


def seed_option(whose: str = "the scenario's") -> Callable:
    """``--seed``: the root seed (default: the scenario's ``run.seed``)."""
    return click.option("--seed", type=click.IntRange(min=0), help=f"Root seed (default: {whose} run.seed).")


def workers_option() -> Callable:
    """``--workers``: local processes; results never depend on it."""
    return click.option("--workers", type=click.IntRange(min=1),
                        help="Processes (default: all cores). Results do not depend on it.")


# ---- starting from today's queue (simulate, compare, invest) -------------------------------------

def queue_options(func: Callable) -> Callable:
    """``--queue``, ``--columns``, ``--as-of``, ``--queue-stage``, ``--risk-model``: start the run from a
    real queue file (the one ``plan`` reads) instead of the scenario's ``backlog:`` entries."""
    func = click.option("--risk-model", "risk_model", type=click.Path(dir_okay=False, path_type=Path),
                        help="With --queue: risk model for rows that give factors, not a tier "
                             "(default: the shipped KIRAT-like model, as plan uses).")(func)
    func = click.option("--queue-stage", type=click.Choice(["first", "triage", "extraction", "examination"]),
                        default="first", show_default=True,
                        help="With --queue: the queue the devices wait in ('first' = the first enabled stage; "
                             "'examination' if they are already triaged and extracted).")(func)
    func = click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
                        help="With --queue: the run's first day (YYYY-MM-DD); ages are this day minus "
                             "date_submitted (default: the scenario's calendar.start_date).")(func)
    func = click.option("--columns", "columns", type=click.Path(dir_okay=False, path_type=Path),
                        help="With --queue: a column map (YAML) for a queue exported with other headers.")(func)
    func = click.option("--queue", "queue", type=click.Path(dir_okay=False, path_type=Path),
                        help="Start from this queue file (CSV/XLSX, as plan reads): its devices, with their "
                             "ages, tiers, types and estimated hours, replace the scenario's backlog.")(func)
    return func


@dataclass(frozen=True)
class QueueArgs:
    """The values of ``queue_options``, checked: what a command needs to start from a queue."""

    queue: Path | None
    columns: Path | None
    as_of: dt.date | None
    stage: str
    risk_model: Path | None

    @classmethod
    def of(cls, queue, columns, as_of, queue_stage, risk_model) -> QueueArgs:
        if queue is None:
            for name, value in (("--columns", columns), ("--as-of", as_of), ("--risk-model", risk_model)):
                if value is not None:
                    raise InputError(f"{name} needs --queue")
        return cls(queue, columns, as_of.date() if as_of is not None else None, queue_stage, risk_model)

    @property
    def files(self) -> list[Path]:
        """Input files (never overwritten by an output)."""
        return [p for p in (self.queue, self.columns, self.risk_model) if p is not None]

    def apply(self, sc, pseudonymise: bool = False):
        """``(scenario, QueueStart)`` started from the queue, or ``(sc, None)`` without ``--queue``."""
        if self.queue is None:
            return sc, None
        from dfu_sched.plan.backlog import start_from_queue

        warnings: list[str] = []
        started = start_from_queue(sc, self.queue, self.as_of, self.risk_model, self.columns, self.stage,
                                   pseudonymise, warnings)
        for w in warnings:
            click.echo(f"warning: {w}", err=True)
        return started
