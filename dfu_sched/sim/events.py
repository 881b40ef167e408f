"""The SimPy event the model makes itself to start a server or the arrivals, which are not processes.

Why a module of its own (issue 13): the servers, pools, queues and rosters are compiled with mypyc
(``sim/native.py``), and a compiled module's classes should not subclass a Python library's:
``Soon`` subclasses ``simpy.Event``, so it stays here, in plain Python (a job's end, made once per
job, is ``sim/kernel.py``'s compiled ``JobEvent``).
"""
from __future__ import annotations

from collections.abc import Callable

import simpy
from simpy.events import URGENT


class Soon(simpy.Event):
    """An event processed at the current instant ahead of every ordinary one, that calls
    ``callback``: what SimPy's own ``Initialize`` (a process starting) and ``Interruption`` (a
    process interrupted) events are, for a server that is not a process. It triggers itself as
    those SimPy classes do (``_ok``, ``_value``, then scheduled ``URGENT``)."""

    def __init__(self, env: simpy.Environment, callback: Callable[[simpy.Event], None]):
        super().__init__(env)
        self.callbacks.append(callback)
        self._ok = True
        self._value = None
        env.schedule(self, URGENT)
