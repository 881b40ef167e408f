"""The event a job's end is: compiled with the servers, so scheduling one costs no Python frame.

Why (issue 13): with whole jobs (``Server._work_whole``) a replication is about one SimPy event
per job, and making that event was a Python ``Event`` subclass's ``__init__`` and a Python
``schedule`` call per job: 4 % of a compiled replication's instructions (callgrind, the £400K
chosen mix: 349 M -> 335 M). SimPy's loop itself stays SimPy's: compiled, the same loop saved
nothing measurable, so it was not kept. ``JobEvent`` is what SimPy's loop
(``Environment.step``) reads of a triggered event, and nothing more: its ``callbacks`` (taken and
set to None when processed), ``_ok`` (True: it succeeded) and ``_value`` (None). It is made
triggered, as a ``Timeout`` is, and only ever carries a server's or the arrivals' callback: it is
not a SimPy ``Event``, so no process yields it and nothing waits on it (it replaced ``At``, a
``simpy.Event`` subclass scheduled the same way).
"""
from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any

from simpy.events import NORMAL


class JobEvent:
    """A triggered event with one callback, for SimPy's loop to process at its time."""

    def __init__(self, env: Any, callback: Callable[[Any], None]) -> None:
        self.env = env
        self.callbacks: list[Callable[[Any], None]] | None = [callback]
        self._ok = True
        self._value: object = None


def at(env: Any, time: float, callback: Callable[[Any], None]) -> JobEvent:
    """An event at the absolute ``time`` that calls ``callback``: SimPy's own ``schedule`` with
    the time given rather than the delay (``now + (time - now)`` can be one float step off it),
    numbered from the environment's event counter as every SimPy event is."""
    ev = JobEvent(env, callback)
    heappush(env._queue, (time, NORMAL, next(env._eid), ev))
    return ev
