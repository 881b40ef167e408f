"""The Green Book appraisal in the invest/compare reports: a short HTML section and terminal lines.

One module for both because they say the same few things from the same ``appraisal`` block
(``invest.appraisal``): the conventions, costs by financial year with discount factors and present
values, the optimism-bias range, the present-value cost per unit of simulated benefit with its
interval, and the NPV when a device-day has a £ value. The workbook (``reports.appraisal_xlsx``)
holds the same figures as live formulas.
"""
from __future__ import annotations

from html import escape

from dfu_sched.reports.page import gbp, section, table
from dfu_sched.reports.text import fmt
from dfu_sched.reports.text import table as text_table


def _money(x: float | None, small: bool = False) -> str:
    """``£12,345``, ``-£12,345``, and pence for small amounts when ``small``."""
    if x is None:
        return "-"
    return f"{'-' if x < 0 else ''}£{abs(x):,.{2 if small and abs(x) < 10 else 0}f}"


def _range(r: dict, small: bool = True) -> str:
    lo, hi = r["ci95"]
    return f"{_money(r['estimate'], small)} [{_money(lo, small)}, {_money(hi, small)}]"


def year_rows(block: dict) -> list[list[str]]:
    """Per financial year: t, discount factor, costs before and with central optimism bias, PV (central)."""
    rows = []
    for y in block["years"]:
        plain = sum(y["costs_by_kind"].values())
        central = y["with_optimism_bias"]["central"]
        rows.append([f"FY {y['financial_year']}", str(y["t"]), f"{y['discount_factor']:.4f}", gbp(plain),
                     gbp(central), gbp(central * y["discount_factor"])])
    pv = block["present_value_gbp"]
    rows.append(["total", "", "", gbp(block["undiscounted_total_gbp"]),
                 gbp(sum(y["with_optimism_bias"]["central"] for y in block["years"])), gbp(pv["central"])])
    return rows


def benefit_rows(benefits: list[dict]) -> list[list[str]]:
    return [[b["label"], f"{fmt(b['estimate'], 0)} [{fmt(b['ci95'][0], 0)}, {fmt(b['ci95'][1], 0)}]",
             _range(b["gbp_per_unit_over_horizon"]), _range(b["gbp_per_unit_over_commitment"])] for b in benefits]


YEAR_HEAD = ["financial year", "t", "discount factor", "costs (£)", "with optimism bias, central (£)",
             "present value (£)"]
BENEFIT_HEAD = ["simulated benefit over the horizon", "mean [95% CI]", "PV cost inside the horizon per unit [95% CI]",
                "PV cost of the commitment per unit [95% CI]"]


def appraisal_section(block: dict | None) -> str:
    """The report's 'Green Book appraisal' section ('' when the output has no appraisal)."""
    if not block:
        return ""
    s, pv, hpv = block["settings"], block["present_value_gbp"], block["horizon_present_value_gbp"]
    body = (f"<p>Over the <strong>{s['years']}-year commitment</strong>, in today's prices, discounted at "
            f"{s['discount_rate']:.1%} a year (HM Treasury Green Book): present value of costs "
            f"<strong>{escape(gbp(pv['central']))}</strong> with central optimism bias, "
            f"{escape(gbp(pv['low']))} to {escape(gbp(pv['high']))} from low to high "
            f"({escape(gbp(pv['before_optimism_bias']))} before it); inside the simulated horizon "
            f"{escape(gbp(hpv['central']))}.</p>")
    body += table(YEAR_HEAD, year_rows(block))
    if block.get("benefits"):
        body += table(BENEFIT_HEAD, benefit_rows(block["benefits"]), numeric=[False, True, True, True])
    if block.get("npv_gbp"):
        n = block["npv_gbp"]
        body += (f"<p>At {escape(_money(s['value_per_device_day_gbp'], True))} per risk-weighted device-day avoided, "
                 f"the net present value is <strong>{escape(_money(n['central']))}</strong> (optimism bias high to "
                 f"low: {escape(_money(n['high']))} to {escape(_money(n['low']))}).</p>")
    body += (f'<p class="note">{escape(block["convention"])} Benefits are not given a £ value unless the scenario '
             "sets <code>value_per_device_day_gbp</code>. The finance workbook (<code>--xlsx</code>) holds these "
             "figures as live formulas: change a unit cost and the totals, PV and NPV move. Method and sources: "
             "<code>docs/appraisal.md</code>.</p>")
    return section("Green Book appraisal", body, anchor="appraisal")


def appraisal_text(block: dict | None) -> list[str]:
    """Terminal lines for the appraisal ([] when the output has none)."""
    if not block:
        return []
    s = block["settings"]
    lines = ["", f"Green Book appraisal: {s['years']} years, {s['discount_rate']:.1%} a year, today's prices "
                 "(year 0 = first financial year, not discounted)"]
    lines.append(text_table(YEAR_HEAD, year_rows(block)))
    pv = block["present_value_gbp"]
    lines.append(f"Present value of costs: {gbp(pv['central'])} (optimism bias central; low {gbp(pv['low'])}, "
                 f"high {gbp(pv['high'])}, none {gbp(pv['before_optimism_bias'])})")
    if block.get("benefits"):
        lines.append(text_table(BENEFIT_HEAD, benefit_rows(block["benefits"])))
    if block.get("npv_gbp"):
        lines.append(f"NPV at {_money(s['value_per_device_day_gbp'], True)} per device-day: "
                     f"{_money(block['npv_gbp']['central'])}")
    return lines


def compare_appraisal_section(out: dict) -> str:
    """For ``compare``: each appraised scenario's PV of costs by year, and what each difference buys per £."""
    parts = []
    for s in out.get("scenarios", []):
        block = s.get("appraisal")
        if block:
            pv = block["present_value_gbp"]
            parts.append(f"<h3>{escape(s.get('title') or s['id'])}</h3><p>Present value of costs "
                         f"<strong>{escape(gbp(pv['central']))}</strong> (optimism bias {escape(gbp(pv['low']))} to "
                         f"{escape(gbp(pv['high']))}).</p>" + table(YEAR_HEAD, year_rows(block)))
    for d in out.get("differences", []):
        a = d.get("appraisal")
        if a and a.get("benefits"):
            parts.append(f"<h3>{escape(d['id'])} minus {escape(d['versus'])}: extra present value "
                         f"{escape(_money(a['extra_present_value_gbp']))}</h3>"
                         + table(BENEFIT_HEAD, benefit_rows(a["benefits"]), numeric=[False, True, True, True]))
    if not parts:
        return ""
    conv = next(s["appraisal"]["convention"] for s in out["scenarios"] if s.get("appraisal"))
    return section("Green Book appraisal", "".join(parts) + f'<p class="note">{escape(conv)} Method and sources: '
                   "<code>docs/appraisal.md</code>.</p>", anchor="appraisal")


def compare_appraisal_text(out: dict) -> list[str]:
    """Terminal lines for ``compare``: each appraised scenario's PV of costs, each difference's PV per unit."""
    lines = []
    for s in out.get("scenarios", []):
        if s.get("appraisal"):
            pv = s["appraisal"]["present_value_gbp"]
            lines.append(f"Green Book appraisal, {s.get('title') or s['id']}: present value of costs "
                         f"{gbp(pv['central'])} over {s['appraisal']['settings']['years']} years (optimism bias "
                         f"{gbp(pv['low'])} to {gbp(pv['high'])})")
    for d in out.get("differences", []):
        a = d.get("appraisal")
        if a and a.get("benefits"):
            lines.append(f"{d['id']} minus {d['versus']}: extra present value {_money(a['extra_present_value_gbp'])}")
            lines.append(text_table(BENEFIT_HEAD, benefit_rows(a["benefits"])))
    return [""] + lines if lines else []
