"""A Green Book appraisal of a mix: costs over the commitment, discounted, with optimism bias.

Why: the budget counts what is paid inside the simulated horizon (two years), but a bid commits
the force for longer: a permanent post, a licence or a kiosk's running costs go on. HM Treasury's
Green Book asks for costs over the years of the commitment, in today's prices, discounted at
3.5% a year, and raised for optimism bias. This module is that arithmetic, as pure functions over
a scenario and a mix (no simulation), so every figure can be checked by hand:

- **cost lines**: each lever's cost items over the commitment (``Lever.cost_items`` with the
  commitment as its horizon, so recurring costs and permanent staff go on after the simulated
  horizon, fixed terms and contracts still end), split into a unit cost and a quantity, with the
  years paid in each financial year;
- **conventions**: year 0 is the financial year holding the start date (April to March in the UK),
  undiscounted; year t is discounted by 1/(1+r)^t; all figures are real (today's prices);
- **optimism bias**: each cost is raised by its kind's uplift (staff, equipment, outsourcing), at the
  low, central and high ends of the range (``scenario.appraisal_settings``);
- **benefits** are the simulated differences against doing nothing over the horizon (examinations
  started more, risk-weighted device-days of waiting avoided, backlog at 12 months), with their 95%
  intervals. They are not monetised unless ``value_per_device_day_gbp`` is set; the report gives the
  present value of costs per unit of benefit instead. Benefits after the horizon are not simulated
  and not counted.

The workbook (``reports.finance_xlsx``) writes the same arithmetic as Excel formulas over these
lines; the tests recompute it with a formula engine against the figures here.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from dfu_sched.scenario.appraisal_settings import COST_KINDS, Appraisal
from dfu_sched.scenario.lever_base import WEEKS_PER_YEAR
from dfu_sched.scenario.levers import financial_year, normalise_mix, option_label, week_to_date
from dfu_sched.scenario.schema import Scenario

#: Lever kind -> the kind of cost its optimism bias is set for (every registered lever must have one:
#: ``tests/invest/test_appraisal.py`` checks the registry).
COST_KIND_OF_LEVER = {"hire_examiners": "staff", "overtime": "staff", "training": "staff",
                      "triage_kit": "equipment", "automation": "equipment", "outsourcing": "outsourcing"}

LEVELS = ("low", "central", "high")

#: The simulated benefits, as (measure key, sign that makes "more is better", words, unit of one).
BENEFITS = (("overall.started", 1.0, "more examinations started", "examination"),
            ("overall.exposure", -1.0, "risk-weighted device-days of waiting avoided (exposure)", "device-day"),
            ("invest.backlog_at_12m", -1.0, "fewer devices waiting at 12 months (at the end of a shorter horizon)",
             "device"))

CONVENTION = ("Year 0 is the financial year holding the start date, not discounted; year t is discounted by "
              "1/(1+r)^t. Figures are in today's prices (real). Costs run over the commitment; benefits are the "
              "simulated ones inside the horizon only.")


@dataclass(frozen=True)
class CostLine:
    """One cost of one option over the commitment: ``unit_cost_gbp x units``, paid once or a year."""

    option: str
    option_label: str
    item: str
    cost_kind: str
    units: int
    basis: str                    # "a year" or "once"
    unit_cost_gbp: float          # per unit, per year ("a year") or once
    years_paid: tuple[float, ...]          # per financial year of the commitment: years paid (once: 1 or 0)
    horizon_years_paid: tuple[float, ...]  # the same, counting only what falls inside the horizon

    @property
    def amount_gbp(self) -> float:
        return self.unit_cost_gbp * self.units

    def by_year(self, horizon: bool = False) -> list[float]:
        return [self.amount_gbp * y for y in (self.horizon_years_paid if horizon else self.years_paid)]


def commitment_weeks(sc: Scenario, settings: Appraisal) -> float:
    """The appraised period in weeks: the commitment years, never shorter than the horizon."""
    return max(settings.years * WEEKS_PER_YEAR, float(sc.calendar.horizon_weeks))


def _fy_start(label: str, month: int) -> dt.datetime:
    return dt.datetime(int(label[:4]), month, 1)


def financial_years(sc: Scenario, weeks: float) -> list[str]:
    """The financial years from the one holding the start date to the one holding the last paid day."""
    month = _fy_month(sc)
    start = week_to_date(sc.calendar.start_date, 0)
    last = week_to_date(sc.calendar.start_date, weeks) - dt.timedelta(seconds=1)
    first, final = financial_year(start, month), financial_year(last, month)
    years, y = [], int(first[:4])
    while True:
        label = financial_year(dt.date(y, month, 1), month)
        years.append(label)
        if label == final:
            return years
        y += 1


def _fy_month(sc: Scenario) -> int:
    return sc.investment.financial_year_start_month if sc.investment else 4


def years_paid(sc: Scenario, fys: list[str], start_week: float, end_week: float | None, until: float) -> list[float]:
    """Per financial year: the years of a weekly payment over [start, min(end, until)), or 1 for a
    one-off at ``start_week`` (if it falls before ``until``); by the day, as ``levers.cost_profile``."""
    month = _fy_month(sc)
    origin = sc.calendar.start_date
    if end_week is None:
        when = week_to_date(origin, start_week)
        return [1.0 if start_week < until and financial_year(when, month) == fy else 0.0 for fy in fys]
    t0, t1 = week_to_date(origin, start_week), week_to_date(origin, min(end_week, until))
    out = []
    for fy in fys:
        a = _fy_start(fy, month)
        b = dt.datetime(a.year + 1, a.month, 1)
        days = (min(b, t1) - max(a, t0)).total_seconds() / 86400.0
        out.append(max(0.0, days) / 7.0 / WEEKS_PER_YEAR)
    return out


def cost_lines(sc: Scenario, mix: dict[str, int], settings: Appraisal) -> list[CostLine]:
    """Every cost of the mix over the commitment, in scenario order, as unit cost x units.

    An item whose amount scales with the units bought (salary per examiner, capital per kit) is
    ``unit cost x units``; one that does not (an outsourcing contract's set-up) is its amount x 1.
    """
    T = commitment_weeks(sc, settings)
    H = float(sc.calendar.horizon_weeks)
    fys = financial_years(sc, T)
    inv = sc.investment
    lines: list[CostLine] = []
    for name, units in normalise_mix(sc, mix).items():
        if units <= 0 or inv is None:
            continue
        o = inv.option(name)
        one = {i.label: i for i in o.cost_items(1, T)}
        for it in o.cost_items(units, T):
            scales = it.label in one and abs(it.amount_gbp - units * one[it.label].amount_gbp) <= 1e-9 * max(
                1.0, abs(it.amount_gbp))
            per_unit = one[it.label].amount_gbp if scales else it.amount_gbp
            recurring = it.end_week is not None
            lines.append(CostLine(
                option=name, option_label=option_label(name), item=it.label, cost_kind=COST_KIND_OF_LEVER[o.kind],
                units=units if scales else 1, basis="a year" if recurring else "once",
                unit_cost_gbp=per_unit * WEEKS_PER_YEAR if recurring else per_unit,
                years_paid=tuple(years_paid(sc, fys, it.start_week, it.end_week, T)),
                horizon_years_paid=tuple(years_paid(sc, fys, it.start_week, it.end_week, H))))
    return lines


def discount_factors(n: int, rate: float) -> list[float]:
    """Green Book factors for years 0..n-1: 1/(1+r)^t (year 0 undiscounted)."""
    return [1.0 / (1.0 + rate) ** t for t in range(n)]


def present_value(amounts: list[float], rate: float) -> float:
    """The sum of ``amounts[t] / (1+r)^t``."""
    return sum(a * f for a, f in zip(amounts, discount_factors(len(amounts), rate)))


def costs_by_kind(lines: list[CostLine], n: int, horizon: bool = False) -> dict[str, list[float]]:
    """£ per financial year for each cost kind (before optimism bias)."""
    out = {k: [0.0] * n for k in COST_KINDS}
    for line in lines:
        for t, v in enumerate(line.by_year(horizon)):
            out[line.cost_kind][t] += v
    return out


def with_optimism_bias(by_kind: dict[str, list[float]], settings: Appraisal, level: str) -> list[float]:
    """£ per year with each kind raised by its uplift at ``level`` (low, central, high)."""
    n = len(next(iter(by_kind.values())))
    return [sum(by_kind[k][t] * (1.0 + getattr(settings.optimism_bias.of(k), level)) for k in COST_KINDS)
            for t in range(n)]


def present_values(by_kind: dict[str, list[float]], settings: Appraisal) -> dict[str, float]:
    """PV of costs before optimism bias and at each level of it."""
    r = settings.discount_rate
    plain = [sum(v[t] for v in by_kind.values()) for t in range(len(next(iter(by_kind.values()))))]
    return {"before_optimism_bias": present_value(plain, r),
            **{lv: present_value(with_optimism_bias(by_kind, settings, lv), r) for lv in LEVELS}}


def horizon_share(sc: Scenario, fys: list[str]) -> list[float]:
    """Share of the simulated horizon's days in each financial year (benefits are counted evenly over it)."""
    H = float(sc.calendar.horizon_weeks)
    return [y * WEEKS_PER_YEAR / H for y in years_paid(sc, fys, 0.0, H, H)]


def _ratio(pv: float, benefit: dict) -> dict:
    """£ of PV cost per unit of benefit, with the interval the benefit's 95% CI gives (None: unbounded)."""
    est, (lo, hi) = benefit["estimate"], benefit["ci95"]
    if est is None or est <= 0:
        return {"estimate": None, "ci95": [None, None]}
    return {"estimate": pv / est, "ci95": [pv / hi if hi and hi > 0 else None, pv / lo if lo and lo > 0 else None]}


def benefit_blocks(differences: dict, pv_horizon: float, pv_commitment: float) -> list[dict]:
    """The simulated benefits (mix minus doing nothing, sign made 'more is better') and PV cost per unit."""
    out = []
    for key, sign, words, unit in BENEFITS:
        d = differences.get(key)
        if not d or d.get("estimate") is None:
            continue
        lo, hi = (d.get("ci95") or [None, None])
        ends = sorted(sign * x for x in (lo, hi)) if lo is not None and hi is not None else [None, None]
        b = {"key": key, "label": words, "unit": unit, "estimate": sign * d["estimate"], "ci95": ends}
        b["gbp_per_unit_over_horizon"] = _ratio(pv_horizon, b)
        b["gbp_per_unit_over_commitment"] = _ratio(pv_commitment, b)
        out.append(b)
    return out


def npv_block(settings: Appraisal, share: list[float], exposure: dict | None,
              pv_costs: dict[str, float]) -> dict | None:
    """NPV when a device-day has a £ value: PV of (value x exposure avoided, spread evenly over the
    horizon) minus PV of costs at each optimism-bias level; the central one with the benefit's 95% CI."""
    v = settings.value_per_device_day_gbp
    if v is None or exposure is None:
        return None
    weight = present_value(share, settings.discount_rate)  # PV of one unit of benefit spread over the horizon
    pvb = v * exposure["estimate"] * weight
    lo, hi = exposure["ci95"]
    return {"pv_benefits_gbp": pvb,
            **{lv: pvb - pv_costs[lv] for lv in LEVELS},
            "central_ci95": [None if lo is None else v * lo * weight - pv_costs["central"],
                             None if hi is None else v * hi * weight - pv_costs["central"]]}


def appraisal_json(sc: Scenario, mix: dict[str, int], differences: dict | None = None,
                   settings: Appraisal | None = None) -> dict | None:
    """The ``appraisal`` block of the invest/compare JSON, or None when the scenario asks for none.

    ``differences``: paired differences (mix minus doing nothing) by measure key, as the invest
    JSON's ``chosen.vs_baseline``; without them the block has costs only. ``settings``: appraise
    with these instead of the scenario's own ``investment.appraisal``.
    """
    if settings is None and sc.investment is not None:
        settings = sc.investment.appraisal
    if settings is None:
        return None
    T = commitment_weeks(sc, settings)
    fys = financial_years(sc, T)
    lines = cost_lines(sc, mix, settings)
    kinds, hkinds = costs_by_kind(lines, len(fys)), costs_by_kind(lines, len(fys), horizon=True)
    pv, hpv = present_values(kinds, settings), present_values(hkinds, settings)
    factors = discount_factors(len(fys), settings.discount_rate)
    share = horizon_share(sc, fys)
    benefits = benefit_blocks(differences or {}, hpv["central"], pv["central"])
    exposure = next((b for b in benefits if b["key"] == "overall.exposure"), None)
    return {
        "settings": settings.model_dump(mode="json"),
        "convention": CONVENTION,
        "start_date": sc.calendar.start_date.isoformat(),
        "horizon_weeks": sc.calendar.horizon_weeks,
        "commitment_weeks": T,
        "financial_years": fys,
        "discount_factors": factors,
        "lines": [{**asdict(c), "years_paid": list(c.years_paid), "horizon_years_paid": list(c.horizon_years_paid),
                   "amount_gbp": c.amount_gbp, "total_gbp": sum(c.by_year()),
                   "horizon_total_gbp": sum(c.by_year(True))} for c in lines],
        "years": [{"financial_year": fy, "t": t, "discount_factor": factors[t],
                   "costs_by_kind": {k: kinds[k][t] for k in COST_KINDS},
                   "horizon_costs_by_kind": {k: hkinds[k][t] for k in COST_KINDS},
                   "with_optimism_bias": {lv: with_optimism_bias(kinds, settings, lv)[t] for lv in LEVELS},
                   "benefit_share": share[t]} for t, fy in enumerate(fys)],
        "undiscounted_total_gbp": sum(sum(v) for v in kinds.values()),
        "horizon_total_gbp": sum(sum(v) for v in hkinds.values()),
        "present_value_gbp": pv,
        "horizon_present_value_gbp": hpv,
        "benefits": benefits,
        "npv_gbp": npv_block(settings, share, exposure, pv),
    }


def _gbp(x: float | None, digits: int = 0) -> str:
    return "-" if x is None else f"{'-' if x < 0 else ''}£{abs(x):,.{digits}f}"


def appraisal_sentences(block: dict) -> list[str]:
    """The appraisal in words, for the headline: PV of costs with its optimism-bias range, cost per benefit."""
    s, pv, hpv = block["settings"], block["present_value_gbp"], block["horizon_present_value_gbp"]
    fys = block["financial_years"]
    lines = [f"Green Book appraisal over the {s['years']}-year commitment (FY {fys[0]} to {fys[-1]}, discounted at "
             f"{s['discount_rate']:.1%} a year, today's prices): present value of costs {_gbp(pv['central'])} with "
             f"central optimism bias ({_gbp(pv['low'])} to {_gbp(pv['high'])} from low to high; "
             f"{_gbp(pv['before_optimism_bias'])} before it), of which {_gbp(hpv['central'])} inside the horizon."]
    per = []
    for b in block.get("benefits", []):
        r = b["gbp_per_unit_over_horizon"]
        if r["estimate"] is None:
            continue
        digits = 2 if r["estimate"] < 10 else 0
        lo, hi = r["ci95"]
        ci = f" (95% CI {_gbp(lo, digits)} to {_gbp(hi, digits)})" if lo is not None and hi is not None else ""
        per.append(f"{_gbp(r['estimate'], digits)} per {b['unit']}{ci} for {b['label']}")
    if per:
        lines.append("Present value of the costs inside the horizon per unit of simulated benefit: " + "; ".join(per)
                     + ("." if block["npv_gbp"] is not None else
                        ". The benefits are not given a £ value (value_per_device_day_gbp gives an NPV)."))
    if block["npv_gbp"] is not None:
        npv = block["npv_gbp"]
        lines.append(f"At {_gbp(s['value_per_device_day_gbp'], 2)} per risk-weighted device-day avoided, the net "
                     f"present value is {_gbp(npv['central'])} with central optimism bias ({_gbp(npv['high'])} to "
                     f"{_gbp(npv['low'])} from high to low), counting benefits inside the horizon only.")
    return lines


def add_appraisal(out: dict, sc: Scenario, mix: dict[str, int]) -> None:
    """Into an invest JSON: the ``appraisal`` block (benefits from ``chosen.vs_baseline``) and its sentences
    after the explanation; nothing when the scenario sets no ``investment.appraisal`` (the JSON stays as before)."""
    block = appraisal_json(sc, mix, out["chosen"]["vs_baseline"])
    if block is not None:
        out["appraisal"] = block
        out["explanation"] = list(out["explanation"]) + appraisal_sentences(block)


def difference_appraisal(this: dict, first: dict | None, differences: dict) -> dict:
    """For ``compare``: the extra PV cost of a scenario over the first and the benefits it buys."""
    def pv(block: dict | None, key: str) -> float:
        return block[key]["central"] if block else 0.0
    extra, extra_h = pv(this, "present_value_gbp") - pv(first, "present_value_gbp"), \
        pv(this, "horizon_present_value_gbp") - pv(first, "horizon_present_value_gbp")
    return {"extra_present_value_gbp": extra, "extra_horizon_present_value_gbp": extra_h,
            "benefits": benefit_blocks(differences, extra_h, extra)}

