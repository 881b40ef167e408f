"""Issue 13: memory flat in devices. The lazy workload and the streamed measures give exactly what
the whole-array versions gave (``tests/sim/reference_whole_arrays.py``), float for float, and a
run's peak memory grows with devices only by its records and one measure's values.

Chunks are made tiny in the equality tests (a few devices, a week of cases) so that every chunk
boundary a real run meets, and many it never meets, is crossed.
"""
from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

from dfu_sched.scenario.schema import Scenario, load_scenario
from dfu_sched.sim import workload as wl_mod
from dfu_sched.sim.experiment import device_table, replication_seed
from dfu_sched.sim.measures import measure
from dfu_sched.sim.model import DFUModel, simulate_once
from dfu_sched.sim.records import Records
from dfu_sched.sim.workload import FIELDS, Workload, child_seed, generate
from tests.helpers import BASELINE, ROOT
from tests.sim import reference_whole_arrays as ref
from tests.sim.test_lean_core import mmc

THEORY = ROOT / "scenarios" / "theory"


def _baseline(weeks: int = 10, **updates) -> Scenario:
    return load_scenario(BASELINE).with_updates({"calendar": {"horizon_weeks": weeks, "warmup_weeks": 2}, **updates})


#: Scenarios that between them take every branch: backlog at later stages and with given hours,
#: triage (screened out, quick path), report, three tiers and priorities, each count distribution.
CASES = {
    "baseline": lambda: _baseline(),
    "triage_report": lambda: _baseline(stages={"triage": {"enabled": True}, "report": {"enabled": True}}),
    "priority": lambda: _baseline(policy={"discipline": "priority"}),
    "geometric": lambda: _baseline(6, arrivals={"devices_per_case": {"dist": "geometric", "mean": 2.5}}),
    "empirical": lambda: _baseline(6, arrivals={"devices_per_case": {
        "dist": "empirical", "values": [1, 2, 5], "weights": [0.5, 0.3, 0.2]}}),
    "fixed": lambda: _baseline(6, arrivals={"devices_per_case": {"dist": "fixed", "value": 2}}),
    "mg1": lambda: load_scenario(THEORY / "priority_mg1_3class.yaml").with_updates(
        {"calendar": {"horizon_weeks": 6, "warmup_weeks": 1}}),
}


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Lazy however small (a small workload keeps its table: ``KEEP_ROWS``), in tiny chunks."""
    monkeypatch.setattr(wl_mod, "CASE_CHUNK", 5)
    monkeypatch.setattr(wl_mod, "ROW_CHUNK", 37)
    monkeypatch.setattr(wl_mod, "KEEP_ROWS", 0)


def _same_workload(a: Workload, b: Workload) -> None:
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and x.shape == y.shape, name
        np.testing.assert_array_equal(x, y, err_msg=name)


@pytest.mark.parametrize("case", CASES)
def test_the_lazy_workload_draws_the_whole_table_draw_exactly(case, tiny_chunks):
    sc = CASES[case]()
    seed = child_seed(replication_seed(5, 1), 0)
    lazy, whole = generate(sc, seed), ref.generate(sc, seed)
    assert lazy.n == whole.n > 100
    # Walked a chunk at a time (what the model and the measures do) and read as whole columns.
    for name in FIELDS:
        parts = [ch[name] for ch in lazy.chunks((name,))]
        np.testing.assert_array_equal(np.concatenate(parts), getattr(whole, name), err_msg=name)
    _same_workload(lazy, whole)


def test_the_chunks_of_one_column_do_not_depend_on_what_else_is_asked():
    sc = CASES["triage_report"]()
    wl = generate(sc, child_seed(replication_seed(2, 0), 0))
    alone = np.concatenate([ch["hours"] for ch in wl.chunks(("hours",))])
    together = np.concatenate([ch["hours"] for ch in wl.chunks(tuple(FIELDS))])
    np.testing.assert_array_equal(alone, together)


@pytest.mark.parametrize("case", CASES)
def test_streamed_measures_equal_the_whole_array_measures(case, tiny_chunks):
    sc = CASES[case]()
    out, wl = simulate_once(sc, replication_seed(3, 0))
    got = measure(sc, wl, out)
    assert not wl._cols, "the measures walked chunks: no whole column was drawn"
    want = ref.measure(sc, ref.generate(sc, child_seed(replication_seed(3, 0), 0)), out)
    assert list(got.scalars) == list(want.scalars)
    for k, v in want.scalars.items():
        assert (np.isnan(v) and np.isnan(got.scalars[k])) or got.scalars[k] == v, k
    assert list(got.weekly) == list(want.weekly)
    for k, v in want.weekly.items():
        assert got.weekly[k].dtype == v.dtype, k
        np.testing.assert_array_equal(got.weekly[k], v, err_msg=k)
    assert got.scalars["overall.started"] > 50  # the run did something worth comparing


def test_a_small_workload_keeps_its_table_and_gives_the_same_measures(monkeypatch):
    sc = CASES["triage_report"]()
    out, wl = simulate_once(sc, replication_seed(3, 0))
    assert wl.n <= wl_mod.KEEP_ROWS and set(wl._cols) == set(FIELDS)  # drawn once, by the arrivals
    kept = measure(sc, wl, out)
    monkeypatch.setattr(wl_mod, "KEEP_ROWS", 0)
    lazy_out, lazy = simulate_once(sc, replication_seed(3, 0))
    streamed = measure(sc, lazy, lazy_out)
    assert not lazy._cols
    assert kept.scalars.keys() == streamed.scalars.keys()
    assert all(v == streamed.scalars[k] or (np.isnan(v) and np.isnan(streamed.scalars[k]))
               for k, v in kept.scalars.items())
    assert all(np.array_equal(v, streamed.weekly[k], equal_nan=True) for k, v in kept.weekly.items())


def test_with_outsourcing_the_measures_equal_too(tiny_chunks):
    from dfu_sched.invest.evaluate import prepare
    from dfu_sched.sim.outsourcing import Outsourcing
    from tests.helpers import small

    prep = prepare(small(horizon_weeks=12), {"outsource_phones": 1})
    assert prep.contracts
    ss = replication_seed(4, 0)
    hook = Outsourcing(prep.contracts, np.random.SeedSequence(9))
    out, wl = simulate_once(prep.scenario, ss, hooks=(hook,))
    assert out.measures["invest.outsourced_devices"] > 0
    got = measure(prep.scenario, wl, out)
    want = ref.measure(prep.scenario, ref.generate(prep.scenario, child_seed(ss, 0)), out)
    assert got.scalars.keys() == want.scalars.keys()
    assert all(got.scalars[k] == v or (np.isnan(v) and np.isnan(got.scalars[k])) for k, v in want.scalars.items())
    assert all(np.array_equal(got.weekly[k], v, equal_nan=True) for k, v in want.weekly.items())


def test_per_device_records_are_those_of_the_whole_table(tiny_chunks):
    """``--records``: the CSV's columns read the whole workload, drawn on request, as before."""
    sc = CASES["triage_report"]()
    out, wl = simulate_once(sc, replication_seed(6, 0))
    whole = ref.generate(sc, child_seed(replication_seed(6, 0), 0))
    got, want = device_table(sc, wl, out), device_table(sc, whole, out)
    assert list(got) == list(want) and len(got["device"]) == wl.n
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)


def test_a_hand_built_workload_out_of_release_order_arrives_in_release_order():
    sc = _baseline(4)
    n = 6
    t = np.array([30.0, 5.0, 5.0, 50.0, 0.0, 10.0])
    hours = np.zeros((n, 4))
    hours[:, 2] = 1.0
    wl = Workload(submit=t, release=t, case=np.arange(n), tier=np.zeros(n, np.int64), dtype=np.zeros(n, np.int64),
                  expedite=np.zeros(n, bool), triage=np.zeros(n, np.int8), hours=hours,
                  first_stage=np.full(n, 1), backlog=np.zeros(n, bool))
    order = [int(i) for ch, _ in wl.arrival_chunks(4) for i in ch["i"]]
    assert order == [4, 1, 2, 5, 0, 3]  # by release, ties in index order
    DFUModel(sc, wl, np.random.SeedSequence(0)).run()  # runs through the sorted path


# ---- memory ----------------------------------------------------------------------------------------

def _replication_peak(weeks: int, rho: float = 0.9) -> tuple[int, int]:
    """Devices, and the peak bytes one whole replication allocates (workload, model, measures), on
    an M/M/2 (about 300 devices a week, so a week's block of arrivals is small next to the runs)."""
    sc = mmc(weeks, servers=2, rho=rho)
    gc.collect()
    gc.disable()  # where the collector runs moves the peak a little; cyclic garbage would show as growth
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        out, wl = simulate_once(sc, replication_seed(1, 0))
        measure(sc, wl, out)
        return wl.n, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
        gc.enable()


def test_a_replication_costs_its_records_and_one_measure_a_device(monkeypatch):
    """The slope of a replication's peak memory in devices (two lengths, so fixed costs cancel):
    its records (queue entry, start, end: 8 bytes each; server 2, screened 1: 27 bytes on the
    M/M/c's one stage) plus one measure's gathered values (a wait and its tier: 9 bytes). The
    whole table and the whole-array measures cost about 200 bytes a device (494 MB for a million
    before issue 13). Two-sided: under 26 would mean records went missing; over 45 that a
    device-sized table or copy came back (each is 8 bytes a device or more)."""
    monkeypatch.setattr(wl_mod, "CASE_CHUNK", 64)  # a block a week: both runs hold two at a handover
    monkeypatch.setattr(wl_mod, "KEEP_ROWS", 0)  # lazy however small, as a large run is
    _replication_peak(1, rho=0.2)  # once for what the first run allocates only once (caches, imports)
    n1, b1 = _replication_peak(8)
    n2, b2 = _replication_peak(16)
    slope = (b2 - b1) / (n2 - n1)
    assert n2 - n1 > 2000
    assert 26 < slope < 45, slope


def test_the_records_are_27_bytes_a_device_on_one_stage():
    rec = Records.empty(1000, [2])
    cols = [rec.qenter.cols[2], rec.start.cols[2], rec.end.cols[2], rec.server.cols[2], rec.screened]
    assert sum(c.nbytes for c in cols) == 27_000 and rec.done_cells() is None
    rec.end[3, 2] = 7.0
    assert rec.done[3] == 7.0 and np.isnan(rec.done[4]) and not rec.done.flags.writeable
    with_report = Records.empty(10, [2, 3])
    assert with_report.done_cells() is not None  # the route ends after examination: stored
