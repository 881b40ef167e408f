"""The ``dfu-sched`` command line: a thin shell over the library API.

Each sub-module holds the commands of one domain idea and lists them in ``COMMANDS``; the
heavy libraries (OR-Tools, matplotlib) are imported inside the commands so ``--help`` is quick.
The sub-modules are imported plainly (not by name strings) so the import graph that
``tests/test_architecture.py`` checks is the real one; adding a command module is one import and
one entry of :data:`COMMAND_MODULES`.
"""
from __future__ import annotations

from types import ModuleType

import click

from dfu_sched import __version__
from dfu_sched.cli import app, backtest, fit, invest, plan, report, sensitivity, simulate, sweep, validate
from dfu_sched.cli.common import OneLineGroup

#: Sub-modules whose ``COMMANDS`` are registered on the group, in help order.
COMMAND_MODULES: tuple[ModuleType, ...] = (simulate, validate, report, invest, sweep, sensitivity, plan, fit, backtest,
                                             app)


def _version(ctx: click.Context, value: bool) -> None:
    """``--version``: the release and how the simulation core is installed (compiled with mypyc, or
    pure Python: ``dfu_sched/sim/native.py``), which is what decides its speed."""
    if not value or ctx.resilient_parsing:
        return
    from dfu_sched.sim.native import status  # numpy and SimPy: only when asked

    click.echo(f"dfu-sched {__version__} (simulation core: {status().label})")
    ctx.exit()


@click.group(name="dfu-sched", cls=OneLineGroup,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=lambda c, p, v: _version(c, v),
              help="Show the version, and whether the simulation core is compiled, and exit.")
def main() -> None:
    """Plan a Digital Forensic Unit's backlog, highest child-safeguarding risk first.

    Every command takes -h for its options. Bad input exits with code 2 and one line
    naming the file, row or key; outputs are written whole or not at all.
    """


for _module in COMMAND_MODULES:
    for _command in _module.COMMANDS:
        main.add_command(_command)
