"""Outputs as one transaction: check every output first, stage them all, rename them in at the end.

Why: a command's outputs are read together (a run folder's report against its summary, a plan's CSV
against its XLSX), so they must never mix old and new, and a bad path found late must not leave
some outputs overwritten. And queue exports name children's cases, so nothing half-written or
left over may stay readable by others after a crash or a ``kill -9``.

How it works (:class:`Outputs`):

1. The command declares every output with its kind: a **file** (with the suffixes it may have), a
   **run folder** (replaced whole, never merged, so no stale file from an earlier run survives), or
   a **figures folder** (chart files added to a folder that may hold other slides).
2. :meth:`Outputs.check` validates them all before any work: suffix, not a folder where a file goes
   (or a file where a folder goes), no output inside another output file, no output that is an input,
   an existing run folder is one the tool wrote (or empty), and the nearest existing folder is
   writable (tried with a probe, which also catches read-only and special file systems). It also
   removes *stale* temporaries of this tool left in those folders by a killed run.
3. :meth:`Outputs.transaction` stages every output as an owner-only temporary (files 0600, folders
   0700) named ``.dfu-sched-tmp-<pid>-<random>-<name>`` beside its target; the command writes into the
   staged paths; on success every output is renamed into place (a run folder by an atomic exchange
   where Linux offers it, else by moving the old one aside first), permissions then follow the umask
   as a plain ``open()`` would; on any error or interrupt every temporary is removed.

A temporary is stale when the process named in it is gone (or the PID now belongs to a process that
started after the temporary was last written), so two concurrent runs never delete each other's
work. A run folder moved aside by a run that was killed between its two renames is put back.

Input files are never opened for writing.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from dfu_sched.errors import InputError

#: Every temporary this tool makes starts with this, so it can recognise (and only touch) its own.
TMP_PREFIX = ".dfu-sched-tmp-"
#: An old run folder moved aside during a swap (only where an atomic exchange is not available).
OLD_PREFIX = ".dfu-sched-old-"
_OWN = re.compile(r"^\.dfu-sched-(tmp|old)-(\d+)-[a-z0-9_]{8}-(.+)$")

#: Files that mark a folder as a run folder of simulate, compare, invest or sweep (which may be replaced whole).
RUN_MARKERS = ("summary.json", "compare.json", "invest.json", "sweep.json")

Kind = Literal["file", "folder", "figures"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---- recognising and removing stale temporaries ---------------------------------------------------

def _clock_ticks() -> int:
    try:
        return os.sysconf("SC_CLK_TCK")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not Linux
        return 100


def _boot_time() -> float | None:
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except OSError:
        pass
    return None


def process_start_time(pid: int) -> float | None:
    """When process ``pid`` started (epoch seconds), from /proc; None where that is not available."""
    boot = _boot_time()
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            stat = fh.read()
    except OSError:
        return None
    if boot is None:
        return None
    fields = stat[stat.rfind(")") + 2:].split()  # the command name may hold spaces and brackets
    try:
        return boot + int(fields[19]) / _clock_ticks()  # field 22 of stat(5): starttime
    except (IndexError, ValueError):
        return None


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return False
    return True


def is_stale(path: Path) -> bool:
    """True for a temporary of this tool whose process is gone (or whose PID was reused since)."""
    m = _OWN.match(path.name)
    if m is None:
        return False
    pid = int(m.group(2))
    if not _pid_alive(pid):
        return True
    if pid == os.getpid():
        return False
    started = process_start_time(pid)
    try:
        written = path.lstat().st_mtime
    except OSError:
        return False
    return started is not None and started > written + 1.0  # the PID now names a younger process


def sweep(folder: str | os.PathLike) -> list[Path]:
    """Remove this tool's stale temporaries directly in ``folder``; put back a run folder moved aside.

    Returns what was removed or restored. Never touches other files or live runs' temporaries.
    """
    folder = Path(folder)
    done: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return done
    for entry in entries:
        path = Path(entry.path)
        m = _OWN.match(entry.name)
        if m is None or not is_stale(path):
            continue
        target = folder / m.group(3)
        with contextlib.suppress(OSError):
            if m.group(1) == "old" and not os.path.lexists(target):
                os.rename(path, target)  # killed between moving the old folder aside and the new one in
            else:
                _remove(path)
            done.append(path)
    return done


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


# ---- swapping a folder in -------------------------------------------------------------------------

_RENAME_EXCHANGE, _AT_FDCWD = 2, -100  # renameat2's flag; "paths relative to the working folder"


def _libc():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:  # pragma: no cover - not glibc
        return None


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    libc = _libc()
    fn = getattr(libc, "renameat2", None) if libc is not None else None
    if fn is None:
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _swap_folder(staged: Path, target: Path) -> None:
    """Put ``staged`` where ``target`` is, replacing the old folder whole, then remove the old one."""
    if not os.path.lexists(target):
        os.rename(staged, target)
        return
    if _exchange(staged, target):
        shutil.rmtree(staged, ignore_errors=True)  # now holds the old folder
        return
    aside = Path(tempfile.mkdtemp(prefix=f"{OLD_PREFIX}{os.getpid()}-", suffix=f"-{target.name}",
                                  dir=target.parent))
    os.rmdir(aside)
    os.rename(target, aside)
    try:
        os.rename(staged, target)
    except BaseException:
        os.rename(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


# ---- declaring and checking outputs ---------------------------------------------------------------

@dataclass(frozen=True)
class Output:
    """One declared output: which option named it, where it goes and what it is."""

    option: str
    path: Path
    kind: Kind
    suffixes: tuple[str, ...] = ()

    def label(self) -> str:
        return f"{self.option} {self.path}"


def _nearest_existing(path: Path) -> Path:
    p = path
    while not os.path.lexists(p) and p.parent != p:
        p = p.parent
    return p


def _probe_writable(folder: Path) -> str | None:
    """None if a file can be created in ``folder``, else the reason (from the OS)."""
    try:
        fd, probe = tempfile.mkstemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", suffix="-probe", dir=folder)
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def check_output(out: Output, inputs: Iterable[Path] = ()) -> None:
    """Raise InputError (one line naming the option and path) if ``out`` cannot be written."""
    path = out.path
    if path.name in ("", ".", ".."):
        raise InputError(f"{out.label()}: not a file or folder name")
    for inp in inputs:
        if _same_file(path, inp):
            raise InputError(f"{out.label()}: is an input file; inputs are never overwritten")
        if out.kind == "folder" and _inside(inp, path):
            raise InputError(f"{out.label()}: holds the input file {inp}, and the folder is replaced whole; "
                             f"copy the input elsewhere first")
    if os.path.lexists(path):
        if out.kind == "file" and path.is_dir():
            raise InputError(f"{out.label()}: is a folder, not a file")
        if out.kind != "file" and not path.is_dir():
            raise InputError(f"{out.label()}: is a file, not a folder")
        if out.kind == "folder" and not _replaceable(path):
            raise InputError(f"{out.label()}: the folder exists and is not a dfu-sched run folder "
                             f"(it would be replaced whole); choose a new or empty folder")
    if out.kind == "file" and out.suffixes and path.suffix.lower() not in out.suffixes:
        raise InputError(f"{out.option}: '{path}' must end in {_one_of(out.suffixes)}")
    parent = _nearest_existing(path.parent if str(path.parent) else Path("."))
    if not parent.is_dir():
        raise InputError(f"{out.label()}: '{parent}' is a file, not a folder")
    reason = _probe_writable(parent)
    if reason is not None:
        raise InputError(f"{out.label()}: cannot write in '{parent}' ({reason})")


def _one_of(words: tuple[str, ...]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _replaceable(folder: Path) -> bool:
    """A folder may be replaced whole only if it is empty or one of this tool's run folders."""
    try:
        names = {e.name for e in os.scandir(folder)}
    except OSError:
        return False
    return not names or any(m in names for m in RUN_MARKERS)


def _inside(child: Path, parent: Path) -> bool:
    c, p = child.resolve(), parent.resolve()
    return c != p and p in c.parents


class Outputs:
    """Every output of one command, checked together and written as one transaction::

        outs = Outputs(inputs=[scenario])
        outs.folder("--out", out_dir)
        outs.file("--report", report, (".html", ".htm"))
        outs.check()                       # before any work: one clear InputError
        with outs.transaction() as stage:  # stage[path] is where to write path
            write_run(stage[out_dir])
            write_page(stage[report])
    """

    def __init__(self, inputs: Iterable[str | os.PathLike | None] = ()):
        self.items: list[Output] = []
        self.inputs = [Path(p) for p in inputs if p is not None]

    def file(self, option: str, path: str | os.PathLike | None, suffixes: Iterable[str] = ()) -> None:
        if path is not None:
            self.items.append(Output(option, Path(path), "file", tuple(s.lower() for s in suffixes)))

    def folder(self, option: str, path: str | os.PathLike | None) -> None:
        """A run folder: replaced whole (never merged with what was there)."""
        if path is not None:
            self.items.append(Output(option, Path(path), "folder"))

    def figures(self, option: str, path: str | os.PathLike | None) -> None:
        """A folder that receives chart files; other files already in it are kept."""
        if path is not None:
            self.items.append(Output(option, Path(path), "figures"))

    def __bool__(self) -> bool:
        return bool(self.items)

    def check(self) -> None:
        """Check every output (see the module docstring); also sweep stale temporaries beside them."""
        seen: dict[Path, Output] = {}
        for out in self.items:
            check_output(out, self.inputs)
            key = out.path.resolve()
            if key in seen:
                raise InputError(f"{out.label()}: named twice (also {seen[key].option})")
            seen[key] = out
        for out in self.items:
            for other in self.items:
                if other is not out and other.kind == "file" and _inside(out.path, other.path):
                    raise InputError(f"{out.label()}: cannot be inside the output file {other.path}")
        for out in self.items:
            parent = out.path.parent if str(out.path.parent) else Path(".")
            if parent.is_dir():
                sweep(parent)

    def _container(self, out: Output) -> Output | None:
        """The innermost declared folder output that ``out`` lies inside, if any."""
        best = None
        for other in self.items:
            if other is not out and other.kind != "file" and _inside(out.path, other.path):
                if best is None or _inside(other.path, best.path):
                    best = other
        return best

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Staging]:
        """Stage every output; commit them all on success, remove every temporary on failure."""
        staging = Staging()
        try:
            for out in self._outermost_first():
                staging.add(out, self._container(out))
            yield staging
            staging.commit()
        except OSError as exc:  # e.g. the disk filled up while writing: one line, nothing in place
            staging.abort()
            where = staging.target_of(exc.filename) or "output"
            raise InputError(f"{where}: cannot write ({exc.strerror or exc}); nothing was written") from None
        except BaseException:
            staging.abort()
            raise

    def _outermost_first(self) -> list[Output]:
        return sorted(self.items, key=lambda o: len(o.path.resolve().parts))


class Staging:
    """The staged (temporary) path of every output, and the renames that commit them."""

    def __init__(self) -> None:
        self._staged: dict[Path, Path] = {}
        self._top: list[tuple[Output, Path]] = []  # outputs not inside another staged folder
        self._made: list[Path] = []  # parent folders this transaction created (removed on abort)

    def target_of(self, filename) -> Path | None:
        """The output a temporary path belongs to (for messages: never name a temporary)."""
        if filename is None:
            return None
        name = Path(os.fsdecode(filename)).resolve()
        for target, staged in self._staged.items():
            s = staged.resolve()
            if name == s or s in name.parents:
                return target
        return None

    def __getitem__(self, path: str | os.PathLike) -> Path:
        return self._staged[Path(path).resolve()]

    def add(self, out: Output, container: Output | None) -> None:
        if container is not None:
            staged = self[container.path] / out.path.resolve().relative_to(container.path.resolve())
            if out.kind != "file":
                staged.mkdir(parents=True, exist_ok=True)
            else:
                staged.parent.mkdir(parents=True, exist_ok=True)
            self._staged[out.path.resolve()] = staged
            return
        parent = out.path.parent if str(out.path.parent) else Path(".")
        missing = [p for p in [parent, *parent.parents] if not os.path.lexists(p)]
        parent.mkdir(parents=True, exist_ok=True)
        self._made += sorted(missing, key=lambda p: len(p.parts))
        prefix, suffix = f"{TMP_PREFIX}{os.getpid()}-", f"-{out.path.name}"
        if out.kind == "file":
            fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=parent)  # 0600
            os.close(fd)
            staged = Path(name)
        else:
            staged = Path(tempfile.mkdtemp(prefix=prefix, suffix=suffix, dir=parent))  # 0700
        self._staged[out.path.resolve()] = staged
        self._top.append((out, staged))

    def commit(self) -> None:
        for out, _staged in self._top:  # last look: nothing appeared in the way while we worked
            if out.kind == "file" and out.path.is_dir():
                raise InputError(f"{out.label()}: is a folder, not a file")
            if out.kind != "file" and os.path.lexists(out.path) and not out.path.is_dir():
                raise InputError(f"{out.label()}: is a file, not a folder")
        umask = _umask()
        for out, staged in self._top:
            # Written onto an outer transaction's staged file: that one must stay owner-only.
            mask = 0o077 if out.path.name.startswith(TMP_PREFIX) else umask
            try:
                if out.kind == "file":
                    os.chmod(staged, 0o666 & ~mask)  # as a plain open() would
                    os.replace(staged, out.path)
                elif out.kind == "folder":
                    os.chmod(staged, 0o777 & ~mask)
                    _swap_folder(staged, out.path)
                else:
                    _merge_into(staged, out.path, mask)
            except OSError as exc:
                raise InputError(f"{out.label()}: cannot write ({exc.strerror or exc})") from None
        self._top = []

    def abort(self) -> None:
        for _, staged in self._top:
            _remove(staged)
        self._top = []
        for folder in reversed(self._made):  # only if still empty
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        self._made = []


def _merge_into(staged: Path, target: Path, mask: int) -> None:
    """Move the staged files into ``target`` (kept files stay); a new folder is renamed in whole."""
    os.chmod(staged, 0o777 & ~mask)
    if not os.path.lexists(target):
        os.rename(staged, target)
        return
    for item in sorted(staged.iterdir()):
        os.replace(item, target / item.name)
    os.rmdir(staged)


# ---- one output at a time (library use) -----------------------------------------------------------

@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temporary file for writing; on success it replaces ``path`` in one rename.

    The temporary is owner-only and carries this tool's prefix and PID, so a later run removes it
    if this process is killed.
    """
    path = Path(path)
    outs = Outputs()
    outs.file("output", path)
    with outs.transaction() as stage:
        if "b" not in mode:
            kwargs.setdefault("encoding", "utf-8")
            kwargs.setdefault("newline", "" if path.suffix == ".csv" else None)
        with open(stage[path], mode, **kwargs) as fh:
            yield fh


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Build a whole output folder in a temporary sibling, then swap it in: the old folder is
    replaced whole, so no file of an earlier run survives beside the new ones."""
    outs = Outputs()
    outs.folder("output", path)
    with outs.transaction() as stage:
        yield stage[path]
