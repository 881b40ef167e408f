"""The live part of the finance workbook: cost lines, the Green Book appraisal, as Excel formulas.

Why formulas: a finance officer checks a bid by changing a price or a quantity and watching the
totals move. So the unit costs, quantities, discount rate, optimism-bias uplifts and the £ value of
a device-day are **input cells** (pale yellow, with a note), and every line total, profile by
financial year, discount factor, present value and NPV is a formula over them. What the
simulation found (benefits, with their 95% intervals) stays values: no spreadsheet can rerun it.

Data comes from the ``appraisal`` block of the invest/compare JSON (``invest.appraisal``): the
same lines and conventions, so a recalculated workbook shows the same figures as the JSON (the
tests recompute the formulas with a formula engine). Formulas go through ``cells.put_formula``,
which refuses anything but arithmetic on references: no input text ever enters a formula.
"""
from __future__ import annotations

from dataclasses import dataclass

from dfu_sched.reports.cells import mark_input, put, put_formula, write_sheet

GBP = '"£"#,##0'
NUM = "#,##0.0"
FACTOR = "0.0000"
PCT = "0.0%"

COST_KINDS = ("staff", "equipment", "outsourcing")
LEVELS = ("low", "central", "high")


def col(j: int) -> str:
    """Column letter of a 1-based column index."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(j)


@dataclass(frozen=True)
class LinesLayout:
    """Where things are on the cost-lines sheet (what the other sheets' formulas refer to)."""

    sheet: str
    first: int                 # first line row
    last: int                  # last line row (first - 1 when there are no lines)
    fy_cols: list[int]         # £ per financial year over the commitment
    horizon_cols: list[int]    # £ per financial year inside the horizon

    def ref(self, column: int) -> str:
        return f"'{self.sheet}'!${col(column)}${self.first}:${col(column)}${max(self.first, self.last)}"


def cost_lines_sheet(wb, block: dict, title: str = "Cost lines") -> LinesLayout:
    """One row per cost: inputs (unit cost, units), amount = unit cost x units, years paid by financial
    year (values), £ by year and totals (formulas), over the commitment and inside the horizon.

    Long because it lays out one table whose columns refer to each other; splitting it would scatter
    the column arithmetic over several functions.
    """
    fys, lines = block["financial_years"], block["lines"]
    hn = sum(1 for y in block["years"] if y["benefit_share"] > 0) or 1  # the financial years the horizon touches
    n = len(fys)
    hdr = ["option", "item", "cost kind", "paid", "unit cost (£)", "units", "amount (£, a year or once)"]
    hdr += [f"years paid {fy}" for fy in fys] + [f"£ {fy}" for fy in fys] + ["total over commitment (£)"]
    hdr += [f"in horizon: years paid {fy}" for fy in fys[:hn]] + [f"in horizon: £ {fy}" for fy in fys[:hn]]
    hdr += ["total inside horizon (£)"]
    rows = []
    for li in lines:
        rows.append([li["option_label"], li["item"], li["cost_kind"], li["basis"], li["unit_cost_gbp"], li["units"],
                     li["amount_gbp"]] + li["years_paid"] + [li["amount_gbp"] * y for y in li["years_paid"]]
                    + [li["total_gbp"]] + li["horizon_years_paid"][:hn]
                    + [li["amount_gbp"] * y for y in li["horizon_years_paid"][:hn]] + [li["horizon_total_gbp"]])
    rows.append(["total"] + [None] * (len(hdr) - 1))
    c_years, c_gbp = 8, 8 + n
    c_total = c_gbp + n
    c_hyears = c_total + 1
    c_hgbp = c_hyears + hn
    c_htotal = c_hgbp + hn
    fmts = {4: GBP, 6: GBP, **{j - 1: FACTOR for j in range(c_years, c_gbp)},
            **{j - 1: GBP for j in range(c_gbp, c_total + 1)},
            **{j - 1: FACTOR for j in range(c_hyears, c_hgbp)}, **{j - 1: GBP for j in range(c_hgbp, c_htotal + 1)}}
    ws = write_sheet(wb, title, hdr, rows, fmts, freeze_column=3,
                     note="Yellow cells are inputs: change a unit cost or a quantity and every total, profile, present "
                          "value and NPV recalculates. 'Years paid' is the share of a year each cost is paid in that "
                          "financial year (1 for a one-off in its year), from the scenario's start weeks and terms.")
    first = 4
    last = first + len(lines) - 1
    for i in range(len(lines)):
        r = first + i
        for c in (5, 6):
            mark_input(ws.cell(row=r, column=c))
        put_formula(ws, r, 7, f"=E{r}*F{r}", GBP)
        for t in range(n):
            put_formula(ws, r, c_gbp + t, f"=$G{r}*{col(c_years + t)}{r}", GBP)
        put_formula(ws, r, c_total, f"=SUM({col(c_gbp)}{r}:{col(c_total - 1)}{r})", GBP)
        for t in range(hn):
            put_formula(ws, r, c_hgbp + t, f"=$G{r}*{col(c_hyears + t)}{r}", GBP)
        put_formula(ws, r, c_htotal, f"=SUM({col(c_hgbp)}{r}:{col(c_htotal - 1)}{r})", GBP)
    tr = last + 1
    for c in list(range(c_gbp, c_total + 1)) + list(range(c_hgbp, c_htotal + 1)):
        if lines:
            put_formula(ws, tr, c, f"=SUM({col(c)}{first}:{col(c)}{last})", GBP)
    return LinesLayout(title, first, last, list(range(c_gbp, c_gbp + n)), list(range(c_hgbp, c_hgbp + hn)))


def cost_by_year_formulas(ws, lay: LinesLayout, options: list[str], years: list[str], first_row: int = 4) -> None:
    """Fill a 'Cost by financial year' sheet (year rows, option columns, total) with SUMIFs over the lines.

    The sheet's header row (``first_row - 1``) holds the option labels the SUMIF criteria refer to.
    """
    if lay.last < lay.first:
        return
    hdr = first_row - 1
    n = len(years)
    for i in range(min(n, len(lay.horizon_cols))):
        r = first_row + i
        src = lay.ref(lay.horizon_cols[i])
        for j in range(len(options)):
            c = 2 + j
            put_formula(ws, r, c, f"=SUMIF({lay.ref(1)},{col(c)}${hdr},{src})", GBP)
        put_formula(ws, r, 2 + len(options), f"=SUM(B{r}:{col(1 + len(options))}{r})", GBP)
    tr = first_row + n
    for j in range(len(options) + 1):
        c = 2 + j
        put_formula(ws, tr, c, f"=SUM({col(c)}{first_row}:{col(c)}{tr - 1})", GBP)


def appraisal_sheet(wb, block: dict, lay: LinesLayout, title: str = "Appraisal") -> dict[str, str]:
    """Settings (inputs), costs by kind and year, optimism bias, discounting, PV, benefits and NPV.

    Returns the cells of the headline figures (for tests and other sheets): name -> 'Sheet'!$B$n.
    Long because it is one sheet laid out top to bottom; each block's rows refer to the ones above.
    """
    s = block["settings"]
    fys = block["financial_years"]
    n = len(fys)
    ws = wb.create_sheet(title=title[:31])
    put(ws, 1, 1, "Green Book appraisal over the commitment. Yellow cells are inputs; every other number is a "
                  "formula, except the simulated benefits (values, with their 95% intervals). "
                  + block["convention"])
    heads = []

    def head(r: int, values: list) -> None:
        for j, v in enumerate(values, start=1):
            put(ws, r, j, v)
        heads.append(r)

    head(3, ["setting", "value", "where it comes from"])
    put(ws, 4, 1, "discount rate (real, a year)")
    mark_input(put(ws, 4, 2, s["discount_rate"], PCT))
    put(ws, 4, 3, "HM Treasury Green Book: 3.5% a year for years 0-30")
    put(ws, 5, 1, "£ value of one risk-weighted device-day of waiting avoided")
    mark_input(put(ws, 5, 2, s["value_per_device_day_gbp"] or 0.0, GBP),
               "Input: 0 = benefits not monetised (the NPV is then minus the PV of costs).")
    put(ws, 5, 3, "no published figure: 0 = not monetised")
    head(7, ["optimism bias (uplift on costs)", "low", "central", "high"])
    ob_row = {}
    for i, k in enumerate(COST_KINDS):
        r = 8 + i
        ob_row[k] = r
        put(ws, r, 1, k)
        for j, lv in enumerate(LEVELS):
            mark_input(put(ws, r, 2 + j, s["optimism_bias"][k][lv], PCT))
    y0 = 12
    head(y0, ["by financial year"] + fys + ["total"])
    put(ws, y0 + 1, 1, "year (t)")
    put(ws, y0 + 2, 1, "discount factor 1/(1+r)^t")
    for t in range(n):
        c = col(2 + t)
        put(ws, y0 + 1, 2 + t, t)
        put_formula(ws, y0 + 2, 2 + t, f"=1/(1+$B$4)^{c}{y0 + 1}", FACTOR)
    rows: dict[str, int] = {}
    r = y0 + 3

    def year_row(name: str, label: str, formula) -> None:
        nonlocal r
        rows[name] = r
        put(ws, r, 1, label)
        for t in range(n):
            put_formula(ws, r, 2 + t, formula(col(2 + t), t), GBP)
        put_formula(ws, r, 2 + n, f"=SUM(B{r}:{col(1 + n)}{r})", GBP)
        r += 1

    def kind_rows(prefix: str, cols: list[int], label: str) -> None:
        for k in COST_KINDS:
            year_row(f"{prefix}{k}", f"{label}{k} (£)",
                     lambda c, t, k=k: f"=SUMIF({lay.ref(3)},$A${ob_row[k]},{lay.ref(cols[t])})"
                     if t < len(cols) and lay.last >= lay.first else "=0")
        year_row(f"{prefix}total", f"{label}total before optimism bias (£)",
                 lambda c, t: f"=SUM({c}{rows[prefix + 'staff']}:{c}{rows[prefix + 'outsourcing']})")
        for j, lv in enumerate(LEVELS):
            oc = col(2 + j)
            year_row(f"{prefix}{lv}", f"{label}with optimism bias, {lv} (£)",
                     lambda c, t, oc=oc: "=" + "+".join(f"{c}{rows[prefix + k]}*(1+${oc}${ob_row[k]})"
                                                        for k in COST_KINDS))
        for lv in ("total",) + LEVELS:
            name = "before optimism bias" if lv == "total" else f"optimism bias {lv}"
            year_row(f"{prefix}pv_{lv}", f"{label}present value, {name} (£)",
                     lambda c, t, lv=lv: f"={c}{rows[prefix + lv]}*{c}${y0 + 2}")

    kind_rows("", lay.fy_cols, "")
    r += 1
    kind_rows("h_", lay.horizon_cols, "inside the horizon: ")
    total = col(2 + n)
    cells = {"h_pv_central": f"${total}${rows['h_pv_central']}",
             **{f"pv_{lv}": f"${total}${rows['pv_' + lv]}" for lv in ("total",) + LEVELS}}
    r += 1
    r = _benefits(ws, block, r, cells, head)
    _npv(ws, block, r + 1, y0, cells, head)
    _style(ws, heads, n)
    return {k: f"'{title[:31]}'!{v}" for k, v in cells.items()}


def _benefits(ws, block: dict, r: int, cells: dict[str, str], head) -> int:
    """Simulated benefits (values, 95% CI) and PV cost per unit of each (formulas over the PV cells)."""
    head(r, ["simulated benefit over the horizon (mix minus doing nothing)", "estimate", "95% CI low", "95% CI high",
             "PV cost inside horizon per unit (£)", "per unit, 95% CI low", "per unit, 95% CI high",
             "PV cost of the commitment per unit (£)"])
    r += 1
    for b in block.get("benefits", []):
        put(ws, r, 1, f"{b['label']} (per {b['unit']})")
        lo, hi = b["ci95"]
        for j, v in enumerate((b["estimate"], lo, hi)):
            put(ws, r, 2 + j, v, NUM)
        cells[f"benefit:{b['key']}"] = f"$B${r}"
        if b["estimate"] is not None and b["estimate"] > 0:
            put_formula(ws, r, 5, f"={cells['h_pv_central']}/B{r}", GBP)
            if hi is not None and hi > 0:
                put_formula(ws, r, 6, f"={cells['h_pv_central']}/D{r}", GBP)
            if lo is not None and lo > 0:
                put_formula(ws, r, 7, f"={cells['h_pv_central']}/C{r}", GBP)
            put_formula(ws, r, 8, f"={cells['pv_central']}/B{r}", GBP)
            cells[f"per_unit:{b['key']}"] = f"$E${r}"
        else:
            put(ws, r, 5, "no benefit: no cost per unit")
        r += 1
    if not block.get("benefits"):
        put(ws, r, 1, "no simulated benefits in this output (costs only)")
        r += 1
    return r


def _npv(ws, block: dict, r: int, y0: int, cells: dict[str, str], head) -> None:
    """Benefit timing (values), PV of monetised benefits and NPV at each optimism-bias level (formulas)."""
    n = len(block["financial_years"])
    exposure = cells.get("benefit:overall.exposure")
    put(ws, r, 1, "share of the horizon's benefit in each year (even over the horizon)")
    for t, y in enumerate(block["years"]):
        put(ws, r, 2 + t, y["benefit_share"], FACTOR)
    share_row = r
    r += 2
    head(r, ["net present value", "£", "", ""])
    r += 1
    put(ws, r, 1, "PV of benefits: £ per device-day x device-days avoided, discounted (0 when not monetised)")
    if exposure:
        put_formula(ws, r, 2, f"=$B$5*{exposure}*SUMPRODUCT(B{share_row}:{col(1 + n)}{share_row},"
                              f"B{y0 + 2}:{col(1 + n)}{y0 + 2})", GBP)
    else:
        put(ws, r, 2, 0.0, GBP)
    cells["pv_benefits"] = f"$B${r}"
    pvb = r
    for lv in LEVELS:
        r += 1
        put(ws, r, 1, f"NPV = PV of benefits - PV of costs, optimism bias {lv}")
        put_formula(ws, r, 2, f"=B{pvb}-{cells['pv_' + lv]}", GBP)
        cells[f"npv_{lv}"] = f"$B${r}"
    r += 1
    put(ws, r, 1, "Benefits after the simulated horizon are not counted: for a lasting change the NPV is an "
                  "understatement.")


def _style(ws, heads: list[int], n: int) -> None:
    from openpyxl.styles import Font, PatternFill

    from dfu_sched.reports.cells import HEADER_FILL

    ws["A1"].font = Font(italic=True)
    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for r in heads:
        for c in range(1, max(n + 3, 9)):
            cell = ws.cell(row=r, column=c)
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = fill
    ws.column_dimensions["A"].width = 62
    for c in range(2, n + 4):
        ws.column_dimensions[col(c)].width = 14
    ws.freeze_panes = "B4"
