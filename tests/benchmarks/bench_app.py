"""Benchmark of the web app: page load to the first baseline result, 10 replications (on demand).

    python tests/benchmarks/bench_app.py

Drives the real page script through Streamlit's AppTest (no browser): the first script run (the
page a manager opens), then Run on the shipped baseline with 10 replications. Prints the page
load, the simulation alone (what the headline waits for: Streamlit sends the headline before the
charts are drawn), and the whole Run rerun including the report's charts. Issue 12's goal: under
5 s from page load to the first result on 2 cores.
"""
from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest

from dfu_sched.app import simulate_page as page
from dfu_sched.app.server import SCRIPT
from tests.app.helpers import run_and_wait


def main() -> None:
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
    print(f"page load {loaded - t0:.2f} s; simulation (10 replications, 104 weeks) {sim:.2f} s; "
          f"load to first result ~{loaded - t0 + sim:.2f} s; whole Run rerun with charts and report "
          f"{done - loaded:.2f} s; load to charts {done - t0:.2f} s")


if __name__ == "__main__":
    main()
