"""The server command and config: loopback, no telemetry, the app's own config (no server started)."""
from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

from click.testing import CliRunner

from dfu_sched.app.server import (
    SCENARIO_ENV,
    SCRIPT,
    ServerConfig,
    config_toml,
    free_port,
    host_warning,
    is_loopback,
    server_environment,
    streamlit_command,
    write_config,
)
from dfu_sched.cli import main


def test_command_binds_loopback_headless_without_telemetry():
    argv = streamlit_command(ServerConfig(port=9123), python="py")
    assert argv[:2] == ["py", "-c"] and argv[3:5] == ["run", str(SCRIPT)] and "streamlit.web.cli" in argv[2]
    for flag in ("--server.address=127.0.0.1", "--server.port=9123", "--server.headless=true",
                 "--browser.gatherUsageStats=false", "--server.maxUploadSize=5", "--client.showErrorDetails=none"):
        assert flag in argv
    assert SCRIPT.is_file()


def test_config_file_says_what_the_flags_say(tmp_path: Path):
    config = ServerConfig(host="127.0.0.1", port=8600)
    path = write_config(tmp_path, config)
    assert path == tmp_path / ".streamlit" / "config.toml"
    parsed = tomllib.loads(path.read_text(encoding="utf-8"))
    assert parsed["browser"]["gatherUsageStats"] is False
    assert parsed["server"]["address"] == "127.0.0.1" and parsed["server"]["port"] == 8600
    assert config_toml(config) == path.read_text(encoding="utf-8")


def test_environment_drops_user_streamlit_settings_and_names_the_scenario(tmp_path: Path):
    base = {"PATH": "/bin", "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "true", "STREAMLIT_SERVER_ADDRESS": "0.0.0.0"}
    env = server_environment(ServerConfig(scenario=tmp_path / "s.yaml"), base)
    assert env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] == "false"
    assert "STREAMLIT_SERVER_ADDRESS" not in env and env["PATH"] == "/bin"
    assert env[SCENARIO_ENV] == str((tmp_path / "s.yaml").resolve())
    assert SCENARIO_ENV not in server_environment(ServerConfig(), {SCENARIO_ENV: "x"})


def test_only_a_non_loopback_host_warns():
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert is_loopback(host) and host_warning(host) is None
    for host in ("0.0.0.0", "192.168.1.5", "example.org"):
        warning = host_warning(host)
        assert warning is not None and "\n" not in warning and host in warning


def test_free_port_is_bindable():
    import socket

    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
    assert ServerConfig(port=port).address == f"http://127.0.0.1:{port}"


def test_app_help_and_bad_scenario_exit_2_in_one_line(tmp_path: Path):
    runner = CliRunner()
    got = runner.invoke(main, ["app", "--help"])
    assert got.exit_code == 0 and "--port" in got.output and "--host" in got.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nexaminers: [\n", encoding="utf-8")
    got = runner.invoke(main, ["app", str(bad), "--port", "9"])
    assert got.exit_code == 2 and len(got.output.strip().splitlines()) == 1
    # without the app extra the command says how to install it, first; with it, the file's fault
    expected = "bad.yaml" if importlib.util.find_spec("streamlit") else "pip install 'dfu-sched[app]'"
    assert expected in got.output, got.output


def test_sigterm_to_the_command_stops_the_server_it_started(tmp_path):
    """``kill PID`` of ``dfu-sched app`` must not leave the Streamlit child listening (adopted by init)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    pid_file = tmp_path / "child.pid"
    child_code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(120)"
    parent_code = ("import sys; from dfu_sched.app.server import ServerConfig, serve; "
                   f"sys.exit(serve(ServerConfig(), [sys.executable, '-c', {child_code!r}]))")
    parent = subprocess.Popen([sys.executable, "-c", parent_code])
    try:
        deadline = time.monotonic() + 30
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        child_pid = int(pid_file.read_text())
        parent.send_signal(signal.SIGTERM)
        parent.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(child_pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the server process outlived dfu-sched app")
    finally:
        if parent.poll() is None:
            parent.kill()
