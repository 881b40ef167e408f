"""The ``backtest`` report: did the model reproduce what the unit's history says happened?

Everything comes from ``backtest.json`` (``dfu-sched backtest --out``), so ``dfu-sched report``
on the folder draws the same page. The page leads with coverage and error per series, then one
chart per series (actual over the simulated band, ``reports.charts.backtest``) and the month table.
It holds totals only: no device, case or examiner reference reaches a back-test document.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

from dfu_sched import __version__
from dfu_sched.reports.charts.backtest import BACKTEST_CHARTS
from dfu_sched.reports.charts.common import render_charts
from dfu_sched.reports.page import (
    RenderedReport,
    facts,
    headline_box,
    num,
    numbered_figures,
    page,
    pct,
    report_footer,
    section,
    table,
)
from dfu_sched.reports.run_files import Opt, anything, boolean, integer, list_of, map_of, nullable, obj, text
from dfu_sched.reports.run_files import num as num_check

_opt_num = nullable(num_check)
BACKTEST_SERIES = obj({
    "key": text, "label": text, "actual": list_of(_opt_num), "mean": list_of(_opt_num), "low": list_of(_opt_num),
    "high": list_of(_opt_num), "coverage": _opt_num, "mape": _opt_num, "months_compared": integer,
    "months_actual_zero": integer,
})
#: The schema ``dfu-sched report`` checks a ``backtest.json`` against before drawing anything.
BACKTEST = obj({
    "kind": text, "scenario": text, "history": text, "start": text, "end": text, "replications": integer,
    "seed": integer, "band": Opt(text), "horizon_weeks": Opt(integer), "cases_per_week_at_start": Opt(_opt_num),
    "months": list_of(text, min_length=1), "start_state": Opt(map_of(anything)),
    "series": map_of(BACKTEST_SERIES), "notes": Opt(list_of(text)), "pseudonymised": Opt(nullable(boolean)),
})
#: Series shown, with their digits.
DIGITS = {"backlog": 0, "median_wait_days": 1, "examined": 0}


def _value(x, digits: int) -> str:
    return "–" if x is None else num(x, digits)


def verdict_lines(doc: dict) -> list[str]:
    """One sentence per series: coverage and error, as a manager reads them."""
    out = []
    for s in doc["series"].values():
        cov = "no month to compare" if s["coverage"] is None else (
            f"{pct(s['coverage'])} of {s['months_compared']} months inside the simulated 95% band")
        err = "" if s["mape"] is None else f"; mean absolute error {pct(s['mape'])} of the actual"
        out.append(f"{s['label']}: {cov}{err}")
    return out


def month_table(doc: dict) -> str:
    """Month by month: actual, simulated mean and band, per series."""
    keys = [k for k in DIGITS if k in doc["series"]]
    header = ["Month"] + [f"{doc['series'][k]['label'].split(',')[0]}: actual / simulated (band)" for k in keys]
    rows = []
    for i, m in enumerate(doc["months"]):
        row = [m]
        for k in keys:
            s, d = doc["series"][k], DIGITS[k]
            row.append(f"{_value(s['actual'][i], d)} / {_value(s['mean'][i], d)} "
                       f"({_value(s['low'][i], d)}–{_value(s['high'][i], d)})")
        rows.append(row)
    return table(header, rows)


def render_backtest(doc: dict, *, pseudonymise: bool = False) -> RenderedReport:
    """The back-test page of a ``backtest.json`` document."""
    charts = render_charts(doc, BACKTEST_CHARTS)
    fig = numbered_figures(charts)
    state = doc.get("start_state") or {}
    body = headline_box(verdict_lines(doc), title="Did the model reproduce the history?")
    body += section("The test", facts([
        ("History", doc["history"]), ("Scenario", doc["scenario"]),
        ("Period", f"{doc['start']} to {doc['end']} ({len(doc['months'])} months)"),
        ("Replications", f"{doc['replications']} (seed {doc['seed']})"),
        ("Queue on the first day", f"{num(state.get('waiting', 0))} waiting, "
                                   f"{num(state.get('in_progress', 0))} under examination"),
        ("Band", doc.get("band", "")),
    ]) + "".join(f'<p class="note">{escape(n)}</p>' for n in doc.get("notes", [])))
    body += section("Actual against simulated", "".join(fig(c.spec.name) for c in charts))
    body += section("Month by month", month_table(doc), new_page=True)
    privacy = ("Pseudonymisation requested: a back-test shows only monthly totals, with no case or device "
               "references, so nothing needed replacing." if pseudonymise else
               "This report shows only monthly totals: no case, device or examiner references.")
    html = page(f"Back-test: {doc['scenario']}", body, kicker="dfu-sched back-test",
                subtitle=f"{doc['start']} to {doc['end']}", footer=report_footer(__version__, privacy))
    return RenderedReport(html, charts)


def render_run_dir(run_dir: Path, summary: dict, *, pseudonymise: bool = False, salt: str | None = None
                   ) -> RenderedReport:
    """``dfu-sched report`` on a ``backtest --out`` folder."""
    return render_backtest(summary, pseudonymise=pseudonymise)
