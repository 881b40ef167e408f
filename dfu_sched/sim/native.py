"""Which of the simulation's modules run compiled, and whether each was compiled from its source.

Why (issue 13): the install compiles the hot path of a replication (``MODULES``) with mypyc
(``setup.py``): the same Python files, type-checked and turned into C extensions, about twice as
fast, and pure Python where no compiler is found. The numbers are the same either way
(``tests/sim/test_lean_core.py`` runs whichever is installed against the reference model in
``tests/sim/``). What can go wrong is a stale build: after an editable install the compiled modules
sit beside their sources and are the ones imported, so an edit to ``servers.py`` would not run
until the install is repeated. The build records each source's sha256 (``native_build.json``
beside the compiled modules); ``stale()`` compares, and importing the simulation warns once.
"""
from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from dfu_sched.sim import kernel, pools, queues, rosters, servers

#: The modules ``setup.py`` compiles (it reads this tuple without importing the package):
#: a job's end event, the servers, their pools and queues, and the roster arithmetic each job walks.
MODULES = ("dfu_sched.sim.kernel", "dfu_sched.sim.rosters", "dfu_sched.sim.queues", "dfu_sched.sim.pools",
           "dfu_sched.sim.servers")
MANIFEST = "native_build.json"
_LOADED = {m.__name__: m for m in (kernel, rosters, queues, pools, servers)}


@dataclass(frozen=True)
class CoreStatus:
    """How the simulation core is installed: ``compiled`` modules, and those of them ``stale``
    (compiled from a source that has changed since)."""

    compiled: tuple[str, ...]
    stale: tuple[str, ...]

    @property
    def label(self) -> str:
        if not self.compiled:
            return "pure Python"
        text = f"compiled (mypyc, {len(self.compiled)} of {len(MODULES)} modules)"
        return text + (f"; stale: {', '.join(self.stale)}" if self.stale else "")


def is_compiled(module: ModuleType) -> bool:
    """A compiled module's file is an extension (``.so``, ``.pyd``), not its ``.py``."""
    return not str(getattr(module, "__file__", "")).endswith(".py")


def status(folder: Path | None = None, loaded: dict[str, ModuleType] | None = None) -> CoreStatus:
    """Which modules are compiled, and which of those no longer match their source (``folder``:
    where the sources and the build's manifest are, this package's by default)."""
    folder = Path(__file__).resolve().parent if folder is None else folder
    loaded = _LOADED if loaded is None else loaded
    compiled = tuple(m for m in MODULES if is_compiled(loaded[m]))
    if not compiled:
        return CoreStatus((), ())
    try:
        built = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["sources"]
    except (OSError, ValueError, KeyError, TypeError):
        built = {}
    sources = {m: folder / (m.rsplit(".", 1)[1] + ".py") for m in compiled}
    # A module whose source is not installed beside it (a wheel without sources) cannot be stale.
    stale = tuple(m for m in compiled if sources[m].is_file()
                  and hashlib.sha256(sources[m].read_bytes()).hexdigest() != built.get(m))
    return CoreStatus(compiled, stale)


def warn_if_stale() -> None:
    """One warning when a compiled module was built from an older source (an editable install
    edited since): the run would use the old code."""
    found = status().stale
    if found:
        warnings.warn(f"the compiled simulation core is older than its source ({', '.join(found)}): "
                      "run the install again (pip install -e .; DFU_SCHED_PURE_PYTHON=1 before it for no compiling)",
                      RuntimeWarning, stacklevel=2)
