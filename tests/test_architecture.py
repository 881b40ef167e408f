"""The package's architecture, enforced: import graph, layer rules, module and function sizes.

Why this exists: the package is grouped into wings (``scenario``, ``sim``, ``optimiser``, ``plan``,
``invest``, ``validation``, ``reports``, ``cli``) over a shared ground floor (``calendar``, ``errors``,
``io`` ...). The grouping only helps if the arrows between wings point one way, and nothing but a test
keeps them so. This one reads every module of ``dfu_sched`` with :mod:`ast` (nothing is imported or
run), collects its imports, module-level and inside functions alike (an import hidden in a function is
still a dependency), skipping ``if TYPE_CHECKING:`` blocks (type-only arrows cost nothing at run
time), resolves relative imports, and checks:

- no import cycle between modules (the failure prints the cycle path);
- no import by string (``importlib.import_module``, ``__import__``): a registry of objects is imported
  plainly, so this graph stays the real one;
- the layer rules of :data:`FORBIDDEN` (each rule its own test id, each broken arrow one line);
- every top-level module is on the ground floor or in a wing, and every wing has an ``__init__.py``
  with a docstring that says why the wing exists;
- no module over :data:`MAX_MODULE_LINES` lines and no function over :data:`MAX_FUNCTION_LINES`,
  unless its docstring says why in a sentence with the word "long" (the size marker, e.g. "Long
  because it is one SimPy process whose steps share its local state.").

An edge goes from the importing module to the module named: ``from a.b import c`` is an arrow to
``a.b.c`` when ``c`` is a module of the package and to ``a.b`` otherwise. Parent packages that Python
runs on the way (``a/__init__.py``) are not arrows: they are the wing's front door, not a dependency.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

PACKAGE = "dfu_sched"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

#: The shared ground floor: top-level modules every wing may use and that use no wing.
GROUND_FLOOR = ("calendar", "errors", "io", "paths", "stats", "privacy", "yamlfile", "tables")

#: The wings: sub-packages of ``dfu_sched``.
WINGS = ("scenario", "sim", "optimiser", "plan", "invest", "validation", "reports", "cli")

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
#: The size marker: a docstring sentence containing this word says why the module or function is long.
LONG_MARKER = re.compile(r"\blong\b", re.IGNORECASE)


# --------------------------------------------------------------------------------------------------
# Reading the package


@dataclass(frozen=True)
class Import:
    """One import statement's target, as written and resolved."""

    source: str  # the importing module, dotted
    target: str  # the module imported (resolved, dotted)
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}  ({_path_of(self.source)}:{self.line})"


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    imports: list[Import] = field(default_factory=list)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _path_of(module: str) -> str:
    mod = modules().get(module)
    return str(mod.path.relative_to(ROOT.parent)) if mod else module


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_nodes(tree: ast.AST):
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


@cache
def modules() -> dict[str, Module]:
    """Every module of the package, parsed, with its run-time imports of the package."""
    found: dict[str, Module] = {}
    for path in sorted(ROOT.rglob("*.py")):
        name = _module_name(path)
        found[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    for mod in found.values():
        is_package = mod.path.name == "__init__.py"
        for node in _runtime_nodes(mod.tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(mod.name, is_package, node)
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in found else base)
            for target in targets:
                if target == PACKAGE or target.startswith(PACKAGE + "."):
                    mod.imports.append(Import(mod.name, target, node.lineno))
    return found


def graph() -> dict[str, set[str]]:
    """Module -> modules of the package it imports (an import of a name inside a module is the module)."""
    names = modules()
    edges: dict[str, set[str]] = {name: set() for name in names}
    for mod in names.values():
        for imp in mod.imports:
            target = imp.target
            while target not in names and "." in target:  # ``import dfu_sched.x.y`` of a missing module
                target = target.rsplit(".", 1)[0]
            if target != mod.name:
                edges[mod.name].add(target)
    return edges


def wing_of(module: str) -> str:
    """``scenario`` for ``dfu_sched.scenario.schema``; ``ground`` for a top-level module or the root."""
    parts = module.split(".")
    if len(parts) >= 2 and (ROOT / parts[1]).is_dir():
        return parts[1]
    return "ground"


def _short(module: str) -> str:
    return module.removeprefix(PACKAGE + ".")


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


def test_find_cycle_reports_the_path() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    assert find_cycle({"a": {"a"}}) == ["a", "a"]


def test_no_import_cycle() -> None:
    edges = graph()
    cycles = []
    # Report every independent cycle, not just the first: remove one arrow of each found and look again.
    for _ in range(50):
        cycle = find_cycle(edges)
        if cycle is None:
            break
        cycles.append(" -> ".join(_short(m) for m in cycle))
        edges[cycle[-2]].discard(cycle[-1])
    assert not cycles, "import cycles (each an arrow path back to its start):\n  " + "\n  ".join(cycles)


# --------------------------------------------------------------------------------------------------
# (b) no import by string

#: Calls that import a module named by a string. None are allowed: the command modules, renderers,
#: disciplines and objectives are registered as imported objects so that the graph above is complete.
STRING_IMPORTS = {"import_module", "__import__"}


def string_imports() -> list[str]:
    found = []
    for mod in modules().values():
        for node in ast.walk(mod.tree):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else None
            if name in STRING_IMPORTS:
                found.append(f"{_path_of(mod.name)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_import_by_string() -> None:
    found = string_imports()
    assert not found, "imports by string (import the module plainly instead):\n  " + "\n  ".join(found)


# --------------------------------------------------------------------------------------------------
# (c) layer rules, as data


@dataclass(frozen=True)
class Rule:
    """Modules matching ``source`` (and not ``source_except``) must not import modules matching ``forbidden``.

    A pattern is a dotted prefix below ``dfu_sched`` ("sim" is the wing, "sim.model" one module);
    ``"*"`` is every module of the package. ``allowed`` lists prefixes exempt from ``forbidden``, and
    ``exceptions`` named arrows (source module, target prefix, why it is needed) the rule lets through.
    """

    id: str
    source: tuple[str, ...]
    forbidden: tuple[str, ...]
    allowed: tuple[str, ...] = ()
    exceptions: tuple[tuple[str, str, str], ...] = ()
    source_except: tuple[str, ...] = ()
    meaning: str = ""

    def violations(self) -> list[str]:
        out = []
        for mod in modules().values():
            short = _short(mod.name)
            if not _matches(short, self.source) or _matches(short, self.source_except):
                continue
            for imp in mod.imports:
                target = _short(imp.target)
                if not _matches(target, self.forbidden) or _matches(target, self.allowed):
                    continue
                if any(short == s and _matches(target, (t,)) for s, t, _ in self.exceptions):
                    continue
                out.append(f"{_short(imp.source)} -> {target}  ({_path_of(imp.source)}:{imp.line})")
        return sorted(set(out))


def _matches(short: str, patterns: tuple[str, ...]) -> bool:
    return any(p == "*" or short == p or short.startswith(p + ".") for p in patterns)


_GROUND = tuple(GROUND_FLOOR)
_WINGS_BUT = {w: tuple(x for x in WINGS if x != w) for w in WINGS}

RULES = (
    Rule("ground-floor-imports-no-wing", _GROUND, WINGS,
         meaning="the shared ground floor is below every wing"),
    Rule("scenario-imports-only-ground-floor", ("scenario",), _WINGS_BUT["scenario"],
         exceptions=(("scenario.schema", "sim.disciplines",
                      "the schema validates `policy.discipline` against the registry of disciplines"),),
         meaning="a scenario is data; every other wing reads it"),
    Rule("sim-imports-no-optimiser-but-weekly-plan", ("sim",), ("optimiser",),
         exceptions=(("sim.weekly_plan", "optimiser", "the weekly-plan discipline plans each simulated Monday"),),
         meaning="only the weekly-plan discipline calls the optimiser"),
    Rule("sim-imports-no-plan-invest-reports-cli-validation", ("sim",),
         ("plan", "invest", "reports", "cli", "validation"),
         meaning="the simulation is an engine that others drive"),
    Rule("optimiser-is-pure", ("optimiser",), ("*",), allowed=("optimiser",),
         meaning="pure algorithms on plain data: no file reader, report, plan, CLI or io module"),
    Rule("plan-imports-no-sim-invest-reports-cli", ("plan",), ("sim", "invest", "reports", "cli"),
         meaning="the weekly plan is files -> optimiser -> rows; it runs no simulation and renders nothing"),
    Rule("invest-imports-no-reports-cli-plan", ("invest",), ("reports", "cli", "plan"),
         meaning="the investment engine returns data; reports and commands present it"),
    Rule("validation-imports-no-reports-cli", ("validation",), ("reports", "cli"),
         meaning="the theory checks return data; reports and commands present it"),
    Rule("reports-import-no-engine-internals", ("reports",),
         ("sim.model", "sim.experiment", "sim.workload", "invest", "optimiser", "plan.files", "cli"),
         allowed=("invest.objectives",),
         meaning="reports read data shapes and labels (sim.measures, invest.objectives), never engines"),
    Rule("only-cli-imports-cli", ("*",), ("cli",), source_except=("cli",),
         meaning="the command line is the top floor"),
)


def test_rules_are_well_formed() -> None:
    """Every rule names real wings or modules, and a rule catches an arrow it is meant to catch."""
    known = set(WINGS) | set(GROUND_FLOOR) | {_short(m) for m in modules()}
    for rule in RULES:
        for pattern in rule.source + rule.forbidden + rule.allowed:
            assert pattern == "*" or pattern in known, f"{rule.id}: unknown module or wing {pattern!r}"
    assert len({r.id for r in RULES}) == len(RULES)
    assert _matches("sim.model", ("sim",)) and not _matches("simulate", ("sim",))
    assert _matches("reports.html", ("*",)) and not _matches("invest.objectives", ("invest.search",))


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_layer_rule(rule: Rule) -> None:
    bad = rule.violations()
    assert not bad, f"{rule.id} ({rule.meaning}); wrong-way imports:\n  " + "\n  ".join(bad)


def test_every_top_level_module_is_ground_floor_or_wing() -> None:
    stray = sorted(
        _short(name) for name in modules()
        if name.count(".") == 1 and wing_of(name) == "ground" and _short(name) not in GROUND_FLOOR)
    unknown_wings = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name not in WINGS)
    assert not stray, f"top-level modules on no floor (add to GROUND_FLOOR or move into a wing): {stray}"
    assert not unknown_wings, f"packages not listed in WINGS (give them layer rules): {unknown_wings}"


# --------------------------------------------------------------------------------------------------
# (d) sizes


def _says_long(node: ast.AST) -> bool:
    doc = ast.get_docstring(node) if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef
                                                   | ast.ClassDef) else None
    return bool(doc and LONG_MARKER.search(doc))


def long_modules() -> list[str]:
    out = []
    for mod in modules().values():
        lines = len(mod.path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES and not _says_long(mod.tree):
            out.append(f"{_path_of(mod.name)}: {lines} lines")
    return out


def long_functions() -> list[str]:
    out = []
    for mod in modules().values():
        for node in ast.walk(mod.tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            lines = (node.end_lineno or node.lineno) - start + 1
            if lines > MAX_FUNCTION_LINES and not _says_long(node):
                out.append(f"{_path_of(mod.name)}:{node.lineno} {node.name}(): {lines} lines")
    return out


def test_says_long_marker() -> None:
    long_fn = ast.parse('def f():\n    """Long because it is one SimPy process."""\n').body[0]
    short_fn = ast.parse('def f():\n    """The wait, in days."""\n').body[0]
    assert _says_long(long_fn) and not _says_long(short_fn)


def test_no_module_over_500_lines() -> None:
    bad = long_modules()
    assert not bad, (f"modules over {MAX_MODULE_LINES} lines (split them, or say why in a module docstring "
                     "sentence with the word 'long'):\n  " + "\n  ".join(bad))


def test_no_function_over_80_lines() -> None:
    bad = long_functions()
    assert not bad, (f"functions over {MAX_FUNCTION_LINES} lines (split them, or say why in a docstring "
                     "sentence with the word 'long'):\n  " + "\n  ".join(bad))


# --------------------------------------------------------------------------------------------------
# (e) every wing has a front door with a docstring


@pytest.mark.parametrize("wing", WINGS)
def test_wing_has_docstring(wing: str) -> None:
    init = ROOT / wing / "__init__.py"
    assert init.exists(), f"{init.relative_to(ROOT.parent)}: missing"
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    where = init.relative_to(ROOT.parent)
    assert doc and len(doc.split()) >= 5, f"{where}: needs a docstring saying why the wing exists"
