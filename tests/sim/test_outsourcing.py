"""Model hooks: a hook runs its own SimPy process on the built model and contributes measures;
outsourcing is such a hook, and with nothing to send out it leaves the run exactly the core's."""
from __future__ import annotations

import numpy as np

from dfu_sched.invest.evaluate import prepare
from dfu_sched.sim.experiment import replication_seed
from dfu_sched.sim.model import DFUModel, simulate_once
from dfu_sched.sim.outsourcing import OUTSOURCING_MEASURES, Outsourcing, outsourcing_stream
from dfu_sched.sim.records import EXAM
from tests.helpers import small


class WeeklyCount:
    """A minimal hook: counts, every Monday 00:00, the devices waiting for examination."""

    def __init__(self) -> None:
        self.counts: list[int] = []

    def start(self, model: DFUModel) -> None:
        model.env.process(self._count(model))

    def _count(self, model: DFUModel):
        while True:
            self.counts.append(len(model.pools[EXAM].queue.waiting()))
            yield model.env.timeout(168.0)

    def measures(self) -> dict[str, float]:
        return {"test.mean_waiting_monday": float(np.mean(self.counts))}


def test_a_hook_runs_and_contributes_its_measures_without_changing_the_run():
    sc = small(horizon_weeks=6)
    ss = replication_seed(2, 0)
    plain, _ = simulate_once(sc, ss)
    hook = WeeklyCount()
    hooked, _ = simulate_once(sc, ss, hooks=(hook,))
    assert len(hook.counts) == 6 and max(hook.counts) > 0
    assert hooked.measures == {"test.mean_waiting_monday": np.mean(hook.counts)} and plain.measures == {}
    np.testing.assert_array_equal(plain.records.start, hooked.records.start)  # it only looked


def test_outsourcing_with_no_contracts_is_the_core_run_and_measures_zero():
    sc = small(horizon_weeks=6)
    ss = replication_seed(3, 1)
    plain, _ = simulate_once(sc, ss)
    hook = Outsourcing((), outsourcing_stream(ss))
    out, _ = simulate_once(sc, ss, hooks=(hook,))
    np.testing.assert_array_equal(plain.records.end, out.records.end)
    assert out.measures == dict.fromkeys(OUTSOURCING_MEASURES, 0.0)


def test_outsourcing_hook_sends_devices_and_charges_for_them():
    sc = small(keep=("outsource_phones",), horizon_weeks=10)
    prep = prepare(sc, {"outsource_phones": 1})
    ss = replication_seed(5, 0)
    hook = Outsourcing(prep.contracts, outsourcing_stream(ss))
    out, wl = simulate_once(prep.scenario, ss, hooks=(hook,))
    sent = np.isfinite(hook.sent)
    assert out.measures["invest.outsourced_devices"] == sent.sum() > 0
    assert out.measures["invest.outsourced_spend_gbp"] == hook.price.sum() > 0
    assert np.all(out.records.server[sent, EXAM] == -1)  # never examined in-house
