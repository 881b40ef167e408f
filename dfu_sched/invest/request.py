"""An investment question as a manager types it (budget, target, "by", objective), read into search settings.

Why a module: ``dfu-sched invest`` and the web app's Invest page must read the same words into the
same :class:`~dfu_sched.invest.search.SearchSettings` (the same replications per phase, the same
defaults, the same one-line errors), or the page would answer a different question than the
command for the same inputs. Both call :func:`search_settings`; nothing here runs a simulation.
"""
from __future__ import annotations

import math

from dfu_sched.errors import InputError
from dfu_sched.invest.search import SearchSettings
from dfu_sched.invest.targets import parse_by, parse_target
from dfu_sched.scenario.lever_base import MAX_GBP
from dfu_sched.scenario.schema import Scenario


def parse_gbp(text: str) -> float:
    """'400000', '400,000', '£400K', '1.2m' -> pounds (``--budget``'s one-line errors)."""
    t = text.strip().replace(",", "").replace("£", "").lower()
    mult = 1.0
    if t.endswith("k"):
        mult, t = 1e3, t[:-1]
    elif t.endswith("m"):
        mult, t = 1e6, t[:-1]
    try:
        value = float(t) * mult
    except ValueError:
        raise InputError(f"--budget: '{text}' is not an amount of money (e.g. 400000 or 400k)") from None
    if value < 0:
        raise InputError(f"--budget: must not be negative (got {text})")
    if not math.isfinite(value) or value > MAX_GBP:  # inf and nan are not money either
        raise InputError(f"--budget: must be an amount from £0 to £{MAX_GBP:,.0f} (got {text})")
    return value


def phase_replications(final: int) -> tuple[int, int, int]:
    """Replications every mix starts with, every frontier mix has, and the chosen mix and doing
    nothing have: n/8, n/4 and n (at least 2 and 3; see ``invest.search``).

    Measured with n/10 (3 of 32) from a replication cache: the same budget answers (268 and 227
    replications on £400K and £200K against 296 and 244), but the ``--target high-risk-week``
    example changed its answer (a cheaper mix meeting the target in 81% of replications) and
    simulated more (790 against 736): not kept.
    """
    return max(2, final // 8), max(3, final // 4), final


def search_settings(sc: Scenario, source: str, budget: str | None, target: str | None, by: str | None,
                    objective: str, replications: int, seed: int | None,
                    workers: int | None = None) -> SearchSettings:
    """The settings of ``invest SOURCE --budget B --target T --by D --objective O -n N --seed S``.

    ``budget``, ``target`` and ``by`` are the texts as typed (None when not given); without a target
    the budget defaults to the scenario's ``investment.budget_gbp``. Raises ``InputError`` with the
    command's one line (a file name, never a value of it).
    """
    if sc.investment is None or not sc.investment.options:
        raise InputError(f"{source}: no investment options (add an 'investment:' section with options)")
    budget_gbp = parse_gbp(budget) if budget is not None else None
    if by is not None and target is None:
        raise InputError("--by needs --target")
    tgt = parse_target(target, sc, parse_by(by, sc)) if target is not None else None
    if tgt is None and budget_gbp is None:
        budget_gbp = sc.investment.budget_gbp
    screen, candidates, final = phase_replications(replications)
    return SearchSettings(budget=budget_gbp, target=tgt, objective=objective,
                          seed=sc.run.seed if seed is None else seed, screen_reps=screen,
                          candidate_reps=candidates, final_reps=final, workers=workers)
