"""The robust choice in words: mixes, inputs and thresholds as a finance committee reads them.

Why a module: a headline that says ``investment.options.triage_kiosk.screen_out_share < 0.238``
is not read; "with the triage kiosk screening out less than 24% of devices" is. The phrases are
keyed by the estimate's dotted key (``scenario.estimates``), with a plain fallback for any other
key, so a new ranged input never breaks a headline; lever names become words (``triage kiosk``).
"""
from __future__ import annotations

import math
from typing import Protocol

#: Lever-name words written in capitals.
_ACRONYMS = {"cse": "CSE", "dfu": "DFU", "it": "IT"}
#: Input names (last part of the key) that are shares of 0 to 1, said as percentages.
_SHARE_NAMES = ("absence", "annual_growth", "productivity_gain", "quick_path_share")


def words(name: str) -> str:
    """A lever or input name in words: ``triage_kiosk`` -> ``triage kiosk``, ``cse_automation`` -> ``CSE ..``."""
    return " ".join(_ACRONYMS.get(w, w) for w in str(name).replace("_", " ").split())


def mix_words(mix: dict[str, int]) -> str:
    """A mix in words: ``overtime 3, triage kiosk, training 7`` (a single unit is the lever's name)."""
    parts = [words(n) if u == 1 else f"{words(n)} {u}" for n, u in mix.items() if u]
    return ", ".join(parts) if parts else "nothing bought"


class _Mix(Protocol):
    """A tested mix as this module reads it (``robust.Contender``)."""

    @property
    def mix(self) -> dict[str, int]: ...
    @property
    def words(self) -> str: ...
    @property
    def role(self) -> str: ...


def other_mix_phrase(chosen: _Mix, other: _Mix) -> str:
    """How the other mix differs from the chosen one: 'the mix without the triage kiosk (overtime 3, training 7)'."""
    if other.role == "do nothing" or not any(other.mix.values()):
        return "doing nothing"
    a, b = chosen.mix, other.mix
    names = list(dict.fromkeys([*a, *b]))
    clauses: list[str] = []
    dropped = [words(n) for n in names if a.get(n) and not b.get(n)]
    added = [words(n) for n in names if b.get(n) and not a.get(n)]
    less = [words(n) for n in names if a.get(n) and b.get(n) and b[n] < a[n]]
    more = [words(n) for n in names if a.get(n) and b.get(n) and b[n] > a[n]]
    if dropped and added:
        clauses.append(f"with {_and(added)} instead of the {_and(dropped)}")
    elif dropped:
        clauses.append(f"without the {_and(dropped)}")
    elif added:
        clauses.append(f"adding {_and(added)}")
    if less:
        clauses.append(f"with less {_and(less)}")
    if more:
        clauses.append(f"more {_and(more)}" if less else f"with more {_and(more)}")
    what = " and ".join(clauses) or "with the same levers"
    return f"the mix {what} ({other.words})"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def number(x: float) -> str:
    """A number for a sentence: whole above 10, one decimal below."""
    if not math.isfinite(x):
        return "-"
    if x == 0:
        return "0"
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:.1f}"


def _is_share(key: str, value: float) -> bool:
    leaf = key.rsplit(".", 1)[-1]
    return (leaf.endswith("_share") or leaf in _SHARE_NAMES) and 0.0 <= value <= 1.0


def threshold_text(key: str, value: float) -> str:
    """The threshold as people read it: a share as a percentage, else up to three significant figures."""
    if _is_share(key, value):
        return f"{100 * value:.0f}%"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def input_phrase(key: str, threshold: float, side: str) -> str:
    """'the triage kiosk screening out less than 24% of devices' for key, threshold and side."""
    cmp = "less than" if side == "below" else "more than"
    v = threshold_text(key, threshold)
    parts = key.split(".")
    leaf = parts[-1]
    if parts[0] == "investment" and len(parts) >= 4:
        opt = words(parts[2])
        known = {"screen_out_share": f"the {opt} screening out {cmp} {v} of devices",
                 "time_saved_share": f"{opt} saving {cmp} {v} of the time on the work it applies to",
                 "applies_to_share": f"{opt} applying to {cmp} {v} of examination hours",
                 "productivity_gain": f"{opt} raising productivity by {cmp} {v}",
                 "ramp_up_weeks": f"a new {opt} taking {cmp} {v} weeks to reach full productivity"}
        return known.get(leaf, f"the {opt}'s {words(leaf)} {cmp} {v}")
    if key == "arrivals.cases_per_week":
        return f"{cmp} {v} cases a week arriving"
    if key == "arrivals.annual_growth":
        return f"demand growing by {cmp} {v} a year"
    if parts[0] == "device_types" and len(parts) == 5 and parts[2] == "service_hours" and leaf == "mean":
        return f"a {words(parts[1])} {words(parts[3])} taking {cmp} {v} hours on average"
    if parts[0] == "examiners" and len(parts) == 3 and leaf == "absence":
        return f"{words(parts[1])} examiners absent {cmp} {v} of the time"
    return f"{words(' '.join(parts))} {cmp} {v}"


#: The unit of each objective's regret, in words.
_UNITS = {"exposure": "risk-weighted device-days", "wait-12m": "days of wait in month 12",
          "backlog": "devices waiting at the end"}


def regret_units(objective: str, target: bool) -> str:
    """What a regret is counted in: the objective's units, or pounds for a target question."""
    return "£" if target else _UNITS.get(objective, objective)


def regret_text(x: float, objective: str, target: bool) -> str:
    """'3 devices waiting at the end' or '£12,000' (target questions)."""
    return f"£{x:,.0f}" if target else f"{number(x)} {regret_units(objective, False)}"
