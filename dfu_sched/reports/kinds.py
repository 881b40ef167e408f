"""The report-kind registry: which run file is which kind, and how each kind becomes a page.

Why a registry of objects: ``dfu-sched report`` must recognise a simulation, compare, invest or
plan output, check it against its schema and render it, and ``--figures`` must know its charts.
Each kind is one :class:`ReportKind` (its key as written in the JSON's ``"kind"``, the file its
command writes into ``--out``, its schema, how to recognise it, its page and its charts), built
here with plain imports of the page modules. Adding a report kind touches its page module, one
entry in :data:`KINDS` and its test. Only the CLI imports this module; page modules never do.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dfu_sched.errors import InputError
from dfu_sched.reports import (
    backtest_html,
    compare_html,
    fit_html,
    invest_html,
    plan_html,
    sensitivity_html,
    simulate_html,
    sweep_html,
)
from dfu_sched.reports.charts.backtest import BACKTEST_CHARTS
from dfu_sched.reports.charts.common import ChartSpec
from dfu_sched.reports.charts.compare import COMPARE_CHARTS
from dfu_sched.reports.charts.fit import FIT_CHARTS
from dfu_sched.reports.charts.invest import INVEST_CHARTS
from dfu_sched.reports.charts.plan import PLAN_CHARTS
from dfu_sched.reports.charts.simulate import SIMULATION_CHARTS
from dfu_sched.reports.charts.sweep import SWEEP_CHARTS
from dfu_sched.reports.charts.tornado import TORNADO_CHARTS
from dfu_sched.reports.page import RenderedReport
from dfu_sched.reports.run_files import (
    COMPARE,
    INVEST,
    PLAN_DOCUMENT,
    SIMULATION,
    Check,
    read_json_file,
    validate_run_document,
)

#: ``render(run_dir, summary, pseudonymise=..., salt=...)``: the page of one kind.
Render = Callable[..., RenderedReport]


def is_plan_document(doc: object) -> bool:
    """A ``plan --out x.json`` document: it has no "kind" field, so recognise it by its shape."""
    return (isinstance(doc, dict) and isinstance(doc.get("summary"), dict) and "week_start" in doc["summary"]
            and isinstance(doc.get("devices"), list) and isinstance(doc.get("examiners"), list))


@dataclass(frozen=True)
class ReportKind:
    """One kind of run output and its report."""

    key: str                      #: the JSON's "kind" (filled in for documents recognised by shape)
    run_file: str                 #: the file its command writes into --out (folders are searched in order)
    schema: Check                 #: run_files schema the JSON must match before anything is drawn
    render: Render                #: the page module's ``render_run_dir``
    charts: Sequence[ChartSpec]   #: its charts, in page and --figures order
    required: tuple[str, ...] = ()  #: top-level keys named in a shorter message before the schema check
    by_shape: Callable[[object], bool] | None = None  #: recognises a document without a "kind"


KINDS: dict[str, ReportKind] = {k.key: k for k in (
    ReportKind("simulation", "summary.json", SIMULATION, simulate_html.render_run_dir, SIMULATION_CHARTS,
               required=("tiers", "overall", "backlog_weekly")),
    ReportKind("compare", "compare.json", COMPARE, compare_html.render_run_dir, COMPARE_CHARTS),
    ReportKind("invest", "invest.json", INVEST, invest_html.render_run_dir, INVEST_CHARTS),
    ReportKind("plan", "plan.json", PLAN_DOCUMENT, plan_html.render_run_dir, PLAN_CHARTS,
               by_shape=is_plan_document),
    ReportKind("fit", "fit.json", fit_html.FIT, fit_html.render_run_dir, FIT_CHARTS),
    ReportKind("backtest", "backtest.json", backtest_html.BACKTEST, backtest_html.render_run_dir, BACKTEST_CHARTS,
               required=("series", "months")),
    ReportKind("sweep", "sweep.json", sweep_html.SWEEP, sweep_html.render_run_dir, SWEEP_CHARTS,
               required=("axes", "points")),
    ReportKind("sensitivity", "sensitivity.json", sensitivity_html.SENSITIVITY, sensitivity_html.render_run_dir,
               TORNADO_CHARTS, required=("inputs", "bars")),
)}


def locate_run(path: str | Path) -> tuple[Path, Path]:
    """(run folder, JSON file) for a run folder or a JSON file given directly (e.g. plan.json)."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such run folder")
    if path.is_file():
        if path.suffix.lower() != ".json":
            raise InputError(f"{path}: not a folder or a .json file (give the folder written by --out, "
                             "or a plan's .json)")
        return path.parent, path
    if not path.is_dir():
        raise InputError(f"{path}: not a folder (give the run folder written by --out)")
    for kind in KINDS.values():
        if (path / kind.run_file).is_file():
            return path, path / kind.run_file
    names = [k.run_file for k in KINDS.values()]
    raise InputError(f"{path}: no {', '.join(names[:-1])} or {names[-1]} (is this a folder written by --out?)")


def kind_of(doc: object, json_path: Path) -> tuple[ReportKind, dict]:
    """The kind of a run's JSON, and the document with its "kind" filled in when recognised by shape."""
    for kind in KINDS.values():
        if kind.by_shape is not None and kind.by_shape(doc):
            return kind, {**doc, "kind": kind.key}  # type: ignore[dict-item]  # by_shape checked it is a dict
    if not isinstance(doc, dict) or not isinstance(doc.get("kind"), str):
        raise InputError(f"{json_path}: no \"kind\" field (not a dfu-sched summary)")
    if doc["kind"] not in KINDS:
        raise InputError(f"{json_path}: kind: unknown kind (expected one of {', '.join(KINDS)})")
    return KINDS[doc["kind"]], doc


def read_run_file(json_path: Path) -> dict:
    """A run's JSON, checked against its kind's schema (``run_files``), with "kind" filled in for
    plan documents (which have none)."""
    kind, summary = kind_of(read_json_file(json_path), json_path)
    if kind.required:
        simulate_html.require_keys(summary, kind.required, kind.key)
    validate_run_document(summary, kind.schema, kind.key, str(json_path))
    return summary


def read_run_dir(run_dir: str | Path) -> dict:
    """The run folder's summary (summary.json, compare.json, invest.json, plan.json or backtest.json), checked."""
    return read_run_file(locate_run(run_dir)[1])


def default_report_path(path: str | Path) -> Path:
    """Where ``dfu-sched report`` writes without -o: RUN_DIR/report.html, or NAME.report.html beside a file."""
    path = Path(path)
    return path.with_name(f"{path.stem}.report.html") if path.is_file() else path / "report.html"


def build_report(run_dir: str | Path, *, pseudonymise: bool = False, salt: str | None = None) -> RenderedReport:
    """Read a run folder (or a plan's .json) and render the report its kind calls for."""
    folder, json_path = locate_run(run_dir)
    summary = read_run_file(json_path)
    kind = KINDS[summary["kind"]]
    try:
        return kind.render(folder, summary, pseudonymise=pseudonymise, salt=salt)
    except (KeyError, TypeError, IndexError, ValueError, AttributeError, ArithmeticError, RecursionError):
        # A safety net behind the schema check: the exception's text can quote a value (even a case
        # reference), so the message names the file and the kind only.
        raise InputError(f"{json_path}: incomplete or malformed {kind.key} summary (not the shape dfu-sched "
                         "writes: edited, or from another version?)") from None


def render_report(run_dir: str | Path, *, pseudonymise: bool = False, salt: str | None = None) -> str:
    """HTML of the report for a run folder or a plan's .json (any kind)."""
    return build_report(run_dir, pseudonymise=pseudonymise, salt=salt).html
