"""``dfu-sched app`` in real headless Chromium: what a manager does, with no console error and no outside request.

Why a browser as well as AppTest: AppTest runs the script without drawing it, so a widget that does
not commit its typed value, a progress fragment that stops refreshing, a download that never
arrives, a console error or a font fetched from the internet would all pass there. This test starts
the command a manager types (``dfu-sched app SCENARIO --port FREE``) on a free loopback port with a
short-horizon scenario (a run takes about a second), and drives the page through widget keys,
labels and ``data-testid`` attributes only (see ``tests/app/browser_app.py``).

Skipped without Chromium or Streamlit, except under CI (``CI`` set), where either missing fails.
``DFU_SCREENSHOTS=update`` saves the README's screenshots into ``docs/images/``.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from dfu_sched.cli import main
from tests.reports.browser_cdp import Browser, find_chromium

if not os.environ.get("CI"):  # the app is an extra: skipped without it, except under CI (which installs it)
    pytest.importorskip("streamlit")

from dfu_sched.app import plan_page  # noqa: E402
from dfu_sched.app import simulate_page as page  # noqa: E402
from tests.app.browser_app import (  # noqa: E402
    AppServer,
    choose_radio,
    click,
    heading_js,
    keyed,
    non_loopback,
    number_input_js,
    scroll_to,
    set_number,
    texts_after_heading,
    wait_idle,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "scenarios" / "examples"
IMAGES = ROOT / "docs" / "images"
HEADLINE = "What the simulation says"
VIEWPORT = (1200, 900)


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed but CI is set: the app's browser test must run in CI")
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def app(chromium):
    """The server on a short baseline (10 weeks) and one Chromium tab on it; both always stopped."""
    with tempfile.TemporaryDirectory(prefix="dfu-app-test-") as tmp:
        sc = page.read_shipped("north_yorkshire_2022.yaml").scenario.with_updates(
            {"calendar": {"horizon_weeks": 10, "warmup_weeks": 0}})
        scenario = Path(tmp) / "short.yaml"
        scenario.write_text(page.edited_yaml(sc, "north_yorkshire_2022.yaml"), encoding="utf-8")
        with AppServer(scenario) as server:
            workdir = server.workdir()
            assert workdir is not None and workdir.name.startswith("dfu-sched-app-"), workdir
            with Browser(chromium, timeout=60) as browser:
                browser.call("Network.enable")
                browser.call("DOM.enable")
                yield server, browser
        assert not workdir.exists(), "the server left its private folder behind after Ctrl+C"


def assert_clean(browser: Browser) -> None:
    """No console error, uncaught exception or error log, and nothing asked of another machine."""
    assert browser.console_errors() == []
    urls = browser.request_urls()
    assert urls, "Network events were not recorded"
    assert non_loopback(urls) == []


def headline(browser: Browser, other_than: list[str] | None = None, timeout: float = 120.0) -> list[str]:
    """Wait for the headline (a different one than ``other_than``, if given) and return its lines."""
    deadline = time.monotonic() + timeout
    while True:
        got = texts_after_heading(browser, HEADLINE)
        if got and got != other_than:
            wait_idle(browser)
            final = texts_after_heading(browser, HEADLINE)
            if final and final != other_than:
                return final
        assert time.monotonic() < deadline, f"no new headline within {timeout:.0f} s (had {got})"
        browser.pump(0.1)  # read events for a moment, then look again


def assert_charts_fill_the_column(browser: Browser) -> None:
    """Every chart is drawn across the main column (an SVG with only a viewBox would be 300 px wide)."""
    widths = browser.evaluate("""Array.from(document.querySelectorAll('[data-testid="stImage"] img'))
        .map(i => [i.getBoundingClientRect().width, i.naturalWidth > 0 || i.complete])""")
    assert widths and all(w > 500 and ok for w, ok in widths), widths


def screenshot(browser: Browser, name: str, element_js: str) -> None:
    """With ``DFU_SCREENSHOTS=update``: the viewport, scrolled to an element, as ``docs/images/NAME``."""
    if os.environ.get("DFU_SCREENSHOTS") == "update":
        IMAGES.mkdir(parents=True, exist_ok=True)
        scroll_to(browser, element_js, above=40)
        shot = browser.screenshot(IMAGES / name, full_page=False)
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_more_examiners_change_the_headline(app):
    server, browser = app
    t0 = time.monotonic()
    browser.open(server.url, width=VIEWPORT[0], height=VIEWPORT[1])
    set_number(browser, "Replications", 3)  # fewer replications: a quicker run
    click(browser, keyed("run", "button"))
    before = headline(browser)
    loaded_to_result = time.monotonic() - t0
    assert any("wait" in line.lower() for line in before), before
    assert browser.evaluate(f"({number_input_js('mobile: examiners')}).value") == "3"  # the file's count

    set_number(browser, "mobile: examiners", 12)
    browser.wait_for(f"!document.evaluate(\"//h3[normalize-space()='{HEADLINE}']\", document, null, 9, null)"
                     ".singleNodeValue")  # the old result is hidden once the value is committed
    click(browser, keyed("run", "button"))
    after = headline(browser, other_than=before)
    assert after != before and len(after) == len(before)
    assert_charts_fill_the_column(browser)
    screenshot(browser, "app-simulate.png", heading_js("Run"))
    assert_clean(browser)
    print(f"page load to first result (10 weeks, 3 replications): {loaded_to_result:.2f} s")


@pytest.fixture(scope="module")
def cli_plan() -> dict:
    """``dfu-sched plan`` on the example files for this week (the page's default week): its --json."""
    week = plan_page.this_monday()
    got = CliRunner().invoke(main, ["plan", str(EXAMPLES / "queue.csv"), "--staff", str(EXAMPLES / "staff.csv"),
                                    "--week", week.isoformat(), "--json"])
    assert got.exit_code == 0, got.output
    return json.loads(got.stdout)


GRID_ROWS = """Array.from(document.querySelectorAll('[data-testid="stDataFrame"]')).map(d => {
    const g = d.querySelector('[aria-rowcount]'); return g ? Number(g.getAttribute('aria-rowcount')) - 1 : -1; })"""


def test_weekly_plan_from_uploads_has_every_device_and_downloads(app, chromium, cli_plan, tmp_path):
    server, browser = app
    if not browser.evaluate(f"!!document.querySelector('{keyed('page')}')"):
        browser.open(server.url, width=VIEWPORT[0], height=VIEWPORT[1])
    choose_radio(browser, "page", "Weekly plan")
    browser.wait_for(f"!!document.querySelector('{keyed('plan_staff', 'input[type=file]')}')")
    browser.set_files(keyed("plan_queue", "input[type=file]"), EXAMPLES / "queue.csv")
    browser.set_files(keyed("plan_staff", "input[type=file]"), EXAMPLES / "staff.csv")
    click(browser, keyed("plan_run", "button"))
    planned = [d for d in cli_plan["devices"] if d["status"] == "planned"]
    examiners = {d["examiner"] for d in planned}
    expected = [len(planned), len(cli_plan["devices"]) - len(planned)]
    rows = browser.wait_for(f"(() => {{ const r = {GRID_ROWS}; return r.length === {len(examiners) + 1} "
                            "&& r.every(n => n >= 0) ? r : null; })()")
    assert [sum(rows[:-1]), rows[-1]] == expected, (rows, expected)
    assert sum(rows) == len(cli_plan["devices"]) == 36
    wait_idle(browser)
    assert_charts_fill_the_column(browser)
    screenshot(browser, "app-plan.png", "document.querySelector('[data-testid=\"stImage\"]')")

    browser.allow_downloads(tmp_path)
    click(browser, keyed("dl_plan_html", "button"))
    name = browser.wait_download()
    got = (tmp_path / name).read_text(encoding="utf-8")
    assert name.endswith(".html") and got.lstrip().lower().startswith("<!doctype html"), name
    assert "plan_week" in got  # the week chart is in the report
    assert_clean(browser)
    assert dt.date.today() - plan_page.this_monday() < dt.timedelta(days=7)

    with Browser(chromium, timeout=60) as other:  # a second user: another browser, another session
        other.open(server.url, width=VIEWPORT[0], height=VIEWPORT[1])
        choose_radio(other, "page", "Weekly plan")
        other.wait_for("Array.from(document.querySelectorAll('[data-testid=\"stAlert\"]'))"
                       ".some(a => a.textContent.includes('Upload the queue and the staff files'))")
        wait_idle(other)
        assert other.evaluate(SEEN_BY_OTHER) == [0, 0], "the second session sees the first one's uploads or plan"
        assert other.console_errors() == []
    assert browser.evaluate(SEEN_BY_OTHER) == [2, len(examiners) + 1]  # the first still has its files and plan


SEEN_BY_OTHER = """[document.querySelectorAll('[data-testid="stFileChip"]').length,
                    document.querySelectorAll('[data-testid="stDataFrame"]').length]"""
