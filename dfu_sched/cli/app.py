"""``app``: serve the local web page for managers and finance staff (``pip install '.[app]'``)."""
from __future__ import annotations

from pathlib import Path

import click

from dfu_sched.cli.common import handles_input_errors
from dfu_sched.errors import InputError


@click.command()
@click.argument("scenario", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--port", type=click.IntRange(1, 65535), help="Port to serve on (default: a free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback lets other machines see the data.")
@handles_input_errors
def app(scenario: Path | None, port: int | None, host: str):
    """Serve the web app on this machine: scenario levers, Run, headline, charts, downloads.

    \b
    Example:
      dfu-sched app scenarios/north_yorkshire_2022.yaml
    Needs the app extra: pip install '.[app]'. Stop it with Ctrl+C.
    """
    from dfu_sched.app.server import ServerConfig, free_port, host_warning, serve

    try:
        import streamlit  # noqa: F401 - only to say clearly that the extra is missing
    except ImportError:
        raise InputError("the web app needs Streamlit: pip install 'dfu-sched[app]'") from None
    if scenario is not None:
        from dfu_sched.scenario.schema import load_scenario

        load_scenario(scenario)  # a bad file: the one line and exit 2 here, before any server starts
    warning = host_warning(host)
    if warning:
        click.echo(warning, err=True)
    config = ServerConfig(host=host, port=port or free_port(host), scenario=scenario)
    click.echo(f"dfu-sched app: open {config.address} in a browser (Ctrl+C stops it)")
    raise SystemExit(serve(config))


COMMANDS = [app]
