"""Finance-ready workbooks for ``invest`` and ``compare``: one sheet per question a committee asks.

Sheets carry a bold filled header row, frozen panes under it, £ and number formats, and column
widths fitted to their contents, so the file opens ready to read, print or paste into a bid.
The workbook is saved through ``atomic_write``: a failed run never leaves half a file.

When the output carries a Green Book ``appraisal`` block (the scenario sets ``investment.appraisal``),
the workbook is live: a *Cost lines* sheet with unit costs and quantities as input cells, the
*Cost by financial year* sheet as formulas over it, and an *Appraisal* sheet (discounting, optimism
bias, PV, NPV) as formulas (``reports.appraisal_xlsx``). Options are named in words everywhere
(``triage kiosk``, not ``triage_kiosk``).
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from dfu_sched.io import atomic_write
from dfu_sched.reports.appraisal_xlsx import appraisal_sheet, col, cost_by_year_formulas, cost_lines_sheet
from dfu_sched.reports.cells import put_formula, write_sheet
from dfu_sched.scenario.levers import in_words as words
from dfu_sched.scenario.levers import option_label

GBP = '"£"#,##0'
NUM = "#,##0.0"
INT = "#,##0"
PCT = "0%"
MONTH = "mmm yyyy"
DATE = "yyyy-mm-dd"


def _sheet(wb, title: str, header: list[str], rows: list[list[Any]], formats: dict[int, str] | None = None,
           note: str | None = None):
    """One styled sheet through the shared cell writer (text from input is never a formula)."""
    return write_sheet(wb, title, header, [[_cell(v) for v in r] for r in rows], formats, note=note, freeze_column=2)


def _cell(v):
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, (list, dict)):
        return str(v)
    return v


def _est(block: dict | None):
    return None if not block else block.get("estimate")


def _lo(block: dict | None):
    return None if not block else (block.get("ci95") or [None, None])[0]


def _hi(block: dict | None):
    return None if not block else (block.get("ci95") or [None, None])[1]


def _save(wb, path: str | Path) -> Path:
    path = Path(path)
    wb.calculation.fullCalcOnLoad = True  # formulas are stored without cached values: compute on opening
    if "Sheet" in wb.sheetnames and len(wb.sheetnames) > 1:
        del wb["Sheet"]
    with atomic_write(path, "wb") as fh:
        wb.save(fh)
    return path


def _date(text: Any) -> Any:
    """'2023-01' or '2023-01-02' as a real date (a month is its first day), so the sheet sorts by time."""
    try:
        return dt.date.fromisoformat(text if len(text) == 10 else f"{text}-01")
    except (TypeError, ValueError):
        return text


def cost_sheets(wb, profile: dict, prefix: str = "", appraisal: dict | None = None) -> dict[str, str] | None:
    """Cost by month (values) and by financial year (formulas over the cost lines when there are any).

    With an appraisal block, also the live cost lines and appraisal sheets; returns the appraisal's
    headline cells (name -> 'Sheet'!$B$n), else None."""
    opts = profile["options"]
    names = [option_label(o) for o in opts]
    _sheet(wb, f"{prefix}Cost by month", ["month", "financial year"] + names + ["total"],
           [[_date(m["month"]), m["financial_year"]] + [m.get(o, 0.0) for o in opts] + [m["total"]]
            for m in profile["by_month"]],
           {0: MONTH, **dict.fromkeys(range(2, len(opts) + 3), GBP)})
    note = f"Recurring after the horizon: £{profile['recurring_after_horizon_gbp_per_year']:,.0f} a year"
    if appraisal is not None:
        note += ". Formulas over the 'Cost lines' sheet: change a unit cost there and these totals move."
    ws = _sheet(wb, f"{prefix}Cost by financial year", ["financial year"] + names + ["total"],
                [[y["financial_year"]] + [y.get(o, 0.0) for o in opts] + [y["total"]]
                 for y in profile["by_financial_year"]]
                + [["total"] + [profile["by_option"].get(o, 0.0) for o in opts] + [profile["total_gbp"]]],
                dict.fromkeys(range(1, len(opts) + 2), GBP), note=note)
    if appraisal is not None:
        lay = cost_lines_sheet(wb, appraisal, f"{prefix}Cost lines")
        cost_by_year_formulas(ws, lay, names, [y["financial_year"] for y in profile["by_financial_year"]])
        return appraisal_sheet(wb, appraisal, lay, f"{prefix}Appraisal")
    return None


def write_invest_xlsx(out: dict, path: str | Path, scenario=None) -> Path:
    """Assumptions, options evaluated, frontier, chosen mix, cost profile, trajectory."""
    from openpyxl import Workbook

    wb = Workbook()
    from dfu_sched.sim.measures import label_of

    # Summary: the explanation a committee reads first
    names = [o["name"] for o in out["options"]]
    rows = [[words(line, names)] for line in out["explanation"]]
    budget = "budget £" + format(out["budget_gbp"], ",.0f") if out["budget_gbp"] is not None else ""
    target = " target " + out["target"]["expression"] if out["target"] else ""
    _sheet(wb, "Summary", [f"{out['scenario']}: {budget}{target}"], rows)
    wb["Summary"].column_dimensions["A"].width = 120

    # Assumptions: every option with its figures and source
    arows = []
    if scenario is not None and scenario.investment is not None:
        for o in scenario.investment.options:
            d = o.model_dump(mode="json", by_alias=True)
            for k, v in d.items():
                if k in ("name", "kind", "source"):
                    continue
                arows.append([option_label(o.name), o.kind.replace("_", " "), k,
                              v if not isinstance(v, (dict, list)) else str(v), o.source])
    arows += [["(run)", "", "seed", out["seed"], ""], ["(run)", "", "horizon_weeks", out["horizon_weeks"], ""],
              ["(run)", "", "start_date", _date(out["start_date"]), ""],
              ["(run)", "", "replications (screen / candidates / final)",
               " / ".join(str(out["replications"][k]) for k in ("screen", "candidates", "final")), ""]]
    _sheet(wb, "Assumptions", ["option", "kind", "parameter", "value", "source"], arows, {3: DATE})

    # Options: levels and costs
    orows = [[option_label(r["name"]), r["kind"].replace("_", " "), r["unit"], r["max_units"],
              r["max_affordable_units"], r["cost_per_unit_gbp"],
              words(out["excluded_options"].get(r["name"], ""), names)] for r in out["options"]]
    _sheet(wb, "Options", ["option", "kind", "unit", "max units", "affordable units", "cost of one unit in horizon (£)",
                           "excluded because"], orows, {5: GBP})

    # Mixes evaluated
    obj = list(out["evaluated"][0]["objectives"]) if out["evaluated"] else []
    erows = [[words(e["label"]), e["cost_gbp"], e["stage"], e["replications"], "yes" if e["on_frontier"] else ""]
             + [e["objectives"][o] for o in obj] + ([e["target_value"], e["meets_target"]] if out["target"] else [])
             for e in out["evaluated"] + out.get("screened", [])]
    hdr = ["mix", "cost in horizon (£)", "stage", "replications", "on frontier"] + obj
    if out["target"]:
        hdr += [f"target value ({out['target']['key']})", "meets target"]
    _sheet(wb, "Mixes evaluated", hdr, erows, {1: GBP, **{5 + j: NUM for j in range(len(obj) + 1)}})

    # Frontier
    frows = [[words(p["label"]), p["cost_gbp"]] + [p["objectives"][o] for o in obj] for p in out["frontier"]]
    _sheet(wb, "Frontier", ["mix", "cost in horizon (£)"] + obj, frows,
           {1: GBP, **{2 + j: NUM for j in range(len(obj))}},
           note="Non-dominated mixes: no other mix is cheaper and at least as good on every measure.")

    # Chosen mix
    ch = out["chosen"]
    crows = [[label_of(k), _est(out["baseline"]["measures"][k]), _est(v), _lo(v), _hi(v),
              _est(ch["vs_baseline"][k]), _lo(ch["vs_baseline"][k]), _hi(ch["vs_baseline"][k])]
             for k, v in ch["measures"].items()]
    crows += [[], ["cost in horizon (£)", None, ch["cost_gbp"]],
              ["recurring after horizon (£/year)", None, ch["recurring_gbp_per_year_after_horizon"]],
              ["£ per month of backlog removed", None, ch["gbp_per_month_of_backlog_removed"]],
              ["£ per device removed from the queue", None, ch["gbp_per_device_removed"]]]
    _sheet(wb, "Chosen mix", ["measure", "do nothing", "chosen mix", "95% CI low", "95% CI high",
                              "difference", "diff. 95% CI low", "diff. 95% CI high"], crows,
           dict.fromkeys(range(1, 8), NUM), note="Chosen: " + "; ".join(words(a, names) for a in ch["actions"]))

    cost_sheets(wb, out["cost_profile"], appraisal=out.get("appraisal"))
    _trajectory_sheet(wb, {"do nothing": out["trajectory"]["baseline"], "chosen mix": out["trajectory"]["chosen"]})
    return _save(wb, path)


def _trajectory_sheet(wb, trajectories: dict[str, dict]) -> None:
    names = list(trajectories)
    first = trajectories[names[0]]
    hdr = ["month", "week"]
    cols = []
    for n in names:
        t = trajectories[n]
        b = t["series"]["backlog.awaiting_examination"]
        hdr += [f"{n}: backlog (devices)", f"{n}: backlog CI low", f"{n}: backlog CI high", f"{n}: months of work"]
        cols += [b["mean"], b["ci95_low"], b["ci95_high"], t["series"]["months_of_work"]["mean"]]
        w = t["wait_to_start_days"]
        hdr += [f"{n}: wait to start in month (days)", f"{n}: wait CI low", f"{n}: wait CI high"]
        cols += [[None] + w["mean"], [None] + w["ci95_low"], [None] + w["ci95_high"]]
    rows = [[m, wk] + [c[i] if i < len(c) else None for c in cols]
            for i, (m, wk) in enumerate(zip(first["month"], first["week"]))]
    _sheet(wb, "Backlog and waits by month", hdr, rows, dict.fromkeys(range(2, len(hdr)), NUM),
           note="Backlog at each month boundary; wait = mean wait to start of examinations starting in that month.")


def write_compare_xlsx(out: dict, path: str | Path) -> Path:
    """Measures side by side, paired differences, costs by financial year, trajectories."""
    from openpyxl import Workbook

    wb = Workbook()
    sc = out["scenarios"]
    rows = []
    for k in out["measures"]:
        row = [out["labels"][k]]
        for s in sc:
            v = s["measures"][k]
            row += [_est(v), _lo(v), _hi(v)]
        rows.append(row)
    rows.append([])
    rows.append(["cost in horizon (£)"] + sum([[s["cost_gbp"], None, None] for s in sc], []))
    rows.append(["recurring after horizon (£/year)"]
                + sum([[s["recurring_gbp_per_year_after_horizon"], None, None] for s in sc], []))
    hdr = ["measure"] + sum([[s["id"], f"{s['id']} CI low", f"{s['id']} CI high"] for s in sc], [])
    _sheet(wb, "Measures", hdr, rows, dict.fromkeys(range(1, len(hdr)), NUM),
           note=f"{out['replications']} replications, seed {out['seed']}; "
                + ("common random numbers (paired)" if out["paired"] else out["note"]))
    drows = []
    for d in out["differences"]:
        for k in out["measures"]:
            v = d["measures"][k]
            drows.append([f"{d['id']} - {d['versus']}", out["labels"][k], _est(v), _lo(v), _hi(v)])
        drows.append([f"{d['id']} - {d['versus']}", "extra cost in horizon (£)", d["cost_gbp"], None, None])
        drows.append([f"{d['id']} - {d['versus']}", "£ per month of backlog removed",
                      d["gbp_per_month_of_backlog_removed"], None, None])
    _sheet(wb, "Differences", ["comparison", "measure", "difference", "95% CI low", "95% CI high"], drows,
           {2: NUM, 3: NUM, 4: NUM})
    fy = sorted({y["financial_year"] for s in sc for y in s["cost_profile"]["by_financial_year"]})
    crow = []
    for s in sc:
        by = {y["financial_year"]: y["total"] for y in s["cost_profile"]["by_financial_year"]}
        crow.append([s["id"], words(s["label"])] + [by.get(y, 0.0) for y in fy] + [s["cost_gbp"]])
    _sheet(wb, "Cost by financial year", ["scenario", "mix"] + fy + ["total"], crow,
           dict.fromkeys(range(2, len(fy) + 3), GBP))
    _trajectory_sheet(wb, {s["id"]: s["trajectory"] for s in sc})
    _compare_appraisals(wb, out)
    return _save(wb, path)


def _compare_appraisals(wb, out: dict) -> None:
    """For scenarios that set ``investment.appraisal``: a summary (values) and each one's live sheets."""
    sc = [s for s in out["scenarios"] if "appraisal" in s]
    if not sc:
        return
    rows = []
    for s in sc:
        pv, hpv = s["appraisal"]["present_value_gbp"], s["appraisal"]["horizon_present_value_gbp"]
        rows.append([s["id"], words(s["label"]), pv["central"], pv["low"], pv["high"], hpv["central"]])
    rows.append([])
    for d in out["differences"]:
        a = d.get("appraisal")
        if a is None:
            continue
        rows.append([f"{d['id']} - {d['versus']}", "extra present value of costs", a["extra_present_value_gbp"], None,
                     None, a["extra_horizon_present_value_gbp"]])
        for b in a["benefits"]:
            r = b["gbp_per_unit_over_horizon"]
            rows.append([f"{d['id']} - {d['versus']}", f"£ of PV inside the horizon per {b['unit']}: {b['label']}",
                         r["estimate"], r["ci95"][0], r["ci95"][1], None])
    _sheet(wb, "Appraisal summary", ["scenario", "mix or measure", "PV of costs, central (£)", "low / 95% CI low",
                                     "high / 95% CI high", "PV inside the horizon, central (£)"], rows,
           {2: GBP, 3: GBP, 4: GBP, 5: GBP},
           note="Green Book present values over each scenario's commitment (optimism bias low to high); per "
                "difference, the extra PV and the PV cost per unit of simulated benefit with its 95% CI. The "
                "numbered sheets are live: change a unit cost there and that scenario's totals move.")
    for i, s in enumerate(out["scenarios"], start=1):
        if "appraisal" in s:
            lay = cost_lines_sheet(wb, s["appraisal"], f"Cost lines {i}")
            appraisal_sheet(wb, s["appraisal"], lay, f"Appraisal {i}")
            _live_cost_row(wb["Cost by financial year"], i + 1, s["appraisal"]["financial_years"], lay)


def _live_cost_row(ws, row: int, years: list[str], lay) -> None:
    """A compare 'Cost by financial year' row as sums over that scenario's cost lines inside the horizon."""
    if lay.last < lay.first:
        return
    header = [ws.cell(row=1, column=c).value for c in range(1, ws.max_column + 1)]
    for c, fy in enumerate(header[2:-1], start=3):
        t = years.index(fy) if fy in years else None
        if t is not None and t < len(lay.horizon_cols):
            put_formula(ws, row, c, f"=SUM({lay.ref(lay.horizon_cols[t])})", GBP)
    put_formula(ws, row, len(header), f"=SUM(C{row}:{col(len(header) - 1)}{row})", GBP)
