"""Outputs as one transaction (issue 8 items 15 and 17, issue 9 items 4-7).

Every output of a command is checked before any work and written together; a re-used run folder is
replaced whole; a bad output path is one line and exit 2; temporaries are owner-only and a killed
run's are removed by the next; pool workers die with their parent; shipped scenarios are found
from any folder.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from dfu_sched import io as dio
from dfu_sched.cli import main
from dfu_sched.errors import InputError
from tests.helpers import ROOT, short_baseline_file

EX = ROOT / "scenarios" / "examples"
PLAN = ["plan", str(EX / "queue.csv"), "--staff", str(EX / "staff.csv"), "--week", "2024-06-03",
        "--time-limit", "1"]
CLI = [sys.executable, "-c", "from dfu_sched.cli import main; main()"]
RISK = ["risk", str(EX / "queue.csv"), "--week", "2024-06-03"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """The baseline cut to 6 weeks: a simulation that takes a moment."""
    return short_baseline_file(tmp_path_factory.mktemp("sc"), 6, "tiny.yaml")


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_exit_2(res) -> str:
    assert res.exit_code == 2, res.output
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert "Traceback" not in res.output
    return err


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*"))


# ---- item 15 / item 6: a run folder is replaced whole ---------------------------------------------

def test_reused_out_folder_is_replaced_whole(tiny, tmp_path):
    run = tmp_path / "runs" / "baseline"
    assert cli("simulate", tiny, "-n", "3", "--seed", "1", "--workers", "1", "-q", "--out", run).exit_code == 0
    assert cli("report", run, "-q").exit_code == 0  # runs/baseline/report.html says "3 replications"
    (run / "notes-from-last-time.txt").write_text("stale")
    res = cli("simulate", tiny, "-n", "2", "--seed", "2", "--workers", "1", "-q", "--out", run)
    assert res.exit_code == 0, res.output
    assert not (run / "report.html").exists() and not (run / "notes-from-last-time.txt").exists()
    assert json.loads((run / "summary.json").read_text())["replications"] == 2
    assert hidden(tmp_path) == []


def test_a_folder_where_a_run_file_goes_does_not_half_update_the_run(tiny, tmp_path):
    run = tmp_path / "runB"
    base = ["simulate", tiny, "-n", "2", "--workers", "1", "-q", "--out", run]
    assert cli(*base, "--seed", "1").exit_code == 0
    assert cli("report", run, "-q").exit_code == 0
    (run / "weekly.csv").unlink()
    (run / "weekly.csv").mkdir()
    res = cli(*base, "--seed", "2")
    assert res.exit_code == 0, res.output
    assert (run / "weekly.csv").is_file() and not (run / "report.html").exists()
    assert json.loads((run / "summary.json").read_text())["seed"] == 2


def test_compare_out_folder_keeps_no_scenario_copy_of_an_earlier_compare(tiny, tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(f"extends: {tiny}\nname: Other\n")
    third = tmp_path / "third.yaml"
    third.write_text(f"extends: {tiny}\nname: Third\n")
    out = tmp_path / "cmp"
    args = ["-n", "2", "--workers", "1", "-q", "--out", out]
    assert cli("compare", tiny, other, *args).exit_code == 0
    before = {p.name for p in (out / "scenarios").iterdir()}
    assert cli("compare", tiny, third, *args).exit_code == 0
    after = {p.name for p in (out / "scenarios").iterdir()}
    assert before - after, (before, after)  # the earlier compare's copy of other.yaml is gone
    assert "Third" in (out / "compare.json").read_text() and "Other" not in (out / "compare.json").read_text()


def test_a_folder_that_is_not_a_run_folder_is_never_replaced(tiny, tmp_path):
    mine = tmp_path / "Documents"
    mine.mkdir()
    (mine / "letter.txt").write_text("keep me")
    err = one_line_exit_2(cli("simulate", tiny, "-n", "2", "--workers", "1", "-q", "--out", mine))
    assert "not a dfu-sched run folder" in err
    assert [p.name for p in mine.iterdir()] == ["letter.txt"]


# ---- item 5: every output checked first, written as one transaction -------------------------------

def test_plan_with_one_unwritable_out_overwrites_nothing(tmp_path):
    d = tmp_path / "d.csv"
    d.write_text("old plan")
    err = one_line_exit_2(cli(*PLAN, "--out", d, "--out", "/proc/d.json"))
    assert "/proc/d.json" in err and d.read_text() == "old plan"
    assert hidden(tmp_path) == []


def test_risk_with_one_unwritable_out_overwrites_nothing(tmp_path):
    a = tmp_path / "a.csv"
    a.write_text("old scores")
    one_line_exit_2(cli(*RISK, "--out", a, "--out", "/proc/a.json"))
    assert a.read_text() == "old scores"


def test_simulate_checks_report_path_before_replacing_the_run_folder(tiny, tmp_path):
    run = tmp_path / "run"
    assert cli("simulate", tiny, "-n", "2", "--seed", "1", "--workers", "1", "-q", "--out", run).exit_code == 0
    before = (run / "summary.json").read_bytes()
    err = one_line_exit_2(cli("simulate", tiny, "-n", "3", "--seed", "9", "--workers", "1", "-q",
                              "--out", run, "--report", "/proc/x.html"))
    assert "--report" in err
    assert (run / "summary.json").read_bytes() == before


def test_simulate_report_must_be_html(tiny, tmp_path):
    err = one_line_exit_2(cli("simulate", tiny, "-n", "2", "--workers", "1", "-q", "--report", tmp_path / "x.txt"))
    assert "--report" in err and ".html" in err
    assert list(tmp_path.iterdir()) == []


def test_an_output_is_never_an_input(tmp_path):
    q = tmp_path / "queue.csv"
    q.write_bytes((EX / "queue.csv").read_bytes())
    before = q.read_bytes()
    err = one_line_exit_2(cli("plan", q, "--staff", EX / "staff.csv", "--week", "2024-06-03", "--out", q))
    assert "input" in err and q.read_bytes() == before


def test_a_run_folder_holding_an_input_is_not_replaced(tiny, tmp_path):
    run = tmp_path / "run"
    assert cli("simulate", tiny, "-n", "2", "--workers", "1", "-q", "--out", run).exit_code == 0
    err = one_line_exit_2(cli("simulate", run / "scenario.yaml", "-n", "2", "--workers", "1", "-q", "--out", run))
    assert "input" in err and (run / "scenario.yaml").is_file()


def test_all_outputs_of_a_plan_appear_together_and_follow_the_umask(tmp_path):
    files = [tmp_path / "week" / n for n in ("plan.csv", "plan.json", "plan.xlsx", "plan.html")]
    old = os.umask(0o022)
    try:
        res = cli(*PLAN, *sum((["--out", f] for f in files), []), "--report", tmp_path / "week" / "r.html")
    finally:
        os.umask(old)
    assert res.exit_code == 0, res.output
    assert all(f.is_file() and f.stat().st_mode & 0o777 == 0o644 for f in files)
    assert hidden(tmp_path) == []


# ---- item 7: a directory, a file in the way, an unwritable place: one line, exit 2 ----------------

@pytest.mark.parametrize("make, message", [
    (lambda t: (t / "d.json").mkdir() or t / "d.json", "is a folder, not a file"),
    (lambda t: (t / "f").write_text("x") and t / "f" / "s.json", "is a file, not a folder"),
    (lambda t: Path("/proc/s.json"), "cannot write in '/proc'"),
    (lambda t: t / "s.txt", "must end in .json"),
])
def test_schema_out_bad_paths_are_one_line(tmp_path, make, message):
    target = make(tmp_path)
    err = one_line_exit_2(cli("schema", "--out", target))
    assert message in err


@pytest.mark.parametrize("option", ["--report", "--xlsx"])
def test_a_folder_given_for_a_file_output_is_one_line(tiny, tmp_path, option):
    (tmp_path / "x.html").mkdir()
    (tmp_path / "x.xlsx").mkdir()
    target = tmp_path / ("x.html" if option == "--report" else "x.xlsx")
    err = one_line_exit_2(cli("compare", tiny, tiny, "-n", "2", "--workers", "1", "-q", option, target))
    assert option in err and "is a folder" in err


@pytest.mark.parametrize("args", [
    ["simulate", "{d}"],
    ["plan", str(EX / "queue.csv"), "--staff", "{d}"],
    ["validate", "--theory-dir", "{d}/missing"],
])
def test_an_input_path_that_is_a_folder_or_missing_is_one_line(tmp_path, args):
    one_line_exit_2(cli(*[a.format(d=tmp_path) for a in args]))


def test_report_output_that_is_a_folder_is_one_line(tiny, tmp_path):
    run = tmp_path / "run"
    assert cli("simulate", tiny, "-n", "2", "--workers", "1", "-q", "--out", run).exit_code == 0
    (tmp_path / "page.html").mkdir()
    one_line_exit_2(cli("report", run, "-o", tmp_path / "page.html"))
    (tmp_path / "figs").write_text("a file")
    one_line_exit_2(cli("report", run, "--figures", tmp_path / "figs"))


def test_figures_folder_keeps_other_slides(tmp_path):
    slides = tmp_path / "slides"
    slides.mkdir()
    (slides / "title.pptx").write_text("deck")
    (slides / "backlog.svg").write_text("old chart")
    outs = dio.Outputs()
    outs.figures("--figures", slides)
    outs.check()
    with outs.transaction() as stage:
        (stage[slides] / "backlog.svg").write_text("new chart")
    assert (slides / "title.pptx").read_text() == "deck" and (slides / "backlog.svg").read_text() == "new chart"
    assert hidden(tmp_path) == []


# ---- item 4: owner-only temporaries, stale ones removed, live ones kept ---------------------------

def test_staged_outputs_are_owner_only_and_named_for_the_tool(tmp_path):
    outs = dio.Outputs()
    outs.file("--out", tmp_path / "a.csv", (".csv",))
    outs.folder("--out", tmp_path / "run")
    outs.check()
    with outs.transaction() as stage:
        f, d = stage[tmp_path / "a.csv"], stage[tmp_path / "run"]
        assert f.stat().st_mode & 0o777 == 0o600 and d.stat().st_mode & 0o777 == 0o700
        assert f.name.startswith(dio.TMP_PREFIX + str(os.getpid())) and f.parent == tmp_path
        f.write_text("x")
        (d / "summary.json").write_text("{}")
    assert (tmp_path / "a.csv").read_text() == "x" and (tmp_path / "run" / "summary.json").is_file()
    assert hidden(tmp_path) == []


def test_a_staged_file_rewritten_by_a_library_writer_stays_owner_only(tmp_path):
    """finance_xlsx saves through atomic_write onto the staged --xlsx path: still 0600 until commit."""
    outs = dio.Outputs()
    outs.file("--xlsx", tmp_path / "f.xlsx", (".xlsx",))
    with outs.transaction() as stage:
        with dio.atomic_write(stage[tmp_path / "f.xlsx"], "wb") as fh:
            fh.write(b"x")
        assert stage[tmp_path / "f.xlsx"].stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "f.xlsx").read_bytes() == b"x"


def test_a_failed_transaction_leaves_nothing(tmp_path):
    outs = dio.Outputs()
    outs.file("--out", tmp_path / "new" / "a.csv", (".csv",))
    with pytest.raises(RuntimeError):
        with outs.transaction() as stage:
            stage[tmp_path / "new" / "a.csv"].write_text("half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def _dead_pid() -> int:
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def test_sweep_removes_stale_temporaries_keeps_live_ones_and_other_files(tmp_path):
    dead = _dead_pid()
    stale_file = tmp_path / f"{dio.TMP_PREFIX}{dead}-abcd1234-plan.xlsx"
    stale_file.write_text("case data")
    stale_dir = tmp_path / f"{dio.TMP_PREFIX}{dead}-abcd1234-run"
    (stale_dir / "sub").mkdir(parents=True)
    (stale_dir / "sub" / "devices.csv").write_text("case data")
    aside = tmp_path / f"{dio.OLD_PREFIX}{dead}-abcd1234-runA"  # killed between the two renames
    aside.mkdir()
    (aside / "summary.json").write_text("{}")
    live = tmp_path / f"{dio.TMP_PREFIX}{os.getppid()}-abcd1234-other.csv"  # a concurrent run's
    live.write_text("in progress")
    mine = tmp_path / ".my-own-hidden-file"
    mine.write_text("not the tool's")
    dio.sweep(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, mine.name, "runA"])
    assert (tmp_path / "runA" / "summary.json").is_file()


def test_a_reused_pid_does_not_keep_a_stale_temporary(tmp_path):
    t = tmp_path / f"{dio.TMP_PREFIX}{os.getppid()}-abcd1234-a.csv"
    t.write_text("x")
    started = dio.process_start_time(os.getppid())
    if started is None:
        pytest.skip("no /proc")
    os.utime(t, (started - 60, started - 60))  # written before that process existed
    assert dio.is_stale(t)


def test_the_next_command_sweeps_the_output_folder(tmp_path):
    stale = tmp_path / f"{dio.TMP_PREFIX}{_dead_pid()}-abcd1234-plan.csv"
    stale.write_text("case data")
    assert cli(*PLAN, "--out", tmp_path / "plan.csv").exit_code == 0
    assert hidden(tmp_path) == []


# ---- item 4: kill -9 at random moments: no temporary after the next run, no worker alive ----------

def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rfind(")") + 2:].split()[1]) == pid:
                found.add(int(entry))
    return found


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].split()[0] not in ("Z", "X")


def _kill_at(args: list[str], delay: float, out: Path, after: str = "start") -> set[int]:
    """Start the CLI and SIGKILL its main process ``delay`` s after ``after``: its start, its first
    worker, or the first temporary in ``out`` (the write phase); return the worker PIDs it had."""
    proc = subprocess.Popen([*CLI, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    end = time.monotonic() + delay if after == "start" else None
    give_up = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < (end or give_up):
        workers |= _children(proc.pid)
        if end is None and ((after == "workers" and workers) or (after == "temporary" and hidden(out))):
            end = time.monotonic() + delay
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return workers


def _run_whole(args: list[str]) -> float:
    t0 = time.monotonic()
    done = subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - t0


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("command", ["simulate", "plan"])
def test_sigkill_at_random_moments_leaves_no_temporary_and_no_worker(tiny, tmp_path, command):
    out = tmp_path / "out"
    out.mkdir()
    if command == "simulate":
        args = ["simulate", str(tiny), "-n", "16", "--workers", "2", "-q", "--out", str(out / "run")]
    else:
        queue = tmp_path / "queue.csv"  # a short queue: the kills should land in the work, not the imports
        queue.write_text("".join((EX / "queue.csv").read_text().splitlines(keepends=True)[:9]))
        args = ["plan", str(queue), "--staff", str(EX / "staff.csv"), "--week", "2024-06-03", "--time-limit", "1",
                "--out", str(out / "plan.csv"), "--out", str(out / "plan.xlsx"), "--out", str(out / "plan.json")]
    whole = _run_whole(args)  # the kills then hit a run that replaces existing outputs
    rng = random.Random(f"kill-{command}")
    workers: set[int] = set()
    try:
        moments = ["workers", "temporary", "start"] if command == "simulate" else ["temporary", "temporary", "start"]
        for after in moments:
            delay = rng.uniform(0.0, 0.5) if after == "workers" else (
                rng.uniform(0.0, 0.005) if after == "temporary" else rng.uniform(0.2, whole))
            workers |= _kill_at(args, delay, out, after)
        if command == "simulate":
            assert workers, "no kill came while the workers ran"
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline and any(_running(w) for w in workers):
            time.sleep(0.05)
        alive = [w for w in workers if _running(w)]
        assert alive == [], f"workers outlived their parent: {alive}"
        _run_whole(args)
        assert hidden(out) == []
        names = sorted(p.name for p in out.iterdir())
        assert names == (["run"] if command == "simulate" else ["plan.csv", "plan.json", "plan.xlsx"])
    finally:
        for w in workers:  # only processes this test started
            if _running(w):
                os.kill(w, signal.SIGKILL)


def test_pool_workers_ask_to_die_with_their_parent():
    """The pool initializer sets PR_SET_PDEATHSIG = SIGKILL in every worker (Linux)."""
    from dfu_sched.sim.experiment import worker_pool

    if not sys.platform.startswith("linux"):
        pytest.skip("prctl is Linux only")
    with worker_pool(2, _noop) as pool:
        signals = set(pool.map(_death_signal, range(4)))
    assert signals == {int(signal.SIGKILL)}


def _noop() -> None:
    pass


def _death_signal(_: int) -> int:
    import ctypes

    value = ctypes.c_int(0)
    ctypes.CDLL(None).prctl(2, ctypes.byref(value), 0, 0, 0)  # PR_GET_PDEATHSIG
    return value.value


# ---- issue 8 item 17: shipped scenarios are package data, found from any folder -------------------

def test_shipped_files_are_found_in_the_installed_package_from_any_folder(tmp_path, monkeypatch):
    from dfu_sched import paths

    installed = tmp_path / "site-packages" / "dfu_sched" / "scenarios"
    (installed / "theory").mkdir(parents=True)
    (installed / "north_yorkshire_2022.yaml").write_text("name: x\n")
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr(paths, "_PACKAGE", installed)
    monkeypatch.setattr(paths, "_REPO", tmp_path / "no-checkout")
    assert paths.shipped("north_yorkshire_2022.yaml") == installed / "north_yorkshire_2022.yaml"
    assert paths.shipped("theory") == installed / "theory"
    with pytest.raises(InputError, match="--scenario"):
        paths.shipped("missing.yaml", "--scenario FILE")


def test_plan_risk_and_validate_defaults_work_outside_the_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, [*PLAN, "--json"])
    assert res.exit_code == 0, res.output
    assert CliRunner().invoke(main, [*RISK]).exit_code == 0
    from dfu_sched.validation.checks import baseline_path, theory_dir

    assert (theory_dir() / "mm1_rho50.yaml").is_file() and baseline_path().is_file()


def test_wheel_ships_every_scenario_file_and_every_package():
    """pyproject's package list and data globs cover the source tree (what `pip install .` ships)."""
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = set(conf["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "dfu_sched").rglob("__init__.py")}
    assert on_disk <= packages, on_disk - packages
    source = ROOT / conf["package-dir"]["dfu_sched.scenarios"]
    globs = conf["package-data"]["dfu_sched.scenarios"]
    shipped = {p for g in globs for p in source.glob(g) if p.is_file()}
    tracked = {p for p in source.rglob("*") if p.is_file() and not p.name.startswith(".")}
    assert tracked == shipped, tracked ^ shipped


# ---- the transaction, for any set of outputs and any failure point --------------------------------


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): (p.read_text() if p.is_file() else "/")
            for p in sorted(folder.rglob("*"))}


@settings(max_examples=40, deadline=None)
@given(names=st.lists(st.sampled_from(["a.csv", "b.json", "run", "figs", "sub/c.csv"]), min_size=1, max_size=4,
                      unique=True),
       existing=st.sets(st.sampled_from(["a.csv", "b.json", "run", "figs"])),
       fail_at=st.integers(min_value=0, max_value=5))
def test_outputs_are_all_new_or_all_old(tmp_path_factory, names, existing, fail_at):
    root = tmp_path_factory.mktemp("tx")
    for name in existing:  # an earlier run's outputs
        if name in ("run", "figs"):
            (root / name).mkdir()
            (root / name / ("summary.json" if name == "run" else "old.svg")).write_text("old")
        else:
            (root / name).write_text("old")
    before = _snapshot(root)
    outs = dio.Outputs()
    for name in names:
        {"run": outs.folder, "figs": outs.figures}.get(name, outs.file)("--out", root / name)
    outs.check()
    try:
        with outs.transaction() as stage:
            for k, name in enumerate(names):
                if k == fail_at:
                    raise RuntimeError("failed half-way")
                target = stage[root / name]
                (target / "summary.json" if name in ("run", "figs") else target).write_text("new")
    except RuntimeError:
        assert _snapshot(root) == before
        return
    after = _snapshot(root)
    for name in names:
        if name == "run":
            assert (root / "run" / "summary.json").read_text() == "new"
        elif name == "figs":
            assert (root / "figs" / "summary.json").read_text() == "new"
            assert ("figs" not in existing) or (root / "figs" / "old.svg").exists()  # kept
        else:
            assert (root / name).read_text() == "new"
    assert not any(k.split("/")[-1].startswith(".") for k in after)
