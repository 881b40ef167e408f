"""Investment levers: what money buys, how a mix of them changes a DFU, and what it costs when.

A scenario's optional ``investment:`` section lists *options* (hire examiners, overtime,
outsourcing, triage kit, automation, training), each bought in whole *units* up to a maximum.
A *mix* gives the units bought of each option. This module composes the options; each kind of
option is one class holding all its behaviour (``dfu_sched.scenario.lever_base`` says what a lever
must implement; the kinds live in ``lever_staff``, ``lever_kit`` and ``lever_outsourcing``), and
every function here is a loop over the options' own methods, with no test on an option's kind:

- ``apply_mix(scenario, mix)`` returns a validated Scenario using the core's own features
  (extra examiner groups with start week, ramp-up and leave week for hires; Saturday overtime
  groups mirroring today's examiners; the triage stage for kit; scaled examination hours for
  automation; productivity for training). Outsourcing has no core feature, so its contracts are
  returned separately by ``outsourcing_contracts`` and applied to the workload by ``dfu_sched.invest.search``.
- ``cost_items`` / ``cost_profile`` say what the mix costs, by month and UK financial year
  (April to March), counting money paid inside the simulated horizon against the budget.

Everything here is deterministic and free of simulation, so it is unit-tested directly. The
scenario schema imports this module; this module never imports the schema at run time (the
scenario's own class validates the result of ``apply_mix``).
"""
from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, model_validator

from dfu_sched.scenario import lever_kit, lever_outsourcing, lever_staff
from dfu_sched.scenario.appraisal_settings import Appraisal
from dfu_sched.scenario.lever_base import (
    LEVERS,
    MAX_GBP,
    MAX_UNITS,
    WEEKS_PER_YEAR,
    Contract,
    CostItem,
    Draft,
    Lever,
    Strict,
    item_total,
)

if TYPE_CHECKING:  # annotations only: the schema imports this module
    from dfu_sched.scenario.schema import Scenario

#: The modules whose lever classes register themselves in ``LEVERS`` when imported.
FAMILIES = (lever_staff, lever_outsourcing, lever_kit)

if TYPE_CHECKING:
    Option = Lever
else:  # one branch per registered lever class, told apart by ``kind`` (sorted: import order is no order)
    Option = Annotated[functools.reduce(operator.or_, (LEVERS[k] for k in sorted(LEVERS))), Field(discriminator="kind")]


class Investment(Strict):
    """The ``investment:`` section: a budget, the options on the table, optionally a chosen mix."""

    budget_gbp: float = Field(400_000.0, ge=0, le=MAX_GBP, description="Money available, spent inside the horizon.")
    financial_year_start_month: int = Field(4, ge=1, le=12, description="UK public sector: April.")
    options: list[Option] = Field(default_factory=list)
    mix: dict[str, Annotated[int, Field(le=MAX_UNITS)]] = Field(default_factory=dict,
                                        description="Units bought of each option (compare applies it).")
    appraisal: Appraisal | None = Field(None, description="Green Book appraisal over the commitment (discounting, "
                                        "optimism bias); {} for the defaults. Without it, outputs carry no appraisal.")

    @model_validator(mode="after")
    def _names(self) -> Investment:
        names = [o.name for o in self.options]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"options: duplicate name '{dup[0]}'")
        for name, units in self.mix.items():
            if units < 0:
                raise ValueError(f"mix.{name}: units must not be negative")
        return self

    def option(self, name: str) -> Option:
        return next(o for o in self.options if o.name == name)


# ---- checks that need the whole scenario ------------------------------------------------------

def check_investment(sc: Scenario) -> None:
    """Cross-references and contradictions between options and the scenario (raise ValueError).

    Each option checks itself against the scenario; two options claiming the same part of the
    scenario (the one triage stage, a device type's examination hours) contradict each other.
    """
    inv = sc.investment
    if inv is None:
        return
    claimed: dict[str, str] = {}
    for o in inv.options:
        where = f"investment.options.{o.name}"
        o.check(sc, where)
        for resource, clash in o.claims(sc).items():
            if resource in claimed:
                raise ValueError(f"{where}: {clash.replace('{other}', claimed[resource])}")
            claimed[resource] = o.name
    years = inv.appraisal.years if inv.appraisal is not None else None
    if years is not None and years * WEEKS_PER_YEAR < sc.calendar.horizon_weeks:
        raise ValueError(f"investment.appraisal.years: {years} years is shorter than the "
                         f"{sc.calendar.horizon_weeks}-week horizon (the commitment includes it)")
    for name, units in inv.mix.items():
        if name not in [o.name for o in inv.options]:
            raise ValueError(f"investment.mix: unknown option '{name}'")
        mx = max_units(inv.option(name), sc)
        if units > mx:
            raise ValueError(f"investment.mix.{name}: {units} units exceed the option's maximum of {mx}")


# ---- units -----------------------------------------------------------------------------------

def max_units(o: Option, sc: Scenario) -> int:
    """How many units of an option can be bought."""
    return o.max_units_in(sc)


def unit_label(o: Option) -> str:
    return o.unit_label()


def option_label(name: str) -> str:
    """An option's id in words, for readers: 'triage_kiosk' -> 'triage kiosk'."""
    return name.replace("_", " ")


def in_words(text: str, names: list[str] | None = None) -> str:
    """Text with option ids in words ('3x overtime + triage kiosk'). With ``names``, only those ids are
    replaced, as whole words (a sentence may quote a measure key such as ``wait_to_start_days``)."""
    if names is None:
        return option_label(text)
    for n in sorted(names, key=len, reverse=True):
        text = re.sub(rf"(?<![A-Za-z0-9_-]){re.escape(n)}(?![A-Za-z0-9_-])", option_label(n), text)
    return text


def normalise_mix(sc: Scenario, mix: dict[str, int]) -> dict[str, int]:
    """All options in scenario order, zero where not bought (the canonical form used as a key)."""
    inv = sc.investment
    names = [o.name for o in inv.options] if inv else []
    for k in mix:
        if k not in names:
            raise ValueError(f"unknown option '{k}' (known: {', '.join(names) or 'none'})")
    return {n: int(mix.get(n, 0)) for n in names}


def _bought(sc: Scenario, mix: dict[str, int]) -> list[tuple[Option, int]]:
    """The options with units bought, in scenario order."""
    mix = normalise_mix(sc, mix)
    return [(o, mix[o.name]) for o in (sc.investment.options if sc.investment else []) if mix[o.name] > 0]


def mix_label(mix: dict[str, int]) -> str:
    parts = [f"{u}x {n}" if u != 1 else n for n, u in mix.items() if u]
    return " + ".join(parts) if parts else "do nothing"


def describe_mix(sc: Scenario, mix: dict[str, int]) -> list[str]:
    """What the mix does, one line per option bought ("do nothing" when nothing is)."""
    return [o.describe(u) for o, u in _bought(sc, mix)] or ["do nothing"]


# ---- applying a mix ------------------------------------------------------------------------------

def _draft(sc: Scenario, mix: dict[str, int]) -> tuple[Draft, tuple[Contract, ...]]:
    """Every bought option applied, in scenario order, to the scenario's data; and the contracts."""
    data = sc.model_dump(mode="json", by_alias=True)
    draft = Draft(sc, data, staff=[dict(g) for g in data["examiners"]])
    contracts = tuple(c for o, u in _bought(sc, mix) if (c := o.apply(u, draft)) is not None)
    data["examiners"] = draft.staff + draft.new_staff
    data["investment"] = None  # consumed: the result is the unit as it would run
    return draft, contracts


def apply_mix(sc: Scenario, mix: dict[str, int]) -> Scenario:
    """The scenario as it would run with ``mix`` bought (outsourcing excepted: see ``outsourcing_contracts``).

    New examiner groups are appended after today's, so today's examiners keep their own
    absence streams (common random numbers); workload draws are untouched except for the
    hours automation scales and the triage it switches on.
    """
    if not any(normalise_mix(sc, mix).values()):  # unknown names raise even without an investment section
        return sc
    draft, _ = _draft(sc, mix)
    return type(sc).model_validate(draft.data)


def outsourcing_contracts(sc: Scenario, mix: dict[str, int]) -> tuple[Contract, ...]:
    """What the levers bought that the scenario cannot express: outsourcing contracts, in scenario order."""
    if sc.investment is None:
        return ()
    return _draft(sc, mix)[1]


# ---- costs -----------------------------------------------------------------------------------

def cost_items(sc: Scenario, mix: dict[str, int]) -> list[CostItem]:
    """What a mix costs inside the horizon, item by item (recurring items clipped to the horizon)."""
    horizon = float(sc.calendar.horizon_weeks)
    return [item for o, u in _bought(sc, mix) for item in o.cost_items(u, horizon)]


def mix_cost(sc: Scenario, mix: dict[str, int]) -> float:
    """Total £ paid inside the horizon: the figure checked against the budget."""
    return sum(item_total(i) for i in cost_items(sc, mix))


def recurring_after_horizon(sc: Scenario, mix: dict[str, int]) -> float:
    """£ a year still committed after the horizon (permanent staff, licences, running costs)."""
    return sum((o.recurring(u) for o, u in _bought(sc, mix)), 0.0)


def unit_costs(sc: Scenario, option: str, units: int) -> float:
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


def cost_profile(sc: Scenario, mix: dict[str, int]) -> dict:
    """£ by calendar month and by financial year, per option and in total.

    Recurring costs are spread by the day; one-off payments land in the month they are made.
    The monthly and yearly totals both add up to ``mix_cost`` (to rounding).
    """
    start = sc.calendar.start_date
    fy_month = sc.investment.financial_year_start_month if sc.investment else 4
    items = cost_items(sc, mix)
    options = sorted({i.option for i in items}, key=list(normalise_mix(sc, mix)).index)
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
