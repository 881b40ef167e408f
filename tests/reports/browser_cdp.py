"""A minimal headless-Chromium driver over the DevTools protocol's pipe transport.

Why not Playwright or Selenium: they download browsers or need extra packages; Debian's
``chromium`` speaks the DevTools protocol over file descriptors 3 and 4 with
``--remote-debugging-pipe`` (NUL-separated JSON messages), which needs only the standard
library. Used by the report tests; the other report kinds (compare, invest, plan) can reuse it.
"""
from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
    "--remote-debugging-pipe",
]


def find_chromium() -> str | None:
    """Debian's chromium (what .ci/run installs), or another Chromium/Chrome on PATH."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


class CDPError(RuntimeError):
    pass


class Browser:
    """One headless Chromium with one page; events are kept for console/error checks."""

    def __init__(self, executable: str, *, timeout: float = 30.0):
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="dfu-chromium-", ignore_cleanup_errors=True)
        self.profile = self._profile.name  # a throwaway profile: no cookies, cache or history kept
        to_child_r, self._to_child_w = os.pipe()
        self._from_child_r, from_child_w = os.pipe()

        def wire_fds():  # in the child: the protocol lives on fds 3 (commands in) and 4 (replies out)
            high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)  # out of the way of 3 and 4 first
            high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)  # dup2 leaves 3 and 4 inheritable; every other fd is close-on-exec
            os.dup2(high_w, 4)

        self.proc = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds, close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next_id = 0
        self.events: list[dict] = []
        self.session: str | None = None
        self._attach()

    # -- protocol ------------------------------------------------------------------------------
    def _send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._next_id += 1
        msg: dict = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child_w, json.dumps(msg).encode() + b"\0")
        return self._next_id

    def _read_message(self, deadline: float) -> dict:
        import select

        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CDPError("timed out waiting for Chromium")
            ready, _, _ = select.select([self._from_child_r], [], [], left)
            if ready:
                chunk = os.read(self._from_child_r, 1 << 20)
                if not chunk:
                    raise CDPError("Chromium closed the DevTools pipe")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict | None = None, *, session: str | None = "page") -> dict:
        """Send a command and wait for its reply (events arriving meanwhile are recorded)."""
        sid = self.session if session == "page" else session
        msg_id = self._send(method, params, sid)
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._read_message(deadline)
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise CDPError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, method: str, timeout: float | None = None) -> dict:
        for i, ev in enumerate(self.events):
            if ev["method"] == method:
                return self.events.pop(i)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            msg = self._read_message(deadline)
            if msg.get("method") == method:
                return msg
            if "method" in msg:
                self.events.append(msg)

    def _attach(self) -> None:
        targets = self.call("Target.getTargets", session=None)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True},
                                 session=None)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    # -- page helpers --------------------------------------------------------------------------
    def open(self, url: str, *, width: int = 1100, height: int = 900) -> None:
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression: str):
        res = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": True})
        if "exceptionDetails" in res:
            raise CDPError(f"script failed: {res['exceptionDetails']}")
        return res["result"].get("value")

    def console_errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen so far."""
        out = []
        for ev in self.events:
            m, p = ev["method"], ev.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
            elif m == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:500])
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append("log: " + p["entry"].get("text", ""))
        return out

    def screenshot(self, path: str | Path, *, full_page: bool = True) -> Path:
        params: dict = {"format": "png"}
        if full_page:
            size = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1})
        data = self.call("Page.captureScreenshot", params)["data"]
        path = Path(path)
        path.write_bytes(base64.b64decode(data))
        return path

    def print_pdf_a4(self, path: str | Path) -> Path:
        """Print to A4 as Chrome's print dialog would (the page's @page rules apply)."""
        data = self.call("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": True,
                                              "preferCSSPageSize": True})["data"]
        path = Path(path)
        path.write_bytes(base64.b64decode(data))
        return path

    # -- driving a live page (the web app's test) --------------------------------------------
    def wait_for(self, expression: str, *, timeout: float | None = None, every: float = 0.1):
        """Poll ``expression`` until it is truthy; its value. Raises CDPError with the expression on timeout.

        Polling a condition (not sleeping a fixed time) is what keeps the waits independent of load.
        """
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise CDPError(f"timed out waiting for: {expression[:200]}")
            self.pump(every)

    def pump(self, seconds: float) -> None:
        """Read (and record) events for up to ``seconds``: the poll's pause, never idle time."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                msg = self._read_message(deadline)
                if "method" in msg:
                    self.events.append(msg)
        except CDPError as exc:
            if "timed out" not in str(exc):
                raise

    def node_id(self, selector: str) -> int:
        """The DOM node of the first element matching ``selector`` (CDPError when there is none)."""
        root = self.call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = self.call("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        if not node:
            raise CDPError(f"no element matches {selector}")
        return node

    def set_files(self, selector: str, *paths: str | Path) -> None:
        """Choose files in an ``<input type=file>`` as a user picking them would (a change event follows)."""
        self.call("DOM.setFileInputFiles", {"nodeId": self.node_id(selector),
                                            "files": [str(Path(p).resolve()) for p in paths]})

    def type_text(self, selector: str, text: str, *, enter: bool = True) -> None:
        """Focus the input, select what is in it, type ``text`` as key input, and press Enter."""
        self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); "
                      "e.focus(); e.select(); return true; })()")
        self.call("Input.insertText", {"text": text})
        if enter:
            for kind in ("keyDown", "keyUp"):
                self.call("Input.dispatchKeyEvent", {"type": kind, "key": "Enter", "code": "Enter",
                                                     "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13,
                                                     **({"text": "\r"} if kind == "keyDown" else {})})

    def allow_downloads(self, folder: str | Path) -> None:
        """Save downloads into ``folder`` without asking (browser-wide), with progress events."""
        self.call("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder),
                                                  "eventsEnabled": True}, session=None)

    def wait_download(self, timeout: float | None = None) -> str:
        """Wait for a download to complete; the file's suggested name."""
        begun = self.wait_event("Browser.downloadWillBegin", timeout)["params"]
        while True:
            p = self.wait_event("Browser.downloadProgress", timeout)["params"]
            if p.get("guid") == begun["guid"] and p.get("state") == "completed":
                return str(begun["suggestedFilename"])
            if p.get("guid") == begun["guid"] and p.get("state") == "canceled":
                raise CDPError("the download was cancelled")

    def request_urls(self) -> list[str]:
        """Every URL the page asked for so far (requests and WebSockets; needs ``Network.enable``)."""
        out = []
        for ev in self.events:
            if ev["method"] == "Network.requestWillBeSent":
                out.append(ev["params"]["request"]["url"])
            elif ev["method"] == "Network.webSocketCreated":
                out.append(ev["params"]["url"])
        return out

    def emulate_media(self, media: str) -> None:
        self.call("Emulation.setEmulatedMedia", {"media": media})

    def close(self) -> None:
        try:
            self.call("Browser.close", session=None)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_child_w, self._from_child_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
