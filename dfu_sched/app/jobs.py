"""Long runs in the background: a page never freezes, shows progress, and can be cancelled.

Why a thread per run, and why here: Streamlit runs the page script top to bottom on every click, so a
run made inside the script blocks the page (no Cancel button can be pressed) until it ends. A
:class:`Job` runs the library call in a daemon thread of the server process and counts its progress;
the page only reads the count and the outcome (``dfu_sched.app.ui.common.follow``). Cancelling is
cooperative: the run's progress callback raises :class:`Cancelled` at the next replication, which the
library's runner lets through, so a cancelled run leaves nothing half-made.

Nothing here imports Streamlit: a test or a notebook can start, follow and cancel a job. A job belongs
to one browser session (it lives in that session's state), so one user's Cancel stops only their run.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Generic, Literal, TypeVar

from dfu_sched.errors import InputError

T = TypeVar("T")

#: What a job's work is given: ``tick(k)`` after every ``k`` units of progress (replications).
Tick = Callable[[int], None]
State = Literal["running", "done", "cancelled", "failed"]

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """The user pressed Cancel: raised from a job's progress callback, ending the run there."""


class Job(Generic[T]):
    """``work(tick)`` run in a background thread, with its progress, outcome and a Cancel switch.

    ``total`` is the number of ticks the work will make (replications), for a progress bar. The
    outcome is one of ``result`` (done), ``message`` (failed: the command line's one line for bad
    input, or a plain line for an internal error, never a traceback) or cancelled.
    """

    def __init__(self, work: Callable[[Tick], T], total: int, label: str = "Running"):
        self.total = max(1, int(total))
        self.label = label
        self.result: T | None = None
        self.message: str | None = None
        self._work = work
        self._done = 0
        self._state: State = "running"
        self._cancel = threading.Event()
        self._finished = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"dfu-job:{label}", daemon=True)

    # -- the work's side --------------------------------------------------------------------------

    def tick(self, k: int = 1) -> None:
        """Count ``k`` units done; raise :class:`Cancelled` if the user asked to stop."""
        with self._lock:
            self._done += k
        if self._cancel.is_set():
            raise Cancelled

    def _run(self) -> None:
        state: State
        try:
            self.result = self._work(self.tick)
            state = "done"
        except Cancelled:
            state = "cancelled"
        except InputError as exc:
            self.message, state = str(exc), "failed"
        except Exception:  # noqa: BLE001 - a page shows one line; the traceback goes to the server's log
            log.exception("a background run failed")
            self.message, state = "the run failed with an internal error (see the terminal that runs the app)", "failed"
        with self._lock:
            self._state = state
        self._finished.set()

    # -- the page's side --------------------------------------------------------------------------

    def start(self) -> Job[T]:
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the run to stop at its next replication (a finished job is left as it is)."""
        self._cancel.set()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    @property
    def state(self) -> State:
        with self._lock:
            return self._state

    @property
    def done(self) -> int:
        """Units finished so far (never more than ``total``)."""
        with self._lock:
            return min(self._done, self.total)

    @property
    def fraction(self) -> float:
        return self.done / self.total

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (tests and notebooks); True if it has."""
        return self._finished.wait(timeout)


def finished(result: T) -> Job[T]:
    """A job that is already done with ``result`` (a cached run: nothing to wait for)."""
    job: Job[T] = Job(lambda tick: result, 1, "cached")
    job._run()
    return job


#: The session-state key under which a session's jobs are kept, by page: ``{page: (inputs key, Job)}``.
JOBS_KEY = "dfu_jobs"


def session_job(session: Any, page: str) -> tuple[Any, Job] | None:
    """This session's job of ``page`` and the inputs it was started for, if any."""
    found = session.get(JOBS_KEY, {}).get(page)
    return found if isinstance(found, tuple) else None


def keep_job(session: Any, page: str, key: Any, job: Job) -> None:
    """Make ``job`` this session's run of ``page``; a run it replaces is cancelled."""
    jobs = dict(session.get(JOBS_KEY, {}))
    old = jobs.get(page)
    if isinstance(old, tuple) and old[1] is not job:
        old[1].cancel()
    jobs[page] = (key, job)
    session[JOBS_KEY] = jobs
