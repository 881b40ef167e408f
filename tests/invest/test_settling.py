"""Settling the frontier: a remembered verdict is never used once either mix has more replications."""
from __future__ import annotations

import numpy as np

from dfu_sched.invest.evaluate import Evaluator
from dfu_sched.invest.frontier import tolerances
from dfu_sched.invest.objectives import FRONTIER_KEYS
from dfu_sched.invest.settling import (
    confidently_dominated_by,
    confidently_worse,
    point,
    race_for_best,
    settle_frontier,
)
from tests.helpers import small


def _fill(ev: Evaluator, key: tuple, values: list[float]) -> None:
    """Replications of ``key`` whose every objective takes the given values (no simulation)."""
    for r, v in enumerate(values):
        ev.runs[key].setdefault(r, (dict.fromkeys(FRONTIER_KEYS, v), {}))


def test_memo_follows_the_replication_counts():
    sc = small(keep=("overtime", "training"), horizon_weeks=4)
    ev = Evaluator(sc, 1, workers=1)
    full, cand = ev.add({"overtime": 1}, "t").key, ev.add({"training": 1}, "t").key
    assert ev.preps[full].cost <= ev.preps[cand].cost
    _fill(ev, full, [100.0, 101.0, 99.0, 100.0, 100.0, 101.0, 99.0, 100.0])
    _fill(ev, cand, [112.0, 108.0])  # two replications: the interval is too wide to drop it yet
    tol = tolerances(point(ev, full))
    memo: dict = {}
    assert confidently_dominated_by(ev, cand, [full], tol, memo) is None
    _fill(ev, cand, [112.0, 108.0, 110.0, 111.0, 109.0, 110.0])  # more replications: clearly worse
    assert confidently_dominated_by(ev, cand, [full], tol, memo) == full
    assert confidently_dominated_by(ev, cand, [full], tol) == full  # and a fresh verdict agrees
    assert len(memo) == 2


def test_settle_frontier_evaluates_fully_what_may_be_on_it(monkeypatch):
    """With fake replications: the clearly worse dearer mix is dropped, the better one evaluated fully."""
    sc = small(keep=("overtime", "training"), horizon_weeks=4)
    ev = Evaluator(sc, 1, workers=1)
    zero, cheap, dear = (ev.add(m, "t").key for m in ({}, {"training": 1}, {"overtime": 2}))
    level = {zero: 100.0, cheap: 90.0, dear: 95.0}

    def fake_ensure(keys, n):
        count = (lambda k: n) if isinstance(n, int) else n.__getitem__
        for k in keys:
            _fill(ev, k, [level[k] + (0.5 if r % 2 else -0.5) for r in range(count(k))])

    monkeypatch.setattr(ev, "ensure", fake_ensure)
    fake_ensure([zero], 8)
    fake_ensure([cheap, dear], 2)
    full, dropped = settle_frontier(ev, [zero, cheap, dear], 8, tolerances(point(ev, zero)))
    assert set(full) == {zero, cheap} and ev.n(cheap) == 8
    assert dropped == {dear: cheap} and ev.n(dear) < 8
    assert np.isclose(ev.mean(cheap, FRONTIER_KEYS[0]), 90.0)


def _fake(ev: Evaluator, level: dict, noise: dict | None = None):
    """An ``ensure`` that fills replications with ``level[k]`` plus the same +-noise in every mix
    (common random numbers: replication r moves every mix alike, so paired differences are exact)."""
    noise = noise or {}

    def ensure(keys, n):
        count = (lambda k: n) if isinstance(n, int) else n.__getitem__
        for k in keys:
            wiggle = noise.get(k, 0.0)
            _fill(ev, k, [level[k] + (5.0 if r % 2 else -5.0) + (wiggle if r % 3 == 0 else -wiggle / 2)
                          for r in range(count(k))])
    return ensure


def test_race_drops_the_confidently_worse_and_gives_the_winner_every_replication(monkeypatch):
    sc = small(keep=("overtime", "training"), horizon_weeks=4)
    ev = Evaluator(sc, 1, workers=1)
    a, b, c = (ev.add(m, "t").key for m in ({"training": 1}, {"overtime": 1}, {"overtime": 2}))
    monkeypatch.setattr(ev, "ensure", _fake(ev, {a: 100.0, b: 90.0, c: 130.0}))
    ev.ensure([a, b, c], 4)
    winner = race_for_best(ev, [a, b, c], FRONTIER_KEYS[0], 16)
    assert winner == b and ev.n(b) == 16
    assert ev.n(a) == 4 and ev.n(c) == 4  # worse with confidence at 4: no replication more spent on them
    assert confidently_worse(ev, a, b, FRONTIER_KEYS[0]) and not confidently_worse(ev, b, a, FRONTIER_KEYS[0])


def test_race_between_ties_runs_both_to_the_end_and_takes_the_lower_mean(monkeypatch):
    sc = small(keep=("overtime", "training"), horizon_weeks=4)
    ev = Evaluator(sc, 1, workers=1)
    a, b = (ev.add(m, "t").key for m in ({"training": 1}, {"overtime": 1}))
    # b's own noise makes the pair's difference vary around 0.3: never confident at 16 replications
    monkeypatch.setattr(ev, "ensure", _fake(ev, {a: 100.0, b: 100.3}, noise={b: 3.0}))
    ev.ensure([a, b], 4)
    winner = race_for_best(ev, [b, a], FRONTIER_KEYS[0], 16)
    assert ev.n(a) == 16 and ev.n(b) == 16
    assert winner == min((a, b), key=lambda k: ev.mean(k, FRONTIER_KEYS[0], 16))


def test_confidently_worse_needs_two_pairs():
    sc = small(keep=("overtime", "training"), horizon_weeks=4)
    ev = Evaluator(sc, 1, workers=1)
    a, b = (ev.add(m, "t").key for m in ({"training": 1}, {"overtime": 1}))
    _fill(ev, a, [200.0])
    _fill(ev, b, [100.0, 100.0])
    assert not confidently_worse(ev, a, b, FRONTIER_KEYS[0])  # one pair decides nothing


def test_halving_falls_back_to_a_mix_that_meets_the_target_at_every_replication(monkeypatch):
    """The cheaper contender meets the target over its first 8 replications only; the halving keeps
    it (one contender), it fails at 32, and the dearer mix that meets it throughout is chosen."""
    from dfu_sched.invest.search import SearchResult, SearchRun, SearchSettings, successive_halving
    from dfu_sched.invest.targets import parse_target

    sc = small(keep=("overtime", "training"), horizon_weeks=4)
    tgt = parse_target("overall.waiting_at_end<=100", sc, 0)
    ev = Evaluator(sc, 1, workers=1)
    zero, cheap, dear = (ev.add(m, "t").key for m in ({}, {"training": 1}, {"overtime": 2}))
    assert ev.preps[cheap].cost < ev.preps[dear].cost
    value = {zero: lambda r: 200.0, cheap: lambda r: 90.0 if r < 8 else 130.0, dear: lambda r: 80.0 + r % 2}

    def ensure(keys, n):
        count = (lambda k: n) if isinstance(n, int) else n.__getitem__
        for k in keys:
            for r in range(count(k)):
                ev.runs[k].setdefault(r, (dict.fromkeys(FRONTIER_KEYS, value[k](r)), {}))

    monkeypatch.setattr(ev, "ensure", ensure)
    ensure([zero, cheap, dear], 4)
    st = SearchSettings(budget=None, target=tgt, screen_reps=4, candidate_reps=8, final_reps=32, contenders=1)
    run = SearchRun(sc, st, 1e9, ev, zero, SearchResult(st, ev, zero, zero), lambda s: None)
    assert successive_halving(run) == dear
    assert ev.n(cheap) == 32 and ev.n(dear) == 32
