"""The variance split and the attribution against cases with known truth."""
from __future__ import annotations

import numpy as np
import pytest

from dfu_sched.uncertainty.spread import attribute, split_spread


def test_split_recovers_known_components():
    rng = np.random.default_rng(1)
    W, R = 400, 10
    theta = rng.normal(10.0, 2.0, size=W)             # Var(E[Y|X]) = 4
    x = theta[:, None] + rng.normal(0, 3.0, (W, R))   # E[Var(Y|X)] = 9
    s = split_spread(x)
    assert 3.0 < s.input_var < 5.0
    assert 8.3 < s.chance_var < 9.7
    assert 0.24 < s.input_share < 0.38                # truth 4/13 = 0.31
    assert s.mean_ci95[0] < 10.0 < s.mean_ci95[1]


def test_no_estimate_effect_gives_zero_share_more_or_less():
    rng = np.random.default_rng(2)
    x = 5.0 + rng.normal(0, 1.0, (200, 8))
    s = split_spread(x)
    assert s.input_share < 0.05
    same = split_spread(np.tile(np.arange(6.0), (5, 1)))  # every world identical (common streams, no effect)
    assert same.input_var == 0.0 and same.input_share == 0.0


def test_no_chance_gives_all_to_estimates():
    x = np.repeat(np.linspace(0, 1, 30)[:, None], 4, axis=1)
    s = split_spread(x)
    assert s.chance_var == 0.0 and s.input_share == pytest.approx(1.0)


def test_attribution_finds_the_inputs_that_matter():
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(300, 3))
    y = 3.0 * X[:, 0] - 1.0 * X[:, 2] + rng.normal(0, 0.05, 300)
    a = attribute(y, X, ["a", "b", "c"])
    assert a["r2"] > 0.95
    assert a["shares"]["a"] == pytest.approx(0.9, abs=0.05)
    assert a["shares"]["c"] == pytest.approx(0.1, abs=0.04)
    assert a["shares"]["b"] < 0.01
    assert a["direction"]["a"] == 1 and a["direction"]["c"] == -1
