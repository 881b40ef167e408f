"""What every command shares: one-line errors with exit code 2, and quiet-aware output."""
from __future__ import annotations

import functools
import sys
from typing import Callable, NoReturn

import click

from dfu_sched.errors import InputError

EXIT_BAD_INPUT = 2


def fail(message: str) -> NoReturn:
    """Print one line to stderr and exit 2: the contract for every bad input."""
    click.echo(f"error: {message}", err=True)
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


def stderr_is_terminal() -> bool:
    """Progress bars only on a terminal: piped output stays clean."""
    return sys.stderr.isatty()
