"""What a report says when a run started from a real queue file (``--queue``) instead of ``backlog:``.

Why: the assumptions appendix lists the scenario file's ``backlog:`` entries, which such a run
replaced; the reader must be told where the starting backlog really came from, and the command
that reproduces the page must name the queue. A queue file's name can name a case, so under
``--pseudonymise`` (at run time or at ``dfu-sched report`` time) only a placeholder is shown.
"""
from __future__ import annotations

#: The placeholder for the queue file in a pseudonymised report's facts and command.
QUEUE_PLACEHOLDER = "QUEUE.csv"
#: What the run itself records as the file name when it was pseudonymised.
PSEUDONYMISED = "(pseudonymised)"


def _queue(doc: dict) -> dict | None:
    inputs = doc.get("inputs")
    return inputs if isinstance(inputs, dict) and inputs.get("backlog") == "queue file" else None


def _name(q: dict, pseudonymise: bool) -> str:
    name = str(q.get("queue") or PSEUDONYMISED)
    return PSEUDONYMISED if pseudonymise else name


def queue_facts(doc: dict, pseudonymise: bool = False) -> list[tuple[str, str]]:
    """The ``(label, text)`` fact for a report's run facts; none when the backlog is the scenario's."""
    q = _queue(doc)
    if q is None:
        return []
    return [("starting backlog", f"{q.get('queue_devices')} devices from the queue file {_name(q, pseudonymise)} "
                                 f"as of {q.get('as_of')} ({q.get('queue_devices_with_estimated_hours')} with "
                                 "estimated hours), instead of the scenario file's backlog entries")]


def queue_arguments(doc: dict, pseudonymise: bool = False) -> list[str]:
    """The ``--queue``/``--as-of`` arguments of the reproducing command (empty without a queue)."""
    q = _queue(doc)
    if q is None:
        return []
    name = _name(q, pseudonymise)
    args = ["--queue", QUEUE_PLACEHOLDER if name == PSEUDONYMISED else name, "--as-of", str(q.get("as_of"))]
    if q.get("queue_stage", "first") != "first":
        args += ["--queue-stage", str(q["queue_stage"])]
    return args
