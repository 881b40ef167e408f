"""The plan's objective is named once (plan/labels.py) and the wing imports no report or CLI."""
from __future__ import annotations

import ast
from pathlib import Path

from dfu_sched.plan import labels


def test_aging_text_states_both_rules():
    assert labels.aging_text(180.0) == "weight x (1 + age/180 days)"
    assert labels.aging_text(None) == "weight x (1 + days past tier target / tier target)"


def test_the_summary_keys_are_spelled_only_in_labels():
    for path in Path("dfu_sched/plan").glob("*.py"):
        if path.name != "labels.py":
            assert f'"{labels.OBJECTIVE_KEY}"' not in path.read_text(encoding="utf-8"), path


def test_the_plan_wing_imports_no_report_or_cli():
    for path in Path("dfu_sched/plan").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in names if m.startswith(("dfu_sched.reports", "dfu_sched.cli"))], path
