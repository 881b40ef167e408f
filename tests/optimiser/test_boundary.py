"""The optimiser is pure algorithms on plain data: no file reader, report, plan wing, CLI or io."""
from __future__ import annotations

import ast
from pathlib import Path

import dfu_sched.optimiser as optimiser

FORBIDDEN = ("dfu_sched.io", "dfu_sched.tables", "dfu_sched.plan", "dfu_sched.reports", "dfu_sched.cli",
             "dfu_sched.privacy", "dfu_sched.scenario", "dfu_sched.sim", "dfu_sched.invest", "importlib")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    return names + [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]


def test_no_optimiser_module_imports_files_reports_or_the_plan_wing():
    for path in sorted(Path(optimiser.__file__).parent.glob("*.py")):
        bad = [m for m in _imports(path) if m.startswith(FORBIDDEN)]
        assert not bad, (path.name, bad)


def test_the_package_names_only_the_public_api():
    assert sorted(optimiser.__all__) == ["PlanConfig", "PlanDevice", "PlanExaminer", "WeekPlan", "plan_week"]
    assert len(Path(optimiser.__file__).read_text(encoding="utf-8").splitlines()) < 30
