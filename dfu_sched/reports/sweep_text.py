"""Terminal table and CSV file of a ``sweep`` output (its JSON dict): one row per grid point.

Why here: the command prints what a finance officer reads (each point's mean and 95% interval of
the chosen measures, its cost, whether it meets the target, then the cheapest point that does and
its paired difference from the baseline), and the CSV holds the same rows for a spreadsheet. Both
read only the JSON, so ``--json`` output, the table and the file never disagree.
"""
from __future__ import annotations

from pathlib import Path

from dfu_sched.reports.files import to_json, write_csv
from dfu_sched.reports.text import fmt, fmt_ci, small_n_note, table


def _digits(block: dict) -> int:
    v = block.get("estimate")
    return 0 if v is not None and abs(v) >= 100 else 1


def _value(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _gbp(x) -> str:
    return "-" if x is None else f"£{x:,.0f}"


def _meets(p: dict) -> str:
    if p.get("meets_target") is None:
        return ""
    return ("yes (whole CI)" if p.get("meets_target_surely") else "yes") if p["meets_target"] else "no"


def cost_phrase(out: dict) -> str:
    """How 'cheapest' was decided, in words."""
    basis = out["cost_basis"]
    if basis == "investment":
        return "cheapest = least investment cost inside the horizon"
    if basis == "grid order":
        return "no cost given (--cost KEY or an investment.mix grid): 'cheapest' = first in grid order"
    return f"cheapest = smallest {basis}"


def sweep_rows(out: dict) -> tuple[list[str], list[list[str]]]:
    """The table of points: grid values, each measure's mean [95% CI], cost, meets target."""
    keys = [a["key"] for a in out["axes"]]
    invest = out["cost_basis"] == "investment" or any(p["cost_gbp"] for p in out["points"])
    header = keys + [out["labels"][k] for k in out["measures"]] + (["cost in horizon"] if invest else [])
    header += ["meets target"] if out.get("target") else []
    rows = []
    for p in out["points"]:
        row = [_value(p["values"][k]) for k in keys]
        row += [fmt_ci(p["measures"][k], _digits(p["measures"][k])) for k in out["measures"]]
        row += [_gbp(p["cost_gbp"])] if invest else []
        row += [_meets(p)] if out.get("target") else []
        rows.append(row)
    return header, rows


def cheapest_lines(out: dict) -> list[str]:
    """The answer to the target question, with the paired difference from the baseline point."""
    tgt = out.get("target")
    if not tgt:
        return []
    best = out.get("cheapest")
    if best is None:
        return [f"No point meets {tgt['expression']} (on the mean of {out['replications']} replications)."]
    p, base = out["points"][best], out["points"][out["baseline"]]
    lines = [f"Cheapest point that meets {tgt['expression']}: {p['label']}"
             + (f" ({_gbp(p['cost_gbp'])})" if out["cost_basis"] == "investment" else "")
             + ("; the whole 95% CI meets it" if p.get("meets_target_surely") else
                "; its mean meets it, its 95% CI does not wholly"),
             f"  ({cost_phrase(out)})"]
    if best != out["baseline"]:
        lines += ["", f"{p['label']} minus the baseline {base['label']} "
                      "(paired: the same devices at every point; mean difference [95% CI])"]
        lines.append(table(["measure", "difference"],
                           [[out["labels"][k], fmt_ci(p["vs_baseline"][k], 1)] for k in out["measures"]]))
    return lines


def sweep_text(out: dict) -> str:
    """What ``dfu-sched sweep`` prints."""
    head = (f"Sweep: {out['scenario']}, {len(out['points'])} points x {out['replications']} replications, "
            f"seed {out['seed']} (common random numbers: every point sees the same devices)")
    lines = [head, ""]
    note = small_n_note(out.get("replications"))
    if note:
        lines[1:1] = [note]
    header, rows = sweep_rows(out)
    lines += ["Mean [95% CI] at each grid point", table(header, rows)]
    more = cheapest_lines(out)
    if more:
        lines += [""] + more
    run = out.get("run", {})
    if run:
        lines += ["", f"{run.get('replications_simulated', 0):,} replications in {fmt(run.get('seconds'), 1)} s "
                      f"on {run.get('workers', 1)} worker(s)"]
    return "\n".join(lines)


def _n(x):
    return "" if x is None else round(float(x), 4)


def csv_table(out: dict) -> tuple[list[str], list[list]]:
    """One row per point: grid values, cost, target, then each measure's mean, CI and paired difference."""
    keys = [a["key"] for a in out["axes"]]
    header = ["point"] + keys + ["cost_gbp", "cost", "meets_target", "meets_target_whole_ci"]
    for k in out["measures"]:
        header += [k, f"{k}.ci95_low", f"{k}.ci95_high", f"{k}.vs_baseline", f"{k}.vs_baseline_ci95_low",
                   f"{k}.vs_baseline_ci95_high"]
    rows = []
    for p in out["points"]:
        row = [p["index"]] + [p["values"][k] for k in keys]
        row += [p["cost_gbp"], p["cost"], "" if p["meets_target"] is None else int(p["meets_target"]),
                "" if p["meets_target_surely"] is None else int(p["meets_target_surely"])]
        for k in out["measures"]:
            m, d = p["measures"][k], p["vs_baseline"][k]
            row += [_n(m["estimate"]), _n(m["ci95"][0]), _n(m["ci95"][1]), _n(d["estimate"]), _n(d["ci95"][0]),
                    _n(d["ci95"][1])]
        rows.append(row)
    return header, rows


def write_sweep_csv(out: dict, path: Path) -> None:
    write_csv(path, *csv_table(out))


def write_sweep_dir(out: dict, folder: Path) -> list[str]:
    """sweep.json and points.csv into a (staged) folder; returns the file names."""
    (folder / "sweep.json").write_text(to_json(out), encoding="utf-8")
    write_sweep_csv(out, folder / "points.csv")
    return ["sweep.json", "points.csv"]
