"""Benchmark of the web app: page load to the first baseline result, 10 replications (on demand).

    python tests/benchmarks/bench_app.py [--browser-only | --apptest-only] [--repeat N]

Two measurements. **AppTest** (no browser) drives the page script in-process: the first script run,
then Run on the shipped baseline with 10 replications; it prints the page load, the simulation alone
(what the headline waits for: Streamlit sends the headline before the charts are drawn), and the
whole Run rerun including the report's charts. **Browser**: the real thing a manager sees, as in
``tests/app/test_browser_app.py``: ``dfu-sched app`` (the shipped baseline, 10 replications by
default) in headless Chromium; from ``Page.navigate`` to the Run button being there (the first
script run), to the headline on screen, and to the charts drawn. Beside each wall time it prints
the CPU seconds the server used and the machine's load average, because on a shared machine the
wall time depends on what else runs and the CPU time does not (much). Chromium's CPU is
counted too (all its processes). Issue 12's goal: under 5 s
from page load to the first result on 2 cores.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from dfu_sched.app import simulate_page as page  # noqa: E402


def apptest_figure() -> None:
    from streamlit.testing.v1 import AppTest

    from dfu_sched.app.server import SCRIPT
    from tests.app.helpers import run_and_wait

    t0 = time.perf_counter()
    at = AppTest.from_file(str(SCRIPT), default_timeout=120)
    at.run()
    loaded = time.perf_counter()
    at.number_input(key="n").set_value(10)
    run_and_wait(at, timeout=120)
    done = time.perf_counter()
    assert not at.exception and not at.error, (at.exception, at.error)
    assert any(m.value.startswith("- ") for m in at.markdown), "no headline"
    sc = page.read_shipped("north_yorkshire_2022.yaml").scenario
    s0 = time.perf_counter()
    page.run_summary(page.scenario_json(sc), 10, sc.run.seed + 1)  # another seed: not the cached run
    sim = time.perf_counter() - s0
    print(f"AppTest: page load {loaded - t0:.2f} s; simulation (10 replications, 104 weeks) {sim:.2f} s; "
          f"load to first result ~{loaded - t0 + sim:.2f} s; whole Run rerun with charts and report "
          f"{done - loaded:.2f} s; load to charts {done - t0:.2f} s")


def browser_once(chromium: str) -> dict[str, float]:
    """One fresh server and browser: seconds from navigation to Run, headline and charts; server CPU."""
    from tests.app.browser_app import AppServer, click, keyed, texts_after_heading, tree_cpu_seconds, wait_idle
    from tests.reports.browser_cdp import Browser

    with AppServer(None, timeout=120) as server, Browser(chromium, timeout=120) as browser:
        cpu0, load0, bcpu0 = server.cpu_seconds(), os.getloadavg()[0], tree_cpu_seconds(browser.proc.pid)
        t0 = time.perf_counter()
        browser.open(server.url, width=1200, height=900)
        n = browser.wait_for(f"(() => {{ const e = document.querySelector('{keyed('n', 'input')}'); "
                             "return e && e.value; })()")
        assert n == "10", f"the page should start at 10 replications, not {n}"
        click(browser, keyed("run", "button"), timeout=120)
        ready = time.perf_counter()
        browser.wait_for("(() => { const h = " + _HEADLINE_JS + "; return h && h.length > 0; })()",
                         timeout=300, every=0.05)
        first = time.perf_counter()
        cpu_first, bcpu_first = server.cpu_seconds(), tree_cpu_seconds(browser.proc.pid)
        browser.wait_for("document.querySelectorAll('[data-testid=\"stImage\"] img').length > 0",
                         timeout=300, every=0.05)
        wait_idle(browser, timeout=300)
        charts = time.perf_counter()
        assert texts_after_heading(browser, "What the simulation says"), "no headline"
        assert browser.console_errors() == [], browser.console_errors()
        return {"run_ready": ready - t0, "headline": first - t0, "charts": charts - t0,
                "server_cpu_to_headline": cpu_first - cpu0,
                "browser_cpu_to_headline": bcpu_first - bcpu0, "load": (load0 + os.getloadavg()[0]) / 2}


_HEADLINE_JS = """(() => { const h = Array.from(document.querySelectorAll('h3'))
    .find(e => e.textContent.trim() === 'What the simulation says');
    return h ? Array.from(document.querySelectorAll('li'))
        .filter(e => h.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING) : null; })()"""


def browser_figure(repeat: int) -> None:
    from tests.reports.browser_cdp import find_chromium

    chromium = find_chromium()
    if chromium is None:
        print("Browser: no chromium on PATH (apt-get install chromium)")
        return
    runs = [browser_once(chromium) for _ in range(repeat)]
    for r in runs:
        print(f"Browser: Run ready {r['run_ready']:.2f} s; headline {r['headline']:.2f} s; charts "
              f"{r['charts']:.2f} s after page load; server CPU to the headline {r['server_cpu_to_headline']:.2f} s, "
              f"Chromium's {r['browser_cpu_to_headline']:.2f} s; "
              f"load average {r['load']:.1f} on {os.cpu_count()} cores")
    if repeat > 1:
        print(f"Browser: median page load to headline {statistics.median(r['headline'] for r in runs):.2f} s, "
              f"median server CPU {statistics.median(r['server_cpu_to_headline'] for r in runs):.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--browser-only", action="store_true")
    which.add_argument("--apptest-only", action="store_true")
    ap.add_argument("--repeat", type=int, default=1, help="browser runs (a fresh server each)")
    args = ap.parse_args()
    if not args.browser_only:
        apptest_figure()
    if not args.apptest_only:
        browser_figure(args.repeat)


if __name__ == "__main__":
    main()
