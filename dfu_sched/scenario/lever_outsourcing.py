"""The outsourcing lever: a contract with a commercial provider for devices waiting in-house.

A module of its own because it is the one lever the scenario cannot express: ``apply`` leaves the
scenario as it is and returns a ``Contract``, which ``dfu_sched.invest.search`` turns into a
simulation hook (devices leave the in-house queue at dispatch). See ``dfu_sched.scenario.lever_base``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from dfu_sched.scenario.distributions import Distribution
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


class Outsourcing(Lever):
    """A contract with a commercial provider: up to N devices a week leave the in-house queue.

    The budget counts the contract's committed ceiling (every slot used, at the dearest
    eligible price); the simulation reports the spend actually used.
    """

    kind: Literal["outsourcing"]
    price_gbp_by_type: dict[str, float] = Field(min_length=1,
                                                description="Price per device; its keys are the types that may go out.")
    step_devices_per_week: int = Field(5, ge=1, le=MAX_UNITS)
    max_devices_per_week: int = Field(ge=0, le=MAX_UNITS)
    tiers: list[str] | None = Field(None, description="Risk tiers that may go out (default: all).")
    order: Literal["risk_first", "oldest_first"] = Field("risk_first", description="Which waiting devices go first.")
    start_week: float = Field(4.0, ge=0, le=MAX_WEEKS, description="Procurement lag before the first dispatch.")
    contract_weeks: float = Field(52.0, gt=0, le=MAX_WEEKS)
    setup_gbp: float = Field(0.0, ge=0, le=MAX_GBP)
    start_delay_days: float = Field(3.0, ge=0, le=3650,
                                    description="From dispatch until the provider starts the examination.")
    turnaround_days: Distribution = Field(description="From dispatch until results are back.")

    @model_validator(mode="after")
    def _prices(self) -> Outsourcing:
        if any(not 0 <= p <= MAX_GBP for p in self.price_gbp_by_type.values()):
            raise ValueError(f"price_gbp_by_type: prices must be from 0 to {MAX_GBP:,.0f}")
        return self

    def check(self, sc: Scenario, where: str) -> None:
        types, tiers = list(sc.device_types), sc.tier_names
        for t in self.price_gbp_by_type:
            if t not in types:
                raise ValueError(f"{where}.price_gbp_by_type: unknown device type '{t}' (known: {', '.join(types)})")
        for t in self.tiers or []:
            if t not in tiers:
                raise ValueError(f"{where}.tiers: unknown tier '{t}' (known: {', '.join(tiers)})")
        if self.tiers is not None and not self.tiers:
            raise ValueError(f"{where}.tiers: empty list means nothing may go out")
        if self.max_devices_per_week and self.step_devices_per_week > self.max_devices_per_week:
            raise ValueError(f"{where}: step_devices_per_week exceeds max_devices_per_week")

    def max_units_in(self, sc: Scenario) -> int:
        return self.max_devices_per_week // self.step_devices_per_week

    def unit_label(self) -> str:
        return f"{self.step_devices_per_week} devices/week"

    def describe(self, units: int) -> str:
        return (f"outsource up to {units * self.step_devices_per_week} devices a week "
                f"for {self.contract_weeks:g} weeks "
                f"({self.name}: {', '.join(self.price_gbp_by_type)})")

    def apply(self, units: int, draft: Draft) -> Contract | None:
        """The scenario is unchanged; the contract (slots, eligibility, prices) goes to the model hook."""
        sc = draft.sc
        types, tiers = list(sc.device_types), sc.tier_names
        return Contract(
            name=self.name, slots_per_week=units * self.step_devices_per_week,
            start_week=self.start_week, end_week=min(self.start_week + self.contract_weeks, sc.calendar.horizon_weeks),
            types=tuple(types.index(t) for t in self.price_gbp_by_type),
            tiers=tuple(tiers.index(t) for t in (self.tiers or tiers)),
            risk_first=self.order == "risk_first", start_delay_h=self.start_delay_days * 24.0,
            turnaround=self.turnaround_days,
            prices=tuple(self.price_gbp_by_type.get(t, 0.0) for t in types))

    def cost_items(self, units: int, horizon_weeks: float) -> list[CostItem]:
        """Set-up, then the committed ceiling: every slot used at the dearest eligible price."""
        per_year = units * self.step_devices_per_week * max(self.price_gbp_by_type.values()) * WEEKS_PER_YEAR
        return (self.one_off("set-up", self.setup_gbp, horizon_weeks, self.start_week)
                + self.weekly("devices (committed)", self.start_week, self.start_week + self.contract_weeks,
                              per_year, horizon_weeks))

    def recurring(self, units: int) -> float:
        return 0.0  # the contract ends after contract_weeks
