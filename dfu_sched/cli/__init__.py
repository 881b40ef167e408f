"""The ``dfu-sched`` command line: a thin shell over the library API.

Each sub-module holds the commands of one domain idea and lists them in ``COMMANDS``; the
heavy libraries (OR-Tools, matplotlib) are imported inside the commands so ``--help`` is quick.
"""
from __future__ import annotations

import importlib
import sys

import click

from dfu_sched import __version__

#: Sub-modules whose ``COMMANDS`` are registered on the group, in help order.
COMMAND_MODULES = ["simulate", "validate", "report", "invest", "plan"]


class _OneLineErrors(click.Group):
    """Click's own usage errors (a folder given for a file, an unknown option) as one line and exit 2,
    like every other bad input, instead of click's usage block."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # bare `dfu-sched`: the help, as click prints it
                exc.show()
                sys.exit(exc.exit_code)
            where = exc.ctx.command_path if exc.ctx is not None else "dfu-sched"
            click.echo(f"error: {exc.format_message()} (see '{where} -h')", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


@click.group(cls=_OneLineErrors,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="dfu-sched")
def main() -> None:
    """Plan a Digital Forensic Unit's backlog, highest child-safeguarding risk first.

    Every command takes -h for its options. Bad input exits with code 2 and one line
    naming the file, row or key; outputs are written whole or not at all.
    """


for _name in COMMAND_MODULES:
    _module = importlib.import_module(f"{__name__}.{_name}")
    for _command in _module.COMMANDS:
        main.add_command(_command)
