"""A fitted number written with its uncertainty: ``{value: v, sd: se}``, clipped to its field's domain.

Why: a fitted rate or mean is an estimate with a standard error; written as a bare number it looks
exact, and ``dfu-sched sensitivity`` or ``--input-uncertainty`` cannot move it. The scenario format
(``scenario/estimates.py``) reads ``{value, sd}`` as a normal law truncated to value +- 3 sd, and
validates both ends. A share near 0 or a growth near -100% would put that end outside the field's
valid values, so there the range carries ``low``/``high`` clipped to the domain. The value is
written exactly as before (a fit with ranges runs the same numbers as one without).

Mix shares (tier and device mixes) are left plain: they must sum to 1, so they cannot vary one at
a time; month factors are left plain for the same reason (they have mean 1). What the fit takes
from the base scenario keeps the base's ranges (:func:`range_node` writes an estimate back).
"""
from __future__ import annotations

import math
from typing import Any

from dfu_sched.scenario.distributions import MAX_COUNT, MAX_VALUE, MIN_MEAN
from dfu_sched.scenario.estimates import Estimate
from dfu_sched.scenario.schema import MAX_CASES_PER_WEEK

#: Valid values of the fields a fit writes with a range (closed; an open bound is moved inside).
DOMAINS: dict[str, tuple[float, float]] = {
    "cases_per_week": (0.0, float(MAX_CASES_PER_WEEK)),
    "annual_growth": (-0.99, 1.0),          # the schema's (-1, 1]; the writer clips the value the same way
    "devices_per_case": (1.0, float(MAX_COUNT)),
    "hours": (float(MIN_MEAN), float(MAX_VALUE)),
    "share": (0.0, 1.0),
    "productivity": (0.01, 10.0),           # the schema's (0, 10]; the writer clips the value the same way
}
SD_DIGITS = 3      #: significant digits of a written standard error
END_DECIMALS = 6   #: decimals of a clipped range end


def significant(x: float, digits: int = SD_DIGITS) -> float:
    """``x`` rounded to ``digits`` significant digits (0 stays 0)."""
    if x == 0 or not math.isfinite(x):
        return x
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def usable_se(se: float | None) -> bool:
    """Whether a standard error can be written (finite and positive after rounding)."""
    return se is not None and math.isfinite(se) and significant(se) > 0


def ranged(value: float, se: float | None, domain: str) -> Any:
    """``value`` alone when ``se`` is unusable, else ``{value, sd}`` (with ``low``/``high`` when
    value +- 3 sd leaves the field's domain, clipped to it)."""
    if not usable_se(se):
        return value
    assert se is not None
    sd = significant(se)
    lo_ok, hi_ok = DOMAINS[domain]
    out: dict[str, float] = {"value": value, "sd": sd}
    low, high = value - 3 * sd, value + 3 * sd
    if low < lo_ok or high > hi_ok:
        out["low"] = min(round(max(low, lo_ok), END_DECIMALS), value)
        out["high"] = max(round(min(high, hi_ok), END_DECIMALS), value)
    return out


def plus_minus(value: float, se: float | None, fmt: str = ".4g") -> str:
    """``"9.31 +- 0.412 (SE)"`` for a comment, or the value alone without a usable SE."""
    if not usable_se(se):
        return f"{value:{fmt}}"
    assert se is not None
    return f"{value:{fmt}} +- {significant(se):g} (SE)"


def range_node(e: Estimate) -> dict[str, Any]:
    """An estimate written back as the range a scenario file gives (the inverse of ``parse_range``)."""
    def num(x: float) -> float | int:
        return int(round(x)) if e.integer else x

    out: dict[str, Any] = {"value": num(e.value)}
    if e.shape == "draws":
        out["draws"] = list(e.draws)
    elif e.shape == "normal":
        assert e.sd is not None
        out["sd"] = e.sd
        if not (math.isclose(e.low, e.value - 3 * e.sd) and math.isclose(e.high, e.value + 3 * e.sd)):
            out["low"], out["high"] = e.low, e.high
    else:
        out["low"], out["high"] = num(e.low), num(e.high)
        if e.shape != "triangular":
            out["shape"] = e.shape
    if e.note:
        out["note"] = e.note
    return out
