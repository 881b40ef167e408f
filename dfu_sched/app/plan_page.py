"""The Weekly plan page's logic, as plain functions over the library API.

Why plain functions: the Streamlit script only lays out widgets; reading the uploads, planning the
week and making the downloads live here, where a unit test or a notebook can call them. The page
goes through the same calls as ``dfu-sched plan`` with its default options (``read_queue``,
``read_staff``, ``plan_week``, ``build_report``, ``plan.run.plan_document``,
``reports.table_files.write_table``, ``render_plan_report``), so for the same files and week the
downloads are the bytes the command writes. Uploads stay in the session's memory; the readers need
a path, so the bytes are written to a private temporary folder that is removed right after reading.
"""
from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dfu_sched.app.state import Upload, private_folder, stage_upload

#: What a queue or staff upload may be (the readers' formats).
TABLE_TYPES = ("csv", "xlsx")
#: The columns of each examiner's ranked list on the page.
LIST_COLUMNS = ("rank", "start", "end", "device", "case", "tier", "hours", "reason")


@dataclass(frozen=True)
class PlanFiles:
    """The session's uploads a plan is made from (the column map is optional)."""

    queue: Upload
    staff: Upload
    columns: Upload | None = None


@dataclass(frozen=True)
class PlanOutcome:
    """A planned week: the document (the command's ``--json``), the warnings of reading and the downloads."""

    doc: dict
    read_warnings: list[str]
    csv: bytes
    xlsx: bytes
    html: str
    charts: list[tuple[str, str]]


def this_monday(today: dt.date | None = None) -> dt.date:
    """The Monday of this week (the page's default week)."""
    from dfu_sched.calendar import monday_of

    return monday_of(today or dt.date.today())


def read_files(files: PlanFiles, skills: list[str], tiers, types, model, week: dt.date):
    """The staff rows, queue rows, column map and reading warnings, read as ``dfu-sched plan`` reads them.

    The bytes exist on disk only inside a private temporary folder, removed before this returns.
    """
    from dfu_sched.columnmap import load_column_map
    from dfu_sched.plan.clock import whole_week
    from dfu_sched.plan.files import read_queue, read_staff

    said: list[str] = []
    with private_folder() as folder:
        qdir, sdir, cdir = folder / "q", folder / "s", folder / "c"  # one folder each: names may clash
        queue_path = stage_upload(qdir, files.queue, "queue.csv")
        staff_path = stage_upload(sdir, files.staff, "staff.csv")
        cmap = load_column_map(stage_upload(cdir, files.columns, "columns.yaml")) if files.columns else None
        staff = read_staff(staff_path, skills, columns=cmap, warnings=said)
        start = whole_week(week)
        rows = read_queue(queue_path, tiers, types, model, start.day, columns=cmap, warnings=said)
    return staff, rows, start, said


def _downloads(doc: dict, rows: list[dict], week_start: dt.date) -> tuple[bytes, bytes]:
    """The CSV and XLSX bytes, through the writer ``dfu-sched plan --out`` uses."""
    from dfu_sched.reports.table_files import write_table

    out = {}
    with tempfile.TemporaryDirectory(prefix="dfu-app-") as tmp:
        for suffix in (".csv", ".xlsx"):
            staged = Path(tmp) / f"plan{suffix}"
            write_table(staged, staged, rows, doc, title="Weekly plan", week_start=week_start)
            out[suffix] = staged.read_bytes()
    return out[".csv"], out[".xlsx"]


def make_plan(files: PlanFiles, week: dt.date, pseudonymise: bool = True, salt: str | None = None) -> PlanOutcome:
    """Plan the week of ``week`` (its Monday) from the uploads with the command's default options.

    Raises ``InputError`` (one line naming the file, row and column, never a cell value) on a bad file.
    """
    from dfu_sched.calendar import monday_of
    from dfu_sched.optimiser import PlanConfig, plan_week
    from dfu_sched.paths import shipped
    from dfu_sched.plan.explain import build_report
    from dfu_sched.plan.files import specs_from_scenario
    from dfu_sched.plan.inputs import to_plan_inputs
    from dfu_sched.plan.masking import RefMasker
    from dfu_sched.plan.risk import load_risk_model
    from dfu_sched.plan.run import (
        DEFAULT_AGING_DAYS,
        DEFAULT_LOOKAHEAD,
        DEFAULT_SEARCH_BUDGET,
        DEFAULT_TIME_LIMIT_S,
        plan_document,
        plan_options,
    )
    from dfu_sched.reports.plan_html import render_plan_report
    from dfu_sched.scenario.schema import load_scenario

    tiers, types = specs_from_scenario(load_scenario(shipped("north_yorkshire_2022.yaml")))
    skills = sorted({t.skill for t in types.values()})
    model = load_risk_model(None)
    staff, rows, start, said = read_files(files, skills, tiers, types, model, monday_of(week))
    cfg = PlanConfig(aging_days=float(DEFAULT_AGING_DAYS))
    devices, examiners = to_plan_inputs(rows, staff, tiers, types, start)
    result = plan_week(devices, examiners, week_hours=168.0, time_limit_s=DEFAULT_TIME_LIMIT_S, seed=0,
                       mode="full", lookahead_weeks=DEFAULT_LOOKAHEAD, config=cfg,
                       search_budget=DEFAULT_SEARCH_BUDGET)
    pseudo = (RefMasker(salt, [q.device_id for q in rows], [q.case_id for q in rows],
                        [s.examiner_id for s in staff]) if pseudonymise else None)
    report = build_report(result, rows, devices, staff, tiers, model, start, pseudo, cfg, examiners)
    options = plan_options(columns_name=files.columns.name if files.columns else None, pseudonymise=pseudonymise)
    doc = plan_document(report, start, pseudo, [files.queue.name, files.staff.name, None, None], options)
    csv, xlsx = _downloads(doc, report.rows, start.week_start)
    clean = json.loads(json.dumps(doc, default=str))  # what `dfu-sched report plan.json` reads
    page = render_plan_report(clean, pseudonymise=pseudonymise, salt=salt)
    return PlanOutcome(clean, said, csv, xlsx, page.html, [(c.spec.title, c.svg) for c in page.charts])


def examiner_lists(doc: dict) -> dict[str, list[dict]]:
    """Each examiner's ranked list (planned devices, in rank order) with the page's columns."""
    lists: dict[str, list[dict]] = {}
    for r in doc["devices"]:
        if r["status"] == "planned":
            lists.setdefault(r["examiner"], []).append({k: r.get(k) for k in LIST_COLUMNS})
    return lists


def waiting_rows(doc: dict) -> list[dict]:
    """The devices not started this week, with the week they are expected to start and why."""
    return [{k: r.get(k) for k in ("device", "case", "tier", "status", "days_past_target", "reason")}
            for r in doc["devices"] if r["status"] != "planned"]


def summary_lines(doc: dict) -> list[str]:
    """The summary in plain sentences: what was planned, the objective, the bound and the gap."""
    from dfu_sched.plan.labels import OBJECTIVE_KEY, OBJECTIVE_WORDS

    s = doc["summary"]
    lines = [f"Week of {s['week_start']}: {s['devices_planned']} of {s['devices_in_queue']} device(s) on "
             f"{s['examiners']} examiner(s), {s['hours_available']:g} h available."]
    if s["devices_in_queue"] and s["hours_available"]:
        bound = s.get("bound")
        lines.append(f"{OBJECTIVE_WORDS}: {s[OBJECTIVE_KEY]:,.0f} (greedy rule {s['greedy_objective']:,.0f}, "
                     f"{100 * s['improvement_over_greedy']:+.2f}%).")
        lines.append(f"Proven bound: {bound:,.0f}; gap to it {100 * s['gap_to_bound']:.2f}%."
                     if bound is not None else f"Gap to the best possible: {100 * s['gap_to_bound']:.2f}%.")
    return lines
