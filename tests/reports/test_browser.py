"""The baseline report in real headless Chromium: no errors, every chart drawn, A4 print fits.

Skipped when no Chromium is installed, except under CI (``CI`` set), where a missing browser
fails: CI must never pass by silently skipping the one test that looks at the page.
Set ``DFU_SCHED_SCREENSHOTS=DIR`` to keep a copy of the screenshot and PDF for a human to look at.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from dfu_sched.reports.charts.simulate import SIMULATION_CHARTS
from dfu_sched.reports.kinds import render_report
from tests.reports.browser_cdp import Browser, find_chromium
from tests.reports.test_reports import make_run_dir

A4_MM = (210.0, 297.0)
PAGE_MARGIN_MM = (13.0, 14.0, 16.0)  # left/right, top, bottom: must match @page in reports/page.py
PX_PER_MM = 96 / 25.4


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed but CI is set: the report browser test must run in CI "
                        "(.ci/run installs Debian's chromium)")
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def baseline_report(tmp_path_factory) -> Path:
    """The shipped baseline (full 104 weeks), few replications so the test stays quick."""
    tmp = tmp_path_factory.mktemp("browser")
    run = make_run_dir(tmp, weeks=104, replications=3)
    out = tmp / "report.html"
    out.write_text(render_report(run), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def page(chromium, baseline_report):
    with Browser(chromium) as browser:
        browser.call("Network.enable")
        browser.call("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                          "downloadThroughput": -1, "uploadThroughput": -1})
        browser.open(baseline_report.as_uri(), width=1100, height=900)
        yield browser


CHART_CHECK = """
(() => Array.from(document.querySelectorAll('svg.chart')).map(svg => {
  const box = svg.getBoundingClientRect();
  const drawn = Array.from(svg.querySelectorAll('path, use, rect, polyline, line, text'))
    .filter(el => { const b = el.getBBox ? el.getBBox() : {width: 0, height: 0};
                    return b.width > 0 || b.height > 0; });
  return {name: svg.dataset.chart, width: box.width, height: box.height, drawn: drawn.length,
          paths: svg.querySelectorAll('path[d]').length, texts: svg.querySelectorAll('text').length};
}))()
"""


def test_opens_offline_without_console_errors_or_requests(page):
    assert page.console_errors() == []
    requests = [e for e in page.events if e["method"] == "Network.requestWillBeSent"
                and not e["params"]["request"]["url"].startswith("file:")]
    assert requests == [], "the report must not fetch anything"
    assert page.evaluate("document.title").startswith("Digital forensic backlog")


def test_every_chart_drew(page):
    charts = page.evaluate(CHART_CHECK)
    assert [c["name"] for c in charts] == [s.name for s in SIMULATION_CHARTS]
    for c in charts:
        assert c["width"] > 300 and c["height"] > 100, c
        assert c["drawn"] > 20 and c["paths"] > 5 and c["texts"] > 3, c


def test_screenshot(page, tmp_path):
    shot = page.screenshot(tmp_path / "baseline_report.png")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 100_000
    keep = os.environ.get("DFU_SCHED_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)


def print_layout(page, printable_w: float, printable_h: float) -> tuple[list[dict], float]:
    """Lay the page out as printed at the given printable size: each chart's box, and overflow."""
    page.emulate_media("print")
    page.call("Emulation.setDeviceMetricsOverride", {"width": int(printable_w), "height": int(printable_h),
                                                     "deviceScaleFactor": 1, "mobile": False})
    try:
        boxes = page.evaluate("""Array.from(document.querySelectorAll('figure.chart-figure')).map(f => {
            const b = f.getBoundingClientRect(); return {left: b.left, right: b.right, height: b.height,
            svgRight: f.querySelector('svg').getBoundingClientRect().right}; })""")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    finally:
        page.emulate_media("")
    return boxes, overflow


def test_prints_to_a4_without_cut_off_charts(page, tmp_path):
    printable_w = (A4_MM[0] - 2 * PAGE_MARGIN_MM[0]) * PX_PER_MM
    printable_h = (A4_MM[1] - PAGE_MARGIN_MM[1] - PAGE_MARGIN_MM[2]) * PX_PER_MM
    boxes, overflow = print_layout(page, printable_w, printable_h)
    assert len(boxes) == len(SIMULATION_CHARTS)
    assert overflow <= 0, "something is wider than the printable width of A4"
    for b in boxes:
        assert b["left"] >= 0 and b["right"] <= printable_w + 0.5 and b["svgRight"] <= printable_w + 0.5, b
        assert b["height"] < printable_h, "a figure taller than a page would be cut"
    pdf = page.print_pdf_a4(tmp_path / "baseline_report.pdf").read_bytes()
    assert pdf[:5] == b"%PDF-"
    sizes = {tuple(round(float(v)) for v in m) for m in
             re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)}
    assert sizes == {(595, 842)}, f"not A4 portrait: {sizes}"
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert 4 <= pages <= 20, pages
    keep = os.environ.get("DFU_SCHED_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "baseline_report.pdf", Path(keep) / "baseline_report.pdf")


# ---- compare, invest and plan reports ------------------------------------------------------------

A4_LANDSCAPE_MARGIN_MM = (12.0, 12.0, 14.0)  # plan report: must match REPORT_CSS in reports/plan_html.py


def _build(kind: str, tmp: Path) -> tuple[Path, list[str], bool]:
    """(report file, chart names expected, landscape?) for one kind, from a real short run."""
    from tests.reports.test_reports import make_compare_dir, make_invest_dir, make_plan_json

    if kind == "compare":
        _, report = make_compare_dir(tmp, weeks=26, replications=2)
        return report, ["compare_backlog", "compare_wait", "compare_differences"], False
    if kind == "invest":
        _, report = make_invest_dir(tmp)
        return report, ["invest_frontier", "invest_backlog", "invest_wait", "invest_cost"], False
    _, report = make_plan_json(tmp)
    return report, ["plan_week"], True


@pytest.fixture(scope="module", params=["compare", "invest", "plan"])
def other_page(request, chromium, tmp_path_factory):
    report, names, landscape = _build(request.param, tmp_path_factory.mktemp(request.param))
    with Browser(chromium) as browser:
        browser.call("Network.enable")
        browser.call("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                          "downloadThroughput": -1, "uploadThroughput": -1})
        browser.open(report.as_uri(), width=1100, height=900)
        yield request.param, browser, names, landscape


def test_other_reports_open_offline_without_errors_and_every_chart_drew(other_page):
    kind, page, names, _ = other_page
    assert page.console_errors() == [], kind
    requests = [e for e in page.events if e["method"] == "Network.requestWillBeSent"
                and not e["params"]["request"]["url"].startswith("file:")]
    assert requests == [], f"the {kind} report must not fetch anything"
    charts = page.evaluate(CHART_CHECK)
    assert [c["name"] for c in charts] == names
    for c in charts:
        assert c["width"] > 300 and c["height"] > 100, c
        assert c["drawn"] > 10 and c["paths"] > 3 and c["texts"] > 3, c


def test_other_reports_print_on_a4_without_cut_off_charts(other_page, tmp_path):
    kind, page, names, landscape = other_page
    w_mm, h_mm = (A4_MM[1], A4_MM[0]) if landscape else A4_MM
    side, top, bottom = A4_LANDSCAPE_MARGIN_MM if landscape else PAGE_MARGIN_MM
    printable_w, printable_h = (w_mm - 2 * side) * PX_PER_MM, (h_mm - top - bottom) * PX_PER_MM
    try:
        boxes, overflow = print_layout(page, printable_w, printable_h)
    finally:
        page.call("Emulation.setDeviceMetricsOverride", {"width": 1100, "height": 900, "deviceScaleFactor": 1,
                                                         "mobile": False})
    assert len(boxes) == len(names)
    assert overflow <= 0, f"{kind}: something is wider than the printable width of A4"
    for b in boxes:
        assert b["left"] >= 0 and b["svgRight"] <= printable_w + 0.5, b
        assert b["height"] < printable_h, f"{kind}: a figure taller than a page would be cut"
    pdf = page.print_pdf_a4(tmp_path / f"{kind}_report.pdf").read_bytes()
    sizes = {tuple(round(float(v)) for v in m) for m in
             re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)}
    assert sizes == ({(842, 595)} if landscape else {(595, 842)}), sizes
    _keep(tmp_path / f"{kind}_report.pdf")


def test_other_reports_screenshot(other_page, tmp_path):
    kind, page, _, _ = other_page
    shot = page.screenshot(tmp_path / f"{kind}_report.png")
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
    _keep(shot)


def _keep(path: Path) -> None:
    keep = os.environ.get("DFU_SCHED_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
