"""Dominance and the efficient frontier (pure functions over points)."""
from __future__ import annotations

from dfu_sched.invest.frontier import dominates, frontier


def test_frontier_drops_dominated():
    def p(cost, *obj):
        return {"cost_gbp": cost, "objectives": dict(zip(["overall.exposure", "invest.wait_at_12m_days",
                                                          "overall.waiting_at_end"], obj))}
    a, b, c = p(0, 10, 10, 10), p(100, 5, 5, 5), p(150, 6, 5, 5)
    assert [q["cost_gbp"] for q in frontier([a, b, c])] == [0, 100]
    assert dominates(b, c) and not dominates(a, b)
