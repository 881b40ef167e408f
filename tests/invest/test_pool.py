"""The search's worker pool and replication cache: kept across batches, and no number changes.

Mixes registered after the workers started are prepared by the workers from their keys; a mix
that cannot be (``add_prepared``, as ``compare`` registers scenarios) starts a new pool. Either
way the replications equal a fresh serial run's, value for value.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dfu_sched.invest.evaluate import Evaluator, key_mix, prepare
from dfu_sched.sim.experiment import ReusablePool
from tests.helpers import small

KEYS = ("overall.exposure", "invest.wait_at_12m_days", "overall.waiting_at_end", "invest.outsourced_devices")


@pytest.fixture(scope="module")
def sc():
    return small(keep=("outsource_phones", "overtime"), horizon_weeks=8)


def _vals(ev: Evaluator, key: tuple) -> list[np.ndarray]:
    return [ev.values(key, k) for k in KEYS]


def test_pool_is_kept_across_batches_and_late_mixes_match_a_serial_run(sc):
    serial = Evaluator(sc, 5, workers=1)
    with Evaluator(sc, 5, workers=2) as ev:
        a = ev.add({"overtime": 1}, "t").key
        ev.ensure([a], 2)
        b = ev.add({"outsource_phones": 1}, "t").key  # registered after the workers forked
        ev.ensure([a, b], 3)
        assert isinstance(ev.executor, ReusablePool) and ev.executor.pools_started == 1
        for k in (a, b):
            serial.add(key_mix(sc, k), "t")
        serial.ensure([a, b], 3)
        for k in (a, b):
            for x, y in zip(_vals(ev, k), _vals(serial, k)):
                np.testing.assert_array_equal(x, y)
        assert ev.replications_run == 6 and ev.n(a) == 3
        # a scenario the workers cannot prepare from a key: a new pool, the right numbers
        p = prepare(sc, {"overtime": 2})
        c = ev.add_prepared(replace(p, key=("#x",) + p.key), "compare").key
        ev.ensure([c], 2)
        assert ev.executor.pools_started == 2
        d = serial.add({"overtime": 2}, "t").key
        serial.ensure([d], 2)
        for x, y in zip(_vals(ev, c), _vals(serial, d)):
            np.testing.assert_array_equal(x, y)
    assert ev.executor._pool is None  # closed with the evaluator


def test_cached_replications_are_what_a_fresh_run_gives(sc):
    """Replication r is run once: topping 2 up to 4 equals running 4 at once (same streams)."""
    grown, fresh = Evaluator(sc, 9, workers=1), Evaluator(sc, 9, workers=1)
    k = grown.add({"overtime": 3}, "t").key
    grown.ensure([k], 2)
    first = _vals(grown, k)
    grown.ensure([k], 4)
    fresh.add({"overtime": 3}, "t")
    fresh.ensure([k], 4)
    assert grown.replications_run == 4
    for x0, x, y in zip(first, _vals(grown, k), _vals(fresh, k)):
        np.testing.assert_array_equal(x, y)
        np.testing.assert_array_equal(x0, y[:2])


def test_key_mix_inverts_the_key(sc):
    p = prepare(sc, {"overtime": 2})
    assert key_mix(sc, p.key) == p.mix
    with pytest.raises(ValueError):
        key_mix(sc, (1,))
