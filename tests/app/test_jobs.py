"""Background runs: progress, outcome, cancel, and one session's job never another's."""
from __future__ import annotations

import threading

from dfu_sched.app.jobs import Job, finished, keep_job, session_job
from dfu_sched.errors import InputError


def test_a_job_counts_progress_and_returns_its_result():
    job = Job(lambda tick: [tick(1) for _ in range(4)] and "ok", 4, "test").start()
    assert job.wait(5) and job.state == "done" and job.result == "ok"
    assert job.done == 4 and job.fraction == 1.0 and job.message is None


def test_cancel_stops_the_work_at_its_next_tick():
    gate, reached = threading.Event(), []

    def work(tick):
        for i in range(100):
            reached.append(i)
            if i == 2:
                gate.wait(5)  # hold here until the test has pressed Cancel
            tick(1)
        return "never"

    job = Job(work, 100).start()
    while len(reached) < 3:
        pass
    job.cancel()
    gate.set()
    assert job.wait(5) and job.state == "cancelled" and job.result is None
    assert len(reached) == 3 and job.done == 3  # stopped at the tick after Cancel, not at the end


def test_bad_input_is_the_commands_one_line_and_a_bug_is_no_traceback():
    def bad(tick):
        raise InputError("replications must be between 1 and 200", source="the form")

    job = Job(bad, 1).start()
    assert job.wait(5) and job.state == "failed" and job.message == "the form: replications must be between 1 and 200"

    def bug(tick):
        raise ZeroDivisionError("secret-C123")

    job = Job(bug, 1).start()
    assert job.wait(5) and job.state == "failed"
    assert "secret" not in (job.message or "") and "Traceback" not in (job.message or "")


def test_a_finished_job_needs_no_thread():
    job = finished({"a": 1})
    assert job.state == "done" and job.result == {"a": 1} and job.wait(0)


def test_a_new_run_cancels_the_sessions_old_one_and_sessions_are_apart():
    one: dict = {}
    two: dict = {}
    first = Job(lambda tick: None, 1)
    keep_job(one, "simulate", "k1", first)
    second = finished(2)
    keep_job(one, "simulate", "k2", second)
    assert first.cancel_requested and session_job(one, "simulate") == ("k2", second)
    assert session_job(two, "simulate") is None and session_job(one, "plan") is None
