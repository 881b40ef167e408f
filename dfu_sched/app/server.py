"""How ``dfu-sched app`` starts Streamlit: the command, its flags and its private config.

Why a module: the app holds case references about children, so the server's settings are a
security boundary, and they are built by pure functions a test can read without starting a
server. Every setting that matters is passed as a command-line flag (flags win over any config
file), and the same settings are written to a ``config.toml`` in a private temporary folder that
is the server's working directory, so a user's own ``~/.streamlit`` or ``./.streamlit`` cannot
switch telemetry on or widen the address. Streamlit bundles its fonts and scripts: the page
needs no network.
"""
from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: Largest upload the page accepts, in megabytes (a scenario file is at most 5 MB, see yamlfile).
MAX_UPLOAD_MB = 5
LOOPBACK = "127.0.0.1"
DEFAULT_PORT = 8501
SCRIPT = Path(__file__).resolve().parent / "main.py"


@dataclass(frozen=True)
class ServerConfig:
    """What the server binds to and runs; ``scenario`` is the page's starting file, if any."""

    host: str = LOOPBACK
    port: int = DEFAULT_PORT
    scenario: Path | None = None
    max_upload_mb: int = MAX_UPLOAD_MB

    def options(self) -> dict[str, str]:
        """Streamlit options, dotted name -> value (the flags and the config file say the same)."""
        return {
            "server.address": self.host,
            "server.port": str(self.port),
            "server.headless": "true",
            "server.maxUploadSize": str(self.max_upload_mb),
            "server.maxMessageSize": "50",
            "server.fileWatcherType": "none",
            "server.runOnSave": "false",
            "server.enableStaticServing": "false",
            "server.enableXsrfProtection": "true",
            "browser.gatherUsageStats": "false",
            "browser.serverAddress": self.host,
            "client.showErrorDetails": "none",
            "client.toolbarMode": "minimal",
            "global.developmentMode": "false",
            "logger.level": "warning",
            # no full gc.collect() after every script run: the progress fragment reruns twice a second,
            # and each full collection over a running simulation's objects cost ~0.1 s of the GIL
            "runner.postScriptGC": "false",
        }

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; any other address is reachable from outside."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_warning(host: str) -> str | None:
    """One line when the server would listen beyond this machine (None on loopback)."""
    if is_loopback(host):
        return None
    return (f"warning: --host {host} serves the app beyond this machine; anyone who can reach it sees "
            "the uploaded data (use the default 127.0.0.1 unless the network is trusted)")


def free_port(host: str = LOOPBACK) -> int:
    """A port the operating system says is free on ``host`` now (8501 if none can be asked for)."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.bind((host, 0))
            return int(s.getsockname()[1])
    except OSError:
        return DEFAULT_PORT


def _toml_value(value: str) -> str:
    if value in ("true", "false") or value.isdigit():
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def config_toml(config: ServerConfig) -> str:
    """The options as a Streamlit ``config.toml`` (sections by the first dotted part)."""
    sections: dict[str, list[str]] = {}
    for key, value in config.options().items():
        section, name = key.split(".", 1)
        sections.setdefault(section, []).append(f"{name} = {_toml_value(value)}")
    return "\n".join(f"[{s}]\n" + "\n".join(lines) + "\n" for s, lines in sections.items())


def write_config(folder: Path, config: ServerConfig) -> Path:
    """Write ``folder/.streamlit/config.toml``; the folder becomes the server's working directory."""
    path = folder / ".streamlit" / "config.toml"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.write_text(config_toml(config), encoding="utf-8")
    return path


#: What the server imports before it serves: the pages' library modules (pydantic models, SciPy,
#: matplotlib) cost ~3 s of CPU, which the first page load would otherwise wait for. Then it is
#: ``python -m streamlit`` (the same click entry point).
WARM_START = ("import dfu_sched.app.simulate_page, dfu_sched.app.plan_page, dfu_sched.reports.simulate_html; "
              "from streamlit.web.cli import main; main(prog_name='streamlit')")


def streamlit_command(config: ServerConfig, python: str = sys.executable) -> list[str]:
    """The argv that runs the app script under Streamlit with every option as a flag."""
    flags = [f"--{key}={value}" for key, value in config.options().items()]
    return [python, "-c", WARM_START, "run", str(SCRIPT), *flags]


#: The environment variable that names the page's starting scenario file (the script reads it, not
#: ``sys.argv``, so a test runner's arguments never reach the page).
SCENARIO_ENV = "DFU_SCHED_APP_SCENARIO"


def server_environment(config: ServerConfig, base: dict[str, str] | None = None) -> dict[str, str]:
    """The server's environment: the caller's without any STREAMLIT_* setting, plus the scenario."""
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if not k.startswith("STREAMLIT_") and k != SCENARIO_ENV}
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    if config.scenario is not None:
        env[SCENARIO_ENV] = str(config.scenario.resolve())
    return env


def serve(config: ServerConfig, command: Sequence[str] | None = None) -> int:
    """Run the server in the foreground until it stops (Ctrl+C, or SIGTERM/SIGHUP); its exit code.

    The server is a child process: a SIGTERM or SIGHUP to ``dfu-sched app`` is passed on to it, and the
    kernel kills it if this process dies (``die_with_parent``), so no server is left listening on
    the unit's machine after its command has gone.
    """
    from dfu_sched.sim.experiment import die_with_parent

    parent = os.getpid()
    with tempfile.TemporaryDirectory(prefix="dfu-sched-app-") as tmp:
        os.chmod(tmp, 0o700)
        write_config(Path(tmp), config)
        argv = list(command) if command is not None else streamlit_command(config)
        child = subprocess.Popen(argv, cwd=tmp, env=server_environment(config),
                                 preexec_fn=lambda: die_with_parent(parent))  # noqa: PLW1509 - no threads yet

        def pass_on(signum: int, frame: object) -> None:
            child.send_signal(signum)

        old = {sig: signal.signal(sig, pass_on) for sig in (signal.SIGTERM, signal.SIGHUP)}
        try:
            while True:
                try:
                    return child.wait()
                except KeyboardInterrupt:  # Ctrl+C reaches the child too (same process group)
                    continue
        finally:
            for sig, handler in old.items():
                signal.signal(sig, handler)
            if child.poll() is None:
                child.kill()
                child.wait()
