"""Check records are data; the CLI formats them (validation imports no report)."""
from __future__ import annotations

import ast
from pathlib import Path

from dfu_sched.cli.validate import check_verdict, format_checks
from dfu_sched.stats import Interval
from dfu_sched.validation.checks import Check


def _check(low: float, high: float, theory: float = 1.0, max_rel: float = 0.1) -> Check:
    return Check("case", "measure", theory, Interval((low + high) / 2, low, high, 10), max_rel)


def test_verdicts_name_why_a_check_fails():
    assert check_verdict(_check(0.95, 1.05)) == "PASS"
    assert check_verdict(_check(0.5, 1.5)) == "FAIL (wide CI)"   # covers theory, too wide to mean anything
    assert check_verdict(_check(1.1, 1.2)) == "FAIL"


def test_format_checks_is_a_table_with_a_count():
    text = format_checks([_check(0.95, 1.05), _check(1.1, 1.2)])
    lines = text.splitlines()
    assert lines[0].split() == ["case", "measure", "theory", "simulated", "95%", "CI", "±rel", "result"]
    assert "[0.95, 1.05]" in lines[2] and lines[2].endswith("PASS")
    assert lines[-1] == "1 passed, 1 failed"


def test_the_validation_wing_imports_no_report():
    for path in Path("dfu_sched/validation").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        names += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in names if m.startswith(("dfu_sched.reports", "dfu_sched.cli"))], path
