"""``--grid KEY=VALUES``: reading a grid of scenario inputs and validating every point before anything runs.

Why its own module: a sweep of 40 points that fails at point 37 on a misspelt key wastes the 36
before it, and a traceback tells a finance officer nothing. So every ``--grid`` option is read here
(``3..7``, ``3..7..2``, ``0,1,2,3``, ``fifo,priority``), every point is built as a scenario through
the schema (``Scenario.model_validate``: the same one-line messages as a scenario file), its
investment mix is made runnable by ``invest.evaluate.prepare`` (the levers registry, exactly as
``invest`` and ``compare`` apply a mix), and the first problem is one line naming the ``--grid``
option and its key.

KEY is a dotted path into the scenario as its file spells it. Lists of named entries (examiner
groups, tiers, investment options) are addressed by name (``examiners.mobile.count``), any list by
position (``backlog.0.count``); ``investment.mix.NAME`` sets the units of an option, so a point's
mix is the scenario's ``investment.mix`` with the grid's values in it.
"""
from __future__ import annotations

import copy
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from dfu_sched.errors import InputError
from dfu_sched.invest.evaluate import Prepared, prepare
from dfu_sched.scenario.input_errors import suggest
from dfu_sched.scenario.schema import Scenario, format_validation_error

#: Values one ``--grid`` may list, and points a sweep may have (the product over every ``--grid``).
MAX_VALUES_PER_AXIS = 200
MAX_POINTS = 500
MAX_KEY_LENGTH = 200

Value = int | float | str

_KEY = re.compile(r"^[A-Za-z0-9_\-+]+(\.[A-Za-z0-9_\-+]+)*$")
_INT = re.compile(r"^[+-]?[0-9]+$")
_FLOAT = re.compile(r"^[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_RANGE = re.compile(r"^([+-]?[0-9]+)\.\.([+-]?[0-9]+)(?:\.\.([+-]?[0-9]+))?$")
#: What a list of named entries is called in messages, by its key.
_NAMED = {"examiners": "examiner group", "tiers": "tier", "options": "investment option"}


@dataclass(frozen=True)
class Axis:
    """One ``--grid KEY=VALUES``: the key path and its values, in the order given."""

    key: str
    values: tuple[Value, ...]

    @property
    def option(self) -> str:
        return f"--grid {self.key}"

    @property
    def is_investment(self) -> bool:
        return self.key.startswith("investment.")


@dataclass(frozen=True)
class Point:
    """One grid point: its values (one per axis) and the scenario made runnable (mix applied, costed)."""

    index: int
    values: tuple[Value, ...]
    prepared: Prepared

    @property
    def scenario(self) -> Scenario:
        return self.prepared.scenario


@dataclass(frozen=True)
class Grid:
    axes: tuple[Axis, ...]
    points: tuple[Point, ...]

    def label(self, point: Point) -> str:
        """``examiners.mobile.count=4, policy.discipline=priority``."""
        return ", ".join(f"{a.key}={show(v)}" for a, v in zip(self.axes, point.values))


def show(v: Value) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


# ---- reading one --grid option ----------------------------------------------------------------

def _scalar(token: str, where: str) -> Value:
    """A number when it reads as one (whole numbers stay whole), else a plain word."""
    if _INT.match(token):
        return int(token)
    if _FLOAT.match(token):
        x = float(token)
        if not math.isfinite(x):
            raise InputError(f"{where}: '{token}' is not a finite number")
        return x
    if _WORD.match(token):
        return token
    raise InputError(f"{where}: '{token}' is neither a number nor a plain word (letters, digits, _ and -)")


def parse_values(text: str, where: str) -> tuple[Value, ...]:
    """``3..7`` (whole numbers, inclusive), ``3..7..2`` (with a step), or ``a,b,c`` (numbers or words)."""
    text = text.strip()
    if ".." in text and "," not in text:
        m = _RANGE.match(text)
        if not m:
            raise InputError(f"{where}: cannot read the range '{text}'; write START..END or START..END..STEP "
                             "with whole numbers (list decimals with commas: 0.5,1,1.5)")
        lo, hi, step = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
        if step <= 0:
            raise InputError(f"{where}: the step of '{text}' must be a whole number of 1 or more")
        if hi < lo:
            raise InputError(f"{where}: the range '{text}' ends below its start")
        count = (hi - lo) // step + 1
        if count > MAX_VALUES_PER_AXIS:
            raise InputError(f"{where}: '{text}' has {count:,} values (the most is {MAX_VALUES_PER_AXIS})")
        return tuple(range(lo, hi + 1, step))
    tokens = [t.strip() for t in text.split(",")]
    if any(not t for t in tokens):
        raise InputError(f"{where}: an empty value in '{text}' (write VALUES as 3..7 or 0,1,2,3)")
    if len(tokens) > MAX_VALUES_PER_AXIS:
        raise InputError(f"{where}: {len(tokens):,} values (the most is {MAX_VALUES_PER_AXIS})")
    return tuple(_scalar(t, where) for t in tokens)


def parse_axis(text: str) -> Axis:
    """One ``--grid`` option's text as an Axis (raises a one-line InputError naming the option)."""
    key, sep, values = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError(f"--grid: cannot read '{text}'; write KEY=VALUES (e.g. examiners.mobile.count=3..7)")
    if len(key) > MAX_KEY_LENGTH or not _KEY.match(key):
        raise InputError(f"--grid: '{key[:60]}' is not a key path (names joined by dots, "
                         "e.g. examiners.mobile.count)")
    if key == "run" or key.startswith("run."):
        raise InputError(f"--grid {key}: the run settings are the same for every point (use -n and --seed)")
    return Axis(key, parse_values(values, f"--grid {key}"))


# ---- setting a key path in the scenario's data -------------------------------------------------

def _child(node: Any, part: str, path: str) -> tuple[Any, Any]:
    """(container, index) of ``part`` in ``node``; raises ValueError naming what is wrong."""
    if isinstance(node, dict):
        return node, part  # a key not there yet: the schema says whether it may be (a mix's option may)
    if isinstance(node, list):
        names = [str(x["name"]) for x in node if isinstance(x, dict) and isinstance(x.get("name"), str)]
        if part in names:
            return node, names.index(part)
        if _INT.match(part) and 0 <= int(part) < len(node):
            return node, int(part)
        what = _NAMED.get(path.rsplit(".", 1)[-1], "entry")
        known = ", ".join(names) if len(names) == len(node) else f"0 to {len(node) - 1}"
        raise ValueError(f"unknown {what} '{part}'{suggest(part, names)} (known: {known or 'none'})")
    raise ValueError(f"'{path}' is a value, not a section")


def set_path(data: dict, key: str, value: Value) -> None:
    """Set ``key`` (a dotted path, see the module docstring) in scenario data; ValueError if it cannot be."""
    node: Any = data
    path = ""
    parts = key.split(".")
    for i, part in enumerate(parts):
        container, index = _child(node, part, path)
        path = f"{path}.{part}" if path else part
        last = i == len(parts) - 1
        current = container[index] if not (isinstance(container, dict) and index not in container) else None
        if last:
            if isinstance(current, (dict, list)):
                raise ValueError(f"'{path}' is a section, not a value (give a key inside it)")
            container[index] = value
            return
        if current is None:
            if isinstance(container, dict) and index not in container:
                siblings = [k for k in container if isinstance(k, str)]
                raise ValueError(f"unknown key '{part}'{suggest(part, siblings)} (allowed: {', '.join(siblings)})")
            raise ValueError(f"'{path}' is not set in the scenario (add the section to the file first)")
        node = current


def _scenario_at(data: dict, axes: Sequence[Axis], values: Sequence[Value]) -> Prepared:
    """The runnable scenario at one point (raises ValueError or InputError with the reason)."""
    d = copy.deepcopy(data)
    for a, v in zip(axes, values):
        set_path(d, a.key, v)
    try:
        sc = Scenario.model_validate(d)
    except ValidationError as exc:
        raise ValueError(format_validation_error(exc)) from None
    return prepare(sc, dict(sc.investment.mix) if sc.investment else {})


def _blame(data: dict, axes: Sequence[Axis], values: Sequence[Value], why: str) -> InputError:
    """The message for a point that failed: the one ``--grid`` whose value fails alone, else the point."""
    for a, v in zip(axes, values):
        try:
            _scenario_at(data, [a], [v])
        except (ValueError, InputError) as exc:
            return InputError(f"{a.option}={show(v)}: {exc}")
    point = ", ".join(f"{a.key}={show(v)}" for a, v in zip(axes, values))
    return InputError(f"--grid: the point {point} gives an invalid scenario: {why}")


def build_grid(base: Scenario, texts: Sequence[str]) -> Grid:
    """Every point of the grid the ``--grid`` texts describe, each validated (first axis varies slowest)."""
    if not texts:
        raise InputError("--grid: give at least one KEY=VALUES (e.g. --grid examiners.mobile.count=3..7)")
    axes = tuple(parse_axis(t) for t in texts)
    keys = [a.key for a in axes]
    dup = next((k for k in keys if keys.count(k) > 1), None)
    if dup is not None:
        raise InputError(f"--grid {dup}: given twice (list every value in one --grid)")
    count = math.prod(len(a.values) for a in axes)
    if count > MAX_POINTS:
        raise InputError(f"--grid: {count:,} points (the most is {MAX_POINTS}); "
                         "use fewer values or fewer --grid options")
    data = base.model_dump(mode="json", by_alias=True)
    points = []
    for i, values in enumerate(itertools.product(*(a.values for a in axes))):
        try:
            prep = _scenario_at(data, axes, values)
        except (ValueError, InputError) as exc:
            raise _blame(data, axes, values, str(exc)) from None
        points.append(Point(i, tuple(values), prep))
    return Grid(axes, tuple(points))
