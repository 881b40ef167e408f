"""The compiled core (``dfu_sched/sim/native.py``, ``setup.py``): which modules the build compiles,
how a stale build is noticed, and that the installed core is not stale.

That the compiled modules give the same numbers as the Python they are compiled from is not tested
here but everywhere: ``tests/sim/test_lean_core.py`` runs the installed core (compiled, after a
normal install) against the reference model in ``tests/sim/reference_model.py`` event for event,
and the golden files hold the JSON of whole runs.
"""
from __future__ import annotations

import hashlib
import json
import runpy
import subprocess
import sys
import types
from pathlib import Path

from click.testing import CliRunner

from dfu_sched.cli import main
from dfu_sched.sim import native

ROOT = Path(__file__).resolve().parents[2]


def _fake(folder: Path, compiled: set[str]) -> dict[str, types.ModuleType]:
    """Modules named as the core's, each 'loaded' from a .so (compiled) or its .py."""
    mods = {}
    for m in native.MODULES:
        short = m.rsplit(".", 1)[1]
        (folder / f"{short}.py").write_text(f"# {short}\n", encoding="utf-8")
        mod = types.ModuleType(m)
        mod.__file__ = str(folder / (f"{short}.cpython-311-x86_64-linux-gnu.so" if m in compiled else f"{short}.py"))
        mods[m] = mod
    return mods


def _manifest(folder: Path, sources: dict[str, str]) -> None:
    (folder / native.MANIFEST).write_text(json.dumps({"compiler": "mypyc", "sources": sources}), encoding="utf-8")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_setup_compiles_exactly_the_listed_modules():
    """``setup.py`` reads ``MODULES`` from native.py's source (it cannot import the package): the
    tuple must stay a literal it can read, and each listed module must exist."""
    build = runpy.run_path(str(ROOT / "setup.py"), run_name="not_a_build")
    assert tuple(build["compiled_modules"]()) == native.MODULES
    for m in native.MODULES:
        assert (ROOT / Path(*m.split("."))).with_suffix(".py").is_file()


def test_setup_compiles_nothing_when_asked_not_to(monkeypatch):
    build = runpy.run_path(str(ROOT / "setup.py"), run_name="not_a_build")
    monkeypatch.setattr(sys, "argv", ["setup.py", "bdist_wheel"])
    monkeypatch.setenv("DFU_SCHED_PURE_PYTHON", "1")
    assert build["native_extensions"]() == []
    monkeypatch.delenv("DFU_SCHED_PURE_PYTHON")
    monkeypatch.setattr(sys, "argv", ["setup.py", "egg_info"])  # a metadata step: nothing to compile
    assert build["native_extensions"]() == []


def test_a_failed_compile_installs_pure_python(tmp_path, monkeypatch, capsys):
    """No C compiler (or a compile error): the build warns and goes on without the extensions,
    leaving no half-built module behind."""
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    build = runpy.run_path(str(ROOT / "setup.py"), run_name="not_a_build")
    cmd = build["OptionalNativeBuild"](Distribution({"name": "x", "ext_modules": [Extension("x.y", ["y.c"])]}))
    cmd.initialize_options()
    cmd.build_lib = str(tmp_path)
    cmd.finalize_options()
    half = Path(cmd.get_ext_fullpath("x.y"))
    half.parent.mkdir(parents=True)

    def fails(self):
        half.write_bytes(b"half a module")
        raise RuntimeError("gcc: not found")

    monkeypatch.setattr(build_ext, "run", fails)
    cmd.run()
    assert not half.exists() and cmd.extensions == [] and cmd.get_outputs() == []
    assert "the C compile failed (RuntimeError: gcc: not found)" in capsys.readouterr().err


def test_pure_python_is_labelled_and_never_stale(tmp_path):
    got = native.status(tmp_path, _fake(tmp_path, set()))
    assert got == native.CoreStatus((), ()) and got.label == "pure Python"


def test_a_build_of_the_current_sources_is_not_stale(tmp_path):
    mods = _fake(tmp_path, set(native.MODULES))
    _manifest(tmp_path, {m: _sha(tmp_path / (m.rsplit(".", 1)[1] + ".py")) for m in native.MODULES})
    got = native.status(tmp_path, mods)
    assert got.compiled == native.MODULES and got.stale == ()
    assert got.label == f"compiled (mypyc, {len(native.MODULES)} of {len(native.MODULES)} modules)"


def test_an_edited_source_is_stale_and_warned_about(tmp_path, monkeypatch, recwarn):
    mods = _fake(tmp_path, set(native.MODULES))
    _manifest(tmp_path, {m: _sha(tmp_path / (m.rsplit(".", 1)[1] + ".py")) for m in native.MODULES})
    (tmp_path / "servers.py").write_text("# servers, edited\n", encoding="utf-8")
    got = native.status(tmp_path, mods)
    assert got.stale == ("dfu_sched.sim.servers",) and "stale: dfu_sched.sim.servers" in got.label
    monkeypatch.setattr(native, "status", lambda: got)
    native.warn_if_stale()
    [w] = recwarn.list
    assert "pip install -e ." in str(w.message) and "dfu_sched.sim.servers" in str(w.message)


def test_a_missing_or_broken_manifest_makes_every_compiled_module_stale(tmp_path):
    mods = _fake(tmp_path, {"dfu_sched.sim.pools", "dfu_sched.sim.queues"})
    assert native.status(tmp_path, mods).stale == ("dfu_sched.sim.queues", "dfu_sched.sim.pools")
    (tmp_path / native.MANIFEST).write_text("[1, 2", encoding="utf-8")
    assert native.status(tmp_path, mods).compiled == ("dfu_sched.sim.queues", "dfu_sched.sim.pools")
    assert len(native.status(tmp_path, mods).stale) == 2


def test_a_compiled_module_without_its_source_is_not_stale(tmp_path):
    mods = _fake(tmp_path, set(native.MODULES))
    for m in native.MODULES:
        (tmp_path / (m.rsplit(".", 1)[1] + ".py")).unlink()
    _manifest(tmp_path, {})
    assert native.status(tmp_path, mods).stale == ()


def test_the_installed_core_matches_its_sources():
    """After editing a compiled module, the install must be repeated (``pip install -e .``): until
    then the run would use the old code. This fails, naming the modules, until it is."""
    assert native.status().stale == (), native.status().label


def test_version_tells_how_the_core_is_installed():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"dfu-sched 0.1.0 (simulation core: {native.status().label})"


def test_the_core_modules_report_their_kind_in_a_fresh_process():
    """The label comes from the modules as imported (their files), not from the build's say-so."""
    code = ("from dfu_sched.sim import native, servers;"
            "print(native.is_compiled(servers), native.status().label)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    assert (out[0] == "True") == (not native.servers.__file__.endswith(".py"))
    assert out[1].strip() == native.status().label
