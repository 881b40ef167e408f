"""The package's architecture, enforced: import graph, layer rules, module and function sizes.

Why this exists: the package is grouped into wings (``scenario``, ``sim``, ``optimiser``, ``plan``,
``invest``, ``sweep``, ``validation``, ``reports``, ``app``, ``cli``) over a shared ground floor (``calendar``,
``errors``, ``io`` ...). The grouping only helps if the arrows between wings point one way, and nothing but a test
keeps them so. This one reads every module of ``dfu_sched`` with :mod:`ast` (nothing is imported or
run), collects its imports, module-level and inside functions alike (an import hidden in a function is
still a dependency), skipping ``if TYPE_CHECKING:`` blocks (type-only arrows cost nothing at run
time), resolves relative imports, and checks:

- no import cycle between modules (the failure prints the cycle path);
- no import by string (``importlib.import_module``, ``__import__``): a registry of objects is imported
  plainly, so this graph stays the real one;
- the layer rules of :data:`RULES` (each rule its own test id, each broken arrow one line);
- every top-level module is on the ground floor or in a wing, and every wing has an ``__init__.py``
  with a docstring that says why the wing exists;
- no module over :data:`MAX_MODULE_LINES` lines and no function over :data:`MAX_FUNCTION_LINES`,
  unless its docstring says why with the words "long because" (the size marker, e.g. "Long
  because it is one SimPy process whose steps share its local state.").

An edge goes from the importing module to the module named: ``from a.b import c`` is an arrow to
``a.b.c`` when ``c`` is a module of the package and to ``a.b`` otherwise. Parent packages that Python
runs on the way (``a/__init__.py``) are not arrows: they are the wing's front door, not a dependency.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import pytest

PACKAGE = "dfu_sched"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

#: The shared ground floor: top-level modules every wing may use and that use no wing.
GROUND_FLOOR = ("calendar", "errors", "io", "paths", "stats", "privacy", "yamlfile", "tables", "columnmap")

#: The wings: sub-packages of ``dfu_sched``.
WINGS = ("scenario", "sim", "optimiser", "plan", "invest", "sweep", "uncertainty", "validation", "calibrate", "reports",
         "app", "cli")

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
#: The size marker: "long because ..." in a docstring says why the module or function is long (a bare
#: "long" is not enough: too many docstrings use the word for other reasons).
LONG_MARKER = re.compile(r"\blong because\b", re.IGNORECASE)


# --------------------------------------------------------------------------------------------------
# Reading the package


@dataclass(frozen=True)
class Import:
    """One import of a module of the package: who imports what, where."""

    source: str  # the importing module, dotted
    target: str  # the module imported (relative levels resolved, dotted)
    where: str  # file:line of the import statement


@dataclass
class Module:
    name: str
    where: str  # the file, relative to the repository
    is_package: bool
    tree: ast.Module
    lines: int
    imports: list[Import] = field(default_factory=list)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``tree`` except those under an ``if TYPE_CHECKING:`` body (its ``else`` counts)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute dotted name of ``from <node.module> import ...``, relative levels resolved."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def build(files: list[tuple[str, str, bool, str]]) -> dict[str, Module]:
    """Modules from ``(dotted name, file, is package, source text)``, with their run-time imports of the
    package (module-level and inside functions; not under ``if TYPE_CHECKING:``)."""
    found = {name: Module(name, where, is_package, ast.parse(text, filename=where), len(text.splitlines()))
             for name, where, is_package, text in files}
    for mod in found.values():
        for node in _runtime_nodes(mod.tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(mod.name, mod.is_package, node)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in found else base for a in node.names]
            for target in targets:
                while target not in found and "." in target:  # ``import dfu_sched.x`` of a missing module
                    target = target.rsplit(".", 1)[0]
                if target in found and target != mod.name:
                    mod.imports.append(Import(mod.name, target, f"{mod.where}:{node.lineno}"))
    return found


@cache
def modules() -> dict[str, Module]:
    """Every module of the package, read from disk (nothing is imported)."""
    files = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        files.append((name, str(path.relative_to(ROOT.parent)), is_package, path.read_text(encoding="utf-8")))
    return build(files)


def graph(mods: dict[str, Module]) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports."""
    return {name: {imp.target for imp in mod.imports} for name, mod in mods.items()}


def _short(module: str) -> str:
    """``sim.model`` for ``dfu_sched.sim.model``; the root package keeps its name."""
    return module.removeprefix(PACKAGE + ".")


def _matches(short: str, patterns: tuple[str, ...]) -> bool:
    return any(p == "*" or short == p or short.startswith(p + ".") for p in patterns)


# --------------------------------------------------------------------------------------------------
# (a) no cycle


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``edges`` as a path ``[a, b, ..., a]``, or None. Iterative depth-first search."""
    state: dict[str, int] = {}  # 1 on the current path, 2 finished
    for start in sorted(edges):
        if state.get(start):
            continue
        path = [start]
        iters = [iter(sorted(edges[start]))]
        state[start] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(sorted(edges.get(nxt, ()))))
    return None


def cycles(mods: dict[str, Module]) -> list[str]:
    """Every independent cycle as ``a -> b -> a``: one arrow of each cycle found is cut, then look again."""
    edges = graph(mods)
    found = []
    while (cycle := find_cycle(edges)) is not None and len(found) < 50:
        found.append(" -> ".join(_short(m) for m in cycle))
        edges[cycle[-2]].discard(cycle[-1])
    return found


def test_no_import_cycle() -> None:
    found = cycles(modules())
    assert not found, "import cycles (each an arrow path back to its start):\n  " + "\n  ".join(found)


# --------------------------------------------------------------------------------------------------
# (b) no import by string

#: Calls that import a module named by a string. None are allowed: command modules, renderers,
#: disciplines and objectives are registered as imported objects, so the graph above is the real one.
STRING_IMPORTS = {"import_module", "__import__"}


def string_imports(mods: dict[str, Module]) -> list[str]:
    found = []
    for mod in mods.values():
        for node in ast.walk(mod.tree):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else None
            if name in STRING_IMPORTS:
                found.append(f"{mod.where}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_import_by_string() -> None:
    found = string_imports(modules())
    assert not found, "imports by string (import the module plainly instead):\n  " + "\n  ".join(found)


# --------------------------------------------------------------------------------------------------
# (c) layer rules, as data


@dataclass(frozen=True)
class Rule:
    """Modules matching ``source`` (and not ``source_except``) must not import modules matching ``forbidden``.

    A pattern is a dotted prefix below ``dfu_sched`` ("sim" is the wing, "sim.model" one module, and
    "dfu_sched" the root package); ``"*"`` is every module. ``allowed`` lists prefixes exempt from
    ``forbidden``; ``exceptions`` are named arrows (source module, target prefix, why it is needed).
    """

    id: str
    source: tuple[str, ...]
    forbidden: tuple[str, ...]
    meaning: str
    allowed: tuple[str, ...] = ()
    exceptions: tuple[tuple[str, str, str], ...] = ()
    source_except: tuple[str, ...] = ()

    def violations(self, mods: dict[str, Module]) -> list[str]:
        out = []
        for mod in mods.values():
            short = _short(mod.name)
            if not _matches(short, self.source) or _matches(short, self.source_except):
                continue
            for imp in mod.imports:
                target = _short(imp.target)
                if not _matches(target, self.forbidden) or _matches(target, self.allowed):
                    continue
                if any(short == s and _matches(target, (t,)) for s, t, _ in self.exceptions):
                    continue
                out.append(f"{short} -> {target}  ({imp.where})")
        return sorted(set(out))


_OTHER_WINGS = {w: tuple(x for x in WINGS if x != w) for w in WINGS}

RULES = (
    Rule("ground-floor-imports-no-wing", (PACKAGE, *GROUND_FLOOR), WINGS,
         "the shared ground floor (and the root package) sits below every wing"),
    Rule("scenario-imports-only-ground-floor", ("scenario",), _OTHER_WINGS["scenario"],
         "a scenario is data that every other wing reads",
         exceptions=(("scenario.schema", "sim.disciplines",
                      "the schema checks `policy.discipline` against the registry of disciplines"),)),
    Rule("sim-imports-no-optimiser-but-weekly-plan", ("sim",), ("optimiser",),
         "only the weekly-plan discipline calls the optimiser",
         exceptions=(("sim.weekly_plan", "optimiser", "the weekly-plan discipline plans each simulated Monday"),)),
    Rule("sim-imports-no-plan-invest-reports-cli-validation", ("sim",),
         ("plan", "invest", "reports", "cli", "validation", "calibrate"),
         "the simulation is an engine that others drive"),
    Rule("optimiser-is-pure", ("optimiser",), ("*",),
         "pure algorithms on plain data: no file reader, report, plan, CLI or io module", allowed=("optimiser",)),
    Rule("plan-imports-no-sim-invest-reports-cli", ("plan",), ("sim", "invest", "reports", "cli"),
         "the weekly plan is files -> optimiser -> rows; it runs no simulation and renders nothing"),
    Rule("invest-imports-no-reports-cli-plan", ("invest",), ("reports", "cli", "plan"),
         "the investment engine returns data; reports and commands present it"),
    Rule("sweep-imports-ground-floor-scenario-sim-invest", ("sweep",),
         ("optimiser", "plan", "validation", "calibrate", "reports", "app", "cli"),
         "a sweep runs scenarios (and investment mixes) and returns data; reports and commands present it"),
    Rule("only-cli-reports-app-import-sweep", ("*",), ("sweep",), "a sweep is driven from the top floors only",
         source_except=("sweep", "cli", "reports", "app")),
    Rule("uncertainty-imports-ground-floor-scenario-sim-invest", ("uncertainty",),
         ("optimiser", "plan", "validation", "calibrate", "sweep", "reports", "app", "cli"),
         "the uncertainty wing moves a scenario's ranged inputs and returns data; reports and commands present it"),
    Rule("only-cli-reports-app-import-uncertainty", ("*",), ("uncertainty",),
         "the uncertainty wing is driven from the top floors only",
         source_except=("uncertainty", "cli", "reports", "app")),
    Rule("validation-imports-no-reports-cli", ("validation",), ("reports", "cli"),
         "the theory checks return data; reports and commands present it"),
    Rule("calibrate-imports-no-reports-cli-invest", ("calibrate",), ("reports", "cli", "invest"),
         "calibration reads a history and returns a scenario and data; reports and commands present them"),
    Rule("reports-import-no-engine-internals", ("reports",),
         ("sim.model", "sim.experiment", "sim.workload", "invest", "optimiser", "plan.files", "calibrate.history",
          "cli"),
         "reports read data shapes and labels (sim.measures, invest.objectives, calendar), never engines",
         allowed=("invest.objectives",)),
    Rule("app-imports-no-cli", ("app",), ("cli",),
         "the web app is a thin layer over the library API, beside the command line, not on it"),
    Rule("only-cli-imports-app", ("*",), ("app",), "only `dfu-sched app` starts the web app",
         source_except=("cli", "app")),
    Rule("only-cli-imports-cli", ("*",), ("cli",), "the command line is the top floor", source_except=("cli",)),
)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_layer_rule(rule: Rule) -> None:
    bad = rule.violations(modules())
    assert not bad, f"{rule.id} ({rule.meaning}); wrong-way imports:\n  " + "\n  ".join(bad)


def test_rules_name_real_wings_and_modules() -> None:
    known = {PACKAGE, *WINGS, *GROUND_FLOOR} | {_short(m) for m in modules()}
    for rule in RULES:
        for pattern in rule.source + rule.forbidden + rule.allowed + rule.source_except:
            assert pattern == "*" or pattern in known, f"{rule.id}: unknown module or wing {pattern!r}"
        for source, target, why in rule.exceptions:
            assert source in known and target in known and why, f"{rule.id}: bad exception {source} -> {target}"
    assert len({r.id for r in RULES}) == len(RULES)


def test_every_top_level_module_is_ground_floor_or_wing() -> None:
    stray = sorted(_short(name) for name, mod in modules().items()
                   if name.count(".") == 1 and not mod.is_package and _short(name) not in GROUND_FLOOR)
    unknown = sorted(_short(name) for name, mod in modules().items()
                     if name.count(".") == 1 and mod.is_package and _short(name) not in WINGS)
    assert not stray, f"top-level modules on no floor (add to GROUND_FLOOR or move into a wing): {stray}"
    assert not unknown, f"packages not listed in WINGS (give them layer rules): {unknown}"


# --------------------------------------------------------------------------------------------------
# (d) sizes


def _says_long(node: ast.Module | ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    doc = ast.get_docstring(node)
    return bool(doc and LONG_MARKER.search(doc))


def long_modules(mods: dict[str, Module]) -> list[str]:
    return [f"{mod.where}: {mod.lines} lines" for mod in mods.values()
            if mod.lines > MAX_MODULE_LINES and not _says_long(mod.tree)]


def long_functions(mods: dict[str, Module]) -> list[str]:
    out = []
    for mod in mods.values():
        for node in ast.walk(mod.tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            lines = (node.end_lineno or node.lineno) - start + 1
            if lines > MAX_FUNCTION_LINES and not _says_long(node):
                out.append(f"{mod.where}:{node.lineno} {node.name}(): {lines} lines")
    return out


def test_no_module_over_500_lines() -> None:
    bad = long_modules(modules())
    assert not bad, (f"modules over {MAX_MODULE_LINES} lines (split them, or say why in a module docstring "
                     "sentence saying 'long because ...'):\n  " + "\n  ".join(bad))


def test_no_function_over_80_lines() -> None:
    bad = long_functions(modules())
    assert not bad, (f"functions over {MAX_FUNCTION_LINES} lines (split them, or say why in a docstring "
                     "sentence saying 'long because ...'):\n  " + "\n  ".join(bad))


# --------------------------------------------------------------------------------------------------
# (e) every wing has a front door with a docstring


@pytest.mark.parametrize("wing", WINGS)
def test_wing_has_docstring(wing: str) -> None:
    mod = modules().get(f"{PACKAGE}.{wing}")
    assert mod is not None, f"{PACKAGE}/{wing}/__init__.py: missing"
    doc = ast.get_docstring(mod.tree)
    assert doc and len(doc.split()) >= 5, f"{mod.where}: needs a docstring saying why the wing exists"


# --------------------------------------------------------------------------------------------------
# The checks themselves, on a made-up package: each must catch what it is there to catch.

_BODY = "    x = 1\n" * 80
_FAKE = [
    ("dfu_sched", "dfu_sched/__init__.py", True, '"""Root."""\n'),
    ("dfu_sched.errors", "dfu_sched/errors.py", False, "from dfu_sched.reports.html import page\n"),
    ("dfu_sched.sim", "dfu_sched/sim/__init__.py", True, ""),
    ("dfu_sched.sim.model", "dfu_sched/sim/model.py", False,
     "from typing import TYPE_CHECKING\nimport numpy\nfrom . import disciplines\nfrom dfu_sched.errors import E\n"
     "if TYPE_CHECKING:\n    from dfu_sched.reports import html\n"
     "def run():\n    from ..optimiser import lp\n"),
    ("dfu_sched.sim.disciplines", "dfu_sched/sim/disciplines.py", False,
     "import importlib\nREGISTRY = importlib.import_module('dfu_sched.cli')\n"),
    ("dfu_sched.sim.weekly_plan", "dfu_sched/sim/weekly_plan.py", False, "import dfu_sched.optimiser.lp\n"),
    ("dfu_sched.optimiser", "dfu_sched/optimiser/__init__.py", True, "from .lp import solve\n"),
    ("dfu_sched.optimiser.lp", "dfu_sched/optimiser/lp.py", False, "from dfu_sched.sim import model\n"),
    ("dfu_sched.reports", "dfu_sched/reports/__init__.py", True, ""),
    ("dfu_sched.reports.html", "dfu_sched/reports/html.py", False,
     'def page():\n    """A page."""\n' + _BODY + 'def big():\n    """Long because it is one template."""\n' + _BODY),
]


def _rule(rule_id: str) -> Rule:
    return next(r for r in RULES if r.id == rule_id)


def test_imports_are_read_resolved_and_type_only_ones_skipped() -> None:
    edges = graph(build(_FAKE))
    assert edges["dfu_sched.sim.model"] == {"dfu_sched.sim.disciplines", "dfu_sched.errors", "dfu_sched.optimiser.lp"}
    assert edges["dfu_sched.optimiser"] == {"dfu_sched.optimiser.lp"}
    assert edges["dfu_sched.sim.weekly_plan"] == {"dfu_sched.optimiser.lp"}


def test_checks_catch_a_cycle_a_string_import_and_wrong_way_arrows() -> None:
    mods = build(_FAKE)
    assert cycles(mods) == ["optimiser.lp -> sim.model -> optimiser.lp"]
    assert string_imports(mods) == ["dfu_sched/sim/disciplines.py:2: importlib.import_module('dfu_sched.cli')"]
    assert _rule("sim-imports-no-optimiser-but-weekly-plan").violations(mods) == [
        "sim.model -> optimiser.lp  (dfu_sched/sim/model.py:8)"]  # weekly_plan's arrow is the exception
    assert _rule("optimiser-is-pure").violations(mods) == ["optimiser.lp -> sim.model  (dfu_sched/optimiser/lp.py:1)"]
    assert _rule("ground-floor-imports-no-wing").violations(mods) == ["errors -> reports.html  (dfu_sched/errors.py:1)"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_size_check_lists_long_functions_without_a_reason() -> None:
    mods = build(_FAKE)
    assert long_functions(mods) == ["dfu_sched/reports/html.py:1 page(): 82 lines"]
    assert long_modules(mods) == []
    assert long_modules({"m": replace(mods["dfu_sched.errors"], lines=501)}) == ["dfu_sched/errors.py: 501 lines"]
