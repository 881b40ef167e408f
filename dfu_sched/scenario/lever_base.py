"""What every investment lever must be: one class per kind, holding all its behaviour.

Before this module a lever was a ``kind`` string tested with ``isinstance`` in eight functions, and
a branch missed in one of them failed quietly (a lever capped at one unit, a cost charged without
its effect, a lever described as "do nothing"). Now each kind is one subclass of ``Lever``:

- it declares its YAML fields and ``kind: Literal["..."]`` (the registry key and the union tag);
- it implements every abstract method (``check``, ``max_units_in``, ``unit_label``, ``describe``,
  ``apply``, ``cost_items``, ``recurring``). A class that misses one raises ``TypeError`` when it is
  created, that is when its module is imported, never later as a silent default;
- creating it registers it in ``LEVERS``, from which ``dfu_sched.scenario.levers`` builds the
  discriminated union of options. Adding a lever is one class in a family module
  (``lever_staff``, ``lever_kit``, ``lever_outsourcing``) plus its test.

The shared plain data a lever produces also lives here: ``Draft`` (the scenario data being changed),
``Contract`` (what outsourcing hands to the simulation hook) and ``CostItem`` (money, when).
Nothing here imports the scenario schema at run time (``Scenario`` is an annotation only), so the
schema can import the levers without an import circle.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # annotations only: the schema imports the levers, never the reverse at run time
    from dfu_sched.scenario.schema import Scenario

WEEKS_PER_YEAR = 52.0

#: Stated ranges: money up to £1 trillion, weeks up to 20 years, so costs and dates stay finite and exact.
MAX_GBP = 1e12
MAX_WEEKS = 1040.0
MAX_UNITS = 100_000

#: kind -> lever class, filled as lever classes are created (in definition order).
LEVERS: dict[str, type[Lever]] = {}


class Strict(BaseModel):
    """Unknown keys are errors; .inf/.nan are refused for every number (a budget of .inf would overflow)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


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


@dataclass(frozen=True)
class CostItem:
    """Money for one option: a one-off payment at ``start_week`` or a weekly rate over [start, end)."""

    option: str
    label: str
    start_week: float
    end_week: float | None        # None: one-off
    amount_gbp: float             # one-off amount, or £ per week when recurring


def item_total(item: CostItem) -> float:
    return item.amount_gbp if item.end_week is None else item.amount_gbp * (item.end_week - item.start_week)


@dataclass
class Draft:
    """A scenario being changed by levers, as plain data: validated once, after every lever applied.

    ``staff`` are today's examiner groups (training raises their productivity in place);
    ``new_staff`` are the groups levers add, kept after today's so today's examiners keep their
    own absence streams (common random numbers).
    """

    sc: Scenario                  # the scenario before any lever (read it, never change it)
    data: dict[str, Any]          # its JSON data, changed in place by the levers
    staff: list[dict[str, Any]] = field(default_factory=list)
    new_staff: list[dict[str, Any]] = field(default_factory=list)

    @property
    def horizon_weeks(self) -> float:
        return float(self.sc.calendar.horizon_weeks)


def _literal_kind(cls: type) -> str | None:
    """The ``kind`` a class declares as ``Literal["..."]``, or None for an intermediate base."""
    info = getattr(cls, "model_fields", {}).get("kind")
    if info is None or get_origin(info.annotation) is not Literal:
        return None
    (kind,) = get_args(info.annotation)
    return str(kind)


class Lever(Strict, abc.ABC):
    """One kind of investment option, bought in whole units (see the module docstring)."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_\-]+$", description="Short id used in mixes and reports.")
    source: str = Field("estimate", description="Where the figures come from (a citation, or 'estimate').")
    kind: str  # each lever narrows it to Literal["its_kind"]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        kind = _literal_kind(cls)
        if kind is None:
            return
        missing = sorted(getattr(cls, "__abstractmethods__", ()))
        if missing:
            raise TypeError(f"lever {cls.__name__} (kind '{kind}') does not implement {', '.join(missing)}")
        if kind in LEVERS:
            raise TypeError(f"lever {cls.__name__}: kind '{kind}' is already {LEVERS[kind].__name__}")
        LEVERS[kind] = cls

    # ---- what each lever must say -------------------------------------------------------------
    @abc.abstractmethod
    def check(self, sc: Scenario, where: str) -> None:
        """Raise ValueError (message starting with ``where``) if the option contradicts the scenario."""

    def claims(self, sc: Scenario) -> dict[str, str]:
        """Parts of the scenario this option takes over alone: resource -> clash message ('{other}' = holder).

        Two options claiming one resource contradict each other (one triage stage, one speed-up per
        device type). Most levers claim nothing.
        """
        return {}

    @abc.abstractmethod
    def max_units_in(self, sc: Scenario) -> int:
        """How many units of the option can be bought in this scenario."""

    @abc.abstractmethod
    def unit_label(self) -> str:
        """What one unit is, in a reader's words ('examiner', '20 h/week')."""

    @abc.abstractmethod
    def describe(self, units: int) -> str:
        """What buying ``units`` (at least 1) does, for the Monday meeting."""

    @abc.abstractmethod
    def apply(self, units: int, draft: Draft) -> Contract | None:
        """Change ``draft`` as ``units`` would; return a Contract for what the scenario cannot express."""

    @abc.abstractmethod
    def cost_items(self, units: int, horizon_weeks: float) -> list[CostItem]:
        """What ``units`` cost inside the horizon, item by item (recurring items clipped to it)."""

    @abc.abstractmethod
    def recurring(self, units: int) -> float:
        """£ a year still committed after the horizon (permanent staff, licences, running costs)."""

    # ---- helpers for cost_items ----------------------------------------------------------------
    def one_off(self, label: str, amount: float, horizon_weeks: float, week: float = 0.0) -> list[CostItem]:
        """A payment at ``week``, if there is one and it falls inside the horizon."""
        if amount > 0 and week < horizon_weeks:
            return [CostItem(self.name, label, week, None, amount)]
        return []

    def weekly(self, label: str, start: float, end: float | None, per_year: float,
               horizon_weeks: float) -> list[CostItem]:
        """A yearly amount paid by the week over [start, end), clipped to the horizon (None: open-ended)."""
        end = horizon_weeks if end is None else min(end, horizon_weeks)
        if end > start and per_year > 0:
            return [CostItem(self.name, label, start, end, per_year / WEEKS_PER_YEAR)]
        return []
