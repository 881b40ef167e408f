"""The two SimPy events the model makes itself, for servers and jobs that are not processes.

Why a module of its own (issue 13): the servers, pools, queues and rosters are compiled with mypyc
(``sim/native.py``), and a compiled module's classes should not subclass a Python library's: these
two subclass ``simpy.Event``, so they stay here, in plain Python, with the environment's ``at``
(``sim/model.py``) that schedules one of them per job.
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


class At(simpy.Event):
    """The event ``CountingEnvironment.at`` schedules: triggered when made, as a ``Timeout`` is,
    with its one callback (set in one step: one is made per job)."""

    def __init__(self, env: simpy.Environment, callback: Callable[[simpy.Event], None]):
        self.env, self.callbacks, self._ok, self._value = env, [callback], True, None
