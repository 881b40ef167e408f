"""What every command shares: one-line errors with exit code 2, quiet-aware progress, common options.

Commands stay thin: the replications/seed/workers options, where replications run
(``executor_options``) and how many (``-n auto``, ``precision_options``), and the progress display are
defined once here, so every command spells and explains them the same way.
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


class ReplicationsOrAuto(click.ParamType):
    """``-n``: a whole number of at least ``minimum``, or ``auto`` (replications by precision)."""

    name = "N|auto"

    def __init__(self, minimum: int = 1):
        self.minimum = minimum

    def convert(self, value, param, ctx):
        if isinstance(value, int) or value == "auto":
            return value
        text = str(value).strip().lower()
        if text == "auto":
            return "auto"
        try:
            n = int(text)
        except ValueError:
            self.fail(f"expected a whole number or 'auto' (got '{value}')", param, ctx)
        if n < self.minimum:
            self.fail(f"must be at least {self.minimum} (or 'auto')", param, ctx)
        return n


def replications_or_auto_option(minimum: int = 1, help: str = "Replications.") -> Callable:
    """``-n/--replications``: a number, or ``auto`` to add replications until ``--precision`` is met."""
    return click.option("-n", "--replications", type=ReplicationsOrAuto(minimum),
                        help=f"{help} 'auto': add replications until the headline's 95% intervals are within "
                             "--precision (see --max-replications).")


def precision_options() -> Callable:
    """``--precision`` and ``--max-replications``, for ``-n auto`` (``sim.precision``)."""
    from dfu_sched.sim.precision import DEFAULT_MAXIMUM, DEFAULT_PRECISION

    def decorate(func: Callable) -> Callable:
        func = click.option("--max-replications", "max_replications", type=click.IntRange(min=2),
                            help=f"With -n auto: stop here even if the precision is not reached, and say so "
                                 f"(default {DEFAULT_MAXIMUM}).")(func)
        return click.option("--precision", type=click.FloatRange(min=0, max=1, min_open=True, max_open=True),
                            help=f"With -n auto: the 95% half-width each headline measure must be within, as a "
                                 f"share of its mean (default {DEFAULT_PRECISION}, i.e. 5%).")(func)
    return decorate


def precision_rule(replications, precision: float | None, max_replications: int | None):
    """The ``PrecisionRule`` of ``-n auto`` (None for a fixed ``-n``); ``--precision`` or
    ``--max-replications`` without ``-n auto`` is an error, not silently ignored."""
    from dfu_sched.sim.precision import DEFAULT_MAXIMUM, DEFAULT_PRECISION, PrecisionRule

    if replications != "auto":
        for name, value in (("--precision", precision), ("--max-replications", max_replications)):
            if value is not None:
                raise InputError(f"{name} needs -n auto")
        return None
    return PrecisionRule(precision=DEFAULT_PRECISION if precision is None else precision,
                         maximum=DEFAULT_MAXIMUM if max_replications is None else max_replications)


def executor_options() -> Callable:
    """``--executor local|dask`` and ``--scheduler tcp://HOST:PORT``: where replications run. Pair with
    ``workers_option`` and hand the three values to ``sim.dask_executor.executor_from_options``
    (a context manager: it closes the cluster it starts)::

        with executor_from_options(executor, scheduler, workers, n) as ex:
            result = run_experiment(sc, n, seed, executor=ex)
    """
    def decorate(func: Callable) -> Callable:
        func = click.option("--scheduler", metavar="tcp://HOST:PORT",
                            help="With --executor dask: an existing Dask scheduler (default: a cluster of "
                                 "--workers processes on this machine, closed at the end).")(func)
        return click.option("--executor", "executor", type=click.Choice(["local", "dask"]), default="local",
                            show_default=True,
                            help="Where replications run: processes on this machine, or Dask (pip install "
                                 "'dfu-sched[dask]'). Results do not depend on it.")(func)
    return decorate


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
