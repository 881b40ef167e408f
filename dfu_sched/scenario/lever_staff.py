"""Levers that change the people: hire examiners, paid overtime, training today's examiners.

One family module because the three share one idea: they work through examiner groups (new
groups for hires and overtime shifts, productivity of today's groups for training), and they
check the groups they name against the scenario the same way. Each class is the whole lever
(see ``dfu_sched.scenario.lever_base``).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from dfu_sched.calendar import Weekday
from dfu_sched.scenario.lever_base import (
    MAX_GBP,
    MAX_UNITS,
    MAX_WEEKS,
    WEEKS_PER_YEAR,
    Contract,
    CostItem,
    Draft,
    Lever,
)

if TYPE_CHECKING:  # annotations only (no import circle with the schema)
    from dfu_sched.scenario.schema import Scenario


def _check_groups(groups: list[str] | None, sc: Scenario, where: str) -> int:
    """Raise on an unknown group; return the headcount of the named groups (all when none are named)."""
    known = {g.name: g for g in sc.examiners}
    for g in groups or []:
        if g not in known:
            raise ValueError(f"{where}.groups: unknown examiner group '{g}' (known: {', '.join(known)})")
    return sum(known[g].count for g in (groups or list(known)))


def _eligible(groups: list[str] | None, staff: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Today's groups (as data) a lever may use: named ones, or all; never empty groups."""
    return [g for g in staff if (groups is None or g["name"] in groups) and g["count"] > 0]


class HireExaminers(Lever):
    """Examiners hired: paid from the day they start, productive after a linear ramp-up."""

    kind: Literal["hire_examiners"]
    annual_cost_gbp: float = Field(ge=0, le=MAX_GBP, description="Fully loaded cost per examiner per year.")
    recruitment_gbp: float = Field(0.0, ge=0, le=MAX_GBP,
                                   description="One-off cost per hire (advertising, vetting, kit).")
    lag_weeks: float = Field(16.0, ge=0, le=MAX_WEEKS, description="Weeks from approval to first day in post.")
    ramp_up_weeks: float = Field(39.0, ge=0, le=MAX_WEEKS, description="Weeks from first day to full productivity.")
    ramp_up_start: float = Field(0.25, ge=0, le=1, description="Share of full productivity on the first day.")
    skills: list[str] = Field(min_length=1)
    max_count: int = Field(ge=0, le=MAX_UNITS, description="Most examiners of this kind the unit could hire.")
    fixed_term_weeks: float | None = Field(None, gt=0, le=MAX_WEEKS,
                                           description="Contract length from first day; null = permanent.")
    hours_per_week: float = Field(37.5, gt=0, le=80)
    absence: float = Field(0.20, ge=0, lt=1)
    productivity: float = Field(1.0, gt=0, le=10)

    def check(self, sc: Scenario, where: str) -> None:
        for s in self.skills:
            if s not in sc.skills:
                raise ValueError(f"{where}.skills: unknown skill '{s}' (known: {', '.join(sc.skills)})")
        if self.name in {g.name for g in sc.examiners}:
            raise ValueError(f"{where}: name clashes with an examiner group")

    def max_units_in(self, sc: Scenario) -> int:
        return self.max_count

    def unit_label(self) -> str:
        return "examiner"

    def describe(self, units: int) -> str:
        term = f"{self.fixed_term_weeks:g}-week fixed term" if self.fixed_term_weeks else "permanent"
        return (f"hire {units} {self.name.replace('_', ' ')}{'s' if units > 1 else ''} ({term}, in post after "
                f"{self.lag_weeks:g} weeks, fully productive {self.ramp_up_weeks:g} weeks later)")

    @property
    def leave_week(self) -> float | None:
        return None if self.fixed_term_weeks is None else self.lag_weeks + self.fixed_term_weeks

    def apply(self, units: int, draft: Draft) -> Contract | None:
        """A new examiner group after today's, with start week, ramp-up and (fixed term) leave week."""
        g: dict[str, Any] = {
            "name": self.name, "count": units, "skills": list(self.skills), "hours_per_week": self.hours_per_week,
            "absence": self.absence, "productivity": self.productivity, "start_week": self.lag_weeks,
            "ramp_up_weeks": self.ramp_up_weeks, "ramp_up_start": self.ramp_up_start}
        if self.leave_week is not None:
            g["leave_week"] = self.leave_week
        draft.new_staff.append(g)
        return None

    def cost_items(self, units: int, horizon_weeks: float) -> list[CostItem]:
        return (self.one_off("recruitment", units * self.recruitment_gbp, horizon_weeks)
                + self.weekly("salary", self.lag_weeks, self.leave_week, units * self.annual_cost_gbp, horizon_weeks))

    def recurring(self, units: int) -> float:
        return units * self.annual_cost_gbp if self.fixed_term_weeks is None else 0.0


class Overtime(Lever):
    """Paid overtime by today's examiners, worked as a weekly extra shift (default Saturday)."""

    kind: Literal["overtime"]
    rate_gbp_per_hour: float = Field(ge=0, le=1e6)
    cap_hours_per_person_per_week: float = Field(gt=0, le=24)
    step_hours_per_week: float = Field(20.0, gt=0, le=1e6,
                                       description="Hours per week one unit buys (across the unit).")
    max_hours_per_week: float | None = Field(None, gt=0, le=1e7, description="Default: cap x headcount of ``groups``.")
    groups: list[str] | None = Field(None, description="Examiner groups who may work it (default: all at week 0).")
    start_week: float = Field(0.0, ge=0, le=MAX_WEEKS)
    weeks: float = Field(52.0, gt=0, le=MAX_WEEKS, description="How long the overtime is offered.")
    day: Weekday = "Sat"

    def headcount(self, sc: Scenario) -> int:
        return sum(g.count for g in sc.examiners if self.groups is None or g.name in self.groups)

    def max_hours(self, sc: Scenario) -> float:
        """The most overtime hours a week: the cap per person times headcount, or less if stated."""
        cap = self.cap_hours_per_person_per_week * self.headcount(sc)
        return cap if self.max_hours_per_week is None else min(cap, self.max_hours_per_week)

    def check(self, sc: Scenario, where: str) -> None:
        head = _check_groups(self.groups, sc, where)
        if head == 0:
            raise ValueError(f"{where}: no examiners to work overtime")
        cap = self.cap_hours_per_person_per_week
        if self.max_hours_per_week is not None and self.max_hours_per_week > cap * head + 1e-9:
            raise ValueError(f"{where}.max_hours_per_week: {self.max_hours_per_week:g} h exceeds the cap "
                             f"({cap:g} h x {head} examiners)")
        if self.step_hours_per_week > self.max_hours(sc) + 1e-9:
            raise ValueError(f"{where}.step_hours_per_week: one step exceeds the most overtime people can work")

    def max_units_in(self, sc: Scenario) -> int:
        return int(math.floor(self.max_hours(sc) / self.step_hours_per_week + 1e-9))

    def unit_label(self) -> str:
        return f"{self.step_hours_per_week:g} h/week"

    def describe(self, units: int) -> str:
        return f"{units * self.step_hours_per_week:g} overtime hours a week for {self.weeks:g} weeks ({self.name})"

    def apply(self, units: int, draft: Draft) -> Contract | None:
        """One extra weekly shift per eligible examiner: the same skills and speed, no absence.

        Each overtime 'person' mirrors one of today's examiners, so hours per person never exceed
        the cap; work that does not fit in the shift resumes at the next one.
        """
        eligible = _eligible(self.groups, draft.staff)
        per_person = units * self.step_hours_per_week / sum(g["count"] for g in eligible)
        end = self.start_week + self.weeks
        for g in eligible:
            grp = {"name": f"{self.name}: {g['name']}", "count": g["count"], "skills": list(g["skills"]),
                   "hours_per_week": per_person, "days": [self.day], "start_hour": 8.0, "absence": 0.0,
                   "productivity": g.get("productivity", 1.0), "start_week": self.start_week}
            if end < draft.horizon_weeks:
                grp["leave_week"] = end
            draft.new_staff.append(grp)
        return None

    def cost_items(self, units: int, horizon_weeks: float) -> list[CostItem]:
        per_year = units * self.step_hours_per_week * self.rate_gbp_per_hour * WEEKS_PER_YEAR
        return self.weekly("overtime pay", self.start_week, self.start_week + self.weeks, per_year, horizon_weeks)

    def recurring(self, units: int) -> float:
        return 0.0  # offered for ``weeks`` only


class Training(Lever):
    """Training today's examiners: a one-off cost per person for a productivity gain."""

    kind: Literal["training"]
    cost_gbp_per_person: float = Field(ge=0, le=MAX_GBP)
    productivity_gain: float = Field(ge=0, le=2, description="0.10 = each trained examiner does 10% more.")
    max_count: int = Field(ge=0, le=MAX_UNITS)
    groups: list[str] | None = Field(None, description="Groups whose examiners may be trained (default: all).")

    def check(self, sc: Scenario, where: str) -> None:
        head = _check_groups(self.groups, sc, where)
        if self.max_count > head:
            raise ValueError(f"{where}.max_count: {self.max_count} exceeds the {head} examiners who could be trained")

    def max_units_in(self, sc: Scenario) -> int:
        return self.max_count

    def unit_label(self) -> str:
        return "person"

    def describe(self, units: int) -> str:
        return (f"train {units} examiner{'s' if units > 1 else ''} "
                f"({self.name}, +{self.productivity_gain:.0%} productivity)")

    def apply(self, units: int, draft: Draft) -> Contract | None:
        """Spread the trained people round-robin over eligible groups; raise each group's mean productivity."""
        eligible = _eligible(self.groups, draft.staff)
        trained = {g["name"]: 0 for g in eligible}
        left = units
        while left > 0 and any(trained[g["name"]] < g["count"] for g in eligible):
            for g in eligible:
                if left > 0 and trained[g["name"]] < g["count"]:
                    trained[g["name"]] += 1
                    left -= 1
        for g in eligible:
            share = trained[g["name"]] / g["count"]
            g["productivity"] = g.get("productivity", 1.0) * (1.0 + self.productivity_gain * share)
        return None

    def cost_items(self, units: int, horizon_weeks: float) -> list[CostItem]:
        return self.one_off("training", units * self.cost_gbp_per_person, horizon_weeks)

    def recurring(self, units: int) -> float:
        return 0.0  # paid once
