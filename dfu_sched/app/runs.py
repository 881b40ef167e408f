"""What the Compare and Invest pages share about long runs: results kept by their inputs, rough durations.

Why a module: both pages run for many seconds, and both runs are pure functions of their inputs
(same scenarios, replications and seed, same result), so any session may reuse a result another
made (:class:`KeptResults`: kept as JSON text, every hit a fresh copy, so no caller can change what
another sees). Both say roughly how long a run will take before it starts (:func:`rough_seconds`),
from the scenario's size, never from a clock: a guide only, never part of a result.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from dfu_sched.scenario.schema import Scenario

#: SimPy events a second one replication runs at before any run on this server was timed (the
#: baseline's ~230,000/s on 2 cores, see ``sim.experiment.MAX_EVENTS``, halved for a shared machine).
EVENTS_PER_SECOND = 115_000.0


class Pace:
    """Seconds per SimPy event of the latest timed run on this server (wall clock), for estimates only.

    A machine shared with other work runs slower than an idle one; the latest run says how much.
    """

    def __init__(self) -> None:
        self._per_event = 1.0 / EVENTS_PER_SECOND
        self._lock = threading.Lock()

    def seconds(self, events: float) -> float:
        with self._lock:
            return events * self._per_event

    def observe(self, events: float, seconds: float) -> None:
        """Record that ``events`` took ``seconds`` (ignored unless both are positive)."""
        if events > 0 and seconds > 0:
            with self._lock:
                self._per_event = seconds / events


#: The server's pace (one per process: every session's runs share the machine).
PACE = Pace()


def scenario_events(sc: Scenario, replications: int) -> float:
    """SimPy events of ``replications`` of ``sc``, estimated from its size (``sim.experiment.estimate_size``)."""
    from dfu_sched.sim.experiment import estimate_size

    return estimate_size(sc, replications).events


def rough_seconds(sc: Scenario, replications: int) -> float:
    """Roughly how long ``replications`` of ``sc`` take one after another, at the server's latest pace."""
    return PACE.seconds(scenario_events(sc, replications))


def duration_words(seconds: float) -> str:
    """'about 40 seconds', 'about 3 minutes'."""
    return f"about {max(1.0, seconds):.0f} seconds" if seconds < 120 else f"about {seconds / 60:.0f} minutes"


class KeptResults:
    """JSON results by a string key (the request's JSON), newest ``size`` kept."""

    def __init__(self, size: int = 16):
        self.size = size
        self._kept: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: str) -> Any | None:
        """The kept result for ``key`` (a fresh copy), or None: nothing is run."""
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        return None if kept is None else json.loads(kept)

    def get(self, key: str, make: Callable[[], Any]) -> Any:
        """The kept result for ``key``, else ``make()`` (a JSON-able value), kept and returned as a copy."""
        found = self.peek(key)
        if found is not None:
            return found
        kept = json.dumps(make())
        with self._lock:
            self._kept[key] = kept
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return json.loads(kept)
