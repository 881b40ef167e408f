"""Scenario files: YAML in, a validated, typed ``Scenario`` out.

Units live in the field names (``_weeks``, ``_days``, ``_hours``, ``_gbp``) so a scenario reads
unambiguously. Unknown keys are rejected with their key path and a suggestion, cross-references
(tiers, device types, skills) are checked, and every failure becomes one ``InputError`` line.
"""
from __future__ import annotations

import datetime as dt
import json
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from dfu_sched.calendar import STAGES, WORKING_DAYS, Weekday
from dfu_sched.errors import InputError
from dfu_sched.scenario.distributions import CountDistribution, Distribution, FixedCount
from dfu_sched.scenario.estimates import Estimate, check_range_ends, split_estimates, typed, value_at
from dfu_sched.scenario.input_errors import one_line, suggest
from dfu_sched.scenario.levers import Investment, check_investment
from dfu_sched.scenario.range_schema import with_ranges
from dfu_sched.sim.disciplines import DISCIPLINES
from dfu_sched.sim.disciplines import describe as describe_disciplines
from dfu_sched.yamlfile import read_yaml_mapping

# Stated ranges: finite, and small enough that the arithmetic (growth, dates, counts) stays exact.
FIRST_DATE, LAST_DATE = dt.date(1990, 1, 1), dt.date(2100, 12, 31)  #: start dates the calendar computes with
MAX_WEEKS = 1040                 #: 20 years: horizons, start/lag/ramp-up weeks
MAX_DAYS = 3650.0                #: 10 years: targets, thresholds, aging scales
MAX_CASES_PER_WEEK = 100_000.0   #: demand (the size guard refuses runs too big long before this)
MAX_STAFF = 100_000              #: people or stations in one group
MAX_DEVICE_EXAM_HOURS = 2000.0   #: a year of one examiner's full-time work (as a queue file's estimate)
MAX_BACKLOG = 100_000_000        #: devices in one backlog entry (the size guard refuses far fewer)
MAX_SEED = 2**63 - 1
#: Longest chain of ``extends:`` files (a variant of a variant of ...).
MAX_EXTENDS_DEPTH = 16


class Strict(BaseModel):
    """Base for every scenario section: unknown keys are errors, not silently ignored."""

    # Every number must be finite: .inf/.nan are refused here, once, instead of failing deep inside.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


class Calendar(Strict):
    """Simulation clock: hour 0 is 00:00 on ``start_date``; week w spans hours [168w, 168(w+1))."""

    start_date: dt.date = Field(default=dt.date(2023, 1, 2), description="First simulated day (its weekday anchors "
                                f"rosters), from {FIRST_DATE} to {LAST_DATE}.")
    horizon_weeks: int = Field(default=104, gt=0, le=MAX_WEEKS, description="Length of each replication, weeks.")
    warmup_weeks: float = Field(default=0.0, ge=0,
                                description="Weeks discarded before measuring (0 when starting from today's backlog).")

    @field_validator("start_date")
    @classmethod
    def _date_in_range(cls, v: dt.date) -> dt.date:
        if not FIRST_DATE <= v <= LAST_DATE:  # dates, costs and reports are computed up to 20 years on
            raise ValueError(f"must be a date from {FIRST_DATE} to {LAST_DATE}")
        return v

    @model_validator(mode="after")
    def _warmup_inside(self):
        if self.warmup_weeks >= self.horizon_weeks:
            raise ValueError("calendar.warmup_weeks must be shorter than calendar.horizon_weeks")
        return self


class RunDefaults(Strict):
    replications: int = Field(default=20, ge=1, le=10_000, description="Replications when -n is not given.")
    seed: int = Field(default=2022, ge=0, le=MAX_SEED, description="Root seed when --seed is not given.")


class Tier(Strict):
    """A child-safeguarding risk tier, most urgent first in ``tiers``."""

    name: str = Field(min_length=1)
    weight: float = Field(gt=0, le=1e6, description="Risk weight per device-day waited (exposure).")
    target_days: float = Field(gt=0, le=MAX_DAYS, description="Days from submission by which examination should start.")


DEFAULT_TIERS = [
    Tier(name="VH", weight=8, target_days=1),
    Tier(name="H", weight=4, target_days=7),
    Tier(name="M", weight=2, target_days=14),
    Tier(name="L", weight=1, target_days=30),
]


class Period(Strict):
    """Piecewise-constant demand: from ``from_week`` on, cases arrive at ``cases_per_week``."""

    from_week: float = Field(ge=0, le=MAX_WEEKS)
    cases_per_week: float = Field(ge=0, le=MAX_CASES_PER_WEEK)


class Arrivals(Strict):
    cases_per_week: float = Field(ge=0, le=MAX_CASES_PER_WEEK, description="Poisson rate of new cases at week 0.")
    periods: list[Period] = Field(default_factory=list, description="Rate changes, by start week.")
    annual_growth: float = Field(0.0, gt=-1, le=1, description="Compound growth of the rate per year (0.05 = +5%/yr).")
    devices_per_case: CountDistribution = Field(default_factory=lambda: FixedCount(dist="fixed", value=1))
    tier_mix: dict[str, float] = Field(description="Share of cases in each tier (sums to 1).")
    device_mix: dict[str, float] = Field(description="Share of devices of each type (sums to 1).")
    device_mix_by_tier: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="Optional per-tier device mix overriding device_mix."
    )

    @field_validator("periods")
    @classmethod
    def _sorted(cls, v: list[Period]) -> list[Period]:
        weeks = [p.from_week for p in v]
        if weeks != sorted(weeks):
            raise ValueError("periods must be in order of from_week")
        return v

    @field_validator("tier_mix", "device_mix")
    @classmethod
    def _shares(cls, v: dict[str, float]) -> dict[str, float]:
        return _check_shares(v)

    @field_validator("device_mix_by_tier")
    @classmethod
    def _tier_shares(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        for mix in v.values():
            _check_shares(mix)
        return v

    def rate_at_week(self, week: float) -> float:
        """Cases per week at ``week``: the period's base rate times compound growth."""
        rate = self.cases_per_week
        for p in self.periods:
            if p.from_week <= week:
                rate = p.cases_per_week
        return rate * (1.0 + self.annual_growth) ** (week / 52.0)


def _check_shares(v: dict[str, float]) -> dict[str, float]:
    if not v:
        raise ValueError("needs at least one entry")
    if any(x < 0 for x in v.values()):
        raise ValueError("shares must not be negative")
    total = sum(v.values())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"shares must sum to 1 (they sum to {total:g})")
    return v


class DeviceType(Strict):
    skill: str = Field(description="Examiner skill an examination of this type needs.")
    service_hours: dict[Literal["triage", "extraction", "examination", "report"], Distribution] = Field(
        description="Work per stage, in standard hours (machine hours for extraction)."
    )

    @property
    def service(self):
        """Alias of ``service_hours`` for callers that think in stages."""
        return self.service_hours


def _working_days() -> list[Weekday]:
    """Monday to Friday, typed as weekday names (``calendar.WORKING_DAYS`` is plain strings)."""
    return [d for d in get_args(Weekday) if d in WORKING_DAYS]


class Roster(Strict):
    """When a pool of stations or staff works: given days, from ``start_hour``, ``hours_per_day``."""

    continuous: bool = Field(default=False, description="Works 24/7 (kit that runs unattended; theory checks).")
    days: list[Weekday] = Field(default_factory=lambda: _working_days())
    start_hour: float = Field(default=8.0, ge=0, lt=24)
    hours_per_day: float = Field(default=7.5, gt=0, le=24)


class Stage(Strict):
    enabled: bool = True
    servers: int = Field(default=1, ge=1, le=MAX_STAFF,
                         description="Stations (kiosks, workstations, QA reviewers) working in parallel.")
    roster: Roster = Field(default_factory=Roster)


class TriageStage(Stage):
    enabled: bool = False
    screen_out_share: float = Field(default=0.0, ge=0, le=1,
                                    description="Share of devices triage removes from full examination.")
    quick_path_share: float = Field(default=0.0, ge=0, le=1, description="Share sent to a quicker examination.")
    quick_path_factor: float = Field(default=0.3, gt=0, le=1,
                                     description="Examination hours multiplier on the quick path.")

    @model_validator(mode="after")
    def _shares(self):
        if self.screen_out_share + self.quick_path_share > 1 + 1e-9:
            raise ValueError("screen_out_share + quick_path_share must not exceed 1")
        return self


class Stages(Strict):
    triage: TriageStage = Field(default_factory=TriageStage)
    extraction: Stage = Field(default_factory=lambda: Stage(servers=4, roster=Roster(continuous=True)))
    report: Stage = Field(default_factory=lambda: Stage(enabled=False))


class ExaminerGroup(Strict):
    """One or more examiners who share skills and a roster; each is simulated individually."""

    name: str = Field(min_length=1)
    count: int = Field(1, ge=0, le=MAX_STAFF)
    skills: list[str] = Field(min_length=1)
    hours_per_week: float = Field(37.5, gt=0, le=168, description="Rostered hours, spread evenly over ``days``.")
    days: list[Weekday] = Field(default_factory=lambda: _working_days())
    start_hour: float = Field(8.0, ge=0, lt=24)
    continuous: bool = Field(False, description="Available 24/7 (theory checks).")
    productivity: float = Field(1.0, gt=0, le=10,
                                description="Standard hours of work done per rostered hour at full speed.")
    start_week: float = Field(0.0, ge=0, le=MAX_WEEKS, description="First week in post (recruitment lag).")
    ramp_up_weeks: float = Field(0.0, ge=0, le=MAX_WEEKS, description="Weeks from start to full productivity (linear).")
    ramp_up_start: float = Field(0.25, ge=0, le=1, description="Share of full productivity on the first day.")
    leave_week: float | None = Field(None, gt=0, le=2 * MAX_WEEKS, description="Week the examiner(s) leave, if any.")
    absence: float = Field(0.0, ge=0, lt=1, description="Share of rostered days lost to leave, training, court.")
    accreditation: int = Field(1, ge=1, le=100, description="Accreditation level (used by the weekly plan).")

    @model_validator(mode="after")
    def _roster(self):
        if not self.continuous:
            if not self.days:
                raise ValueError("days must list at least one working day")
            if self.hours_per_week / len(set(self.days)) > 24:
                raise ValueError("hours_per_week spread over days exceeds 24 hours a day")
        if self.leave_week is not None and self.leave_week <= self.start_week:
            raise ValueError("leave_week must come after start_week")
        return self


class BacklogEntry(Strict):
    """Devices already waiting on day one: the whole point for a DFU with a 12-month queue."""

    device_type: str
    tier: str
    count: int = Field(ge=0, le=MAX_BACKLOG)
    age_days: Distribution = Field(description="Days each device has already waited at hour 0.")
    stage: Literal["first", "triage", "extraction", "examination", "report"] = Field(
        "first", description="Queue the devices wait in ('first' = first enabled stage)."
    )
    exam_hours: float | None = Field(
        None, gt=0, le=MAX_DEVICE_EXAM_HOURS,
        description="Fixed examination hours of each of these devices (e.g. a queue file's estimated_hours); "
                    "unset = drawn from the device type's distribution. Other stages' hours are still drawn.",
    )
    expedite: bool | None = Field(
        None, description="Whether these devices jump the queue (e.g. a queue file's expedite flag); "
                          "unset = flagged at random with policy.expedite_share.",
    )


class Policy(Strict):
    """The queue rule. ``discipline`` names an entry of ``dfu_sched.sim.disciplines.DISCIPLINES``:
    the schema looks the names up there (the one arrow from the scenario wing into ``sim``) so a
    new discipline is one registered object, and the JSON Schema lists exactly what can run."""

    discipline: str = Field(
        default="fifo",
        description=describe_disciplines(),
        json_schema_extra={"enum": list(DISCIPLINES)},
    )
    preemptive: bool = Field(default=False,
                             description="Preemptive-resume: a more urgent device interrupts a running one.")
    expedite_share: float = Field(default=0.0, ge=0, le=1, description="Share of devices flagged to jump the queue.")
    aging_days: float | None = Field(default=None, gt=0, le=MAX_DAYS,
                                     description="Aging scale in days; default each tier's target.")
    plan_time_limit_s: float = Field(default=1.0, gt=0, le=3600,
                                     description="Solver time per simulated week for weekly-plan.")

    @field_validator("discipline")
    @classmethod
    def _registered(cls, v: str) -> str:
        if v not in DISCIPLINES:
            names = list(DISCIPLINES)
            raise ValueError(f"unknown discipline '{v}'{suggest(v, names)} (known: {', '.join(names)})")
        return v


class Measures(Strict):
    wait_thresholds_days: list[Annotated[float, Field(gt=0, le=MAX_DAYS)]] = Field(default_factory=lambda: [3.0, 30.0])
    backlog_thresholds_devices: list[Annotated[float, Field(ge=0, le=10_000_000)]] = Field(
        default_factory=list,
        description="Backlog sizes (devices awaiting examination) for 'first week the backlog falls below'.")


class Scenario(Strict):
    """A whole DFU: demand, kit, people, today's backlog and the queue rule."""

    name: str = Field(min_length=1)
    description: str = ""
    calendar: Calendar = Field(default_factory=Calendar)
    run: RunDefaults = Field(default_factory=RunDefaults)
    tiers: list[Tier] = Field(default_factory=lambda: list(DEFAULT_TIERS), min_length=1)
    arrivals: Arrivals
    device_types: dict[str, DeviceType] = Field(min_length=1)
    stages: Stages = Field(default_factory=Stages)
    examiners: list[ExaminerGroup] = Field(min_length=1)
    backlog: list[BacklogEntry] = Field(default_factory=list)
    policy: Policy = Field(default_factory=Policy)
    measures: Measures = Field(default_factory=Measures)
    investment: Investment | None = Field(None, description="Options money can buy (read by compare and invest).")
    #: The ranged inputs of the file (``dfu_sched.scenario.estimates``); the fields hold their values.
    _estimates: tuple[Estimate, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _cross_references(self):
        tiers = [t.name for t in self.tiers]
        if len(set(tiers)) != len(tiers):
            raise ValueError("tiers: names must be unique")
        types = list(self.device_types)
        skills = sorted({d.skill for d in self.device_types.values()})
        _known("arrivals.tier_mix", self.arrivals.tier_mix, tiers, "tier")
        _known("arrivals.device_mix", self.arrivals.device_mix, types, "device type")
        _known("arrivals.device_mix_by_tier", self.arrivals.device_mix_by_tier, tiers, "tier")
        for tier, mix in self.arrivals.device_mix_by_tier.items():
            _known(f"arrivals.device_mix_by_tier.{tier}", mix, types, "device type")
        for name, dtype in self.device_types.items():
            for stage in self.enabled_stages:
                if stage not in dtype.service_hours:
                    raise ValueError(f"device_types.{name}.service_hours: missing '{stage}' (the stage is enabled)")
        covered: set[str] = set()
        for i, group in enumerate(self.examiners):
            for skill in group.skills:
                if skill not in skills:
                    raise ValueError(
                        f"examiners[{i}].skills: unknown skill '{skill}'{suggest(skill, skills)} "
                        f"(known: {', '.join(skills)})"
                    )
            if group.count > 0:
                covered.update(group.skills)
        for name, dtype in self.device_types.items():
            if dtype.skill not in covered:
                raise ValueError(f"device_types.{name}.skill: no examiner has skill '{dtype.skill}'")
        for i, entry in enumerate(self.backlog):
            _known_one(f"backlog[{i}].device_type", entry.device_type, types, "device type")
            _known_one(f"backlog[{i}].tier", entry.tier, tiers, "tier")
            if entry.stage not in ("first",) and entry.stage not in self.enabled_stages:
                raise ValueError(f"backlog[{i}].stage: stage '{entry.stage}' is not enabled")
        names = [g.name for g in self.examiners]
        if len(set(names)) != len(names):
            raise ValueError("examiners: group names must be unique")
        check_investment(self)  # options' tiers, types, skills, groups (dfu_sched.scenario.levers)
        return self

    # ---- derived views (cached: a Scenario is never mutated after validation) ----
    @cached_property
    def enabled_stages(self) -> tuple[str, ...]:
        on = {"triage": self.stages.triage.enabled, "extraction": self.stages.extraction.enabled,
              "examination": True, "report": self.stages.report.enabled}
        return tuple(s for s in STAGES if on[s])

    @property
    def skills(self) -> list[str]:
        return sorted({d.skill for d in self.device_types.values()})

    @property
    def tier_names(self) -> list[str]:
        return [t.name for t in self.tiers]

    def tier(self, name: str) -> Tier:
        return next(t for t in self.tiers if t.name == name)

    @property
    def estimates(self) -> tuple[Estimate, ...]:
        """The inputs the file gave a range (``{value, low, high}``, ``{value, sd}``, ...), in file order."""
        return self._estimates

    def with_estimates(self, estimates: tuple[Estimate, ...]) -> Scenario:
        """This scenario carrying ``estimates`` (each must sit at a number of the scenario's data)."""
        out = self.model_copy()
        out._estimates = tuple(estimates)
        return out

    def with_updates(self, updates: dict[str, Any]) -> Scenario:
        """A validated copy with nested keys replaced (``{"policy": {"discipline": "priority"}}``).

        Ranges whose input the updates leave at its value are kept; a range on a replaced input is not.
        """
        data = _deep_merge(self.model_dump(mode="json", by_alias=True), updates)
        out = Scenario.model_validate(data)
        if self._estimates:
            out._estimates = tuple(e for e in self._estimates if value_at(data, e) == e.value)
        return out


def _deep_merge(base: dict, updates: dict) -> dict:
    out = dict(base)
    for key, value in updates.items():
        # A distribution ({"dist": ...}) is replaced whole: its parameters belong together.
        if isinstance(value, dict) and isinstance(out.get(key), dict) and "dist" not in value:
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _known_one(path: str, value: str, options: list[str], what: str) -> None:
    if value not in options:
        raise ValueError(f"{path}: unknown {what} '{value}'{suggest(value, options)} (known: {', '.join(options)})")


def _known(path: str, mapping: dict, options: list[str], what: str) -> None:
    for key in mapping:
        _known_one(path, key, options, what)


# ---- loading -------------------------------------------------------------------------------

def read_yaml(path: str | Path) -> dict:
    """Read a scenario file's YAML mapping: limits, tag and date errors in ``dfu_sched.yamlfile``."""
    return read_yaml_mapping(path, "scenario file")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raises ``InputError`` with a one-line message."""
    return parse_scenario(read_scenario_data(path), source=str(path))


def read_scenario_data(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict:
    """A scenario's raw data, with ``extends: base.yaml`` resolved.

    A variant file names a base scenario (relative to itself) and only the keys it changes;
    mappings merge key by key, lists and distributions are replaced whole.
    """
    path = Path(path)
    data = read_yaml(path)  # a regular file of bounded size (dfu_sched.yamlfile)
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise InputError("extends: must be the path of a base scenario file", source=str(path))
    base_path = (path.parent / base).resolve()
    if base_path in _seen or base_path == path.resolve():
        raise InputError(f"extends: '{base}' extends itself (a cycle)", source=str(path))
    if len(_seen) >= MAX_EXTENDS_DEPTH:
        raise InputError(f"extends: more than {MAX_EXTENDS_DEPTH} base files in a chain", source=str(path))
    if not base_path.exists():
        raise InputError(f"extends: base scenario '{base}' not found", source=str(path))
    if not base_path.is_file():  # /dev/zero, a folder, a pipe: never read without limit
        raise InputError(f"extends: '{base}' is not a regular file", source=str(path))
    return _deep_merge(read_scenario_data(base_path, _seen + (path.resolve(),)), data)


#: Most ranged inputs one scenario may carry (each costs runs in ``dfu-sched sensitivity``).
MAX_ESTIMATES = 200


def parse_scenario(data: dict, source: str = "<scenario>") -> Scenario:
    """Validate scenario data; ranged inputs run at their value and are kept as ``estimates``."""
    try:
        plain, estimates = split_estimates(data)
    except ValueError as exc:
        raise InputError(str(exc), source=source) from None
    if len(estimates) > MAX_ESTIMATES:
        raise InputError(f"{len(estimates)} ranged inputs (the most is {MAX_ESTIMATES})", source=source)
    try:
        sc = Scenario.model_validate(plain)
    except ValidationError as exc:
        raise InputError(format_validation_error(exc), source=source) from None
    if not estimates:
        return sc
    estimates = typed(estimates, sc.model_dump(by_alias=True))
    try:
        check_range_ends(plain, estimates, _problem)
    except ValueError as exc:
        raise InputError(str(exc), source=source) from None
    return sc.with_estimates(estimates)


def _problem(data: dict) -> str | None:
    """The one-line reason ``data`` is not a valid scenario, or None."""
    try:
        Scenario.model_validate(data)
    except ValidationError as exc:
        return format_validation_error(exc)
    return None


def format_validation_error(exc: ValidationError, schema: dict | None = None) -> str:
    """First error as ``key.path: message``, read against the scenario's JSON Schema unless given."""
    return one_line(exc, scenario_json_schema() if schema is None else schema)


_SCHEMA_CACHE: dict | None = None


def scenario_json_schema() -> dict:
    """The JSON Schema of scenario files, for editors (``dfu-sched schema``); numbers may be ranges."""
    global _SCHEMA_CACHE
    if _SCHEMA_CACHE is None:
        schema = with_ranges(Scenario.model_json_schema(by_alias=True))  # a range wherever a number is
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = "dfu-sched scenario"
        _SCHEMA_CACHE = schema
    return json.loads(json.dumps(_SCHEMA_CACHE))
