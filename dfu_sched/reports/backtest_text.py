"""The back-test in the terminal and as a month-by-month CSV table.

Why apart from the page: ``dfu-sched backtest`` prints this without importing matplotlib; the
page module draws. Both read only the ``backtest.json`` document.
"""
from __future__ import annotations

from typing import Any

#: Digits shown per series.
DIGITS = {"backlog": 0, "median_wait_days": 1, "examined": 0}
#: Short names for the terminal table (the page uses the full labels).
SHORT = {"backlog": "backlog at month end", "median_wait_days": "median wait to start, days",
         "examined": "devices examined"}


def _f(x: Any, d: int) -> str:
    return "-" if x is None else f"{x:,.{d}f}"


def _pct(x: Any) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def backtest_text(doc: dict) -> str:
    """Coverage and error per series, then the months (actual, simulated mean, band)."""
    st = doc.get("start_state") or {}
    lines = [f"Back-test of {doc['scenario']} on {doc['history']}: {doc['start']} to {doc['end']}, "
             f"{doc['replications']} replications (seed {doc['seed']})",
             f"queue on the first day: {st.get('waiting', 0):,} waiting, {st.get('in_progress', 0):,} under "
             "examination", ""]
    lines.append(f"{'series':<28} {'coverage':>9} {'months':>7} {'MAPE':>6}")
    for k, s in doc["series"].items():
        name = SHORT.get(k, s["label"])[:28]
        lines.append(f"{name:<28} {_pct(s['coverage']):>9} {s['months_compared']:>7} {_pct(s['mape']):>6}")
    lines += [f"  ({n})" for n in doc.get("notes", [])]
    lines.append("")
    header = f"{'month':<8}" + "".join(f"{SHORT[k]:>28}" for k in DIGITS if k in doc["series"])
    lines.append(header + "   (actual / mean [band])")
    for i, m in enumerate(doc["months"]):
        cells = []
        for k, d in DIGITS.items():
            s = doc["series"].get(k)
            if s:
                cells.append(f"{_f(s['actual'][i], d)} / {_f(s['mean'][i], d)} "
                             f"[{_f(s['low'][i], d)}-{_f(s['high'][i], d)}]")
        lines.append(f"{m:<8}" + "".join(f"{c:>28}" for c in cells))
    return "\n".join(lines)


def month_rows(doc: dict) -> tuple[list[str], list[list[Any]]]:
    """One row per month: for each series its actual, simulated mean, band low and high."""
    keys = [k for k in DIGITS if k in doc["series"]]
    header = ["month"] + [f"{k}_{part}" for k in keys for part in ("actual", "mean", "low", "high")]
    rows = [[m] + [doc["series"][k][part][i] for k in keys for part in ("actual", "mean", "low", "high")]
            for i, m in enumerate(doc["months"])]
    return header, rows
