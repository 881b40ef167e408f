"""The workload's footprint (issue 13): drawn a block of whole weeks at a time when the model or
the measures reach it, nothing per device held up front, and the same devices whatever the block."""
from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim import workload as wl_mod
from dfu_sched.sim.workload import child_seed, generate
from tests.helpers import BASELINE, ROOT
from tests.sim.test_lean_core import mmc

FIELDS = list(wl_mod.FIELDS)


def _same(a, b) -> None:
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.mark.parametrize("chunk", [1, 7, 1000])
@pytest.mark.parametrize("path", [BASELINE, ROOT / "scenarios" / "theory" / "mg1_lognormal.yaml"])
def test_devices_drawn_in_blocks_equal_those_of_other_blocks(monkeypatch, path, chunk):
    sc = load_scenario(path).with_updates({"calendar": {"horizon_weeks": 6, "warmup_weeks": 0}})
    ref = generate(sc, child_seed(np.random.SeedSequence(11), 0))
    monkeypatch.setattr(wl_mod, "CASE_CHUNK", chunk)
    got = generate(sc, child_seed(np.random.SeedSequence(11), 0))
    _same(ref, got)
    if chunk == 1:  # a block per week with cases
        assert len(got._draws.blocks) == np.count_nonzero(got._draws.counts) > 1


def test_the_blocks_are_the_whole_draw_of_the_service_stream():
    """What the equality above rests on: numpy's Generator continues a stream across calls, and
    PCG64.advance(k) skips exactly k uniforms (``workload._rng_at``)."""
    a = np.random.default_rng(3).random((1000, 5))
    rng = np.random.default_rng(3)
    b = np.vstack([rng.random((k, 5)) for k in (1, 6, 993)])
    assert np.array_equal(a, b)
    state = np.random.default_rng(3).bit_generator.state
    assert np.array_equal(wl_mod._rng_at(state, 35).random((993, 5)), a[7:])
    for count in (lambda r, n: 1 + r.poisson(1.8, n), lambda r, n: r.geometric(0.4, n),
                  lambda r, n: r.choice([1, 2, 5], size=n, p=[0.5, 0.3, 0.2])):
        whole, r = count(np.random.default_rng(4), 500), np.random.default_rng(4)
        assert np.array_equal(whole, np.concatenate([count(r, k) for k in (3, 0, 97, 400)]))


def test_without_a_backlog_columns_are_not_copies_and_keep_their_dtypes():
    wl = generate(mmc(2), child_seed(np.random.SeedSequence(2), 0))
    assert wl.n > 1000
    assert not np.shares_memory(wl.submit, wl.release)
    assert np.array_equal(wl.submit, wl.release)
    assert [getattr(wl, f).dtype.str for f in FIELDS] == \
        ["<f8", "<f8", "<i8", "<i8", "<i8", "|b1", "|i1", "<f8", "<i8", "|b1"]


def _generate_memory(weeks: int) -> tuple[int, int, int]:
    sc = mmc(weeks)
    gc.collect()
    tracemalloc.start()
    wl = generate(sc, child_seed(np.random.SeedSequence(4), 0))
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return wl.n, held, peak


def test_generating_holds_nothing_per_device():
    """What generating holds, per device (slope between two lengths, so fixed costs cancel): 83
    bytes when it drew the whole table; now what fixes the run's shape only (a stream position
    per block of cases: well under a byte a device), with a peak of one block's draws whatever the
    length. Reading a column draws it whole, at its 8 bytes a device (the other side of the check)."""
    _generate_memory(2)  # once for what the first run allocates only once (caches)
    n1, held1, peak1 = _generate_memory(8)
    n2, held2, peak2 = _generate_memory(16)
    assert n2 - n1 > 10_000
    assert 0 <= (held2 - held1) / (n2 - n1) < 0.5, (held1, held2)
    assert max(peak1, peak2) < 150_000 < 8 * n2, (peak1, peak2)
    wl = generate(mmc(4), child_seed(np.random.SeedSequence(4), 0))
    tracemalloc.start()
    assert wl.submit.size == wl.n
    assert 8 * wl.n <= tracemalloc.get_traced_memory()[0] < 8 * wl.n + 200_000
    tracemalloc.stop()
