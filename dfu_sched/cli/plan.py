"""``dfu-sched risk`` and ``dfu-sched plan``: score a queue; plan this week's examinations.

Inputs are validated completely before anything is written, and every output goes through
``atomic_write``, so a bad row leaves no half-written file. Case and device references are
never logged; with ``--pseudonymise`` they never reach an output either.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from dfu_sched.cli.common import handles_input_errors
from dfu_sched.cli.report import check_report_path
from dfu_sched.errors import InputError

DEFAULT_SCENARIO = "north_yorkshire_2022.yaml"
OUT_SUFFIXES = (".csv", ".xlsx", ".html", ".json")


def _default_scenario() -> Path:
    from dfu_sched.paths import shipped

    return shipped(DEFAULT_SCENARIO, "--scenario FILE")


def _load_specs(scenario_path: str | None):
    from dfu_sched.queue_io import specs_from_scenario
    from dfu_sched.scenario import load_scenario

    scenario = load_scenario(scenario_path or _default_scenario())
    tiers, types = specs_from_scenario(scenario)
    return tiers, types, sorted({t.skill for t in types.values()})


def _week(value: str | None) -> dt.date:
    from dfu_sched.optimiser.weekly import monday_of
    from dfu_sched.queue_io import parse_date

    if value is None:
        return monday_of(dt.date.today())
    d = parse_date(value)
    if d is None:
        raise InputError(f"--week: cannot read {value!r} as a date (use YYYY-MM-DD)")
    return monday_of(d)


def _check_outs(outs: tuple[str, ...]) -> None:
    for o in outs:
        if Path(o).suffix.lower() not in OUT_SUFFIXES:
            raise InputError(f"--out {o}: use one of {', '.join(OUT_SUFFIXES)}")


common_options = [
    click.option("--scenario", "scenario_path", type=click.Path(dir_okay=False),
                 help="Scenario YAML for tiers and device types [default: scenarios/north_yorkshire_2022.yaml]."),
    click.option("--risk-model", "risk_path", type=click.Path(dir_okay=False),
                 help="Risk factors, points and tier thresholds (YAML) [default: shipped estimate]."),
    click.option("--week", "week", metavar="DATE", help="Any day of the planning week [default: this week]."),
    click.option("--out", "outs", multiple=True, metavar="FILE",
                 help="Write .csv, .xlsx, .html or .json (repeatable)."),
    click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout instead of text."),
    click.option("--pseudonymise", is_flag=True, help="Replace device and case references by keyed hashes."),
    click.option("--salt", help="Key for --pseudonymise (same salt, same pseudonyms) [default: per-run secret]."),
]


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
def risk(queue, scenario_path, risk_path, week, outs, as_json, pseudonymise, salt):
    """Score a QUEUE (CSV/XLSX) with the risk model: score, tier and contributing factors.

    A tier given in the file wins; if the factors point to another tier the row is flagged.
    """
    from dfu_sched.optimiser.weekly import RefMasker
    from dfu_sched.queue_io import read_queue
    from dfu_sched.risk import load_risk_model

    _check_outs(outs)
    tiers, types, _ = _load_specs(scenario_path)
    model = load_risk_model(risk_path)
    week_start = _week(week)
    rows = read_queue(queue, tiers, types, model, week_start)
    pseudo = (RefMasker(salt, [q.device_id for q in rows], [q.case_id for q in rows])
              if pseudonymise else None)
    ref = (lambda p, r: pseudo(p, r)) if pseudo else (lambda p, r: r)
    table = [{"device": ref("D", q.device_id), "case": ref("C", q.case_id), "tier": q.tier,
              "score": q.risk.score, "computed_tier": q.risk.computed_tier or "",
              "given_tier": q.risk.given_tier or "", "mismatch": q.risk.mismatch,
              "factors": q.risk.factors_text(model)} for q in rows]
    doc = {"risk_model": model.name, "disclaimer": "KIRAT-like factor model with force-set weights; not KIRAT",
           "devices": table}
    for o in outs:
        _write_table(Path(o), table, doc, title="Risk scores")
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
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the plan as a report page (week chart, ranked lists with reasons): the same page "
                   "`dfu-sched report` makes from the plan's .json.")
@click.option("--figures", "figures_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write the report's chart as PNG and SVG into this folder.")
@handles_input_errors
def plan(queue, staff_path, scenario_path, risk_path, week, outs, as_json, pseudonymise, salt,
         time_limit, search_budget, lookahead, aging_days, seed, scip, report_file, figures_dir):
    """Plan this week: a ranked list per examiner, highest child-safeguarding risk first.

    \b
    The plan maximises risk-hours saved (tier weight x aging x hours left in the week when the
    examination starts), keeps hours, skills and accreditation, meets hard deadlines where it
    can (and names those it cannot), and is compared with the greedy rule and a proven bound.
    """
    from dfu_sched.optimiser import PlanConfig, plan_week
    from dfu_sched.optimiser.weekly import RefMasker, build_report, to_plan_inputs
    from dfu_sched.queue_io import read_queue, read_staff
    from dfu_sched.risk import load_risk_model

    _check_outs(outs)
    check_report_path(report_file)
    cfg = PlanConfig(aging_days=_aging(aging_days), scip=scip)
    tiers, types, skills = _load_specs(scenario_path)
    model = load_risk_model(risk_path)
    week_start = _week(week)
    rows = read_queue(queue, tiers, types, model, week_start)
    staff = read_staff(staff_path, skills)
    devices, examiners = to_plan_inputs(rows, staff, tiers, types, week_start)
    result = plan_week(devices, examiners, week_hours=168.0, time_limit_s=time_limit, seed=seed,
                       mode="full", lookahead_weeks=lookahead, config=cfg, search_budget=search_budget)
    report = build_report(result, rows, devices, staff, tiers, model, week_start,
                          RefMasker(salt, [q.device_id for q in rows], [q.case_id for q in rows])
                          if pseudonymise else None, cfg)
    doc = {"summary": report.summary, "warnings": report.warnings, "examiners": report.examiners,
           "devices": report.rows,
           # What reproduces the plan: file names only (folders can name a case), and the options.
           "inputs": {"queue": Path(queue).name, "staff": Path(staff_path).name,
                      "scenario": Path(scenario_path).name if scenario_path else None,
                      "risk_model": Path(risk_path).name if risk_path else None,
                      "week": week_start.isoformat(), "time_limit_s": time_limit, "lookahead": lookahead,
                      "aging_days": aging_days, "seed": seed, "scip": bool(scip),
                      "search_budget": search_budget}}
    for o in outs:
        path = Path(o)
        if path.suffix.lower() == ".html":
            from dfu_sched.reports.plan_html import render_plan_html
            from dfu_sched.io import atomic_write

            with atomic_write(path) as fh:
                fh.write(render_plan_html(report))
        else:
            _write_table(path, [_public(r) for r in report.rows], doc, title="Weekly plan")
    if report_file is not None or figures_dir is not None:
        from dfu_sched.cli.report import write_report
        from dfu_sched.reports.plan_html import render_plan_report

        clean = json.loads(json.dumps(doc, default=str))  # exactly what `dfu-sched report plan.json` reads
        write_report(render_plan_report(clean, pseudonymise=pseudonymise, salt=salt), report_file, figures_dir,
                     quiet=False)
    if as_json:
        click.echo(json.dumps(doc, indent=2, default=str))
    else:
        _print_plan(report)


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


def _public(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in ("start_hour", "end_hour")}


def _write_table(path: Path, table: list[dict], doc: dict, title: str) -> None:
    from dfu_sched.io import atomic_write

    suffix = path.suffix.lower()
    if suffix == ".json":
        with atomic_write(path) as fh:
            json.dump(doc, fh, indent=2, default=str)
    elif suffix == ".csv":
        import csv

        with atomic_write(path) as fh:
            fields = list(table[0]) if table else ["device"]
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            for r in table:
                w.writerow({k: ("" if v is None else v) for k, v in r.items()})
    elif suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = title[:31]
        fields = list(table[0]) if table else ["device"]
        ws.append(fields)
        for r in table:
            ws.append([v if not isinstance(v, (list, dict)) else json.dumps(v) for v in r.values()])
        if "summary" in doc:
            s = wb.create_sheet("Summary")
            for k, v in doc["summary"].items():
                s.append([k, json.dumps(v) if isinstance(v, (list, dict)) else v])
            s.append([])
            for wmsg in doc.get("warnings", []):
                s.append(["warning", wmsg])
        with atomic_write(path, "wb") as fh:
            wb.save(fh)
    else:  # pragma: no cover - filtered by _check_outs
        raise InputError(f"--out {path}: unsupported type")


def _print_plan(report) -> None:
    s = report.summary
    click.echo(f"Weekly plan, week of {s['week_start']}: {s['devices_planned']} of {s['devices_in_queue']} "
               f"device(s) on {s['examiners']} examiner(s), {s['hours_available']:g} h available")
    if s["devices_in_queue"] == 0:
        click.echo("The queue is empty: nothing to plan.")
    elif s["hours_available"] == 0:
        click.echo("No examiner hours this week: nothing can start; see the forecast below.")
    else:
        bound = s["bound"]
        click.echo(f"Risk-hours saved {s['objective_risk_hours_saved']:,.0f}; greedy rule "
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
    for wmsg in report.warnings:
        click.echo(f"warning: {wmsg}")


COMMANDS = [risk, plan]
