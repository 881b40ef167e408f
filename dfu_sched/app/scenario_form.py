"""The Scenario page's form as data: one registry of the levers a manager moves.

Why a registry: the page, its tests and the edited-YAML download all need the same facts about a
control (which scenario key it sets, its label, widget kind, bounds, how its value is shown), and a
hand-written form function repeats them for every widget. Here each lever is one :class:`ControlSpec`;
:func:`controls_for` expands the per-group and per-tier ones for a scenario, :func:`levers_of` reads
the form's starting values, and :func:`apply_levers` writes changed values back through
``Scenario.with_updates``. Adding a lever is one entry in :data:`SPECS`.

Values are shown as a manager reads them: shares as percentages, the aging scale empty when each
tier's target is used. Only controls whose value differs from the scenario's are written back, so
an untouched form gives the scenario unchanged (no rounding through the percentage display).

The tier mix must add up to 100%: the form says so in one line rather than normalising, because a
silently rescaled mix is a different scenario from the one the manager typed.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from dfu_sched.errors import InputError
from dfu_sched.scenario.schema import Scenario, format_validation_error
from dfu_sched.sim.disciplines import DISCIPLINES

Kind = Literal["int", "float", "percent", "bool", "choice", "optional_float"]
Each = Literal["", "group", "tier"]

#: The form's sections, in page order (the Run section's replications and seed are run inputs, not
#: scenario keys, so the page draws them itself).
SECTIONS = ("Examiners", "Demand", "Queue rule", "Triage and extraction")

#: The source the form's messages name.
SOURCE = "the form"


@dataclass(frozen=True)
class ControlSpec:
    """One lever, possibly repeated per examiner group or per tier (``each``).

    ``key`` is the path the assumptions table and ``control_sources`` use (``{name}`` is the group or
    tier); ``path`` the place in the scenario's JSON (``{i}``: the group's index). Bounds are in the
    shown unit (percent for ``percent``) and inside the schema's own ranges.
    """

    section: str
    key: str
    path: tuple[str, ...]
    label: str
    kind: Kind
    low: float | None = None
    high: float | None = None
    step: float = 1.0
    each: Each = ""
    sums_to_100: str | None = None  #: the name of a group of percent controls that must add up to 100
    options: tuple[str, ...] = ()
    empty: str = ""  #: what an empty ``optional_float`` means (the widget's placeholder)


@dataclass(frozen=True)
class Control:
    """A spec made concrete for one scenario: its key, model path and label filled in."""

    spec: ControlSpec
    key: str
    path: tuple[str | int, ...]
    label: str

    @property
    def kind(self) -> Kind:
        return self.spec.kind

    def shown(self, stored: Any) -> Any:
        """The scenario's value as the widget shows it."""
        if self.kind == "percent":
            return round(float(stored) * 100, 6)
        if self.kind == "int":
            return int(stored)
        if self.kind == "float":
            return float(stored)
        if self.kind == "optional_float":
            return None if stored is None else float(stored)
        if self.kind == "bool":
            return bool(stored)
        return str(stored)

    def stored(self, shown: Any) -> Any:
        """The widget's value as the scenario stores it; ``InputError`` naming the control if it cannot be."""
        if shown is None and self.kind == "optional_float":
            return None
        if self.kind == "bool":
            return bool(shown)
        if self.kind == "choice":
            if shown not in self.spec.options:
                raise InputError(f"{self.label}: must be one of {', '.join(self.spec.options)}", source=SOURCE)
            return str(shown)
        try:
            number = float(shown)
        except (TypeError, ValueError):
            raise InputError(f"{self.label}: must be a number", source=SOURCE) from None
        low = -float("inf") if self.spec.low is None else self.spec.low
        high = float("inf") if self.spec.high is None else self.spec.high
        if not low <= number <= high:  # NaN too
            raise InputError(f"{self.label}: must be between {low:g} and {high:g}", source=SOURCE)
        if self.kind == "int":
            if number != int(number):
                raise InputError(f"{self.label}: must be a whole number", source=SOURCE)
            return int(number)
        return round(number / 100, 12) if self.kind == "percent" else number


def _percent(section: str, key: str, path: tuple[str, ...], label: str, each: Each = "",
             high: float = 100.0, sums: str | None = None) -> ControlSpec:
    return ControlSpec(section, key, path, label, "percent", 0.0, high, 0.5, each, sums)


#: Every lever on the page, in page order within its section. Add a lever here and nowhere else.
SPECS: tuple[ControlSpec, ...] = (
    ControlSpec("Examiners", "examiners[{name}].count", ("examiners", "{i}", "count"), "{name}: examiners",
                "int", 0, 1000, 1, "group"),
    ControlSpec("Examiners", "examiners[{name}].hours_per_week", ("examiners", "{i}", "hours_per_week"),
                "{name}: hours a week", "float", 1, 80, 0.5, "group"),
    _percent("Examiners", "examiners[{name}].absence", ("examiners", "{i}", "absence"),
             "{name}: absence (% of days)", "group", high=95.0),
    ControlSpec("Demand", "arrivals.cases_per_week", ("arrivals", "cases_per_week"), "Cases per week",
                "float", 0, 10_000, 0.5),
    ControlSpec("Demand", "arrivals.annual_growth", ("arrivals", "annual_growth"), "Growth a year (%)",
                "percent", -50, 100, 0.5),
    _percent("Demand", "arrivals.tier_mix.{name}", ("arrivals", "tier_mix", "{name}"),
             "Tier mix: {name} (% of cases)", "tier", sums="Tier mix"),
    ControlSpec("Queue rule", "policy.discipline", ("policy", "discipline"), "Queue rule", "choice",
                options=tuple(DISCIPLINES)),
    ControlSpec("Queue rule", "policy.aging_days", ("policy", "aging_days"),
                "Aging scale (days; empty: each tier's target)", "optional_float", 0.5, 3650, 1,
                empty="each tier's target"),
    _percent("Queue rule", "policy.expedite_share", ("policy", "expedite_share"), "Expedited devices (%)"),
    ControlSpec("Queue rule", "policy.preemptive", ("policy", "preemptive"),
                "Preemptive (an urgent device interrupts a running one)", "bool"),
    ControlSpec("Triage and extraction", "stages.triage.enabled", ("stages", "triage", "enabled"),
                "Triage stage on", "bool"),
    _percent("Triage and extraction", "stages.triage.screen_out_share", ("stages", "triage", "screen_out_share"),
             "Triage: screened out (%)"),
    _percent("Triage and extraction", "stages.triage.quick_path_share", ("stages", "triage", "quick_path_share"),
             "Triage: sent to the quick path (%)"),
    ControlSpec("Triage and extraction", "stages.triage.quick_path_factor",
                ("stages", "triage", "quick_path_factor"), "Quick path: share of examination hours", "float",
                0.05, 1, 0.05),
    ControlSpec("Triage and extraction", "stages.triage.servers", ("stages", "triage", "servers"),
                "Triage stations", "int", 1, 1000, 1),
    ControlSpec("Triage and extraction", "stages.extraction.servers", ("stages", "extraction", "servers"),
                "Extraction stations (kit)", "int", 1, 1000, 1),
)


@dataclass(frozen=True)
class Levers:
    """What the form holds: each control's shown value by its key (a key left out keeps the file's)."""

    values: Mapping[str, Any] = field(default_factory=dict)


def controls_for(sc: Scenario) -> list[Control]:
    """The registry expanded for ``sc``: one control per group or tier where the spec says so."""
    out: list[Control] = []
    for spec in SPECS:
        if spec.each == "group":
            names = [(i, g.name) for i, g in enumerate(sc.examiners)]
        elif spec.each == "tier":
            names = [(i, t) for i, t in enumerate(sc.tier_names) if t in sc.arrivals.tier_mix]
        else:
            names = [(0, "")]
        for i, name in names:
            path = tuple(i if p == "{i}" else p.format(name=name) for p in spec.path)
            out.append(Control(spec, spec.key.format(name=name), path, spec.label.format(name=name)))
    return out


def _get(data: Any, path: tuple[str | int, ...]) -> Any:
    for p in path:
        data = data[p]
    return data


def _set(data: Any, path: tuple[str | int, ...], value: Any) -> None:
    for p in path[:-1]:
        data = data[p]
    data[path[-1]] = value


def levers_of(sc: Scenario) -> Levers:
    """The form's starting values: what the scenario says, as the widgets show it."""
    data = sc.model_dump(mode="json", by_alias=True)
    return Levers({c.key: c.shown(_get(data, c.path)) for c in controls_for(sc)})


def apply_levers(sc: Scenario, levers: Levers) -> Scenario:
    """The scenario with the form's changed values; one ``InputError`` line naming the control if they do not fit."""
    controls, start = controls_for(sc), levers_of(sc).values
    data = sc.model_dump(mode="json", by_alias=True)
    changed: list[Control] = []
    for c in controls:
        value = levers.values.get(c.key, start[c.key])
        if value != start[c.key]:
            _set(data, c.path, c.stored(value))
            changed.append(c)
    if not changed:
        return sc
    _check_sums(controls, changed, data)
    updates = {str(c.path[0]): copy.deepcopy(data[str(c.path[0])]) for c in changed}
    try:
        return sc.with_updates(updates)
    except ValidationError as exc:
        named = _control_at(exc, changed)
        line = format_validation_error(exc)
        raise InputError(f"{named.label}: {line}" if named else line, source=SOURCE) from None


def share_totals(controls: list[Control], shown: Mapping[str, Any]) -> dict[str, float]:
    """Each group of percentage controls that must add up to 100, and what the form's values add up to."""
    totals: dict[str, float] = {}
    for c in controls:
        if c.spec.sums_to_100 and isinstance(shown.get(c.key), (int, float)):
            totals[c.spec.sums_to_100] = round(totals.get(c.spec.sums_to_100, 0.0) + float(shown[c.key]), 6)
    return totals


def _check_sums(controls: list[Control], changed: list[Control], data: dict) -> None:
    groups = {c.spec.sums_to_100 for c in changed if c.spec.sums_to_100}
    for group in sorted(groups):
        total = sum(_get(data, c.path) for c in controls if c.spec.sums_to_100 == group)
        if abs(total - 1.0) > 1e-6:
            raise InputError(f"{group}: the shares add up to {total * 100:g}%; they must add up to 100%",
                             source=SOURCE)


def _control_at(exc: ValidationError, changed: list[Control]) -> Control | None:
    """The changed control the first error is about: its own key, or the section a check of several keys names."""
    loc = tuple(exc.errors()[0]["loc"])
    exact = [c for c in changed if loc[:len(c.path)] == c.path]
    if exact:
        return exact[0]
    inside = [c for c in changed if c.path[:len(loc)] == loc]
    return inside[0] if inside else None
