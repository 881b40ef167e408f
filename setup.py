"""The build: everything is in ``pyproject.toml`` but the simulation's compiled core.

Why a ``setup.py`` at all (issue 13): a replication spends most of its time in four modules of the
simulation, the servers, their pools and queues and the roster arithmetic (``dfu_sched/sim/native.py``
lists them). mypyc compiles exactly those Python files, as written and type-checked, to C
extensions, which roughly halves a replication; nothing in the source changes, and the same files
run as plain Python where nothing can be compiled. So the build tries, and falls back:

- ``DFU_SCHED_PURE_PYTHON=1`` in the environment: no compiling (profiling with pyinstrument or
  py-spy, which see into Python code only, or a quick edit-and-run loop without rebuilding);
- mypy (which carries mypyc) missing from the build environment, or the compile failing (no C
  compiler, no Python headers): a warning, then the pure Python package, which gives the same
  numbers (``tests/sim/test_native.py``).

After an editable install (``pip install -e .``) the compiled modules sit beside their sources and
are the ones imported: after editing one of them, run the install again. ``dfu_sched.sim.native``
notices a compiled module whose source has changed since it was built and warns.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
NATIVE = HERE / "dfu_sched" / "sim" / "native.py"
#: Where the build records the sha256 of each compiled source (beside the compiled modules).
MANIFEST = "native_build.json"


def compiled_modules() -> list[str]:
    """``MODULES`` from ``dfu_sched/sim/native.py``, read without importing the package (its
    dependencies are not in the build environment)."""
    for node in ast.parse(NATIVE.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "MODULES" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise RuntimeError(f"{NATIVE}: no MODULES")


def _warn(message: str) -> None:
    print(f"dfu-sched build: {message}; installing the pure Python simulation core (same results, slower)",
          file=sys.stderr)


#: The setup.py commands that build extensions; the others (the metadata steps pip runs first) need
#: no compiling, which takes a minute.
BUILDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "install", "develop"}


def native_extensions() -> list:
    if os.environ.get("DFU_SCHED_PURE_PYTHON", "").strip() not in ("", "0"):
        return []
    if not BUILDS.intersection(sys.argv[1:]):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _warn("mypyc (part of mypy) is not installed")
        return []
    paths = [str(Path(*m.split(".")).with_suffix(".py")) for m in compiled_modules()]
    try:
        # Only the listed modules are analysed and compiled (imports beyond them are skipped and
        # typed Any), so the build needs none of the runtime dependencies and gives the same C code
        # in any environment. The shared library is named inside the package, not at top level.
        return mypycify(["--ignore-missing-imports", "--follow-imports=skip", *paths],
                        opt_level="3", group_name="dfu_sched.sim._native")
    except (Exception, SystemExit) as exc:  # mypycify exits (SystemExit) on a type error
        _warn(f"mypyc could not compile the core ({type(exc).__name__}: {exc})")
        return []


class OptionalNativeBuild(build_ext):
    """``build_ext`` that falls back to pure Python when compiling fails, and records which source
    each compiled module was built from."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001  (CompileError, LinkError, a missing compiler...)
            for out in self.get_outputs():
                Path(out).unlink(missing_ok=True)
            self.extensions = []  # nothing of them is installed or listed
            _warn(f"the C compile failed ({type(exc).__name__}: {exc})")
            return
        if self.extensions:
            self._write_manifest()

    def _write_manifest(self) -> None:
        modules = compiled_modules()
        target = Path(self.get_ext_fullpath(modules[0])).parent
        sources = {m: hashlib.sha256((HERE / Path(*m.split(".")).with_suffix(".py")).read_bytes()).hexdigest()
                   for m in modules}
        target.mkdir(parents=True, exist_ok=True)
        (target / MANIFEST).write_text(json.dumps({"compiler": "mypyc", "sources": sources}, indent=1) + "\n",
                                       encoding="utf-8")

    def get_outputs(self) -> list[str]:
        outputs = super().get_outputs()
        if self.extensions:
            outputs.append(str(Path(self.get_ext_fullpath(compiled_modules()[0])).parent / MANIFEST))
        return outputs


if __name__ == "__main__":  # as pip's build backend runs it (tests/sim/test_native.py reads it as a module)
    setup(ext_modules=native_extensions(), cmdclass={"build_ext": OptionalNativeBuild})
