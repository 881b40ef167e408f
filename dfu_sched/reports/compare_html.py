"""The ``compare`` report: scenarios side by side, paired differences, costs, each file's assumptions.

Everything comes from ``compare.json`` and the scenario files copied into the run folder's
``scenarios/`` (``compare --out`` copies them), falling back to the paths recorded in
compare.json when the folder has no copies, so a folder renders the same page every time.
"""
from __future__ import annotations

import datetime as dt
import shlex
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

import yaml

from dfu_sched.reports.appraisal_report import compare_appraisal_section
from dfu_sched.reports.charts.common import render_charts
from dfu_sched.reports.charts.compare import COMPARE_CHARTS
from dfu_sched.reports.page import (
    RenderedReport,
    aggregate_privacy,
    assumptions_body,
    diff_cell,
    est,
    facts,
    gbp,
    headline_box,
    measure_cell,
    num,
    numbered_figures,
    page,
    report_footer,
    section,
    table,
)
from dfu_sched.reports.precision_note import precision_html
from dfu_sched.reports.queue_note import queue_arguments, queue_facts
from dfu_sched.reports.text import scenario_title, what_changes
from dfu_sched.reports.uncertainty_html import compare_uncertainty_section

#: The three questions a comparison answers first: (measure, words, unit, digits).
HEADLINE_MEASURES = [
    ("overall.exposure", "child-safeguarding exposure", "tier-weighted device-days", 0),
    ("overall.wait_to_start_days.p50", "median wait to start examination", "days", 0),
    ("overall.waiting_at_end", "backlog at the end", "devices", 0),
]
SCENARIO_DIR = "scenarios"
BASE_DIR = "base"


# ---- scenario files in the run folder ------------------------------------------------------------

def _extends(text: str | None) -> str | None:
    """The ``extends:`` of a scenario file's text (None if none or unreadable)."""
    if not text:
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    base = data.get("extends") if isinstance(data, dict) else None
    return str(base) if isinstance(base, str) and base.strip() else None


def _base_chain(path: Path, depth: int = 4) -> list[Path]:
    """The files a scenario ``extends`` (nearest first), as far as they exist on disk."""
    out: list[Path] = []
    cur = path
    for _ in range(depth):
        try:
            base = _extends(cur.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            break
        if base is None:
            break
        nxt = (cur.parent / base)
        if not nxt.is_file() or nxt in out:
            break
        out.append(nxt)
        cur = nxt
    return out


def copy_scenario_files(compare: dict, folder: Path) -> list[str]:
    """Copy each compared scenario file to ``scenarios/<id>.yaml`` (and the files they extend to
    ``scenarios/base/``), so the report's assumptions survive the originals being edited.

    Returns the names written (relative to ``folder``); files that no longer exist are skipped.
    """
    written = []
    compared = {Path(s["file"]).resolve() for s in compare["scenarios"] if s.get("file")}
    for s in compare["scenarios"]:
        src = Path(s.get("file") or "")
        if not src.is_file():
            continue
        dest = folder / SCENARIO_DIR / f"{s['id']}.yaml"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        written.append(f"{SCENARIO_DIR}/{dest.name}")
        for base in _base_chain(src):
            if base.resolve() in compared:
                continue
            bdest = folder / SCENARIO_DIR / BASE_DIR / base.name
            bdest.parent.mkdir(parents=True, exist_ok=True)
            if not bdest.exists():
                shutil.copyfile(base, bdest)
                written.append(f"{SCENARIO_DIR}/{BASE_DIR}/{base.name}")
    return written


@dataclass(frozen=True)
class ScenarioFile:
    """One scenario file's text for the assumptions section, and what it builds on."""

    label: str            # heading: the compared scenario's id, or the base file's name
    file: str             # the path recorded in compare.json (or the base's name)
    text: str | None
    extends: str | None = None
    extends_id: str | None = None   # id of a compared scenario it extends, listed elsewhere


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def scenario_files(compare: dict, run_dir: Path | None) -> list[ScenarioFile]:
    """Texts of the compared files (copies in the run folder first, else the recorded paths),
    then the base files they extend that are not compared themselves."""
    out: list[ScenarioFile] = []
    by_name = {Path(s.get("file") or "").name: s["id"] for s in compare["scenarios"]}
    bases: list[tuple[str, Path | None, Path]] = []
    for s in compare["scenarios"]:
        recorded = Path(s.get("file") or "")
        text = _read(run_dir / SCENARIO_DIR / f"{s['id']}.yaml") if run_dir is not None else None
        if text is None and s.get("file"):
            text = _read(recorded)
        ext = _extends(text)
        ext_id = by_name.get(Path(ext).name) if ext else None
        out.append(ScenarioFile(s["id"], s.get("file") or "", text, ext, ext_id))
        if ext and ext_id is None and all(Path(ext).name != b[0] for b in bases):
            bases.append((Path(ext).name, run_dir, recorded.parent / ext))
    for name, folder, original in bases:
        text = _read(folder / SCENARIO_DIR / BASE_DIR / name) if folder is not None else None
        out.append(ScenarioFile(name, str(original), text if text is not None else _read(original)))
    return out


def start_date(files: Sequence[ScenarioFile]) -> str | None:
    """The first scenario's ``calendar.start_date`` (following ``extends``), for dated chart axes."""
    by_label = {f.label: f for f in files}
    by_file = {Path(f.file).name: f for f in files}
    cur = files[0] if files else None
    for _ in range(5):
        if cur is None or not cur.text:
            return None
        try:
            data = yaml.safe_load(cur.text) or {}
        except yaml.YAMLError:
            return None
        d = (data.get("calendar") or {}).get("start_date") if isinstance(data, dict) else None
        if d is not None:
            try:
                return dt.date.fromisoformat(str(d)).isoformat()
            except ValueError:
                return None
        nxt = cur.extends_id or (Path(cur.extends).name if cur.extends else None)
        cur = by_label.get(nxt or "") or by_file.get(nxt or "")
    return None


# ---- words ----------------------------------------------------------------------------------------

def _name(s: dict) -> str:
    return f"<strong>{escape(scenario_title(s))}</strong>"


def difference_phrase(block: dict, unit: str, digits: int = 0) -> str:
    """``1,005 fewer days (95% CI 940 to 1,069 fewer)`` for a paired B-minus-A block."""
    v = est(block)
    if v is None:
        return "no estimate"
    less = v < 0
    word = ("fewer" if unit in ("days", "devices") else "less") if less else "more"
    lo, hi = (block.get("ci95") or [None, None])
    mag = num(abs(v), digits)
    ci = ""
    if lo is not None and hi is not None:
        a, b = sorted((abs(lo), abs(hi))) if (lo < 0) == (hi < 0) else (None, None)
        if a is not None:
            ci = f" (paired 95% CI {num(a, digits)} to {num(b, digits)} {word})"
        else:
            ci = (f" (paired 95% CI from {num(abs(lo), digits)} {'fewer' if unit in ('days', 'devices') else 'less'} "
                  f"to {num(abs(hi), digits)} more: the runs cannot tell them apart)")
    return f"{mag} {unit} {word}{ci}"


def compare_headline(compare: dict) -> list[str]:
    """Best scenario on exposure, wait and backlog, by how much against the first, and costs."""
    sc, diffs = compare["scenarios"], {d["id"]: d for d in compare["differences"]}
    first = sc[0]
    items = []
    for key, words, unit, digits in HEADLINE_MEASURES:
        if key not in compare["measures"]:
            continue
        vals = [(est(s["measures"].get(key)), i) for i, s in enumerate(sc)]
        vals = [(v, i) for v, i in vals if v is not None]
        if not vals:
            continue
        best_v, best_i = min(vals)
        best = sc[best_i]
        if best_i == 0:
            others = [f"{_name(s)} has {difference_phrase(diffs[s['id']]['measures'][key], unit, digits)}"
                      for s in sc[1:] if s["id"] in diffs]
            items.append(f"<strong>Lowest {escape(words)}: {escape(scenario_title(first))}</strong> "
                         f"({num(best_v, digits)} {escape(unit)}); " + "; ".join(others) + ".")
        else:
            d = diffs[best["id"]]["measures"][key]
            base_v = est(first["measures"].get(key))
            share = f", {abs(est(d)) / base_v:.0%} {'less' if est(d) < 0 else 'more'}" \
                if base_v and est(d) is not None else ""
            items.append(f"<strong>Lowest {escape(words)}: {escape(scenario_title(best))}</strong> with "
                         f"{num(best_v, digits)} {escape(unit)}: {difference_phrase(d, unit, digits)} than "
                         f"{_name(first)}{share}.")
    costs = "; ".join(
        f"{_name(s)} {gbp(s['cost_gbp'])}"
        + (f" (then {gbp(s['recurring_gbp_per_year_after_horizon'])} a year)"
           if s.get("recurring_gbp_per_year_after_horizon") else "") for s in sc)
    items.append(f"Cost inside the horizon: {costs}.")
    by_id = {s["id"]: s for s in sc}
    for d in compare["differences"]:
        if d.get("gbp_per_month_of_backlog_removed"):
            versus = scenario_title(by_id.get(d["versus"], {"id": d["versus"]}))
            items.append(f"{_name(by_id.get(d['id'], {'id': d['id']}))} removes backlog at "
                         f"{gbp(d['gbp_per_month_of_backlog_removed'])} per month of work taken off the queue "
                         f"(at {escape(versus)}'s examination rate).")
    if not compare.get("paired", True):
        items.append(f"<strong>Not paired:</strong> {escape(compare.get('note') or 'the scenarios differ in demand')}; "
                     "differences carry the noise of both runs.")
    return items


# ---- tables -----------------------------------------------------------------------------------------

def scenarios_table(compare: dict) -> str:
    rows = [[escape(scenario_title(s)), escape(s.get("file") or s["id"]),
             "<br>".join(escape(a) for a in what_changes(s, i == 0)),
             escape(gbp(s.get("cost_gbp"))), escape(gbp(s.get("recurring_gbp_per_year_after_horizon")))]
            for i, s in enumerate(compare["scenarios"])]
    return table(["scenario", "file", "what it changes against the first", "cost in horizon", "a year after"], rows,
                 numeric=[False, False, False, True, True], raw=True)


def measures_table(compare: dict) -> str:
    sc = compare["scenarios"]
    rows = [[escape(compare["labels"].get(k, k))] + [measure_cell(k, s["measures"].get(k, {})) for s in sc]
            for k in compare["measures"]]
    rows.append(["cost in horizon (£)"] + [escape(gbp(s.get("cost_gbp"))) for s in sc])
    return table(["measure (mean over replications; 95% CI below)"] + [escape(scenario_title(s)) for s in sc], rows,
                 raw=True)


def differences_table(compare: dict) -> str:
    diffs = compare["differences"]
    titles = {s["id"]: scenario_title(s) for s in compare["scenarios"]}
    head = ["measure"] + [f"{escape(titles.get(d['id'], d['id']))} minus {escape(titles.get(d['versus'], d['versus']))}"
                          for d in diffs]
    rows = [[escape(compare["labels"].get(k, k))] + [diff_cell(d["measures"].get(k, {})) for d in diffs]
            for k in compare["measures"] if not k.startswith("first_week_below.")]
    rows.append(["extra cost in horizon (£)"] + [escape(gbp(d.get("cost_gbp"))) for d in diffs])
    rows.append(["backlog removed at the end (devices)"]
                + [diff_cell(d.get("backlog_removed", {}).get("devices_removed", {})) for d in diffs])
    rows.append(["backlog removed (months of work)"]
                + [diff_cell(d.get("backlog_removed", {}).get("months_removed", {})) for d in diffs])
    rows.append(["£ per month of backlog removed"] + [escape(gbp(d.get("gbp_per_month_of_backlog_removed")))
                                                     for d in diffs])
    return table(head, rows, raw=True)


def assumptions_part(files: Sequence[ScenarioFile]) -> str:
    """One block per scenario file: what it extends and every input it sets, with [S]/[E]."""
    parts = ['<p>Each compared scenario file, with every input it sets and whether the file marks it as '
             'sourced [S] or an estimate [E]. A file that <code>extends</code> another sets only what it '
             'changes; the file it builds on is listed too.</p>']
    for f in files:
        parts.append(f"<h3>{escape(f.label)} <span class=\"note\">({escape(f.file)})</span></h3>")
        if f.extends:
            where = (f"the compared scenario <strong>{escape(f.extends_id)}</strong>, listed in this section"
                     if f.extends_id else f"<code>{escape(f.extends)}</code> (listed below)")
            parts.append(f"<p>Builds on {where}: only the inputs below differ.</p>")
        parts.append(assumptions_body(f.text))
    return "\n".join(parts)


def reproduce_part(compare: dict, pseudonymise: bool = False) -> str:
    files = [s.get("file") or f"{s['id']}.yaml" for s in compare["scenarios"]]
    cmd = (["dfu-sched", "compare", *files, "-n", str(compare.get("replications")), "--seed", str(compare.get("seed")),
            *queue_arguments(compare, pseudonymise)])
    run = compare.get("run", {})
    pairs = [("scenario files", ", ".join(files)), ("replications", str(compare.get("replications"))),
             ("seed", str(compare.get("seed"))), ("dfu-sched version", str(compare.get("version", "–"))),
             ("paired (common random numbers)", "yes" if compare.get("paired") else "no"),
             ("run time", f"{run.get('seconds', 0):.1f} s, {run.get('replications_simulated', 0)} replications, "
                          f"{run.get('workers', 1)} worker(s)" if run else "–"),
             *queue_facts(compare, pseudonymise)]
    body = facts(pairs)
    if run.get("precision"):  # -n auto: how many replications were needed (the command below re-runs them)
        body += precision_html(run["precision"])
    body += ("<p>To reproduce these numbers exactly (any number of workers gives the same result), run the same "
             "files with the same seed and replications; copies of the files are kept in the run folder under "
             "<code>scenarios/</code>:</p>")
    body += f"<pre>{escape(' '.join(shlex.quote(c) for c in cmd))} --out RUN_DIR</pre>"
    body += ('<p class="note">Every scenario is simulated with the same seed, so where demand is the same each '
             "replication sees the same devices arriving in every scenario; a difference is computed within "
             "each replication and then averaged, with a two-sided 95% Student-t interval.</p>")
    return section("Reproducing this report", body, anchor="reproduce")


# ---- the page --------------------------------------------------------------------------------------

def render_compare(compare: dict, files: Sequence[ScenarioFile], *, pseudonymise: bool = False) -> RenderedReport:
    """The compare report and its charts (for ``--figures``)."""
    for k in ("scenarios", "differences", "measures", "labels"):
        if k not in compare:
            raise KeyError(k)
    if len(compare["scenarios"]) < 2:
        raise ValueError("a comparison needs at least two scenarios")
    charts = render_charts({**compare, "start_date": start_date(files)}, COMPARE_CHARTS)
    fig = numbered_figures(charts)

    ids = [scenario_title(s) for s in compare["scenarios"]]
    body = [headline_box(compare_headline(compare))]
    body.append(f'<p class="note">Results of simulations, not forecasts: each number is the mean over '
                f"{compare.get('replications')} simulated histories per scenario, with 95% confidence intervals. "
                f"Every difference is <em>scenario minus {escape(ids[0])}</em> (the first file given): negative "
                "means fewer days, devices or less exposure than the first scenario.</p>")
    body.append(section("The scenarios", scenarios_table(compare), anchor="scenarios"))
    body.append(section("Backlog and waits", fig("compare_backlog") + fig("compare_wait"), anchor="trajectories"))
    body.append(section(f"Differences against {ids[0]}",
                        fig("compare_differences")
                        + f"<h3>Paired differences: each scenario minus {escape(ids[0])}</h3>"
                        + '<p class="note">Mean difference over replications, paired 95% CI below it. Bold: the '
                          "interval excludes zero, so the replications show a real difference.</p>"
                        + differences_table(compare), anchor="differences"))
    body.append(compare_uncertainty_section(compare.get("input_uncertainty")))  # compare --input-uncertainty
    body.append(section("Side by side", measures_table(compare), anchor="measures"))
    cost = fig("compare_cost")
    if cost:
        body.append(section("Costs", cost, anchor="costs"))
    body.append(compare_appraisal_section(compare))  # '' unless a scenario sets investment.appraisal
    body.append(section("Assumptions: every input of each scenario, and where it comes from",
                        assumptions_part(files), anchor="assumptions", new_page=True))
    body.append(reproduce_part(compare, pseudonymise))
    privacy = aggregate_privacy("a comparison", pseudonymise)
    title = "Scenario comparison: " + " vs ".join(ids)
    subtitle = (f"{len(ids)} scenarios · {compare.get('replications')} replications each · seed {compare.get('seed')}"
                f" · {'paired (common random numbers)' if compare.get('paired') else 'not paired'}")
    footer = report_footer(compare.get('version'), privacy)
    return RenderedReport(page(title, "\n".join(body), kicker="DFU scenario comparison", subtitle=subtitle,
                               footer=footer), charts)


def render_run_dir(run_dir: Path, summary: dict, *, pseudonymise: bool = False, salt: str | None = None
                   ) -> RenderedReport:
    """``dfu-sched report`` on a ``compare --out`` folder."""
    return render_compare(summary, scenario_files(summary, Path(run_dir)), pseudonymise=pseudonymise)
