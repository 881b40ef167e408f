"""Golden files: the JSON that simulate, compare, plan and invest print today, number for number.

Why: issue 10 regroups the package into wings and must change no number. These files record the
outputs of the code before that step (``tests/golden/*.json``); this test reruns each command and
requires the same JSON, floats included, exactly. Same code, same seed, same input: any
difference is a change of behaviour, not noise. If a float ever differs between two runs of the
same code, find out why (an unseeded draw, a wall-clock limit that bit, an order that depends on
a dict or a set) before relaxing anything here.

Only the fields in ``VOLATILE`` are dropped before comparing, by key path: wall-clock times, speeds,
and the worker count, which the numbers do not depend on (replications are seeded by index). The
commands run from the repository root with relative paths, so no absolute path enters the output.

When an issue changes numbers on purpose, refresh the files and review the diff before committing:

    DFU_GOLDEN=update python -m pytest tests/test_golden.py
    git diff --stat tests/golden/
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from dfu_sched.cli import main
from tests.helpers import ROOT

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("DFU_GOLDEN") == "update"

SIM = ["-n", "4", "--seed", "7", "--workers", "1", "--json", "-q"]
POLICIES = ["scenarios/north_yorkshire_2022.yaml", "scenarios/north_yorkshire_2022_priority.yaml",
            "scenarios/north_yorkshire_2022_weekly_plan.yaml"]

#: golden file name -> the command line that regenerates it (run from the repository root).
CASES: dict[str, list[str]] = {
    "simulate_baseline": ["simulate", POLICIES[0], *SIM],
    "simulate_priority": ["simulate", POLICIES[1], *SIM],
    "simulate_weekly_plan": ["simulate", POLICIES[2], *SIM],
    # 2 replications (the least compare accepts): the 4-replication runs of each scenario are above.
    "compare_policies": ["compare", *POLICIES, "-n", "2", "--seed", "7", "--workers", "1", "--json", "-q"],
    "plan_example": ["plan", "scenarios/examples/queue.csv", "--staff", "scenarios/examples/staff.csv",
                     "--week", "2024-06-03", "--json"],
    # £60K affords overtime and training: a search over two levers that runs in seconds.
    "invest_60k": ["invest", "scenarios/north_yorkshire_400k.yaml", "--budget", "60000", "-n", "4", "--seed", "7",
                   "--workers", "1", "--json", "-q"],
}

#: Key paths (per output kind) removed before comparing: they hold the clock or the worker count.
VOLATILE: dict[str, tuple[tuple[str, ...], ...]] = {
    "simulation": (("run", "seconds"), ("run", "workers")),
    "compare": (("run", "seconds"), ("run", "workers")),
    "invest": (("run", "seconds"), ("run", "workers"), ("run", "mixes_x_replications_per_minute")),
    "plan": (("summary", "solve_seconds"),),
}


def kind_of(out: dict) -> str:
    """The output kind: simulate, compare and invest say it in ``kind``; a plan has a ``summary``."""
    return out.get("kind") or "plan"


def normalise(out: dict) -> dict:
    """A copy of ``out`` without the ``VOLATILE`` key paths of its kind (missing ones are fine)."""
    out = json.loads(json.dumps(out))
    for path in VOLATILE[kind_of(out)]:
        parent = out
        for key in path[:-1]:
            parent = parent.get(key) if isinstance(parent, dict) else None
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
    return out


def differences(old, new, path: str = "$") -> list[str]:
    """Key paths where ``new`` differs from ``old``, in document order, with both values."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in list(old) + [k for k in new if k not in old]:
            if k not in new:
                out.append(f"{path}.{k}: missing (golden has it)")
            elif k not in old:
                out.append(f"{path}.{k}: new key (not in golden)")
            else:
                out += differences(old[k], new[k], f"{path}.{k}")
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = [] if len(old) == len(new) else [f"{path}: length {len(old)} -> {len(new)}"]
        for i, (a, b) in enumerate(zip(old, new)):
            out += differences(a, b, f"{path}[{i}]")
        return out
    # bool is an int in Python: 1 == True must still count as a change of type
    if old == new and type(old) is type(new):
        return []
    return [f"{path}: golden {old!r} -> now {new!r}"]


def regenerate(args: list[str], monkeypatch) -> dict:
    monkeypatch.chdir(ROOT)  # relative paths in, relative paths in the output
    r = CliRunner().invoke(main, args, catch_exceptions=False)
    assert r.exit_code == 0, r.stderr or r.output
    return normalise(json.loads(r.stdout))


def dump(out: dict) -> str:
    return json.dumps(out, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


@pytest.mark.parametrize("name", list(CASES))
def test_output_matches_golden_file(name, monkeypatch):
    new = regenerate(CASES[name], monkeypatch)
    file = GOLDEN / f"{name}.json"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        file.write_text(dump(new), encoding="utf-8")
        return
    assert file.is_file(), f"{file.name} missing: create it with DFU_GOLDEN=update python -m pytest {__file__}"
    old = json.loads(file.read_text(encoding="utf-8"))
    diff = differences(old, new)
    shown = "\n  ".join(diff[:12]) + (f"\n  ... and {len(diff) - 12} more" if len(diff) > 12 else "")
    assert not diff, (f"dfu-sched {' '.join(CASES[name])} differs from tests/golden/{file.name} at "
                      f"{len(diff)} key path(s):\n  {shown}\n"
                      "If the change is deliberate: DFU_GOLDEN=update python -m pytest tests/test_golden.py")


def test_normaliser_drops_only_the_listed_keys():
    out = {"kind": "simulation", "seed": 7, "run": {"seconds": 1.5, "events": 10, "workers": 2}}
    assert normalise(out) == {"kind": "simulation", "seed": 7, "run": {"events": 10}}
    plan = {"summary": {"solve_seconds": 0.7, "bound": 1.0}, "devices": []}
    assert normalise(plan) == {"summary": {"bound": 1.0}, "devices": []}


def test_differences_name_the_key_paths():
    old = {"a": {"b": [1.0, 2.0], "c": True}, "d": 1}
    assert differences(old, json.loads(json.dumps(old))) == []
    new = {"a": {"b": [1.0, 2.0000000000000004], "c": 1}, "e": 2}
    assert differences(old, new) == ["$.a.b[1]: golden 2.0 -> now 2.0000000000000004",
                                     "$.a.c: golden True -> now 1", "$.d: missing (golden has it)",
                                     "$.e: new key (not in golden)"]
