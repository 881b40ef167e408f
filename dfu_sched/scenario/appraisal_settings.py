"""The ``investment.appraisal`` settings: how a bid is appraised the HM Treasury Green Book way.

Why a section of its own: a police finance committee appraises a bid over the years it commits
the force to (not only the simulated horizon), in today's prices discounted at the Green Book's
social time preference rate, with the costs raised for optimism bias. Those are choices of the
finance officer, not of the simulation, so they live in the scenario file beside the options,
validated like every other field, and change no simulated number and no cost inside the horizon.

Sources of the defaults (``docs/appraisal.md`` says more):

- ``discount_rate`` 3.5% a year real: [S] HM Treasury, *The Green Book* (2022), the social time
  preference rate for years 0-30 (3.0% from year 31, which a commitment of at most 30 years never
  reaches).
- optimism bias for **equipment** (kiosks, software) 10% to 200%: [S] the Green Book supplementary
  guidance on optimism bias (Mott MacDonald review, 2002), category "equipment/development",
  capital expenditure lower and upper bounds; the central 25% is [E]: a fixed-price purchase with a
  supplier's quote, most mitigations in place.
- **outsourcing** 0% to 41%: [S] the same table's "outsourcing" bounds; central 10% [E].
- **staff** 0% to 10%, central 5%: [E] the guidance has no category for pay; pay awards and
  on-costs above plan are the modest risk of a costed post. A force sets its own.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The cost kinds optimism bias is set for (each lever kind maps to one in ``invest.appraisal``).
COST_KINDS = ("staff", "equipment", "outsourcing")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


class OptimismBias(_Strict):
    """An uplift range on a kind of cost: 0.10 = the cost is raised by 10%."""

    low: float = Field(ge=0, le=10, description="Uplift at the low end (0.10 = +10%).")
    central: float = Field(ge=0, le=10, description="Uplift used for the central appraisal.")
    high: float = Field(ge=0, le=10, description="Uplift at the high end.")

    @model_validator(mode="after")
    def _ordered(self) -> OptimismBias:
        if not self.low <= self.central <= self.high:
            raise ValueError(f"optimism bias must be ordered low <= central <= high "
                             f"(got {self.low:g}, {self.central:g}, {self.high:g})")
        return self


class OptimismBiasByKind(_Strict):
    """Optimism-bias ranges by kind of cost (each lever's costs are of one kind)."""

    staff: OptimismBias = Field(
        default_factory=lambda: OptimismBias(low=0.0, central=0.05, high=0.10),
        description="Hires, overtime, training. [E] 0-10%, central 5%: the Green Book guidance has no "
                    "category for pay; set your own.")
    equipment: OptimismBias = Field(
        default_factory=lambda: OptimismBias(low=0.10, central=0.25, high=2.0),
        description="Triage kit, software. [S] Green Book optimism bias guidance, equipment/development "
                    "capital bounds 10-200%; central 25% [E].")
    outsourcing: OptimismBias = Field(
        default_factory=lambda: OptimismBias(low=0.0, central=0.10, high=0.41),
        description="Outsourcing contracts. [S] Green Book optimism bias guidance, outsourcing bounds 0-41%; "
                    "central 10% [E].")

    def of(self, kind: str) -> OptimismBias:
        return getattr(self, kind)


class Appraisal(_Strict):
    """Green Book appraisal settings (``investment.appraisal``); see the module docstring for sources."""

    years: int = Field(5, ge=1, le=30,
                       description="Years of the commitment appraised, from the start date; at least the simulated "
                                   "horizon. [E] 5 years: a typical life of kit and of a funding bid.")
    discount_rate: float = Field(0.035, ge=0, le=0.2,
                                 description="Real discount rate a year. [S] HM Treasury Green Book (2022) social time "
                                             "preference rate, 3.5% for years 0-30.")
    optimism_bias: OptimismBiasByKind = Field(default_factory=OptimismBiasByKind,
                                              description="Uplifts on costs by kind, low/central/high.")
    value_per_device_day_gbp: float | None = Field(
        None, ge=0, le=1e6,
        description="Optional £ value of one risk-weighted device-day of waiting avoided (exposure): gives an NPV. "
                    "[E] no published figure; null = benefits are not monetised.")
