"""The workload's smaller footprint (issue 13, second round): service uniforms drawn a block of
rows at a time and no copy of every column when there is no backlog, with the same devices."""
from __future__ import annotations

import dataclasses
import gc
import tracemalloc

import numpy as np
import pytest

from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim import workload as wl_mod
from dfu_sched.sim.workload import child_seed, generate
from tests.helpers import BASELINE, ROOT
from tests.sim.test_lean_core import mmc

FIELDS = [f.name for f in dataclasses.fields(wl_mod.Workload)]


def _same(a, b) -> None:
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.mark.parametrize("chunk", [1, 7, 1000])
@pytest.mark.parametrize("path", [BASELINE, ROOT / "scenarios" / "theory" / "mg1_lognormal.yaml"])
def test_hours_drawn_in_blocks_equal_one_whole_draw(monkeypatch, path, chunk):
    sc = load_scenario(path).with_updates({"calendar": {"horizon_weeks": 6, "warmup_weeks": 0}})
    ref = generate(sc, child_seed(np.random.SeedSequence(11), 0))
    monkeypatch.setattr(wl_mod, "HOURS_CHUNK", chunk)
    got = generate(sc, child_seed(np.random.SeedSequence(11), 0))
    _same(ref, got)
    assert ref.n > 2 * chunk or chunk == 1000


def test_the_blocks_are_the_whole_draw_of_the_service_stream():
    """What the equality above rests on: numpy's Generator continues a stream across calls."""
    a = np.random.default_rng(3).random((1000, 5))
    rng = np.random.default_rng(3)
    b = np.vstack([rng.random((k, 5)) for k in (1, 6, 993)])
    assert np.array_equal(a, b)


def test_without_a_backlog_columns_are_not_copies_and_keep_their_dtypes():
    wl = generate(mmc(2), child_seed(np.random.SeedSequence(2), 0))
    assert wl.n > 1000
    assert not np.shares_memory(wl.submit, wl.release)
    assert np.array_equal(wl.submit, wl.release)
    assert [getattr(wl, f).dtype.str for f in FIELDS] == \
        ["<f8", "<f8", "<i8", "<i8", "<i8", "|b1", "|i1", "<f8", "<i8", "|b1"]


def _generate_peak(weeks: int) -> tuple[int, int]:
    sc = mmc(weeks)
    gc.collect()
    tracemalloc.start()
    wl = generate(sc, child_seed(np.random.SeedSequence(4), 0))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return wl.n, peak


def test_generating_costs_little_beyond_the_workload_at_its_peak(monkeypatch):
    """The peak while generating, per device (slope between two lengths, so fixed costs cancel):
    157 bytes when every column was copied at the end and the uniforms were held whole; now about
    the workload's own 83 bytes (the last column is made while the case arrays are already freed).
    Two-sided: under 80 would mean a column went missing, over 120 that a whole-workload copy or
    the whole uniform matrix came back (each is 30-40 bytes a device)."""
    monkeypatch.setattr(wl_mod, "HOURS_CHUNK", 1024)  # blocks smaller than both runs
    _generate_peak(2)  # once for what the first run allocates only once (caches)
    n1, b1 = _generate_peak(4)
    n2, b2 = _generate_peak(8)
    slope = (b2 - b1) / (n2 - n1)
    assert n2 - n1 > 5000
    assert 80 < slope < 120, slope
