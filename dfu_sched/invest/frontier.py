"""Dominance between mixes and the efficient frontier: pure functions over points.

Why a module: the search settles the frontier with these rules and the headline sentences use the
same tie tolerance to say whether a cheaper mix is worse elsewhere; one definition serves both. A
point is ``{"cost_gbp": ..., "objectives": {measure: value}}`` over the ``FRONTIER_KEYS`` measures.
"""
from __future__ import annotations

import numpy as np

from dfu_sched.invest.objectives import FRONTIER_KEYS

#: Differences smaller than this share of the do-nothing value count as ties when comparing mixes
#: (replication noise must not put a dearer, practically equal mix on the frontier).
FRONTIER_TOLERANCE = 0.005


def dominates(a: dict, b: dict, tol: dict[str, float] | None = None) -> bool:
    """a dominates b: no dearer, no worse on any objective (within ``tol``), and better somewhere."""
    tol = tol or {}
    ta = [0.0] + [tol.get(k, 0.0) for k in FRONTIER_KEYS]
    va = [a["cost_gbp"]] + [inf_if_unknown(a["objectives"][k]) for k in FRONTIER_KEYS]
    vb = [b["cost_gbp"]] + [inf_if_unknown(b["objectives"][k]) for k in FRONTIER_KEYS]
    no_worse = all(x <= y + t + 1e-9 for x, y, t in zip(va, vb, ta))
    better = any(x < y - t - 1e-9 for x, y, t in zip(va, vb, ta)) or va[0] < vb[0] - 1e-6
    return no_worse and better


def inf_if_unknown(x: float | None) -> float:
    """A measure's value, +inf when unknown (so an unmeasured mix never looks better)."""
    return np.inf if x is None or not np.isfinite(x) else float(x)


def tolerances(baseline: dict) -> dict[str, float]:
    """The tie tolerance of each objective: ``FRONTIER_TOLERANCE`` of the do-nothing value (0 if unknown)."""
    values = {k: inf_if_unknown(baseline["objectives"][k]) for k in FRONTIER_KEYS}
    return {k: FRONTIER_TOLERANCE * abs(v) if np.isfinite(v) else 0.0 for k, v in values.items()}


def frontier(points: list[dict], tol: dict[str, float] | None = None) -> list[dict]:
    """The non-dominated points, cheapest first."""
    keep = [p for p in points if not any(dominates(q, p, tol) for q in points if q is not p)]
    return sorted(keep, key=lambda p: (p["cost_gbp"], [inf_if_unknown(p["objectives"][k]) for k in FRONTIER_KEYS]))
