"""The real ``dfu-sched app`` server and a Chromium driving it: what the browser test and benchmark share.

Why a real server: AppTest runs the page script in-process and never draws the page, so it cannot
see a console error, a widget that does not commit its value, a progress fragment that stops
refreshing, a download, or a request leaving the machine. Here the command a manager types starts
the server on a free loopback port, and headless Chromium (``tests/reports/browser_cdp.py``) loads
it. The page is found through stable things only: widget keys (Streamlit gives each keyed widget's
container the class ``st-key-<key>``), widget labels, and ``data-testid`` attributes, so the pages
other engineers add do not break these helpers.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from dfu_sched.app.server import free_port
from tests.reports.browser_cdp import Browser

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def dfu_sched_command() -> list[str]:
    """``dfu-sched`` as installed beside this Python (the console script), else ``python -m``."""
    script = Path(sys.executable).with_name("dfu-sched")
    if script.is_file():
        return [str(script)]
    found = shutil.which("dfu-sched")
    return [found] if found else [sys.executable, "-c", "from dfu_sched.cli import main; main()"]


class AppServer:
    """``dfu-sched app [SCENARIO] --port FREE`` in its own process group, until ``stop()``.

    The command runs Streamlit as a child, so stopping signals the whole group: no server outlives
    the test. Its output goes to a file in a private temporary folder, shown if the server dies.
    """

    def __init__(self, scenario: Path | None = None, *, timeout: float = 45.0):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self._tmp = tempfile.TemporaryDirectory(prefix="dfu-app-server-")
        self._log = open(Path(self._tmp.name) / "server.log", "w+b")
        argv = [*dfu_sched_command(), "app", *([str(scenario)] if scenario else []), "--port", str(self.port)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self, timeout: float) -> None:
        """Poll ``/_stcore/health`` until it answers ``ok`` (or the server exits, or time runs out)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dfu-sched app exited with {self.proc.returncode}: {self.output()}")
            try:
                with urllib.request.urlopen(self.url + "_stcore/health", timeout=2) as got:
                    if got.read().strip() == b"ok":
                        return
            except OSError:
                pass
            time.sleep(0.1)  # the poll's pause: readiness is the health answer, not the time waited
        raise RuntimeError(f"dfu-sched app was not healthy within {timeout:.0f} s: {self.output()}")

    def output(self) -> str:
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-2000:]

    def stop(self) -> None:
        """Ctrl+C to the process group (as a user stops it), then SIGTERM, then SIGKILL; remove the log.

        Ctrl+C first because that is what lets ``dfu-sched app`` remove its private folder.
        """
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=15)
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        try:  # Streamlit itself (the group's other member) may outlive its parent by a moment
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._log.close()
        self._tmp.cleanup()

    def workdir(self) -> Path | None:
        """The folder Streamlit runs in (the command's private temporary folder), while it runs."""
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) \
                        == self.proc.pid:
                    return Path(os.readlink(entry / "cwd"))
            except OSError:
                continue
        return None

    def cpu_seconds(self) -> float:
        """CPU time the server (the command and Streamlit under it) has used so far."""
        return tree_cpu_seconds(self.proc.pid)

    def __enter__(self) -> AppServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and all its descendants (Linux ``/proc``).

    Why: on a shared machine the wall time of a run depends on the load; the CPU time it used does
    not (much), so the benchmark reports both.
    """
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += stats.get(p, (0, 0.0))[1]
        todo.extend(c for c, (parent, _) in stats.items() if parent == p)
    return total


# ---- finding things on a Streamlit page ---------------------------------------------------------------

def keyed(key: str, inner: str = "") -> str:
    """The CSS selector of the widget with ``key`` (and an element inside it)."""
    return f".st-key-{key} {inner}".strip()


def js(value) -> str:
    return json.dumps(value)


def wait_idle(browser: Browser, timeout: float = 30.0) -> None:
    """Wait until the script run is over: the app is mounted, nothing stale, no 'Running' status."""
    browser.wait_for("""(() => document.querySelector('[data-testid="stApp"]')
        && document.querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-stale="true"]'))()""", timeout=timeout)


def click(browser: Browser, selector: str, timeout: float = 30.0) -> None:
    """Click the first enabled element matching ``selector`` once it is there."""
    browser.wait_for(f"""(() => {{ const e = document.querySelector({js(selector)});
        if (!e || e.disabled) return false; e.click(); return true; }})()""", timeout=timeout)


def choose_radio(browser: Browser, key: str, option: str) -> None:
    """Pick ``option`` (its visible label) in the radio group with ``key``."""
    browser.wait_for(f"""(() => {{ const labels = document.querySelectorAll({js(keyed(key, 'label'))});
        const l = Array.from(labels).find(x => x.textContent.trim() === {js(option)});
        if (!l) return false; l.click(); return true; }})()""")


def number_input_js(label: str) -> str:
    """A script expression for the ``<input>`` of the number input whose label starts with ``label``.

    By label, not key: a page may make its keys per scenario, but what a manager reads stays.
    """
    return ("Array.from(document.querySelectorAll('[data-testid=\"stNumberInput\"]'))"
            f".find(w => ((w.querySelector('label') || {{}}).textContent || '').trim().startsWith({js(label)}))"
            "?.querySelector('input')")


def set_number(browser: Browser, label: str, value: float) -> str:
    """Type ``value`` into the number input labelled ``label`` and commit it (Enter), as a user would.

    Returns a CSS selector for that input (it is marked with a ``data-dfu-pick`` attribute).
    """
    pick = "".join(ch if ch.isalnum() else "-" for ch in label)
    selector = f'[data-dfu-pick="{pick}"]'
    browser.wait_for(f"(() => {{ const e = {number_input_js(label)}; if (!e) return false; "
                     f"e.setAttribute('data-dfu-pick', {js(pick)}); return true; }})()")
    browser.type_text(selector, f"{value:g}")
    browser.wait_for(f"document.querySelector({js(selector)}).value === {js(f'{value:g}')}")
    return selector


def texts_after_heading(browser: Browser, heading: str, item: str = "li") -> list[str] | None:
    """The text of every ``item`` after the heading with ``heading`` (None while there is no such heading)."""
    return browser.evaluate(f"""(() => {{
        const h = Array.from(document.querySelectorAll('h1, h2, h3, h4'))
            .find(e => e.textContent.trim() === {js(heading)});
        if (!h) return null;
        return Array.from(document.querySelectorAll({js(item)}))
            .filter(e => h.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING)
            .map(e => e.textContent.trim()); }})()""")


def scroll_to(browser: Browser, element_js: str, above: int = 0) -> None:
    """Scroll so the element ``element_js`` evaluates to is ``above`` px below the top; wait for a frame."""
    assert browser.evaluate(f"""(() => {{ const e = {element_js}; if (!e) return false;
        e.scrollIntoView({{block: 'start'}}); let p = e.parentElement;
        while (p && p.scrollHeight <= p.clientHeight) p = p.parentElement;
        if (p) p.scrollTop -= {above}; return true; }})()"""), element_js
    browser.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))")


def heading_js(heading: str) -> str:
    """A script expression for the heading with text ``heading``."""
    return (f"Array.from(document.querySelectorAll('h1, h2, h3, h4'))"
            f".find(e => e.textContent.trim() === {js(heading)})")


def non_loopback(urls: list[str]) -> list[str]:
    """The URLs that would leave the machine (data: and blob: stay in the page)."""
    out = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about", "chrome-error"):
            continue
        if parts.hostname not in {h.strip("[]") for h in LOOPBACK_HOSTS}:
            out.append(url)
    return out
