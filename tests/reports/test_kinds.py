"""The report-kind registry, the one palette, and the reports wing's import boundaries."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from dfu_sched.errors import InputError
from dfu_sched.reports import kinds
from dfu_sched.reports.charts import palette
from tests.helpers import ROOT

REPORTS = ROOT / "dfu_sched" / "reports"


def test_every_kind_has_a_run_file_a_page_and_charts():
    assert list(kinds.KINDS) == ["simulation", "compare", "invest", "plan", "fit", "backtest", "sweep",
                                 "sensitivity"]
    for key, kind in kinds.KINDS.items():
        assert kind.key == key and kind.run_file.endswith(".json")
        assert callable(kind.render) and callable(kind.schema)
        names = [c.name for c in kind.charts]
        assert names and len(names) == len(set(names))
    every = [c.name for k in kinds.KINDS.values() for c in k.charts]
    assert len(every) == len(set(every)), "figure files of two kinds would overwrite each other"


def test_a_folder_is_searched_in_registry_order(tmp_path):
    for kind in reversed(list(kinds.KINDS.values())):
        (tmp_path / kind.run_file).write_text("{}")
    assert kinds.locate_run(tmp_path)[1].name == "summary.json"
    empty = tmp_path / "empty"
    empty.mkdir()
    names = ("no summary.json, compare.json, invest.json, plan.json, fit.json, backtest.json, sweep.json or "
             "sensitivity.json")
    with pytest.raises(InputError, match=names):
        kinds.locate_run(empty)


def test_a_plan_is_recognised_by_its_shape_and_other_kinds_by_their_key(tmp_path):
    plan = {"summary": {"week_start": "2024-06-03"}, "devices": [], "examiners": []}
    kind, doc = kinds.kind_of(plan, tmp_path / "p.json")
    assert kind.key == "plan" and doc["kind"] == "plan" and "kind" not in plan
    assert kinds.kind_of({"kind": "compare"}, tmp_path / "c.json")[0].key == "compare"
    with pytest.raises(InputError, match="unknown kind"):
        kinds.kind_of({"kind": "forecast"}, tmp_path / "f.json")
    with pytest.raises(InputError, match='no "kind" field'):
        kinds.kind_of([1, 2], tmp_path / "l.json")


def test_an_unknown_kind_in_a_run_folder_is_one_line(tmp_path):
    (tmp_path / "summary.json").write_text(json.dumps({"kind": "forecast"}))
    words = "expected one of simulation, compare, invest, plan, fit, backtest, sweep, sensitivity"
    with pytest.raises(InputError, match=words):
        kinds.build_report(tmp_path)


def _imports(path: Path) -> list[str]:
    """Every module a file imports, at module level or inside functions."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            out += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            out += [a.name for a in node.names]
    return out


ENGINE = ("dfu_sched.sim.model", "dfu_sched.sim.experiment", "dfu_sched.invest.search", "dfu_sched.invest.evaluate",
          "dfu_sched.plan.files", "dfu_sched.optimiser", "dfu_sched.cli", "importlib")


@pytest.mark.parametrize("path", sorted(REPORTS.rglob("*.py")), ids=lambda p: str(p.relative_to(REPORTS)))
def test_reports_import_data_shapes_only(path):
    bad = [m for m in _imports(path) if m.startswith(ENGINE)]
    assert not bad, f"{path.name} imports engine internals or the CLI: {bad}"
    if path.name != "kinds.py":
        assert "dfu_sched.reports.kinds" not in _imports(path), "only the CLI imports the registry"


def test_page_blocks_and_charts_never_import_a_page_module():
    pages = {"dfu_sched.reports." + m for m in ("simulate_html", "compare_html", "invest_html", "plan_html",
                                                "risk_html", "kinds")}
    for path in [REPORTS / "page.py", *sorted((REPORTS / "charts").glob("*.py"))]:
        assert not pages & set(_imports(path)), path.name


def test_tier_colours_are_spelled_once():
    """One palette: no report module but palette.py spells a tier colour."""
    hexes = {c.upper() for c in palette.TIER_COLOURS}
    for path in REPORTS.rglob("*.py"):
        if path.name == "palette.py":
            continue
        found = {h.upper() for h in re.findall(r"#[0-9A-Fa-f]{6}\b", path.read_text(encoding="utf-8"))}
        assert not found & hexes, f"{path.name} spells a palette colour: {sorted(found & hexes)}"
