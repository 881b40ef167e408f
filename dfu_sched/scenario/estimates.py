"""Ranges on estimates: a number in a scenario that says how sure we are of it.

Why: most inputs of a DFU scenario are estimates ([E]): the share triage screens out, what a kiosk
saves, hours per computer. A run that treats them as exact reports intervals that cover only the
randomness of arrivals and service. Any number in a scenario file may therefore carry a range::

    screen_out_share: {value: 0.30, low: 0.20, high: 0.50}              # triangular(0.20, 0.30, 0.50)
    screen_out_share: {value: 0.30, low: 0.20, high: 0.50, shape: uniform}
    cases_per_week: {value: 71.2, sd: 2.1}                               # a fitted value and its SE
    mean: {value: 6.0, draws: [5.1, 6.3, 5.8, 6.9]}                      # bootstrap draws

Every command runs with ``value``; the uncertainty wing (``dfu-sched sensitivity``,
``--input-uncertainty``) moves the ranged inputs. A mapping is a range when it has ``value`` and at
least one of ``low``/``high``/``sd``/``draws`` and nothing but the keys of :data:`RANGE_KEYS` (so
``{dist: fixed, value: 1}`` and ``{dist: uniform, low: 1, high: 2}`` stay distributions).

The shapes, each sampled by its inverse CDF from a uniform the caller owns (so worlds can be drawn
by Latin hypercube, and the same uniforms give the same worlds):

* ``triangular`` (default with ``low``/``high``): the mode is ``value``;
* ``uniform`` and ``pert`` (a beta on [low, high] with mode ``value``, the project-planning
  three-point estimate);
* ``normal`` (default with ``sd``): a fitted value and its standard error, truncated to
  [low, high] when given, else to ``value`` +- 3 sd; the one-at-a-time swing is ``value`` +- 1.96 sd
  (the 95% interval), cut to [low, high];
* ``draws``: bootstrap draws; the swing is their 2.5% and 97.5% quantiles.

The ends of a range are validated like the value: the scenario must be valid with the input at
its smallest and at its largest (one line naming the key and the end), so a world drawn later can
never be an invalid scenario.
"""
from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, cast

import numpy as np

from dfu_sched.scenario.input_errors import suggest

#: The keys a range may have; a mapping with ``value`` and only these is a range.
RANGE_KEYS = ("value", "low", "high", "sd", "draws", "shape", "note")
SHAPES = ("triangular", "uniform", "pert", "normal", "draws")
#: Most bootstrap draws a range may carry (a fit writes a few hundred at most).
MAX_DRAWS = 10_000

Shape = Literal["triangular", "uniform", "pert", "normal", "draws"]
Location = tuple[str | int, ...]


@dataclass(frozen=True)
class Estimate:
    """One ranged input: where it is, its central value and its law.

    ``key`` is the dotted path people read and type (``examiners.mobile.count``: list entries by
    their ``name`` where they have one, else by index, as ``--grid`` keys); ``location`` is the
    path in the scenario's data, for setting it.
    """

    key: str
    location: Location
    value: float
    low: float
    high: float
    shape: Shape
    sd: float | None = None
    draws: tuple[float, ...] = ()
    integer: bool = False
    note: str = ""

    @property
    def swing(self) -> tuple[float, float]:
        """The one-at-a-time low and high values (the tornado's bar ends)."""
        if self.shape == "draws":
            q = np.quantile(np.asarray(self.draws), [0.025, 0.975])
            return self._cast(float(q[0])), self._cast(float(q[1]))
        if self.shape == "normal":  # the 95% interval of a fitted value, inside its truncation
            assert self.sd is not None
            return (self._cast(max(self.low, self.value - 1.96 * self.sd)),
                    self._cast(min(self.high, self.value + 1.96 * self.sd)))
        return self._cast(self.low), self._cast(self.high)

    @property
    def support(self) -> tuple[float, float]:
        """The smallest and largest value a draw can take."""
        if self.shape == "draws":
            return self._cast(min(self.draws)), self._cast(max(self.draws))
        return self._cast(self.low), self._cast(self.high)

    def _cast(self, x: float) -> float:
        return float(round(x)) if self.integer else float(x)

    def ppf(self, u: np.ndarray | float) -> np.ndarray:
        """Values at uniforms ``u`` in [0, 1) (inverse CDF; rounded for a whole-number input)."""
        x = _ppf(self, np.clip(np.asarray(u, dtype=float), 0.0, 1.0))
        return np.round(x) if self.integer else x


def _ppf(e: Estimate, u: np.ndarray) -> np.ndarray:
    a, b, c = e.low, e.high, e.value
    if e.shape == "draws":
        d = np.sort(np.asarray(e.draws, dtype=float))
        return d[np.minimum((u * len(d)).astype(int), len(d) - 1)]
    if b <= a:
        return np.full_like(u, c)
    if e.shape == "uniform":
        return a + u * (b - a)
    if e.shape == "triangular":
        f = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1 - u) * (b - a) * (b - c))
        return np.where(u < f, left, right)
    from scipy import stats  # lazy: a plain run never loads scipy.stats

    if e.shape == "pert":
        alpha = 1 + 4 * (c - a) / (b - a)
        beta = 1 + 4 * (b - c) / (b - a)
        return a + (b - a) * stats.beta.ppf(u, alpha, beta)
    assert e.sd is not None  # normal
    lo, hi = stats.norm.cdf([(a - c) / e.sd, (b - c) / e.sd])
    # clipped: at u = 0 rounding can land a hair below low (a share at -1e-18 is not a valid share)
    return np.clip(c + e.sd * stats.norm.ppf(lo + u * (hi - lo)), a, b)


# ---- finding the ranges in a scenario's data -----------------------------------------------------

def is_range(node: Any) -> bool:
    """Whether a node of scenario data is a ranged number (see the module docstring)."""
    return (isinstance(node, Mapping) and "value" in node and set(node) <= set(RANGE_KEYS)
            and any(k in node for k in ("low", "high", "sd", "draws")))


def _number(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValueError(f"{where}: must be a finite number")
    return float(v)


def parse_range(node: Mapping, key: str, location: Location) -> Estimate:
    """One range node as an :class:`Estimate`; ValueError naming ``key`` and the field if malformed."""
    value = _number(node["value"], f"{key}.value")
    integer = all(isinstance(node.get(k), int) and not isinstance(node.get(k), bool)
                  for k in ("value", "low", "high") if k in node) and "sd" not in node and "draws" not in node
    shape = node.get("shape")
    if shape is not None and shape not in SHAPES:
        raise ValueError(f"{key}.shape: unknown shape '{shape}'{suggest(str(shape), SHAPES)} "
                         f"(known: {', '.join(SHAPES)})")
    sd = None if "sd" not in node else _number(node["sd"], f"{key}.sd")
    if sd is not None and sd <= 0:
        raise ValueError(f"{key}.sd: must be greater than 0")
    draws: tuple[float, ...] = ()
    if "draws" in node:
        raw = node["draws"]
        if not isinstance(raw, Sequence) or isinstance(raw, str) or not 2 <= len(raw) <= MAX_DRAWS:
            raise ValueError(f"{key}.draws: must be a list of 2 to {MAX_DRAWS:,} numbers")
        draws = tuple(_number(x, f"{key}.draws[{i}]") for i, x in enumerate(raw))
    if ("low" in node) != ("high" in node):
        raise ValueError(f"{key}: give both low and high (or sd, or draws)")
    if "low" in node:
        low, high = _number(node["low"], f"{key}.low"), _number(node["high"], f"{key}.high")
        if not low <= value <= high:
            raise ValueError(f"{key}: low <= value <= high is needed (got {low:g}, {value:g}, {high:g})")
    elif sd is not None:
        low, high = value - 3 * sd, value + 3 * sd
    else:
        low, high = min(draws), max(draws)
    if shape is None:
        shape = "draws" if draws else "normal" if sd is not None else "triangular"
    if shape == "normal" and sd is None:
        raise ValueError(f"{key}.shape: normal needs sd")
    if shape == "draws" and not draws:
        raise ValueError(f"{key}.shape: draws needs draws")
    note = node.get("note", "")
    if not isinstance(note, str):
        raise ValueError(f"{key}.note: must be text")
    return Estimate(key=key, location=location, value=value, low=low, high=high, shape=cast(Shape, shape), sd=sd,
                    draws=draws, integer=integer, note=note[:200])


def split_estimates(data: Any) -> tuple[Any, tuple[Estimate, ...]]:
    """Scenario data with every range replaced by its value, and the ranges found (file order).

    ValueError (naming the key) for a malformed range. The input is not modified.
    """
    found: list[Estimate] = []

    def walk(node: Any, key: str, loc: Location) -> Any:
        if isinstance(node, Mapping) and "value" in node and "dist" not in node and not is_range(node):
            _not_a_range(node, key)
        if is_range(node):
            est = parse_range(node, key, loc)
            found.append(est)
            raw = node["value"]
            return int(raw) if est.integer else float(raw)
        if isinstance(node, Mapping):
            return {k: walk(v, f"{key}.{k}" if key else str(k), (*loc, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, f"{key}.{_entry_name(v, i)}", (*loc, i)) for i, v in enumerate(node)]
        return node

    plain = walk(data, "", ())
    return plain, tuple(found)


def _not_a_range(node: Mapping, key: str) -> None:
    """A mapping with ``value`` and no ``dist`` is meant as a range: say what is wrong with it."""
    unknown = [str(k) for k in node if k not in RANGE_KEYS]
    if unknown:
        raise ValueError(f"{key}: unknown key '{unknown[0][:40]}' in a range{suggest(unknown[0], RANGE_KEYS)} "
                         f"(allowed: {', '.join(RANGE_KEYS)})")
    raise ValueError(f"{key}: a range needs low and high, sd, or draws (or write the number alone)")


def _entry_name(v: Any, i: int) -> str:
    name = v.get("name") if isinstance(v, Mapping) else None
    return name if isinstance(name, str) and name and "." not in name else str(i)


def set_values(data: Any, estimates: Sequence[Estimate], values: Sequence[float]) -> Any:
    """A copy of (plain) scenario data with each estimate's input set to its value."""
    out = copy.deepcopy(data)
    for est, v in zip(estimates, values):
        node = out
        for part in est.location[:-1]:
            node = node[part]
        node[est.location[-1]] = int(round(v)) if est.integer else float(v)
    return out


def value_at(data: Any, est: Estimate) -> Any:
    """The number at an estimate's location in scenario data (None if the location is gone)."""
    node = data
    for part in est.location:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def check_range_ends(plain: Any, estimates: Sequence[Estimate], problem: Callable[[Any], str | None]) -> None:
    """ValueError unless the scenario is valid with each input at either end of its range.

    ``problem(data)`` is the schema's one-line reason data is invalid (None when valid); checking
    the ends once here means no world drawn later can be an invalid scenario.
    """
    for est in estimates:
        for end, x in zip(("low", "high"), est.support):
            why = problem(set_values(plain, [est], [x]))
            if why is not None:
                where, _, rest = why.partition(": ")
                why = rest if rest and " " not in where else why  # the key is said once, by name
                raise ValueError(f"{est.key}: the range's {end} end {x:g} is not a valid value: {why}")


def typed(estimates: Sequence[Estimate], validated: Any) -> tuple[Estimate, ...]:
    """Each estimate marked whole-number exactly when the schema's field holds an ``int`` there.

    ``validated`` is the validated scenario's data (``model_dump(by_alias=True)``): a count drawn
    for a world is rounded, a float field given whole numbers (``ramp_up_weeks: {value: 39, ...}``)
    is not.
    """
    out = []
    for e in estimates:
        v = value_at(validated, e)
        out.append(replace(e, integer=isinstance(v, int) and not isinstance(v, bool)))
    return tuple(out)
