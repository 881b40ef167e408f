"""Investment levers: what money buys, how a mix of them changes a DFU, and what it costs when.

A scenario's optional ``investment:`` section lists *options* (hire examiners, overtime,
outsourcing, triage kit, automation, training), each bought in whole *units* up to a maximum.
A *mix* gives the units bought of each option. Two pure functions turn a mix into something
runnable and something a finance committee reads:

- ``apply_mix(scenario, mix)`` returns a validated Scenario using the core's own features
  (extra examiner groups with start week, ramp-up and leave week for hires; Saturday overtime
  groups mirroring today's examiners; the triage stage for kit; scaled examination hours for
  automation; productivity for training). Outsourcing has no core feature, so it is returned
  separately by ``outsourcing_contracts`` and applied to the workload by ``dfu_sched.invest.search``.
- ``cost_items`` / ``cost_profile`` say what the mix costs, by month and UK financial year
  (April to March), counting money paid inside the simulated horizon against the budget.

Everything here is deterministic and free of simulation, so it is unit-tested directly.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dfu_sched.scenario.distributions import Distribution

if TYPE_CHECKING:  # the scenario module imports this one
    from dfu_sched.scenario.schema import Scenario

WEEKS_PER_YEAR = 52.0
Weekday = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


#: Stated ranges: money up to £1 trillion, weeks up to 20 years, so costs and dates stay finite and exact.
MAX_GBP = 1e12
MAX_WEEKS = 1040.0
MAX_UNITS = 100_000


class _Strict(BaseModel):
    # .inf/.nan are refused for every number here (a budget of .inf would overflow the search).
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


class _Option(_Strict):
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$", description="Short id used in mixes and reports.")
    source: str = Field("estimate", description="Where the figures come from (a citation, or 'estimate').")


class HireExaminers(_Option):
    """Examiners hired: paid from the day they start, productive after a linear ramp-up."""

    kind: Literal["hire_examiners"]
    annual_cost_gbp: float = Field(ge=0, le=MAX_GBP, description="Fully loaded cost per examiner per year.")
    recruitment_gbp: float = Field(0.0, ge=0, le=MAX_GBP, description="One-off cost per hire (advertising, vetting, kit).")
    lag_weeks: float = Field(16.0, ge=0, le=MAX_WEEKS, description="Weeks from approval to first day in post.")
    ramp_up_weeks: float = Field(39.0, ge=0, le=MAX_WEEKS, description="Weeks from first day to full productivity.")
    ramp_up_start: float = Field(0.25, ge=0, le=1, description="Share of full productivity on the first day.")
    skills: list[str] = Field(min_length=1)
    max_count: int = Field(ge=0, le=MAX_UNITS, description="Most examiners of this kind the unit could hire.")
    fixed_term_weeks: float | None = Field(None, gt=0, le=MAX_WEEKS, description="Contract length from first day; null = permanent.")
    hours_per_week: float = Field(37.5, gt=0, le=80)
    absence: float = Field(0.20, ge=0, lt=1)
    productivity: float = Field(1.0, gt=0, le=10)


class Overtime(_Option):
    """Paid overtime by today's examiners, worked as a weekly extra shift (default Saturday)."""

    kind: Literal["overtime"]
    rate_gbp_per_hour: float = Field(ge=0, le=1e6)
    cap_hours_per_person_per_week: float = Field(gt=0, le=24)
    step_hours_per_week: float = Field(20.0, gt=0, le=1e6, description="Hours per week one unit buys (across the unit).")
    max_hours_per_week: float | None = Field(None, gt=0, le=1e7, description="Default: cap x headcount of ``groups``.")
    groups: list[str] | None = Field(None, description="Examiner groups who may work it (default: all at week 0).")
    start_week: float = Field(0.0, ge=0, le=MAX_WEEKS)
    weeks: float = Field(52.0, gt=0, le=MAX_WEEKS, description="How long the overtime is offered.")
    day: Weekday = "Sat"


class Outsourcing(_Option):
    """A contract with a commercial provider: up to N devices a week leave the in-house queue.

    The budget counts the contract's committed ceiling (every slot used, at the dearest
    eligible price); the simulation reports the spend actually used.
    """

    kind: Literal["outsourcing"]
    price_gbp_by_type: dict[str, float] = Field(min_length=1, description="Price per device; its keys are the types that may go out.")
    step_devices_per_week: int = Field(5, ge=1, le=MAX_UNITS)
    max_devices_per_week: int = Field(ge=0, le=MAX_UNITS)
    tiers: list[str] | None = Field(None, description="Risk tiers that may go out (default: all).")
    order: Literal["risk_first", "oldest_first"] = Field("risk_first", description="Which waiting devices go first.")
    start_week: float = Field(4.0, ge=0, le=MAX_WEEKS, description="Procurement lag before the first dispatch.")
    contract_weeks: float = Field(52.0, gt=0, le=MAX_WEEKS)
    setup_gbp: float = Field(0.0, ge=0, le=MAX_GBP)
    start_delay_days: float = Field(3.0, ge=0, le=3650, description="From dispatch until the provider starts the examination.")
    turnaround_days: Distribution = Field(description="From dispatch until results are back.")

    @model_validator(mode="after")
    def _prices(self):
        if any(not 0 <= p <= MAX_GBP for p in self.price_gbp_by_type.values()):
            raise ValueError(f"price_gbp_by_type: prices must be from 0 to {MAX_GBP:,.0f}")
        return self


class TriageKit(_Option):
    """Kiosk/van triage: a preview screens some devices out of full examination."""

    kind: Literal["triage_kit"]
    capital_gbp: float = Field(ge=0, le=MAX_GBP, description="Purchase price per unit, paid at week 0.")
    running_gbp_per_year: float = Field(0.0, ge=0, le=MAX_GBP, description="Licences, maintenance, operators per unit.")
    servers_per_unit: int = Field(2, ge=1, le=1000, description="Triage stations one unit provides.")
    max_units: int = Field(1, ge=0, le=1000)
    screen_out_share: float | None = Field(None, ge=0, le=1, description="Default: the scenario's stages.triage value.")
    quick_path_share: float | None = Field(None, ge=0, le=1)
    quick_path_factor: float | None = Field(None, gt=0, le=1)


class Automation(_Option):
    """Software that speeds up examinations (e.g. CSE image-categorisation workflows)."""

    kind: Literal["automation"]
    licence_gbp_per_year: float = Field(ge=0, le=MAX_GBP)
    setup_gbp: float = Field(0.0, ge=0, le=MAX_GBP)
    time_saved_share: float = Field(ge=0, lt=1, description="Share of examination time saved on cases it applies to.")
    applies_to_share: float = Field(1.0, ge=0, le=1, description="Share of examinations it applies to (e.g. image cases).")
    device_types: list[str] | None = Field(None, description="Device types affected (default: all).")


class Training(_Option):
    """Training today's examiners: a one-off cost per person for a productivity gain."""

    kind: Literal["training"]
    cost_gbp_per_person: float = Field(ge=0, le=MAX_GBP)
    productivity_gain: float = Field(ge=0, le=2, description="0.10 = each trained examiner does 10% more.")
    max_count: int = Field(ge=0, le=MAX_UNITS)
    groups: list[str] | None = Field(None, description="Groups whose examiners may be trained (default: all).")


Option = Annotated[
    Union[HireExaminers, Overtime, Outsourcing, TriageKit, Automation, Training], Field(discriminator="kind")
]


class Investment(_Strict):
    """The ``investment:`` section: a budget, the options on the table, optionally a chosen mix."""

    budget_gbp: float = Field(400_000.0, ge=0, le=MAX_GBP, description="Money available, spent inside the horizon.")
    financial_year_start_month: int = Field(4, ge=1, le=12, description="UK public sector: April.")
    options: list[Option] = Field(default_factory=list)
    mix: dict[str, Annotated[int, Field(le=MAX_UNITS)]] = Field(default_factory=dict, description="Units bought of each option (compare applies it).")

    @model_validator(mode="after")
    def _names(self):
        names = [o.name for o in self.options]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"options: duplicate name '{dup[0]}'")
        if sum(isinstance(o, TriageKit) for o in self.options) > 1:
            raise ValueError("options: more than one triage_kit option contradict each other "
                             "(there is one triage stage); use max_units for more kit")
        for name, units in self.mix.items():
            if units < 0:
                raise ValueError(f"mix.{name}: units must not be negative")
        return self

    def option(self, name: str) -> Option:
        return next(o for o in self.options if o.name == name)


# ---- checks that need the whole scenario ------------------------------------------------------

def check_investment(sc: "Scenario") -> None:
    """Cross-references and contradictions between options and the scenario (raise ValueError)."""
    inv = sc.investment
    if inv is None:
        return
    tiers, types, skills = sc.tier_names, list(sc.device_types), sc.skills
    groups = {g.name: g for g in sc.examiners}
    used_types: dict[str, str] = {}
    for o in inv.options:
        where = f"investment.options.{o.name}"
        if isinstance(o, HireExaminers):
            for s in o.skills:
                if s not in skills:
                    raise ValueError(f"{where}.skills: unknown skill '{s}' (known: {', '.join(skills)})")
            if f"{o.name}" in groups:
                raise ValueError(f"{where}: name clashes with an examiner group")
        elif isinstance(o, (Overtime, Training)):
            for g in o.groups or []:
                if g not in groups:
                    raise ValueError(f"{where}.groups: unknown examiner group '{g}' (known: {', '.join(groups)})")
            head = sum(groups[g].count for g in (o.groups or list(groups)))
            if isinstance(o, Overtime):
                if head == 0:
                    raise ValueError(f"{where}: no examiners to work overtime")
                if o.max_hours_per_week is not None and o.max_hours_per_week > o.cap_hours_per_person_per_week * head + 1e-9:
                    raise ValueError(
                        f"{where}.max_hours_per_week: {o.max_hours_per_week:g} h exceeds the cap "
                        f"({o.cap_hours_per_person_per_week:g} h x {head} examiners)")
                if o.step_hours_per_week > overtime_max_hours(o, sc) + 1e-9:
                    raise ValueError(f"{where}.step_hours_per_week: one step exceeds the most overtime people can work")
            elif o.max_count > head:
                raise ValueError(f"{where}.max_count: {o.max_count} exceeds the {head} examiners who could be trained")
        elif isinstance(o, Outsourcing):
            for t in o.price_gbp_by_type:
                if t not in types:
                    raise ValueError(f"{where}.price_gbp_by_type: unknown device type '{t}' (known: {', '.join(types)})")
            for t in o.tiers or []:
                if t not in tiers:
                    raise ValueError(f"{where}.tiers: unknown tier '{t}' (known: {', '.join(tiers)})")
            if o.tiers is not None and not o.tiers:
                raise ValueError(f"{where}.tiers: empty list means nothing may go out")
            if o.max_devices_per_week and o.step_devices_per_week > o.max_devices_per_week:
                raise ValueError(f"{where}: step_devices_per_week exceeds max_devices_per_week")
        elif isinstance(o, TriageKit):
            t = sc.stages.triage
            so = t.screen_out_share if o.screen_out_share is None else o.screen_out_share
            qp = t.quick_path_share if o.quick_path_share is None else o.quick_path_share
            if so + qp > 1 + 1e-9:
                raise ValueError(f"{where}: screen_out_share + quick_path_share exceed 1")
            for name, dtype in sc.device_types.items():
                if "triage" not in dtype.service_hours:
                    raise ValueError(f"{where}: device_types.{name}.service_hours has no 'triage' time")
        elif isinstance(o, Automation):
            for t in o.device_types or types:
                if t not in types:
                    raise ValueError(f"{where}.device_types: unknown device type '{t}' (known: {', '.join(types)})")
                if t in used_types:
                    raise ValueError(f"{where}: device type '{t}' is already sped up by '{used_types[t]}' "
                                     "(two automation options on one type contradict each other)")
                used_types[t] = o.name
    for name, units in inv.mix.items():
        if name not in [o.name for o in inv.options]:
            raise ValueError(f"investment.mix: unknown option '{name}'")
        mx = max_units(inv.option(name), sc)
        if units > mx:
            raise ValueError(f"investment.mix.{name}: {units} units exceed the option's maximum of {mx}")


# ---- units -----------------------------------------------------------------------------------

def overtime_headcount(o: Overtime, sc: "Scenario") -> int:
    return sum(g.count for g in sc.examiners if o.groups is None or g.name in o.groups)


def overtime_max_hours(o: Overtime, sc: "Scenario") -> float:
    cap = o.cap_hours_per_person_per_week * overtime_headcount(o, sc)
    return cap if o.max_hours_per_week is None else min(cap, o.max_hours_per_week)


def max_units(o: Option, sc: "Scenario") -> int:
    """How many units of an option can be bought."""
    if isinstance(o, (HireExaminers, Training)):
        return o.max_count
    if isinstance(o, Overtime):
        return int(math.floor(overtime_max_hours(o, sc) / o.step_hours_per_week + 1e-9))
    if isinstance(o, Outsourcing):
        return o.max_devices_per_week // o.step_devices_per_week
    if isinstance(o, TriageKit):
        return o.max_units
    return 1  # automation: bought or not


def unit_label(o: Option) -> str:
    return {
        "hire_examiners": "examiner", "overtime": f"{o.step_hours_per_week:g} h/week" if isinstance(o, Overtime) else "",
        "outsourcing": f"{o.step_devices_per_week} devices/week" if isinstance(o, Outsourcing) else "",
        "triage_kit": "kit", "automation": "licence", "training": "person",
    }[o.kind]


def normalise_mix(sc: "Scenario", mix: dict[str, int]) -> dict[str, int]:
    """All options in scenario order, zero where not bought (the canonical form used as a key)."""
    inv = sc.investment
    names = [o.name for o in inv.options] if inv else []
    for k in mix:
        if k not in names:
            raise ValueError(f"unknown option '{k}' (known: {', '.join(names) or 'none'})")
    return {n: int(mix.get(n, 0)) for n in names}


def mix_label(mix: dict[str, int]) -> str:
    parts = [f"{u}x {n}" if u != 1 else n for n, u in mix.items() if u]
    return " + ".join(parts) if parts else "do nothing"


# ---- applying a mix ------------------------------------------------------------------------------

def scale_distribution(dist: dict, factor: float) -> dict:
    """A distribution (as scenario data) with every sample multiplied by ``factor``."""
    out = dict(dist)
    for key in ("mean", "sd", "value", "low", "high"):
        if key in out and out[key] is not None:
            out[key] = out[key] * factor
    if "samples" in out:
        out["samples"] = [x * factor for x in out["samples"]]
    return out


def apply_mix(sc: "Scenario", mix: dict[str, int]) -> "Scenario":
    """The scenario as it would run with ``mix`` bought (outsourcing excepted: see ``outsourcing_contracts``).

    New examiner groups are appended after today's, so today's examiners keep their own
    absence streams (common random numbers); workload draws are untouched except for the
    hours automation scales and the triage it switches on.
    """
    inv = sc.investment
    mix = normalise_mix(sc, mix)
    if inv is None or not any(mix.values()):
        return sc
    data = sc.model_dump(mode="json", by_alias=True)
    base_groups = [dict(g) for g in data["examiners"]]
    new_groups: list[dict] = []
    for o in inv.options:
        u = mix[o.name]
        if u <= 0:
            continue
        if isinstance(o, HireExaminers):
            g = {"name": o.name, "count": u, "skills": list(o.skills), "hours_per_week": o.hours_per_week,
                 "absence": o.absence, "productivity": o.productivity, "start_week": o.lag_weeks,
                 "ramp_up_weeks": o.ramp_up_weeks, "ramp_up_start": o.ramp_up_start}
            if o.fixed_term_weeks is not None:
                g["leave_week"] = o.lag_weeks + o.fixed_term_weeks
            new_groups.append(g)
        elif isinstance(o, Overtime):
            new_groups += _overtime_groups(o, u, base_groups, sc.calendar.horizon_weeks)
        elif isinstance(o, Training):
            _train(o, u, base_groups)
        elif isinstance(o, TriageKit):
            t = data["stages"]["triage"]
            t["servers"] = (t["servers"] if t["enabled"] else 0) + u * o.servers_per_unit
            t["enabled"] = True
            for key in ("screen_out_share", "quick_path_share", "quick_path_factor"):
                if getattr(o, key) is not None:
                    t[key] = getattr(o, key)
        elif isinstance(o, Automation):
            factor = 1.0 - o.time_saved_share * o.applies_to_share
            for t in o.device_types or list(sc.device_types):
                hours = data["device_types"][t]["service_hours"]
                hours["examination"] = scale_distribution(hours["examination"], factor)
    data["examiners"] = base_groups + new_groups
    data["investment"] = None  # consumed: the result is the unit as it would run
    from dfu_sched.scenario.schema import Scenario

    return Scenario.model_validate(data)


def _overtime_groups(o: Overtime, units: int, groups: list[dict], horizon_weeks: float) -> list[dict]:
    """One extra weekly shift per eligible examiner: the same skills and speed, no absence.

    Each overtime 'person' mirrors one of today's examiners, so hours per person never exceed
    the cap; work that does not fit in the shift resumes at the next one.
    """
    eligible = [g for g in groups if (o.groups is None or g["name"] in o.groups) and g["count"] > 0]
    head = sum(g["count"] for g in eligible)
    per_person = units * o.step_hours_per_week / head
    end = o.start_week + o.weeks
    out = []
    for g in eligible:
        grp = {"name": f"{o.name}: {g['name']}", "count": g["count"], "skills": list(g["skills"]),
               "hours_per_week": per_person, "days": [o.day], "start_hour": 8.0, "absence": 0.0,
               "productivity": g.get("productivity", 1.0), "start_week": o.start_week}
        if end < horizon_weeks:
            grp["leave_week"] = end
        out.append(grp)
    return out


def _train(o: Training, people: int, groups: list[dict]) -> None:
    """Spread the trained people round-robin over eligible groups; raise each group's mean productivity."""
    eligible = [g for g in groups if (o.groups is None or g["name"] in o.groups) and g["count"] > 0]
    trained = {g["name"]: 0 for g in eligible}
    left = people
    while left > 0 and any(trained[g["name"]] < g["count"] for g in eligible):
        for g in eligible:
            if left > 0 and trained[g["name"]] < g["count"]:
                trained[g["name"]] += 1
                left -= 1
    for g in eligible:
        share = trained[g["name"]] / g["count"]
        g["productivity"] = g.get("productivity", 1.0) * (1.0 + o.productivity_gain * share)


@dataclass(frozen=True)
class Contract:
    """An outsourcing contract as bought: weekly slots over [start_week, end_week)."""

    name: str
    slots_per_week: int
    start_week: float
    end_week: float
    types: tuple[int, ...]        # device type indices that may go out
    tiers: tuple[int, ...]        # tier indices that may go out
    risk_first: bool
    start_delay_h: float
    turnaround: object            # Distribution of days
    prices: tuple[float, ...]     # by device type index (0 where not eligible)


def outsourcing_contracts(sc: "Scenario", mix: dict[str, int]) -> tuple[Contract, ...]:
    inv = sc.investment
    if inv is None:
        return ()
    mix = normalise_mix(sc, mix)
    types, tiers = list(sc.device_types), sc.tier_names
    out = []
    for o in inv.options:
        if isinstance(o, Outsourcing) and mix[o.name] > 0:
            out.append(Contract(
                name=o.name, slots_per_week=mix[o.name] * o.step_devices_per_week,
                start_week=o.start_week, end_week=min(o.start_week + o.contract_weeks, sc.calendar.horizon_weeks),
                types=tuple(types.index(t) for t in o.price_gbp_by_type),
                tiers=tuple(tiers.index(t) for t in (o.tiers or tiers)),
                risk_first=o.order == "risk_first", start_delay_h=o.start_delay_days * 24.0,
                turnaround=o.turnaround_days,
                prices=tuple(o.price_gbp_by_type.get(t, 0.0) for t in types)))
    return tuple(out)


# ---- costs -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class CostItem:
    """Money for one option: a one-off payment at ``start_week`` or a weekly rate over [start, end)."""

    option: str
    label: str
    start_week: float
    end_week: float | None        # None: one-off
    amount_gbp: float             # one-off amount, or £ per week when recurring


def cost_items(sc: "Scenario", mix: dict[str, int]) -> list[CostItem]:
    """What a mix costs inside the horizon, item by item (recurring items clipped to the horizon)."""
    inv = sc.investment
    mix = normalise_mix(sc, mix)
    H = float(sc.calendar.horizon_weeks)
    items: list[CostItem] = []

    def recurring(o, label, start, end, per_year):
        end = H if end is None else min(end, H)
        if end > start and per_year > 0:
            items.append(CostItem(o.name, label, start, end, per_year / WEEKS_PER_YEAR))

    def one_off(o, label, amount, week=0.0):
        if amount > 0 and week < H:
            items.append(CostItem(o.name, label, week, None, amount))

    for o in inv.options if inv else []:
        u = mix[o.name]
        if u <= 0:
            continue
        if isinstance(o, HireExaminers):
            one_off(o, "recruitment", u * o.recruitment_gbp)
            end = None if o.fixed_term_weeks is None else o.lag_weeks + o.fixed_term_weeks
            recurring(o, "salary", o.lag_weeks, end, u * o.annual_cost_gbp)
        elif isinstance(o, Overtime):
            recurring(o, "overtime pay", o.start_week, o.start_week + o.weeks,
                      u * o.step_hours_per_week * o.rate_gbp_per_hour * WEEKS_PER_YEAR)
        elif isinstance(o, Outsourcing):
            one_off(o, "set-up", o.setup_gbp, o.start_week)
            recurring(o, "devices (committed)", o.start_week, o.start_week + o.contract_weeks,
                      u * o.step_devices_per_week * max(o.price_gbp_by_type.values()) * WEEKS_PER_YEAR)
        elif isinstance(o, TriageKit):
            one_off(o, "capital", u * o.capital_gbp)
            recurring(o, "running", 0.0, None, u * o.running_gbp_per_year)
        elif isinstance(o, Automation):
            one_off(o, "set-up", o.setup_gbp)
            recurring(o, "licence", 0.0, None, o.licence_gbp_per_year)
        elif isinstance(o, Training):
            one_off(o, "training", u * o.cost_gbp_per_person)
    return items


def item_total(item: CostItem) -> float:
    return item.amount_gbp if item.end_week is None else item.amount_gbp * (item.end_week - item.start_week)


def mix_cost(sc: "Scenario", mix: dict[str, int]) -> float:
    """Total £ paid inside the horizon: the figure checked against the budget."""
    return sum(item_total(i) for i in cost_items(sc, mix))


def recurring_after_horizon(sc: "Scenario", mix: dict[str, int]) -> float:
    """£ a year still committed after the horizon (permanent staff, licences, running costs)."""
    inv = sc.investment
    mix = normalise_mix(sc, mix)
    total = 0.0
    for o in inv.options if inv else []:
        u = mix[o.name]
        if u <= 0:
            continue
        if isinstance(o, HireExaminers) and o.fixed_term_weeks is None:
            total += u * o.annual_cost_gbp
        elif isinstance(o, TriageKit):
            total += u * o.running_gbp_per_year
        elif isinstance(o, Automation):
            total += o.licence_gbp_per_year
    return total


def unit_costs(sc: "Scenario", option: str, units: int) -> float:
    """Cost inside the horizon of ``units`` of one option alone."""
    return mix_cost(sc, {option: units})


def week_to_date(start: dt.date, week: float) -> dt.datetime:
    return dt.datetime.combine(start, dt.time()) + dt.timedelta(days=7.0 * week)


def financial_year(d: dt.date | dt.datetime, start_month: int = 4) -> str:
    """UK-style label: April 2023 to March 2024 is '2023/24'."""
    y = d.year if d.month >= start_month else d.year - 1
    return f"{y}/{(y + 1) % 100:02d}" if start_month != 1 else str(y)


def _month_start(d: dt.datetime) -> dt.datetime:
    return dt.datetime(d.year, d.month, 1)


def _next_month(d: dt.datetime) -> dt.datetime:
    return dt.datetime(d.year + (d.month == 12), d.month % 12 + 1, 1)


def cost_profile(sc: "Scenario", mix: dict[str, int]) -> dict:
    """£ by calendar month and by financial year, per option and in total.

    Recurring costs are spread by the day; one-off payments land in the month they are made.
    The monthly and yearly totals both add up to ``mix_cost`` (to rounding).
    """
    start = sc.calendar.start_date
    fy_month = sc.investment.financial_year_start_month if sc.investment else 4
    items = cost_items(sc, mix)
    options = sorted({i.option for i in items}, key=[o for o in normalise_mix(sc, mix)].index)
    months: dict[str, dict[str, float]] = {}
    first = _month_start(week_to_date(start, 0))
    last = week_to_date(start, sc.calendar.horizon_weeks)
    m = first
    while m < last:
        months[m.strftime("%Y-%m")] = {}
        m = _next_month(m)

    def add(month: str, option: str, amount: float) -> None:
        months.setdefault(month, {})
        months[month][option] = months[month].get(option, 0.0) + amount

    for it in items:
        t0 = week_to_date(start, it.start_week)
        if it.end_week is None:
            add(t0.strftime("%Y-%m"), it.option, it.amount_gbp)
            continue
        t1 = week_to_date(start, it.end_week)
        per_day = it.amount_gbp / 7.0
        m = _month_start(t0)
        while m < t1:
            n = _next_month(m)
            days = (min(n, t1) - max(m, t0)).total_seconds() / 86400.0
            if days > 0:
                add(m.strftime("%Y-%m"), it.option, per_day * days)
            m = n
    by_month = []
    by_fy: dict[str, dict[str, float]] = {}
    for label in sorted(months):
        row = months[label]
        year, month = map(int, label.split("-"))
        fy = financial_year(dt.date(year, month, 1), fy_month)
        by_month.append({"month": label, "financial_year": fy, **{o: row.get(o, 0.0) for o in options},
                         "total": sum(row.values())})
        acc = by_fy.setdefault(fy, {})
        for o, v in row.items():
            acc[o] = acc.get(o, 0.0) + v
    return {
        "options": options,
        "total_gbp": sum(item_total(i) for i in items),
        "items": [{"option": i.option, "label": i.label, "start_week": i.start_week, "end_week": i.end_week,
                   "gbp": item_total(i), "gbp_per_week": None if i.end_week is None else i.amount_gbp} for i in items],
        "by_month": by_month,
        "by_financial_year": [{"financial_year": fy, **{o: v.get(o, 0.0) for o in options}, "total": sum(v.values())}
                              for fy, v in sorted(by_fy.items())],
        "by_option": {o: sum(item_total(i) for i in items if i.option == o) for o in options},
        "recurring_after_horizon_gbp_per_year": recurring_after_horizon(sc, mix),
    }
