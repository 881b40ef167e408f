"""Validated loading of the JSON files ``dfu-sched report`` reads, one schema per run-file kind.

Why: users hand ``report`` folders that were edited, half-copied, made by another version or by
someone else. The page modules read the JSON as the writers produced it; before this loader a bad
value surfaced deep inside them as a Python exception whose text (which can quote a value, even a
case reference) became the error message, or as "nan" on a page. Here every file is checked once,
before rendering, against the shape its writer produces, and the first problem is one
:class:`InputError` naming the file and the key path (``devices[3].tier``), never the value.

The schemas list what the page modules rely on: required keys, types, finite numbers, lists of
equal length where a chart pairs them. Keys the schema does not name are allowed (newer versions
may add some) and are never shown unescaped. Numbers must be finite and within ±1e15 (strict JSON
has no NaN; a larger number is no count, hour or pound a run writes).
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dfu_sched.errors import InputError

LIMIT = 1e15
_SAFE_KEY = re.compile(r"^[A-Za-z0-9_. -]{1,40}$")


class SchemaError(Exception):
    """A problem at a key path (the path, and what is wrong, never the value)."""

    def __init__(self, path: str, problem: str):
        self.path, self.problem = path, problem
        super().__init__(f"{path or 'the document'}: {problem}")


def _key(path: str, key: object, show: bool = True) -> str:
    """The path to a dict entry. A key that is data (a map's key) is shown only when it looks like
    a plain name; otherwise the entry is named by its position (keys can be references or markup)."""
    text = str(key)
    if show and _SAFE_KEY.match(text):
        return f"{path}.{text}" if path else text
    return f"{path}{{entry}}"


# ---- schema nodes: each is a function (value, path) -> None that raises SchemaError ------------------

Check = Callable[[Any, str], None]


def _is_num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def num(v, path):
    if not _is_num(v):
        raise SchemaError(path, "expected a number")
    if abs(v) > LIMIT or not math.isfinite(v):  # abs first: isfinite() of a 400-digit int overflows
        raise SchemaError(path, f"number is not finite or beyond ±{LIMIT:.0e}")


def integer(v, path):
    if not isinstance(v, int) or isinstance(v, bool):
        raise SchemaError(path, "expected a whole number")
    num(v, path)


def text(v, path):
    if not isinstance(v, str):
        raise SchemaError(path, "expected text")


def boolean(v, path):
    if not isinstance(v, bool):
        raise SchemaError(path, "expected true or false")


def anything(v, path):
    return None


def date(v, path):
    text(v, path)
    try:
        dt.date.fromisoformat(v)
    except ValueError:
        raise SchemaError(path, "expected a date YYYY-MM-DD") from None


def nullable(check: Check) -> Check:
    def run(v, path):
        if v is not None:
            check(v, path)
    return run


def list_of(check: Check, *, length: int | None = None, min_length: int = 0) -> Check:
    def run(v, path):
        if not isinstance(v, list):
            raise SchemaError(path, "expected a list")
        if length is not None and len(v) != length:
            raise SchemaError(path, f"expected a list of {length}")
        if len(v) < min_length:
            raise SchemaError(path, f"expected at least {min_length} entries")
        for i, x in enumerate(v):
            check(x, f"{path}[{i}]")
    return run


def map_of(check: Check, *, show_keys: bool = True) -> Check:
    """A dict of named entries (tiers, measures): every value follows ``check``."""
    def run(v, path):
        if not isinstance(v, dict):
            raise SchemaError(path, "expected a mapping")
        for k, x in v.items():
            check(x, _key(path, k, show_keys))
    return run


@dataclass(frozen=True)
class Opt:
    """A key that may be missing."""

    check: Check


def obj(fields: dict[str, Check | Opt], rest: Check | None = None) -> Check:
    """A dict with named keys (required unless :class:`Opt`); ``rest`` checks the other entries."""
    def run(v, path):
        if not isinstance(v, dict):
            raise SchemaError(path, "expected a mapping")
        for k, c in fields.items():
            sub = f"{path}.{k}" if path else k
            if k not in v:
                if isinstance(c, Opt):
                    continue
                raise SchemaError(sub, "missing")
            (c.check if isinstance(c, Opt) else c)(v[k], sub)
        if rest is not None:
            for k, x in v.items():
                if k not in fields:
                    rest(x, _key(path, k))
    return run


def either(*checks: Check) -> Check:
    def run(v, path):
        first = None
        for c in checks:
            try:
                c(v, path)
                return
            except SchemaError as exc:
                first = first or exc
        raise first
    return run


def same_lengths(*keys: str) -> Check:
    """The lists under ``keys`` of a dict have one length (a chart pairs them point by point)."""
    def run(v, path):
        lengths = {k: len(v[k]) for k in keys if isinstance(v.get(k), list)}
        if len(set(lengths.values())) > 1:
            raise SchemaError(path, f"lists {', '.join(lengths)} differ in length")
    return run


def all_of(*checks: Check) -> Check:
    def run(v, path):
        for c in checks:
            c(v, path)
    return run


# ---- the run files ---------------------------------------------------------------------------------

opt_num = nullable(num)
INTERVAL = obj({"estimate": opt_num, "ci95": Opt(nullable(list_of(opt_num, length=2))), "n": Opt(nullable(integer)),
                "reached_share": Opt(opt_num)})
SERIES = all_of(obj({"mean": list_of(opt_num), "ci95_low": Opt(list_of(opt_num)), "ci95_high": Opt(list_of(opt_num))}),
                same_lengths("mean", "ci95_low", "ci95_high"))
TIER = obj({"target_days": Opt(opt_num), "weight": Opt(opt_num),
            **{k: Opt(map_of(INTERVAL)) for k in ("wait_to_start_days", "time_to_complete_days", "age_at_end_days")}},
           rest=INTERVAL)
RUN_INFO = nullable(obj({"seconds": Opt(opt_num), "events": Opt(opt_num), "workers": Opt(opt_num),
                         "precision": Opt(obj({"target_relative_half_width": num, "maximum": integer,
                                               "replications_needed": integer, "met": boolean,
                                               "measures": map_of(obj({"met": boolean}, rest=anything))},
                                              rest=anything))}))


def _weekly_lengths(v, path):
    """Every weekly series has one value per week."""
    weeks = len(v["week"])
    for k, s in v.items():
        if k != "week" and isinstance(s, dict):
            for stat, xs in s.items():
                if isinstance(xs, list) and len(xs) != weeks:
                    raise SchemaError(f"{_key(_key(path, k), stat)}", f"has {len(xs)} values for {weeks} weeks")


BACKLOG_WEEKLY = all_of(obj({"week": list_of(integer, min_length=1)}, rest=SERIES), _weekly_lengths)

SIMULATION = obj({
    "kind": text, "scenario": Opt(nullable(text)), "scenario_file": Opt(nullable(text)),
    "version": Opt(nullable(text)), "replications": integer, "seed": Opt(nullable(integer)),
    "policy": Opt(nullable(text)), "preemptive": Opt(nullable(boolean)), "horizon_weeks": integer,
    "warmup_weeks": Opt(opt_num), "start_date": Opt(nullable(date)),
    "tiers": map_of(TIER), "overall": TIER, "utilisation": Opt(map_of(INTERVAL)),
    "throughput_per_week": Opt(map_of(INTERVAL)), "first_week_below": Opt(map_of(INTERVAL)),
    "backlog_weekly": BACKLOG_WEEKLY, "run": Opt(RUN_INFO),
})

TRAJECTORY = obj({"month": Opt(list_of(integer)), "week": Opt(list_of(integer)),
                  "series": Opt(map_of(SERIES)),
                  "wait_to_start_days": Opt(all_of(obj({"month": list_of(integer), "mean": list_of(opt_num),
                                                        "ci95_low": Opt(list_of(opt_num)),
                                                        "ci95_high": Opt(list_of(opt_num))}),
                                                   same_lengths("month", "mean", "ci95_low", "ci95_high")))})
COST_ROW = obj({"total": Opt(opt_num)}, rest=anything)
COST_PROFILE = nullable(obj({"total_gbp": Opt(opt_num), "options": Opt(list_of(anything)),
                             "items": Opt(list_of(anything)),
                             "by_month": Opt(list_of(all_of(obj({"month": text}), COST_ROW))),
                             "by_financial_year": Opt(list_of(all_of(obj({"financial_year": text}), COST_ROW))),
                             "recurring_after_horizon_gbp_per_year": Opt(opt_num)}))
COMPARE_SCENARIO = obj({
    "id": text, "name": Opt(nullable(text)), "file": Opt(nullable(text)), "label": Opt(nullable(text)),
    "actions": Opt(list_of(text)), "cost_gbp": Opt(opt_num), "recurring_gbp_per_year_after_horizon": Opt(opt_num),
    "measures": map_of(INTERVAL), "cost_profile": Opt(COST_PROFILE), "trajectory": Opt(TRAJECTORY),
})
COMPARE_DIFFERENCE = obj({
    "id": text, "versus": text, "measures": map_of(INTERVAL), "cost_gbp": Opt(opt_num),
    "backlog_removed": Opt(map_of(INTERVAL)), "gbp_per_month_of_backlog_removed": Opt(opt_num),
})
COMPARE = obj({
    "kind": text, "version": Opt(nullable(text)), "seed": Opt(nullable(integer)), "replications": integer,
    "paired": Opt(boolean), "note": Opt(nullable(text)), "measures": list_of(text),
    "labels": map_of(text), "scenarios": list_of(COMPARE_SCENARIO, min_length=2),
    "differences": list_of(COMPARE_DIFFERENCE), "run": Opt(RUN_INFO),
})


def _pseudonymised_marker(v, path):
    """Either absent/null, or exactly the record ``plan --pseudonymise`` writes: a report trusts this
    record to leave references as they are, so anything else claiming it is refused, not guessed at."""
    from dfu_sched.privacy import PLAN_FIELDS, Pseudonymiser

    if v is None:
        return
    fp_len = len(Pseudonymiser(b"x").fingerprint())
    if (not isinstance(v, dict) or not isinstance(v.get("key_fingerprint"), str)
            or not re.fullmatch(rf"[0-9a-f]{{{fp_len}}}", v["key_fingerprint"])
            or v.get("fields") != list(PLAN_FIELDS)):
        raise SchemaError(path, "not the record plan --pseudonymise writes (key_fingerprint and fields); "
                                "remove it to have the report pseudonymise the plan")


WINDOW = list_of(num, length=2)
PLAN_EXAMINER = obj({"examiner": text, "skills": Opt(list_of(text)), "hours": Opt(opt_num),
                     "accreditation": Opt(nullable(integer)), "planned_hours": Opt(opt_num),
                     "devices": Opt(opt_num), "usable_hours": Opt(opt_num), "windows": Opt(list_of(WINDOW))})
PLAN_DEVICE = obj({
    "examiner": Opt(nullable(text)), "rank": Opt(nullable(integer)), "device": text, "case": Opt(nullable(text)),
    "device_type": Opt(nullable(text)), "tier": text, "score": Opt(opt_num), "days_waited": Opt(opt_num),
    "target_days": Opt(opt_num), "days_past_target": Opt(opt_num), "hours": Opt(opt_num),
    "start": Opt(nullable(text)), "end": Opt(nullable(text)), "start_hour": Opt(opt_num), "end_hour": Opt(opt_num),
    "status": text, "reason": Opt(nullable(text)), "weight": Opt(opt_num), "expected_start_week": Opt(opt_num),
})


def _planned_rows_complete(v, path):
    """A planned device is drawn on the week chart: it needs its examiner, rank, start and end."""
    for i, r in enumerate(v):
        if r.get("status") == "planned":
            for k, c in (("examiner", text), ("rank", integer), ("start", text), ("end", text),
                         ("start_hour", num), ("end_hour", num)):
                if k not in r:
                    raise SchemaError(f"{path}[{i}].{k}", "missing (the device is planned)")
                c(r[k], f"{path}[{i}].{k}")


PLAN = obj({
    "summary": obj({"week_start": date, "plan_start": Opt(nullable(text)), "plan_start_note": Opt(nullable(text)),
                    "devices_in_queue": integer, "examiners": integer, "hours_available": num,
                    "devices_planned": integer, "objective_risk_hours_saved": Opt(opt_num),
                    "greedy_objective": Opt(opt_num), "improvement_over_greedy": Opt(opt_num),
                    "bound": Opt(opt_num), "gap_to_bound": Opt(opt_num), "cases_split": Opt(opt_num),
                    "infeasible_deadlines": Opt(nullable(list_of(text))), "solve_seconds": Opt(opt_num),
                    "method": Opt(anything), "aging": Opt(anything), "expedite_factor": Opt(anything),
                    "risk_model": Opt(anything)}),
    "warnings": Opt(list_of(text)), "examiners": list_of(PLAN_EXAMINER),
    "devices": all_of(list_of(PLAN_DEVICE), _planned_rows_complete),
    "inputs": Opt(nullable(map_of(nullable(either(text, num, boolean)), show_keys=False))),
    "pseudonymised": Opt(_pseudonymised_marker),
})


def _plan_summary_numbers(v, path):
    s = v["summary"]
    if s["devices_planned"] and not all(_is_num(s.get(k)) for k in
                                        ("objective_risk_hours_saved", "improvement_over_greedy", "gap_to_bound")):
        raise SchemaError(f"{path}summary", "a plan with devices needs objective_risk_hours_saved, "
                                            "improvement_over_greedy and gap_to_bound as numbers")


INVEST = obj({"kind": text}, rest=anything)  # invest pages guard their own keys; numbers checked below

#: The whole plan document (its rows, and the summary's numbers); each report kind names its schema.
PLAN_DOCUMENT = all_of(PLAN, _plan_summary_numbers)


# ---- reading ---------------------------------------------------------------------------------------

def finite_everywhere(v, path=""):
    """Every number anywhere in the document is finite and within ±LIMIT (NaN, Infinity and 1e999
    are read as numbers so that this names their key path)."""
    if isinstance(v, dict):
        for k, x in v.items():
            finite_everywhere(x, _key(path, k))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            finite_everywhere(x, f"{path}[{i}]")
    elif _is_num(v):
        num(v, path)


def parse_json_text(raw: bytes, source: str) -> Any:
    """Strict JSON from bytes: UTF-8 (a BOM is allowed), no NaN/Infinity, one line on failure."""
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start}); save it as UTF-8", source=source) from None
    try:
        return json.loads(content)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", source=source) from None
    except ValueError:  # an integer of thousands of digits
        raise InputError("not valid JSON (a number too long to read)", source=source) from None
    except RecursionError:
        raise InputError("not valid JSON (nested too deeply)", source=source) from None


def read_json_file(path: Path) -> Any:
    """A JSON file's content, with one-line errors for a missing, unreadable or non-UTF-8 file."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise InputError("is a folder, not a file", source=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror or 'error'})", source=str(path)) from None
    return parse_json_text(raw, str(path))


def validate_run_document(doc: Any, schema: Check, kind: str, source: str) -> None:
    """Check ``doc`` against ``schema`` (the one of ``kind``); one InputError (file, key path) on the first problem."""
    try:
        schema(doc, "")
        finite_everywhere(doc)
    except SchemaError as exc:
        raise InputError(f"{exc.path or 'top level'}: {exc.problem} (incomplete or malformed {kind} summary)",
                         source=source) from None
    except RecursionError:
        raise InputError("nested too deeply", source=source) from None
