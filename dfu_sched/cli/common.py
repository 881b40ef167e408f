"""What every command shares: one-line errors with exit code 2, and quiet-aware output."""
from __future__ import annotations

import functools
import sys
from typing import Callable, NoReturn

import click

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
