"""Terminal tables and CSV files for ``compare`` and ``invest`` outputs (the JSON dicts)."""
from __future__ import annotations

from pathlib import Path

from dfu_sched.invest.objectives import OBJECTIVE_NAMES, OBJECTIVES
from dfu_sched.reports.appraisal_report import appraisal_text, compare_appraisal_text
from dfu_sched.reports.files import to_json, write_csv
from dfu_sched.reports.finance_xlsx import write_compare_xlsx, write_invest_xlsx
from dfu_sched.reports.precision_note import PRECISION_HEADER, precision_rows, precision_sentence
from dfu_sched.reports.text import fmt, fmt_ci, scenario_title, small_n_note, table, what_changes
from dfu_sched.scenario.levers import in_words, option_label
from dfu_sched.sim.measures import label_of


def _gbp(x) -> str:
    return "-" if x is None else f"£{x:,.0f}"


def _first_week(block: dict) -> str:
    share = block.get("reached_share", 1.0)
    if share == 0:
        return "never"
    s = fmt_ci(block, 0)
    return s if share >= 1 else f"{s} ({share:.0%} reach)"


def _cell(key: str, block: dict) -> str:
    if key.startswith("first_week_below."):
        return _first_week(block)
    return fmt_ci(block, 0 if abs(block.get("estimate") or 0) >= 100 else 1)


def compare_text(out: dict) -> str:
    sc = out["scenarios"]
    titles = {s["id"]: scenario_title(s) for s in sc}
    lines = [f"Compare: {len(sc)} scenarios, {out['replications']} replications, seed {out['seed']} "
             f"({'common random numbers: paired differences' if out['paired'] else out['note']})", ""]
    if small_n_note(out.get("replications")):
        lines[1:1] = [small_n_note(out.get("replications"))]
    hdr = ["measure"] + [scenario_title(s) for s in sc]
    rows = [[out["labels"][k]] + [_cell(k, s["measures"][k]) for s in sc] for k in out["measures"]]
    rows.append(["cost in horizon"] + [_gbp(s["cost_gbp"]) for s in sc])
    rows.append(["recurring after horizon, a year"] + [_gbp(s["recurring_gbp_per_year_after_horizon"]) for s in sc])
    lines.append(table(hdr, rows))
    for i, s in enumerate(sc):
        lines.append(f"  {scenario_title(s)} ({s.get('file') or s['id']}): {'; '.join(what_changes(s, i == 0))}")
    for d in out["differences"]:
        lines += ["", f"{titles.get(d['id'], d['id'])} minus {titles.get(d['versus'], d['versus'])} "
                      "(mean difference [95% CI]; negative = fewer days/devices)"]
        rows = [[out["labels"][k], fmt_ci(d["measures"][k], 1)] for k in out["measures"]]
        rows.append(["extra cost in horizon", _gbp(d["cost_gbp"])])
        rows.append(["£ per month of backlog removed", _gbp(d["gbp_per_month_of_backlog_removed"])])
        lines.append(table(["measure", "difference"], rows))
    lines += compare_appraisal_text(out)  # [] unless a scenario sets investment.appraisal
    if out.get("run", {}).get("precision"):  # -n auto
        p = out["run"]["precision"]
        lines += ["", precision_sentence(p), table(PRECISION_HEADER, precision_rows(p))]
    return "\n".join(lines)


def invest_text(out: dict) -> str:
    lines = []
    head = f"Invest: {out['scenario']}"
    if out["mode"] == "budget":
        head += f", budget {_gbp(out['budget_gbp'])}, best on {out['objective']['name']}"
    else:
        head += f", least cost to meet {out['target']['expression']} from week {out['target']['from_week']:.0f}"
    head += (f" ({out['replications']['final']} replications for the chosen mix, seed {out['seed']}, "
             f"{out['horizon_weeks']} weeks from {out['start_date']})")
    lines += [head, ""]
    names = [o["name"] for o in out.get("options", [])]
    lines += [f"  {in_words(s, names)}" for s in out["explanation"]]  # options in words
    ch, base = out["chosen"], out["baseline"]["measures"]
    lines += ["", "Chosen mix against doing nothing (mean [95% CI]; difference is paired)"]
    rows = [[label_of(k), _cell(k, base[k]), _cell(k, v), fmt_ci(ch["vs_baseline"][k], 1)]
            for k, v in ch["measures"].items()]
    lines.append(table(["measure", "do nothing", "chosen", "difference"], rows))
    lines += ["", "Efficient frontier (cost against the three objectives; each mix over the replications it has, "
                  f"at least {out['replications']['candidates']}, common random numbers)"]
    objectives = list(OBJECTIVES.values())
    rows = [[option_label(p["label"]), _gbp(p["cost_gbp"]), p["replications"]]
            + [fmt(p["objectives"][o.name], o.decimals) for o in objectives]
            + (["yes" if p.get("meets_target") else "no"] if out["target"] else []) for p in out["frontier"]]
    lines.append(table(["mix", "cost", "reps"] + [o.column for o in objectives]
                       + (["meets target"] if out["target"] else []), rows))
    cp = out["cost_profile"]
    lines += ["", "Cost by financial year (£)"]
    rows = [[y["financial_year"]] + [fmt(y.get(o, 0.0), 0) for o in cp["options"]] + [fmt(y["total"], 0)]
            for y in cp["by_financial_year"]]
    rows.append(["total"] + [fmt(cp["by_option"].get(o, 0.0), 0) for o in cp["options"]] + [fmt(cp["total_gbp"], 0)])
    lines.append(table(["year"] + [option_label(o) for o in cp["options"]] + ["total"], rows))
    tb, tc = out["trajectory"]["baseline"], out["trajectory"]["chosen"]
    lines += ["", "Backlog awaiting examination by quarter (devices) and mean wait to start that month (days)"]
    rows = []
    for i, m in enumerate(tb["month"]):
        if m % 3 and m != tb["month"][-1]:
            continue
        wb = tb["wait_to_start_days"]["mean"][m - 1] if m >= 1 else None
        wc = tc["wait_to_start_days"]["mean"][m - 1] if m >= 1 else None
        rows.append([f"month {m}", fmt(tb["series"]["backlog.awaiting_examination"]["mean"][i], 0),
                     fmt(tc["series"]["backlog.awaiting_examination"]["mean"][i], 0), fmt(wb, 0), fmt(wc, 1)])
    lines.append(table(["", "backlog: nothing", "backlog: chosen", "wait: nothing", "wait: chosen"], rows))
    lines += appraisal_text(out.get("appraisal"))  # [] unless the scenario sets investment.appraisal
    run = out["run"]
    lines += ["", f"{run['mixes_evaluated']} mixes, {run['replications_simulated']} replications simulated in "
                  f"{run['seconds']:.0f} s on {run['workers']} worker(s) "
                  f"({run['mixes_x_replications_per_minute']:,.0f} mix-replications a minute)"]
    return "\n".join(lines)


def write_invest_dir(out: dict, tmp: Path, scenario=None) -> list[str]:
    """invest.json, CSVs and invest.xlsx into a (temporary) folder; returns the file names."""
    (tmp / "invest.json").write_text(to_json(out), encoding="utf-8")
    obj = OBJECTIVE_NAMES
    rows = [[e["label"], round(e["cost_gbp"], 2), e["stage"], e["replications"], int(bool(e.get("on_frontier")))]
            + [_n(e["objectives"][o]) for o in obj] for e in out["evaluated"] + out.get("screened", [])]
    write_csv(tmp / "evaluated.csv", ["mix", "cost_gbp", "stage", "replications", "on_frontier"] + obj, rows)
    write_csv(tmp / "frontier.csv", ["mix", "cost_gbp"] + obj,
              [[p["label"], round(p["cost_gbp"], 2)] + [_n(p["objectives"][o]) for o in obj] for p in out["frontier"]])
    ch = out["chosen"]
    write_csv(tmp / "chosen.csv", ["measure", "baseline", "chosen", "chosen_ci95_low", "chosen_ci95_high",
                                   "difference", "difference_ci95_low", "difference_ci95_high"],
              [[k, _n(out["baseline"]["measures"][k]["estimate"]), *_interval(v), *_interval(ch["vs_baseline"][k])]
               for k, v in ch["measures"].items()])
    _cost_csvs(out["cost_profile"], tmp)
    _trajectory_csv({"baseline": out["trajectory"]["baseline"], "chosen": out["trajectory"]["chosen"]}, tmp)
    write_invest_xlsx(out, tmp / "invest.xlsx", scenario)
    return ["invest.json", "evaluated.csv", "frontier.csv", "chosen.csv", "cost_by_month.csv",
            "cost_by_financial_year.csv", "trajectory.csv", "invest.xlsx"]


def write_compare_dir(out: dict, tmp: Path) -> list[str]:
    (tmp / "compare.json").write_text(to_json(out), encoding="utf-8")
    sc = out["scenarios"]
    write_csv(tmp / "measures.csv",
              ["measure"] + sum([[s["id"], f"{s['id']}_ci95_low", f"{s['id']}_ci95_high"] for s in sc], []),
              [[k] + sum([_interval(s["measures"][k]) for s in sc], []) for k in out["measures"]]
              + [["cost_gbp"] + sum([[s["cost_gbp"], "", ""] for s in sc], [])])
    write_csv(tmp / "differences.csv", ["scenario", "versus", "measure", "difference", "ci95_low", "ci95_high"],
              [[d["id"], d["versus"], k, _n(d["measures"][k]["estimate"]), _n(d["measures"][k]["ci95"][0]),
                _n(d["measures"][k]["ci95"][1])] for d in out["differences"] for k in out["measures"]])
    _trajectory_csv({s["id"]: s["trajectory"] for s in sc}, tmp)
    write_compare_xlsx(out, tmp / "compare.xlsx")
    return ["compare.json", "measures.csv", "differences.csv", "trajectory.csv", "compare.xlsx"]


def _n(x):
    return "" if x is None else round(float(x), 4)


def _interval(block: dict) -> list:
    """Estimate, 95% low, 95% high of an interval block, as CSV cells."""
    return [_n(block["estimate"]), _n(block["ci95"][0]), _n(block["ci95"][1])]


def _cost_csvs(cp: dict, tmp: Path) -> None:
    opts = cp["options"]
    write_csv(tmp / "cost_by_month.csv", ["month", "financial_year"] + opts + ["total"],
              [[m["month"], m["financial_year"]] + [round(m.get(o, 0.0), 2) for o in opts] + [round(m["total"], 2)]
               for m in cp["by_month"]])
    write_csv(tmp / "cost_by_financial_year.csv", ["financial_year"] + opts + ["total"],
              [[y["financial_year"]] + [round(y.get(o, 0.0), 2) for o in opts] + [round(y["total"], 2)]
               for y in cp["by_financial_year"]])


def _trajectory_csv(trajs: dict[str, dict], tmp: Path) -> None:
    names = list(trajs)
    first = trajs[names[0]]
    hdr = ["month", "week"]
    cols = []
    for n in names:
        b = trajs[n]["series"]["backlog.awaiting_examination"]
        w = trajs[n]["wait_to_start_days"]
        hdr += [f"{n}.backlog", f"{n}.backlog_ci95_low", f"{n}.backlog_ci95_high", f"{n}.months_of_work",
                f"{n}.wait_to_start_days", f"{n}.wait_ci95_low", f"{n}.wait_ci95_high"]
        cols += [b["mean"], b["ci95_low"], b["ci95_high"], trajs[n]["series"]["months_of_work"]["mean"],
                 [None] + w["mean"], [None] + w["ci95_low"], [None] + w["ci95_high"]]
    rows = [[m, wk] + [_n(c[i]) if i < len(c) and c[i] is not None else "" for c in cols]
            for i, (m, wk) in enumerate(zip(first["month"], first["week"]))]
    write_csv(tmp / "trajectory.csv", hdr, rows)
