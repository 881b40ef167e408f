"""``dfu-sched risk`` and ``dfu-sched plan``: score a queue; plan this week's examinations.

Inputs are validated completely and every output path is checked before anything is written;
all outputs are then written as one transaction (``dfu_sched.io.Outputs``), so a bad row or a bad
path leaves no half-written file and no output overwritten alone. Case and device references are
never logged; with ``--pseudonymise`` they never reach an output either.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from dfu_sched.cli.common import handles_input_errors
from dfu_sched.cli.report import declare_report
from dfu_sched.errors import InputError
from dfu_sched.reports.table_files import write_table

DEFAULT_SCENARIO = "north_yorkshire_2022.yaml"
OUT_SUFFIXES = (".csv", ".xlsx", ".html", ".json")
#: What ``risk --out`` can write (its .html is a page of the scores).
RISK_SUFFIXES = (".csv", ".xlsx", ".html", ".json")


def _default_scenario() -> Path:
    from dfu_sched.paths import shipped

    return shipped(DEFAULT_SCENARIO, "--scenario FILE")


def _load_specs(scenario_path: str | None):
    from dfu_sched.plan.files import specs_from_scenario
    from dfu_sched.scenario.schema import load_scenario

    scenario = load_scenario(scenario_path or _default_scenario())
    tiers, types = specs_from_scenario(scenario)
    return tiers, types, sorted({t.skill for t in types.values()})


def _week(value: str | None) -> dt.date | None:
    """``--week DATE`` -> its Monday; ``None`` when not given."""
    from dfu_sched.calendar import monday_of
    from dfu_sched.tables import parse_date

    if value is None:
        return None
    d = parse_date(value)
    if d is None:
        raise InputError(f"--week: cannot read {value!r} as a date (use YYYY-MM-DD)")
    return monday_of(d)


def _now(value: str | None) -> dt.datetime:
    """``--now 'YYYY-MM-DD HH:MM'`` (or a date: 00:00), default the computer's clock."""
    if value is None:
        return dt.datetime.now().replace(second=0, microsecond=0)
    text = value.strip()
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            pass
    raise InputError(f"--now: cannot read {value!r} as a time (use 'YYYY-MM-DD HH:MM')")


def _plan_start(week: str | None, now: str | None, staff=()):
    """``--week``: that whole week; otherwise the next working time after ``--now`` (the clock)."""
    from dfu_sched.plan.clock import next_working_time, whole_week

    if week is not None and now is not None:
        raise InputError("use either --week DATE (a whole week) or --now TIME (from that time), not both")
    monday = _week(week)
    if monday is not None:
        return whole_week(monday)
    return next_working_time(_now(now), staff)


def _outputs(inputs, outs: tuple[str, ...], suffixes: tuple[str, ...], report_file=None, figures_dir=None):
    """Every output of the command, declared together so all are checked before any is written."""
    from dfu_sched.io import Outputs

    declared = Outputs(inputs=inputs)
    for o in outs:
        declared.file("--out", o, suffixes)
    declare_report(declared, report_file, figures_dir)
    return declared


common_options = [
    click.option("--scenario", "scenario_path", type=click.Path(dir_okay=False),
                 help="Scenario YAML for tiers and device types [default: scenarios/north_yorkshire_2022.yaml]."),
    click.option("--risk-model", "risk_path", type=click.Path(dir_okay=False),
                 help="Risk factors, points and tier thresholds (YAML) [default: shipped estimate]."),
    click.option("--week", "week", metavar="DATE",
                 help="Plan the whole week of DATE, from its Monday 00:00 [default: from the next working time]."),
    click.option("--now", "now", metavar="TIME",
                 help="Without --week: plan from the next working time after TIME ('YYYY-MM-DD HH:MM') "
                      "[default: the computer's clock]."),
    click.option("--columns", "columns_path", type=click.Path(dir_okay=False), metavar="MAP",
                 help="Column map (YAML) for a unit's own export: header names, date formats, value codes; "
                      "'queue:'/'staff:' sections, or flat for the queue alone. Unknown columns are then "
                      "ignored (counted) unless the map says 'unknown_columns: error'."),
    click.option("--out", "outs", multiple=True, metavar="FILE",
                 help="Write .csv, .xlsx, .html or .json (repeatable)."),
    click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout instead of text."),
    click.option("--pseudonymise", is_flag=True, help="Replace device and case references by keyed hashes."),
    click.option("--salt", help="Key for --pseudonymise (same salt, same pseudonyms) [default: per-run secret]."),
]


def _column_map(path: str | None):
    """``--columns MAP`` -> a ColumnMap (None when not given)."""
    if path is None:
        return None
    from dfu_sched.tables import load_column_map

    return load_column_map(path)


def _say_warnings(warnings: list[str]) -> None:
    for w in warnings:
        click.echo(f"warning: {w}", err=True)


def _apply(options):
    def deco(f):
        for opt in reversed(options):
            f = opt(f)
        return f
    return deco


@click.command("risk")
@click.argument("queue", type=click.Path(dir_okay=False))
@_apply(common_options)
@handles_input_errors
def risk(queue, scenario_path, risk_path, week, now, columns_path, outs, as_json, pseudonymise, salt):
    """Score a QUEUE (CSV/XLSX) with the risk model: score, tier and contributing factors.

    A tier given in the file wins; if the factors point to another tier the row is flagged.
    """
    from dfu_sched.plan.files import read_queue
    from dfu_sched.plan.masking import RefMasker
    from dfu_sched.plan.risk import load_risk_model

    outputs = _outputs([queue, scenario_path, risk_path, columns_path], outs, RISK_SUFFIXES)
    outputs.check()
    tiers, types, _ = _load_specs(scenario_path)
    model = load_risk_model(risk_path)
    cmap = _column_map(columns_path)
    start = _plan_start(week, now)
    said: list[str] = []
    rows = read_queue(queue, tiers, types, model, start.day, columns=cmap, warnings=said)
    _say_warnings(said)
    pseudo = (RefMasker(salt, [q.device_id for q in rows], [q.case_id for q in rows])
              if pseudonymise else None)
    ref = (lambda p, r: pseudo(p, r)) if pseudo else (lambda p, r: r)
    table = [{"device": ref("D", q.device_id), "case": ref("C", q.case_id), "tier": q.tier,
              "score": q.risk.score, "computed_tier": q.risk.computed_tier or "",
              "given_tier": q.risk.given_tier or "", "mismatch": q.risk.mismatch,
              "factors": q.risk.factors_text(model)} for q in rows]
    doc = {"risk_model": model.name, "disclaimer": "KIRAT-like factor model with force-set weights; not KIRAT",
           "devices": table}
    if pseudo:
        doc["pseudonymised"] = {**pseudo.marker, "fields": ["devices.device", "devices.case"]}
    with outputs.transaction() as stage:
        for o in outs:
            path = Path(o)
            if path.suffix.lower() == ".html":
                from dfu_sched.reports.risk_html import render_risk_html

                stage[path].write_text(render_risk_html(doc, list(tiers), pseudonymised=bool(pseudonymise)),
                                       encoding="utf-8")
            else:
                write_table(path, stage[path], table, doc, title="Risk scores")
    if as_json:
        click.echo(json.dumps(doc, indent=2, default=str))
    else:
        click.echo(f"{len(table)} device(s) scored with '{model.name}' (KIRAT-like, not KIRAT)")
        for r in table:
            flag = "  MISMATCH: factors say " + r["computed_tier"] if r["mismatch"] else ""
            score = "-" if r["score"] is None else f"{r['score']:g}"
            click.echo(f"{r['device']:<16} {r['tier']:<3} score {score:>5}  {r['factors']}{flag}")


@click.command("plan")
@click.argument("queue", type=click.Path(dir_okay=False))
@click.option("--staff", "staff_path", required=True, type=click.Path(dir_okay=False),
              help="Examiners this week (CSV/XLSX): skills, hours, accreditation, days off.")
@_apply(common_options)
@click.option("--time-limit", default=300.0, show_default=True, type=click.FloatRange(1, 3600),
              help="Safety net only: wall-clock seconds after which the LP is abandoned. A normal run "
                   "never reaches it (all work is counted, so the same input gives the same plan on any "
                   "machine); if it is reached, the plan says so and may differ between machines.")
@click.option("--search-budget", default=20000, show_default=True, type=click.IntRange(100, 10_000_000),
              help="Local-search effort: move evaluations per improvement run (a count, not seconds). "
                   "More can find a slightly better plan and takes longer.")
@click.option("--lookahead", default=4, show_default=True, type=click.IntRange(0, 26),
              help="Weeks forecast after this one (expected start week per device).")
@click.option("--aging-days", default="180", show_default=True, metavar="DAYS|target",
              help="Weight grows by age/DAYS; 'target' ages each device against its tier target.")
@click.option("--seed", default=0, show_default=True, type=int, help="Tie-break seed (recorded).")
@click.option("--scip", is_flag=True, default=False,
              help="After the search, let SCIP try the time-indexed MIP (slow; rarely helps within 30 s).")
@click.option("--report", "report_file", type=click.Path(path_type=Path),
              help="Also write the plan as a report page (week chart, ranked lists with reasons): the same page "
                   "`dfu-sched report` makes from the plan's .json.")
@click.option("--figures", "figures_dir", type=click.Path(path_type=Path),
              help="Also write the report's chart as PNG and SVG into this folder.")
@handles_input_errors
def plan(queue, staff_path, scenario_path, risk_path, week, now, columns_path, outs, as_json, pseudonymise, salt,
         time_limit, search_budget, lookahead, aging_days, seed, scip, report_file, figures_dir):
    """Plan this week: a ranked list per examiner, highest child-safeguarding risk first.

    \b
    The plan maximises risk-hours saved (tier weight x aging x hours left in the week when the
    examination starts), keeps hours, skills and accreditation, meets hard deadlines where it
    can (and names those it cannot), and is compared with the greedy rule and a proven bound.
    """
    from dfu_sched.optimiser import PlanConfig, plan_week
    from dfu_sched.plan.explain import build_report
    from dfu_sched.plan.files import read_queue, read_staff
    from dfu_sched.plan.inputs import to_plan_inputs
    from dfu_sched.plan.masking import RefMasker
    from dfu_sched.plan.risk import load_risk_model
    from dfu_sched.plan.run import plan_document, plan_options

    outputs = _outputs([queue, staff_path, scenario_path, risk_path, columns_path], outs, OUT_SUFFIXES,
                       report_file, figures_dir)
    outputs.check()
    cfg = PlanConfig(aging_days=_aging(aging_days), scip=scip)
    tiers, types, skills = _load_specs(scenario_path)
    model = load_risk_model(risk_path)
    cmap = _column_map(columns_path)
    _plan_start(week, now)  # a bad --week/--now is reported before the files are read
    said: list[str] = []
    staff = read_staff(staff_path, skills, columns=cmap, warnings=said)
    start = _plan_start(week, now, staff)
    rows = read_queue(queue, tiers, types, model, start.day, columns=cmap, warnings=said)
    _say_warnings(said)
    devices, examiners = to_plan_inputs(rows, staff, tiers, types, start)
    result = plan_week(devices, examiners, week_hours=168.0, time_limit_s=time_limit, seed=seed,
                       mode="full", lookahead_weeks=lookahead, config=cfg, search_budget=search_budget)
    pseudo = (RefMasker(salt, [q.device_id for q in rows], [q.case_id for q in rows],
                        [s.examiner_id for s in staff]) if pseudonymise else None)
    report = build_report(result, rows, devices, staff, tiers, model, start, pseudo, cfg, examiners)
    options = plan_options(time_limit, lookahead, aging_days, seed, scip, search_budget, columns_path,
                           bool(pseudonymise))
    doc = plan_document(report, start, pseudo, [queue, staff_path, scenario_path, risk_path], options)
    _write_plan_outputs(outputs, outs, doc, report, start, report_file, figures_dir, pseudonymise, salt)
    if as_json:
        click.echo(json.dumps(doc, indent=2, default=str))
    else:
        _print_plan(report, list(tiers))


def _write_plan_outputs(outputs, outs, doc: dict, report, start, report_file, figures_dir, pseudonymise,
                        salt) -> None:
    """Every requested file in one transaction: tables by suffix, and one HTML page for ``--out x.html``
    and ``--report`` (the page ``dfu-sched report plan.json`` makes)."""
    page = None
    if report_file is not None or figures_dir is not None or any(Path(o).suffix.lower() == ".html" for o in outs):
        from dfu_sched.reports.plan_html import render_plan_report

        clean = json.loads(json.dumps(doc, default=str))  # exactly what `dfu-sched report plan.json` reads
        page = render_plan_report(clean, pseudonymise=pseudonymise, salt=salt)
    said = []
    with outputs.transaction() as stage:
        for o in outs:
            path = Path(o)
            if page is not None and path.suffix.lower() == ".html":
                stage[path].write_text(page.html, encoding="utf-8")
            else:
                write_table(path, stage[path], report.rows, doc, title="Weekly plan",
                             week_start=start.week_start)
        if report_file is not None or figures_dir is not None:
            from dfu_sched.cli.report import write_report

            said = write_report(page, report_file, figures_dir, stage)
    for line in said:
        click.echo(line, err=True)


def _aging(value: str) -> float | None:
    if value.strip().lower() == "target":
        return None
    try:
        days = float(value)
    except ValueError:
        raise InputError(f"--aging-days: expected a number of days or 'target', got {value!r}") from None
    if days <= 0:
        raise InputError("--aging-days must be more than 0")
    return days


def _print_plan(report, tier_order: list[str]) -> None:
    """The plan for the terminal: each examiner's list with reasons, then what waits. The very-high
    and high-risk devices past their target that wait are listed with their reasons too, since
    those are the ones the Monday meeting must account for (the rest are counted by week)."""
    from dfu_sched.plan.explain import HIGH_TIERS_COUNT
    from dfu_sched.plan.labels import OBJECTIVE_KEY, OBJECTIVE_WORDS

    s = report.summary
    click.echo(f"Weekly plan, week of {s['week_start']}: {s['devices_planned']} of {s['devices_in_queue']} "
               f"device(s) on {s['examiners']} examiner(s), {s['hours_available']:g} h available")
    click.echo(f"Planned {s['plan_start_note']}")
    if s["devices_in_queue"] == 0:
        click.echo("The queue is empty: nothing to plan.")
    elif s["hours_available"] == 0:
        click.echo("No examiner hours this week: nothing can start; see the forecast below.")
    else:
        bound = s["bound"]
        click.echo(f"{OBJECTIVE_WORDS} {s[OBJECTIVE_KEY]:,.0f}; greedy rule "
                   f"{s['greedy_objective']:,.0f} ({100 * s['improvement_over_greedy']:+.2f}%); "
                   f"within {100 * s['gap_to_bound']:.2f}% of the best possible"
                   + (f" (bound {bound:,.0f}; {100 * s['gap_to_bound_working_hours']:.2f}% of what the "
                      "working hours control)" if bound is not None else ""))
        if "cases_split" in s:
            click.echo(f"Cases split over more than one examiner: {s['cases_split']}")
    current = None
    for r in report.rows:
        if r["status"] != "planned":
            continue
        if r["examiner"] != current:
            current = r["examiner"]
            click.echo(f"\n{current}")
        click.echo(f"  {r['rank']:>2}. {r['start']} - {r['end']}  {r['device']:<14} {r['tier']:<3} "
                   f"{r['reason']}")
    later = [r for r in report.rows if r["status"] != "planned"]
    if later:
        weeks: dict[str, int] = {}
        for r in later:
            weeks[r["status"]] = weeks.get(r["status"], 0) + 1
        click.echo("\nNot this week: " + ", ".join(f"{v} {k}" for k, v in sorted(weeks.items())))
        high = set(tier_order[:HIGH_TIERS_COUNT])
        for r in later:
            if r["tier"] in high and (r.get("days_past_target") or 0) > 0:
                click.echo(f"  {r['device']:<14} {r['tier']:<3} {r['status']}: {r['reason']}")
    for wmsg in report.warnings:
        click.echo(f"warning: {wmsg}")


COMMANDS = [risk, plan]
