"""What the AppTest tests share: press a page's Run and wait for its background run to end."""
from __future__ import annotations

from dfu_sched.app.jobs import session_job


def run_and_wait(at, button: str = "run", page: str = "simulate", timeout: float = 60.0):
    """Click ``button``, wait for the session's job of ``page`` to end, and rerun to show its result."""
    at.button(key=button).click().run()
    kept = session_job(at.session_state, page)
    assert kept is not None, "pressing Run started no job"
    assert kept[1].wait(timeout), "the run did not end in time"
    return at.run()


def control(at, key: str, kind: str = "number_input"):
    """The Scenario form's widget of control ``key`` (its widget key is per starting scenario)."""
    return next(w for w in getattr(at, kind) if str(w.key).endswith(":" + key))
