"""The Green Book appraisal (``invest.appraisal``): discounting by hand, optimism bias, costs after the horizon."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from dfu_sched.invest.appraisal import (
    COST_KIND_OF_LEVER,
    appraisal_json,
    cost_lines,
    difference_appraisal,
    discount_factors,
    present_value,
    present_values,
)
from dfu_sched.invest.results import result_json
from dfu_sched.scenario.appraisal_settings import COST_KINDS, Appraisal, OptimismBias
from dfu_sched.scenario.lever_base import LEVERS
from dfu_sched.scenario.levers import cost_profile
from tests.helpers import small

KIT = {"triage_kiosk": 1}


def with_appraisal(sc, **settings):
    inv = sc.investment.model_dump(mode="json", by_alias=True)
    return sc.with_updates({"investment": {**inv, "appraisal": settings}})


def test_discount_factors_and_present_value_by_hand():
    f = discount_factors(4, 0.035)
    assert f[0] == 1.0  # year 0 is not discounted
    for got, want in zip(f, [1.0, 0.966183575, 0.933510700, 0.901942706]):
        assert abs(got - want) <= 1e-9
    assert abs(present_value([100.0, 100.0, 100.0], 0.035) - 289.9694275) <= 1e-6
    assert present_value([100.0, 100.0], 0.0) == 200.0


def test_present_values_with_optimism_bias_by_hand():
    s = Appraisal(optimism_bias={"staff": {"low": 0, "central": 0.05, "high": 0.10},
                                 "equipment": {"low": 0.10, "central": 0.25, "high": 2.0}})
    by_kind = {"staff": [1000.0, 1000.0, 1000.0], "equipment": [5000.0, 0.0, 0.0], "outsourcing": [0.0, 0.0, 0.0]}
    pv = present_values(by_kind, s)
    # central: year 0 1,050 + 6,250; years 1-2 1,050 / 1.035 and 1,050 / 1.035^2
    assert abs(pv["central"] - (7300.0 + 1014.492754 + 980.186236)) <= 1e-5
    assert abs(pv["before_optimism_bias"] - (6000.0 + 966.183575 + 933.510700)) <= 1e-5
    assert abs(pv["high"] - (1100.0 + 15000.0 + 1062.801932 + 1026.861770)) <= 1e-5
    assert pv["before_optimism_bias"] <= pv["low"] <= pv["central"] <= pv["high"]


def test_every_lever_kind_has_a_cost_kind():
    assert set(COST_KIND_OF_LEVER) == set(LEVERS)
    assert set(COST_KIND_OF_LEVER.values()) <= set(COST_KINDS)


def test_optimism_bias_must_be_ordered_and_years_cover_the_horizon():
    with pytest.raises(ValidationError, match="low <= central <= high"):
        OptimismBias(low=0.2, central=0.1, high=0.3)
    with pytest.raises(ValueError, match="appraisal.years: 1 years is shorter than the 60-week horizon"):
        with_appraisal(small(horizon_weeks=60), years=1)
    with pytest.raises(ValidationError):
        Appraisal(discount_rate=-0.01)


def test_costs_go_on_after_the_horizon_for_the_commitment():
    sc = with_appraisal(small(horizon_weeks=20), years=5)
    lines = {li.item: li for li in cost_lines(sc, KIT, sc.investment.appraisal)}
    running, capital = lines["running"], lines["capital"]
    assert abs(sum(running.years_paid) - 5.0) <= 1e-9            # 5 years of running costs, not the 20 weeks
    assert abs(sum(running.horizon_years_paid) - 20 / 52) <= 1e-9
    assert capital.basis == "once" and capital.years_paid[0] == 1.0 and sum(capital.years_paid) == 1.0
    assert (running.unit_cost_gbp, running.units, capital.unit_cost_gbp) == (15000.0, 1, 109000.0)
    block = appraisal_json(sc, KIT)
    assert abs(block["undiscounted_total_gbp"] - (109000 + 5 * 15000)) <= 1e-6
    # inside the horizon the lines add up to the budget's cost profile
    assert abs(block["horizon_total_gbp"] - cost_profile(sc, KIT)["total_gbp"]) <= 1e-6
    assert block["present_value_gbp"]["before_optimism_bias"] < block["undiscounted_total_gbp"]


def test_fixed_terms_and_contracts_still_end():
    hire = {"name": "contractor", "kind": "hire_examiners", "annual_cost_gbp": 52000, "lag_weeks": 0,
            "skills": ["mobile"], "max_count": 2, "fixed_term_weeks": 52}
    sc = with_appraisal(small(horizon_weeks=20, extra_options=[hire]), years=5)
    lines = {(li.option, li.item): li for li in cost_lines(sc, {"contractor": 2, "overtime": 1},
                                                          sc.investment.appraisal)}
    salary = lines[("contractor", "salary")]
    assert abs(sum(salary.years_paid) - 1.0) <= 1e-9 and salary.units == 2 and salary.unit_cost_gbp == 52000.0
    overtime = lines[("overtime", "overtime pay")]
    weeks = sc.investment.option("overtime").weeks
    assert abs(sum(overtime.years_paid) - weeks / 52) <= 1e-9


def test_benefits_cost_per_unit_and_npv_by_hand():
    sc = with_appraisal(small(horizon_weeks=52), years=3, value_per_device_day_gbp=2.0)
    diffs = {"overall.exposure": {"estimate": -2000.0, "ci95": [-2500.0, -1500.0]},
             "overall.started": {"estimate": 10.0, "ci95": [-5.0, 25.0]}}
    block = appraisal_json(sc, KIT, diffs)
    b = {x["key"]: x for x in block["benefits"]}
    hpv, pv = block["horizon_present_value_gbp"]["central"], block["present_value_gbp"]["central"]
    e = b["overall.exposure"]
    assert (e["estimate"], e["ci95"]) == (2000.0, [1500.0, 2500.0])
    assert e["gbp_per_unit_over_horizon"] == {"estimate": hpv / 2000, "ci95": [hpv / 2500, hpv / 1500]}
    assert e["gbp_per_unit_over_commitment"]["estimate"] == pv / 2000
    # a benefit whose interval reaches zero has no upper bound on its cost per unit
    assert b["overall.started"]["gbp_per_unit_over_horizon"]["ci95"] == [hpv / 25, None]
    weight = sum(y["benefit_share"] * y["discount_factor"] for y in block["years"])
    assert abs(sum(y["benefit_share"] for y in block["years"]) - 1.0) <= 1e-9
    npv = block["npv_gbp"]
    assert abs(npv["central"] - (2.0 * 2000 * weight - pv)) <= 1e-6
    assert npv["high"] <= npv["central"] <= npv["low"]
    assert npv["central_ci95"][0] <= npv["central"] <= npv["central_ci95"][1]


def test_difference_appraisal_subtracts_the_first_scenarios_costs():
    sc = with_appraisal(small(horizon_weeks=20))
    this, first = appraisal_json(sc, {**KIT, "training": 2}), appraisal_json(sc, {"training": 2})
    d = difference_appraisal(this, first, {"overall.exposure": {"estimate": -100.0, "ci95": [-120.0, -80.0]}})
    kit = appraisal_json(sc, KIT)["present_value_gbp"]["central"]
    assert abs(d["extra_present_value_gbp"] - kit) <= 1e-6
    assert d["benefits"][0]["gbp_per_unit_over_commitment"]["estimate"] == d["extra_present_value_gbp"] / 100


def test_no_appraisal_section_no_block(scenario, result):
    assert appraisal_json(scenario, KIT) is None
    assert "appraisal" not in result[1]  # the invest JSON is as before (the golden files hold it)


def test_invest_json_carries_the_appraisal(scenario, result):
    sc = with_appraisal(scenario, value_per_device_day_gbp=1.0)
    out = result_json(result[0], sc)
    a = out["appraisal"]
    assert abs(a["horizon_total_gbp"] - out["chosen"]["cost_gbp"]) <= 0.01
    assert a["settings"]["discount_rate"] == 0.035 and a["settings"]["years"] == 5
    assert any(line.startswith("Green Book appraisal over the 5-year commitment") for line in out["explanation"])
    assert {b["key"] for b in a["benefits"]} == {"overall.started", "overall.exposure", "invest.backlog_at_12m"}
    assert a["npv_gbp"] is not None


def test_the_finance_workbook_is_live_and_names_options_in_words(scenario, result, tmp_path):
    from openpyxl import load_workbook

    from dfu_sched.reports.finance_xlsx import write_invest_xlsx

    sc = with_appraisal(scenario)
    path = write_invest_xlsx(result_json(result[0], sc), tmp_path / "invest.xlsx", sc)
    wb = load_workbook(path)
    assert {"Cost lines", "Appraisal", "Cost by financial year"} <= set(wb.sheetnames)
    texts = [str(c.value) for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    ids = [o.name for o in sc.investment.options if "_" in o.name]
    assert ids and not [t for t in texts if not t.startswith("=") and any(i in t for i in ids)]
    assert any("triage kiosk" in t for t in texts)
    formulas = [t for t in texts if t.startswith("=")]
    assert any(t.startswith("=SUMIF(") for t in formulas) and any("^" in t for t in formulas)
    plain = write_invest_xlsx(result[1], tmp_path / "plain.xlsx", scenario)  # no appraisal: no live sheets
    assert "Appraisal" not in load_workbook(plain).sheetnames


def test_compare_carries_each_scenarios_appraisal_and_the_extra_pv(tmp_path):
    from openpyxl import load_workbook

    from dfu_sched.invest.compare import compare_scenarios
    from dfu_sched.reports.finance_xlsx import write_compare_xlsx
    from dfu_sched.sim.experiment import SerialExecutor

    a = with_appraisal(small(horizon_weeks=8, backlog_divisor=50))
    b = a.with_updates({"investment": {**a.investment.model_dump(mode="json", by_alias=True), "mix": KIT}})
    out = compare_scenarios([("a.yaml", a), ("b.yaml", b)], 2, seed=1, workers=1, executor=SerialExecutor())
    pv_b = appraisal_json(b, KIT)["present_value_gbp"]["central"]
    assert out["scenarios"][1]["appraisal"]["present_value_gbp"]["central"] == pv_b
    d = out["differences"][0]["appraisal"]
    assert abs(d["extra_present_value_gbp"] - pv_b) <= 1e-6  # the first scenario buys nothing
    assert {x["key"] for x in d["benefits"]} <= {"overall.started", "overall.exposure", "invest.backlog_at_12m"}
    wb = load_workbook(write_compare_xlsx(out, tmp_path / "compare.xlsx"))
    assert {"Appraisal summary", "Cost lines 2", "Appraisal 2"} <= set(wb.sheetnames)
    assert str(wb["Cost lines 2"]["G4"].value).startswith("=")
    fy = wb["Cost by financial year"]  # the second scenario's row: sums over its cost lines
    assert str(fy.cell(3, 3).value).startswith("=SUM('Cost lines 2'!") and fy.cell(2, 3).value == 0


def test_report_and_terminal_show_the_appraisal_in_words(scenario, result):
    from dfu_sched.reports.invest_html import render_invest
    from dfu_sched.reports.invest_text import invest_text

    out = result_json(result[0], with_appraisal(scenario))
    pv = f"£{out['appraisal']['present_value_gbp']['central']:,.0f}"
    html = render_invest(out, None).html
    assert 'id="appraisal"' in html and pv in html and "triage kiosk" in html
    assert "triage_kiosk" not in html.split('id="assumptions"')[0]  # words, not ids (the file's own text below)
    text = invest_text(out)
    assert "Green Book appraisal: 5 years, 3.5% a year" in text and pv in text
    assert 'id="appraisal"' not in render_invest(result[1], None).html  # no settings, no section


@pytest.mark.parametrize("appraisal, words", [
    ({"discount_rate": 0.5}, "investment.appraisal.discount_rate"),
    ({"optimism_bias": {"staff": {"low": 0.3, "central": 0.1, "high": 0.5}}}, "low <= central <= high"),
    ({"years": 1}, "investment.appraisal.years"),
    ({"optimism_bias": {"buildings": {"low": 0, "central": 0, "high": 0}}}, "buildings"),
])
def test_bad_appraisal_settings_are_one_line_and_exit_2(tmp_path, appraisal, words):
    import yaml
    from click.testing import CliRunner

    from dfu_sched.cli import main
    from tests.helpers import raw

    data = raw(small(horizon_weeks=60))
    data["investment"]["appraisal"] = appraisal
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    r = CliRunner().invoke(main, ["invest", str(path), "--budget", "100k", "-n", "4", "-q"])
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and words in r.stderr, r.stderr
