"""Aligned terminal tables: what a DFU manager reads after ``dfu-sched simulate``."""
from __future__ import annotations

import math

from dfu_sched.reports.precision_note import PRECISION_HEADER, precision_rows, precision_sentence
from dfu_sched.stats import MIN_USEFUL_N, interval_is_useful


def fmt(x, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return f"{x:,.{digits}f}"


def fmt_ci(block: dict, digits: int = 1, scale: float = 1.0) -> str:
    """``412.3 [408.1, 416.5]`` from an interval dict."""
    est = block.get("estimate")
    lo, hi = block.get("ci95", [None, None])
    s = lambda v: fmt(None if v is None else v * scale, digits)  # noqa: E731
    if lo is None or hi is None:
        return s(est)
    return f"{s(est)} [{s(lo)}, {s(hi)}]"


def small_n_note(replications) -> str:
    """The warning shown above results from too few replications ('' when there are enough)."""
    if not isinstance(replications, int) or interval_is_useful(replications):
        return ""
    return (f"n too small for a useful interval: {replications} replication{'s' if replications != 1 else ''} "
            f"(the 95% intervals are very wide or missing; use -n {MIN_USEFUL_N} or more)")


def table(header: list[str], rows: list[list[str]], align: str | None = None) -> str:
    """Plain aligned table: first column left, the rest right (``align`` overrides per column)."""
    align = align or ("l" + "r" * (len(header) - 1))
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(cells):
        return "  ".join(str(c).ljust(w) if a == "l" else str(c).rjust(w)
                         for c, w, a in zip(cells, widths, align)).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), sep] + [line(r) for r in rows])


def simulation_text(summary: dict) -> str:
    """The human summary of a simulation run."""
    out = [
        f"{summary['scenario']}  (policy {summary['policy']}{', preemptive' if summary['preemptive'] else ''}; "
        f"{summary['replications']} replications, seed {summary['seed']}, {summary['horizon_weeks']} weeks "
        f"from {summary['start_date']})",
        "",
        "Wait to start examination, days (mean of replications [95% CI])",
    ]
    note = small_n_note(summary.get("replications"))
    if note:
        out[1:1] = [note]
    rows = []
    scopes = list(summary["tiers"].items()) + [("overall", summary["overall"])]
    for name, b in scopes:
        w = b["wait_to_start_days"]
        target = f"{b['target_days']:g}" if "target_days" in b else ""
        rows.append([name, target, fmt_ci(w["mean"]), fmt(w["p50"]["estimate"]), fmt(w["p90"]["estimate"]),
                     fmt(w["p95"]["estimate"]), fmt_ci(b["within_target_share"], 0, 100),
                     fmt(b["started"]["estimate"], 0)])
    out.append(table(["tier", "target", "mean [95% CI]", "P50", "P90", "P95", "within target %", "started"], rows))
    out.append("(devices whose examination started in the window; those still waiting at the end are below)")
    out += ["", "Child-safeguarding exposure (tier weight x device-days unexamined) and devices past target at the end"]
    rows = [[name, fmt_ci(b["exposure"], 0), fmt(b["waiting_at_end"]["estimate"], 0),
             fmt(b["past_target_at_end"]["estimate"], 0),
             fmt(b.get("age_at_end_days", {}).get("p50", {}).get("estimate"), 0)] for name, b in scopes]
    out.append(table(["tier", "exposure [95% CI]", "waiting at end", "past target at end",
                      "median age at end, days"], rows))
    bw = summary["backlog_weekly"]
    weeks = bw["week"]
    marks = sorted({0, *range(13, weeks[-1], 13), weeks[-1]})
    out += ["", "Backlog awaiting examination (devices, mean [95% CI]) and months of work at current throughput"]
    aw, mw = bw["backlog.awaiting_examination"], bw["months_of_work"]
    rows = [[f"week {w}", fmt_ci({"estimate": aw["mean"][w], "ci95": [aw["ci95_low"][w], aw["ci95_high"][w]]}, 0),
             fmt(mw["mean"][w])] for w in marks]
    out.append(table(["", "devices", "months"], rows))
    out += ["", "Utilisation and throughput"]
    rows = [[f"utilisation {k}", fmt_ci(v, 0, 100) + " %"] for k, v in summary["utilisation"].items()]
    rows += [[f"{k} per week", fmt_ci(v)] for k, v in summary["throughput_per_week"].items()]
    for thr, v in summary["first_week_below"].items():
        reached = v["reached_share"]
        rows.append([f"first week mean wait < {thr} days",
                     "never (in every replication)" if reached == 0 else f"{fmt_ci(v)} (reached in {reached:.0%})"])
    for thr, v in summary.get("first_week_backlog_below", {}).items():
        reached = v["reached_share"]
        rows.append([f"first week backlog < {thr} devices",
                     "never (in every replication)" if reached == 0 else f"{fmt_ci(v)} (reached in {reached:.0%})"])
    out.append(table(["measure", "value"], rows))
    run = summary.get("run", {})
    if run:
        out += ["", f"{run.get('events', 0):,} events in {run.get('seconds', 0):.1f} s "
                    f"on {run.get('workers', 1)} worker(s)"]
    if run.get("precision"):  # -n auto
        out += ["", precision_sentence(run["precision"]), table(PRECISION_HEADER, precision_rows(run["precision"]))]
    return "\n".join(out)


def scenario_title(s: dict) -> str:
    """A compared scenario as people know it: its name (older compare.json files: the file id)."""
    return s.get("title") or s["id"]


def what_changes(s: dict, first: bool) -> list[str]:
    """What a compared scenario changes against the first: inputs set differently, then what it buys."""
    lead = ["the reference: differences are against it"] if first else list(s.get("changes") or [])
    return lead + list(s.get("actions") or [])
