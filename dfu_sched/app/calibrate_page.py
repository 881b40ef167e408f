"""The Calibrate page's logic, as plain functions over the library API.

Why plain functions: the Streamlit script only lays out widgets; reading the uploads, fitting,
back-testing and starting a scenario from today's queue live here, where a unit test or a notebook
can call them. Each goes through the calls its command makes, with its options: ``dfu-sched fit``
(``read_history`` with the column map, ``fit_history``, ``FitResult.to_json``, ``render_fit``),
``dfu-sched backtest`` (``backtest``, ``render_backtest``) and ``dfu-sched simulate --queue``
(``plan.backlog.start_from_queue``), so the page and the command line give the same numbers for the
same files. Uploads stay in the session's memory; the readers need a path, so the bytes are written
into a private temporary folder removed as soon as they are read. A fit or back-test holds counts,
dates and estimates only; the one thing in them that could name a case is an upload's file name,
which ``pseudonymise`` replaces (as ``--pseudonymise`` does).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from dfu_sched.app.simulate_page import ScenarioSource
from dfu_sched.app.state import Upload, private_folder, stage_upload
from dfu_sched.calibrate.history import History
from dfu_sched.errors import InputError
from dfu_sched.privacy import FILE_PLACEHOLDER
from dfu_sched.scenario.schema import Scenario

#: What a history or queue upload may be (the readers' formats).
TABLE_TYPES = ("csv", "xlsx")
#: Back-test replications: the command's default, and the most the page offers.
BACKTEST_REPLICATIONS = 20
MAX_BACKTEST_REPLICATIONS = 200


@dataclass(frozen=True)
class TableFiles:
    """An uploaded table (a history or a queue) and its optional column map."""

    table: Upload
    columns: Upload | None = None


@dataclass(frozen=True)
class FitOptions:
    """``dfu-sched fit``'s ``--from``, ``--to`` and ``--as-of`` (None: the command's default)."""

    start: dt.date | None = None
    end: dt.date | None = None
    as_of: dt.date | None = None


@dataclass(frozen=True)
class FitOutcome:
    """A fit: its document (``--json``), the terminal summary, the scenario file and the report."""

    doc: dict
    lines: list[str]
    yaml_text: str
    scenario: Scenario
    html: str
    charts: list[tuple[str, str]]
    history_name: str          #: the upload's name, or the placeholder when pseudonymised


@dataclass(frozen=True)
class QueueOutcome:
    """A scenario started from today's queue: the new start, what it records and the tiers it holds."""

    source: ScenarioSource
    note: str                  #: the command's one line ("backlog: N devices from queue file ...")
    inputs: dict               #: what ``simulate --queue`` records under the summary's "inputs"
    warnings: list[str]
    by_tier: list[dict]


@contextmanager
def staged(files: TableFiles, fallback: str) -> Iterator[tuple[Path, Path | None]]:
    """The table's and the column map's paths, inside a private folder removed when the block ends.

    A reader that names the file by its path (the YAML reader does) would show the private folder:
    its messages name the upload instead, as the command names the file it was given.
    """
    with private_folder() as tmp:
        table = stage_upload(tmp / "t", files.table, fallback)
        columns = stage_upload(tmp / "c", files.columns, "columns.yaml") if files.columns else None
        yield table, columns


def read_history_upload(files: TableFiles) -> History:
    """The history, read as ``dfu-sched fit``/``backtest`` read it (column map if given)."""
    from dfu_sched.calibrate.history import read_history
    from dfu_sched.columnmap import load_column_map

    with staged(files, "history.csv") as (path, columns):
        return read_history(path, columns=None if columns is None else load_column_map(columns))


def fit_upload(files: TableFiles, base: Scenario, options: FitOptions, pseudonymise: bool = True) -> FitOutcome:
    """``dfu-sched fit HISTORY --base BASE --from --to --as-of --report``, on the uploads.

    Raises ``InputError`` (one line naming the file, row and column, never a cell value) on a bad file.
    """
    from dfu_sched.calibrate.fit import fit_history
    from dfu_sched.reports.fit_html import render_fit  # matplotlib: only when a fit is made

    hist = read_history_upload(files)
    result = fit_history(hist, base, start=options.start, end=options.end, as_of=options.as_of)
    name = FILE_PLACEHOLDER if pseudonymise else hist.source
    doc = json.loads(json.dumps(result.to_json(name)))
    page = render_fit(doc, pseudonymise=pseudonymise, scenario_yaml=result.yaml_text)
    assert result.scenario is not None  # fit_history always sets it
    return FitOutcome(doc, result.lines(), result.yaml_text, result.scenario, page.html,
                      [(c.spec.title, c.svg) for c in page.charts], name)


class FitCache:
    """Fits by their inputs (the uploads' names and bytes, the base, the options), the newest ``size`` kept.

    Why a cache: a fit is a pure function of its inputs (same files, same numbers) and drawing its report
    takes most of its two seconds, so pressing Fit again, or another session fitting the very same files,
    reuses it. A hit needs the same bytes, so no session sees a fit of a file it did not upload; a fit
    holds counts and estimates only. Each hit returns a fresh copy of the document.
    """

    def __init__(self, size: int = 8):
        self.size = size
        self._kept: OrderedDict[tuple, FitOutcome] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(files: TableFiles, base: Scenario, options: FitOptions, pseudonymise: bool) -> tuple:
        def digest(u: Upload | None) -> tuple[str, str] | None:
            return None if u is None else (u.name, hashlib.sha256(u.data).hexdigest())

        return (digest(files.table), digest(files.columns), base.model_dump_json(), options, pseudonymise)

    def fit(self, files: TableFiles, base: Scenario, options: FitOptions, pseudonymise: bool = True) -> FitOutcome:
        key = self.key(files, base, options, pseudonymise)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        if kept is None:
            kept = fit_upload(files, base, options, pseudonymise)
            with self._lock:
                self._kept[key] = kept
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return replace(kept, doc=json.loads(json.dumps(kept.doc)), lines=list(kept.lines),
                       charts=list(kept.charts))


#: The page's fit cache (one per server process).
FITS = FitCache()


def fitted_source(outcome: FitOutcome) -> ScenarioSource:
    """The fitted scenario as a start for the other pages (its [S]/[E] notes come with its text)."""
    return ScenarioSource(f"fitted from {outcome.history_name}", outcome.yaml_text, outcome.scenario)


# ---- what the page shows of a fit ------------------------------------------------------------------

def fit_sentences(doc: dict) -> list[str]:
    """The fit in plain words: the window, arrivals, devices per case, the queue it starts from."""
    a, c = doc["arrivals"], doc["devices_per_case"]
    season = ("kept" if a["seasonal"] else "not kept") + f" (likelihood-ratio test p = {a['seasonality_p']:.3g})"
    lines = [f"Fitted from {doc['devices']:,} devices submitted {doc['from']} to {doc['to']}; the scenario starts "
             f"from the queue on {doc['as_of']} (what the history cannot tell is taken from {doc['base']}).",
             f"Cases a week at {doc['as_of']}: {a['cases_per_week_at_as_of']:.2f} (SE {a['cases_per_week_se']:.2f}), "
             f"growing {a['annual_growth']:.1%} a year (SE {a['annual_growth_se']:.1%}); seasonality {season}.",
             f"Devices per case: {c['mean']:.2f} (SE {c['se']:.3f}; law {c['chosen']}, the lowest AIC).",
             f"Queue at {doc['as_of']}: {doc['backlog_devices']:,} devices waiting, with their real ages, tiers "
             "and types.",
             f"Expedited: {doc['expedite_share']['share']:.1%} of devices (SE {doc['expedite_share']['se']:.1%})."]
    if doc.get("from_reason"):
        lines.insert(1, f"The window starts at {doc['from']}: {doc['from_reason']}.")
    return lines


def reading_lines(doc: dict) -> list[str]:
    """What reading the export repaired and what the fit left out, one line each (counts, never values)."""
    return [*doc["read_summary"], *(f"{n:,} {what}" for what, n in doc["left_out"].items())]


def mix_rows(doc: dict, key: str, what: str) -> list[dict]:
    """A fitted mix (``tier_mix`` or ``device_mix``) as table rows: share and SE in %, from how many."""
    return [{what: k, "share %": round(100 * s["share"], 1), "SE %": round(100 * s["se"], 1), "count": s["count"],
             "of": s["of"]} for k, s in doc[key].items()]


def hours_rows(doc: dict) -> list[dict]:
    """Examination hours per device type: the law chosen by AIC, its mean and interval, and its KS check."""
    rows = []
    for t, h in doc["hours"].items():
        ci = h["mean_ci"]
        rows.append({"device type": t, "law": h["chosen"], "mean hours": _round(h["mean"], 2),
                     "95% bootstrap interval": "" if ci is None else f"{ci[0]:.2f} to {ci[1]:.2f}",
                     "devices": h["devices"], "from": h["source"], "KS p": _round(h["ks_p"], 3),
                     "note": h["note"]})
    return rows


def staffing_rows(doc: dict) -> list[dict]:
    """The examiner groups of the latest quarter, with their booked productive hours a week."""
    s = doc["examiners"]
    if s is None:
        return []
    hours = {tuple(g["skills"]): g["hours"] for g in s["productive_hours_per_week_by_group"]}
    return [{"skills": "+".join(g["skills"]), "examiners": g["count"],
             "productive hours a week": _round(hours.get(tuple(g["skills"])), 1)} for g in s["groups"]]


def staffing_sentences(doc: dict) -> list[str]:
    """The staffing fit in words: the quarter, productive hours and their check, the absence share."""
    s = doc["examiners"]
    if s is None:
        return ["No examiner is recorded: the base scenario's groups are kept."]
    lines = [f"Latest quarter {s['latest_quarter']}: {s['examiners']} examiners in the whole history."]
    if s["productive_hours_per_week"] is not None:
        se = f" (SE {s['productive_se']:.1f}, from 4-week blocks)" if s["productive_se"] is not None else ""
        lines.append(f"Booked hours per saturated examiner-week: {s['productive_hours_per_week']:.1f}{se}; "
                     f"{s['examiner_weeks']:,} of {s['weeks_in_post']:,} examiner-weeks had work waiting all week.")
    if s["absence_share"] is not None:
        lines.append(f"Weeks in post with no device open: {s['absence_share']:.1%} (reported only: absence is "
                     "the base scenario's).")
    check = doc["hours_inference"]["check_against_booked"]
    if check:
        lines.append(f"Hours inferred from dates against booked hours: median ratio {check['median_ratio']:.2f} "
                     f"(10-90%: {check['p10_ratio']:.2f} to {check['p90_ratio']:.2f}, {check['devices']:,} devices).")
    return lines


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(float(x), digits)


# ---- the back-test ---------------------------------------------------------------------------------

def backtest_doc(files: TableFiles, sc: Scenario, start: dt.date, end: dt.date, replications: int, seed: int,
                 pseudonymise: bool = True, progress: Callable[[int], None] | None = None) -> dict:
    """``dfu-sched backtest HISTORY --scenario SC --from --to -n --seed --json``, on the uploads.

    Serial (one process): the numbers are the command's for any ``--workers``, and the page does not
    fork a pool per click. ``progress(1)`` after each replication (a ``Job``'s tick can cancel there).
    """
    from dfu_sched.calibrate.backtest import backtest

    if not 1 <= replications <= MAX_BACKTEST_REPLICATIONS:
        raise InputError(f"replications must be between 1 and {MAX_BACKTEST_REPLICATIONS}", source="the form")
    hist = read_history_upload(files)
    result = backtest(hist, sc, start, end, replications, seed, progress=progress)
    if pseudonymise:
        result = replace(result, history=FILE_PLACEHOLDER,
                         scenario=result.scenario.replace(hist.source, FILE_PLACEHOLDER))
    doc: dict = json.loads(json.dumps(result.as_dict()))
    return doc


def backtest_report(doc: dict) -> tuple[str, list[tuple[str, str]]]:
    """The HTML page ``dfu-sched backtest --report`` writes, and its charts as (title, inline SVG)."""
    from dfu_sched.reports.backtest_html import render_backtest  # matplotlib: only when asked for

    page = render_backtest(doc)
    return page.html, [(c.spec.title, c.svg) for c in page.charts]


def backtest_lines(doc: dict) -> list[str]:
    """Coverage and MAPE per series, in words (the command's table, one sentence a series)."""
    state = doc.get("start_state") or {}
    lines = [f"Back-test of {doc['scenario']}: {doc['start']} to {doc['end']}, {doc['replications']} replications "
             f"(seed {doc['seed']}); queue on the first day {state.get('waiting', 0):,} waiting and "
             f"{state.get('in_progress', 0):,} under examination."]
    for s in doc["series"].values():
        cover = "-" if s["coverage"] is None else f"{100 * s['coverage']:.0f}%"
        mape = "-" if s["mape"] is None else f"{100 * s['mape']:.0f}%"
        lines.append(f"{s['label']}: coverage {cover} of {s['months_compared']} months inside the 95% band; "
                     f"MAPE {mape}.")
    return lines + [f"({n})" for n in doc.get("notes", [])]


def month_table(doc: dict) -> list[dict]:
    """One row a month: each series' actual, simulated mean and band (``backtest.csv``'s columns)."""
    from dfu_sched.reports.backtest_text import month_rows

    header, rows = month_rows(doc)
    return [dict(zip(header, r, strict=True)) for r in rows]


# ---- a scenario from today's queue ------------------------------------------------------------------

def scenario_from_queue(base: ScenarioSource, files: TableFiles, as_of: dt.date | None = None,
                        stage: str = "first", pseudonymise: bool = True) -> QueueOutcome:
    """``dfu-sched simulate BASE --queue Q --columns C --as-of D --queue-stage S`` up to the run: the
    base scenario with the queue's devices as its whole backlog (the shipped risk model, as the
    command's default). The text (the [S]/[E] notes) stays the base's, as the command's report uses."""
    from dfu_sched.plan.backlog import start_from_queue

    warnings: list[str] = []
    with staged(files, "queue.csv") as (path, columns):
        sc, start = start_from_queue(base.scenario, path, as_of, None, columns, stage, pseudonymise, warnings)
    label = f"{base.label} with today's queue from {start.file}"
    counts: dict[str, list[int]] = {t: [0, 0] for t in sc.tier_names}
    for e in sc.backlog:
        counts[e.tier][0] += e.count
        counts[e.tier][1] += e.count if e.exam_hours is not None else 0
    by_tier = [{"tier": t, "devices": n, "with estimated hours": h} for t, (n, h) in counts.items()]
    return QueueOutcome(ScenarioSource(label, base.text, sc), start.note(), start.inputs(), warnings, by_tier)
