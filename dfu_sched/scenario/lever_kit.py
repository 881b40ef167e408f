"""Levers that change the work rather than the people: triage kit and automation software.

One family module because both act on the devices' stages (the triage stage switched on or
enlarged, examination hours scaled) and both may claim a part of the scenario alone: there is one
triage stage, and one speed-up per device type. Each class is the whole lever (see
``dfu_sched.scenario.lever_base``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from dfu_sched.scenario.lever_base import MAX_GBP, Contract, CostItem, Draft, Lever

if TYPE_CHECKING:  # annotations only (no import circle with the schema)
    from dfu_sched.scenario.schema import Scenario


def scale_distribution(dist: dict[str, Any], factor: float) -> dict[str, Any]:
    """A distribution (as scenario data) with every sample multiplied by ``factor``."""
    out = dict(dist)
    for key in ("mean", "sd", "value", "low", "high"):
        if key in out and out[key] is not None:
            out[key] = out[key] * factor
    if "samples" in out:
        out["samples"] = [x * factor for x in out["samples"]]
    return out


class TriageKit(Lever):
    """Kiosk/van triage: a preview screens some devices out of full examination."""

    kind: Literal["triage_kit"]
    capital_gbp: float = Field(ge=0, le=MAX_GBP, description="Purchase price per unit, paid at week 0.")
    running_gbp_per_year: float = Field(0.0, ge=0, le=MAX_GBP, description="Licences, maintenance, operators per unit.")
    servers_per_unit: int = Field(2, ge=1, le=1000, description="Triage stations one unit provides.")
    max_units: int = Field(1, ge=0, le=1000)
    screen_out_share: float | None = Field(None, ge=0, le=1, description="Default: the scenario's stages.triage value.")
    quick_path_share: float | None = Field(None, ge=0, le=1)
    quick_path_factor: float | None = Field(None, gt=0, le=1)

    def check(self, sc: Scenario, where: str) -> None:
        t = sc.stages.triage
        so = t.screen_out_share if self.screen_out_share is None else self.screen_out_share
        qp = t.quick_path_share if self.quick_path_share is None else self.quick_path_share
        if so + qp > 1 + 1e-9:
            raise ValueError(f"{where}: screen_out_share + quick_path_share exceed 1")
        for name, dtype in sc.device_types.items():
            if "triage" not in dtype.service_hours:
                raise ValueError(f"{where}: device_types.{name}.service_hours has no 'triage' time")

    def claims(self, sc: Scenario) -> dict[str, str]:
        return {"the triage stage": "more than one triage_kit option contradict each other (there is one "
                                    "triage stage, already equipped by '{other}'); use max_units for more kit"}

    def max_units_in(self, sc: Scenario) -> int:
        return self.max_units

    def unit_label(self) -> str:
        return "kit"

    def describe(self, units: int) -> str:
        return f"{units} triage kit{'s' if units > 1 else ''} ({units * self.servers_per_unit} stations; {self.name})"

    def apply(self, units: int, draft: Draft) -> Contract | None:
        """Switch the triage stage on (or enlarge it) with the kit's stations and shares."""
        t = draft.data["stages"]["triage"]
        t["servers"] = (t["servers"] if t["enabled"] else 0) + units * self.servers_per_unit
        t["enabled"] = True
        for key in ("screen_out_share", "quick_path_share", "quick_path_factor"):
            if getattr(self, key) is not None:
                t[key] = getattr(self, key)
        return None

    def cost_items(self, units: int, horizon_weeks: float) -> list[CostItem]:
        return (self.one_off("capital", units * self.capital_gbp, horizon_weeks)
                + self.weekly("running", 0.0, None, units * self.running_gbp_per_year, horizon_weeks))

    def recurring(self, units: int) -> float:
        return units * self.running_gbp_per_year


class Automation(Lever):
    """Software that speeds up examinations (e.g. CSE image-categorisation workflows)."""

    kind: Literal["automation"]
    licence_gbp_per_year: float = Field(ge=0, le=MAX_GBP)
    setup_gbp: float = Field(0.0, ge=0, le=MAX_GBP)
    time_saved_share: float = Field(ge=0, lt=1, description="Share of examination time saved on cases it applies to.")
    applies_to_share: float = Field(1.0, ge=0, le=1,
                                    description="Share of examinations it applies to (e.g. image cases).")
    device_types: list[str] | None = Field(None, description="Device types affected (default: all).")

    def types_in(self, sc: Scenario) -> list[str]:
        return self.device_types or list(sc.device_types)

    def check(self, sc: Scenario, where: str) -> None:
        types = list(sc.device_types)
        for t in self.types_in(sc):
            if t not in types:
                raise ValueError(f"{where}.device_types: unknown device type '{t}' (known: {', '.join(types)})")

    def claims(self, sc: Scenario) -> dict[str, str]:
        return {f"examination hours of {t}": f"device type '{t}' is already sped up by '{{other}}' "
                "(two automation options on one type contradict each other)" for t in self.types_in(sc)}

    def max_units_in(self, sc: Scenario) -> int:
        return 1  # bought or not

    def unit_label(self) -> str:
        return "licence"

    def describe(self, units: int) -> str:
        return (f"automation software ({self.name}: {self.time_saved_share:.0%} time saved on "
                f"{self.applies_to_share:.0%} of examinations)")

    def apply(self, units: int, draft: Draft) -> Contract | None:
        """Scale the examination hours of the device types it applies to."""
        factor = 1.0 - self.time_saved_share * self.applies_to_share
        for t in self.types_in(draft.sc):
            hours = draft.data["device_types"][t]["service_hours"]
            hours["examination"] = scale_distribution(hours["examination"], factor)
        for entry in draft.data.get("backlog", []):  # a queue's fixed estimates are sped up too
            if entry.get("device_type") in self.types_in(draft.sc) and entry.get("exam_hours") is not None:
                entry["exam_hours"] = entry["exam_hours"] * factor
        return None

    def cost_items(self, units: int, horizon_weeks: float) -> list[CostItem]:
        return (self.one_off("set-up", self.setup_gbp, horizon_weeks)
                + self.weekly("licence", 0.0, None, self.licence_gbp_per_year, horizon_weeks))

    def recurring(self, units: int) -> float:
        return self.licence_gbp_per_year
