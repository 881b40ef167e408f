"""Terminal table and CSV file of a ``sensitivity`` output (its JSON dict): one row per input and measure.

Why here: the command prints what a finance officer reads first (the plain-words headline of each
measure, then per input its low -> high values, the measure at the low end, the base and the high
end, and the swing), and the CSV holds the same bars with their paired intervals for a
spreadsheet. Both read only the JSON, so ``--json``, the table and the file never disagree.
"""
from __future__ import annotations

from pathlib import Path

from dfu_sched.reports.files import to_json, write_csv
from dfu_sched.reports.text import fmt, small_n_note, table


def _n(x) -> str:
    if x is None:
        return "-"
    return fmt(x, 0 if abs(x) >= 100 else 1)


def _end(block: dict, diff: dict) -> str:
    """``420 (+240)``: an end's mean and its paired difference from the base."""
    e, d = block.get("estimate"), diff.get("estimate")
    if e is None:
        return "-"
    sign = "" if d is None else f" ({'+' if d >= 0 else '-'}{_n(abs(d))})"
    return _n(e) + sign


def swing_text(swing: float | None) -> str:
    """A bar's swing: ``240``, ``0 (no effect)``, or ``- (not defined)`` where the measure is undefined at an end."""
    if swing is None:
        return "- (not defined)"
    return _n(swing) if swing else "0 (no effect)"


def method_line(out: dict) -> str:
    s = out.get("screening")
    if not s:
        return "Method: one at a time (each estimate at its low and its high end, every other at its value)."
    return (f"Method: Morris screening of {len(out['inputs'])} ranged inputs ({s['trajectories']} trajectories, "
            f"{s['points']} points x {s['replications']} replications), then one at a time on the "
            f"{len(s['kept'])} that matter most.")


def mix_line(out: dict) -> str:
    if out.get("mix_choice") == "file":
        return f"Mix: the scenario's chosen mix applied ({out['mix_label']})."
    return "Mix: none (the unit as staffed today)."


def measure_rows(out: dict, key: str) -> tuple[list[str], list[list[str]]]:
    header = ["input", "low -> high", "at low (vs base)", "base", "at high (vs base)", "swing"]
    base = _n(out["base"][key].get("estimate"))
    rows = [[b["words"], f"{b['low_text']} -> {b['high_text']}", _end(b["low"], b["low_diff"]), base,
             _end(b["high"], b["high_diff"]), swing_text(b["swing"])]
            for b in out["bars"][key]]
    return header, rows


def sensitivity_text(out: dict) -> str:
    """What ``dfu-sched sensitivity`` prints."""
    lines = [f"Sensitivity: {out['scenario']}, {len(out['inputs'])} ranged inputs, {out['replications']} "
             f"replications each end, seed {out['seed']} (common random numbers: every run sees the same devices)",
             method_line(out), mix_line(out)]
    note = small_n_note(out.get("replications"))
    if note:
        lines.append(note)
    for key in out["measures"]:
        lines += ["", out["headline"][key], f"{out['labels'][key]} (mean over replications; "
                                            "in brackets the paired difference from the base)"]
        lines.append(table(*measure_rows(out, key), align="llrrrr"))
    run = out.get("run") or {}
    if run:
        lines += ["", f"{run.get('replications_simulated', 0):,} replications in {fmt(run.get('seconds'), 1)} s "
                      f"on {run.get('workers', 1)} worker(s)"]
    return "\n".join(lines)


def _c(x):
    return "" if x is None else round(float(x), 4)


CSV_HEADER = ["measure", "rank", "input", "input_words", "low_value", "high_value", "base", "base_ci95_low",
              "base_ci95_high", "at_low", "at_low_ci95_low", "at_low_ci95_high", "at_high", "at_high_ci95_low",
              "at_high_ci95_high", "low_minus_base", "low_minus_base_ci95_low", "low_minus_base_ci95_high",
              "high_minus_base", "high_minus_base_ci95_low", "high_minus_base_ci95_high", "swing"]


def csv_table(out: dict) -> tuple[list[str], list[list]]:
    """One row per (measure, input): the bar's values with every interval."""
    rows = []
    for key in out["measures"]:
        base = out["base"][key]
        for rank, b in enumerate(out["bars"][key], start=1):
            row = [key, rank, b["key"], b["words"], b["low_value"], b["high_value"]]
            for block in (base, b["low"], b["high"], b["low_diff"], b["high_diff"]):
                lo, hi = block.get("ci95") or [None, None]
                row += [_c(block.get("estimate")), _c(lo), _c(hi)]
            rows.append(row + [_c(b["swing"])])
    return CSV_HEADER, rows


def write_sensitivity_csv(out: dict, path: Path) -> None:
    write_csv(path, *csv_table(out))


def write_sensitivity_dir(out: dict, folder: Path) -> list[str]:
    """sensitivity.json and bars.csv into a (staged) folder; returns the file names."""
    (folder / "sensitivity.json").write_text(to_json(out), encoding="utf-8")
    write_sensitivity_csv(out, folder / "bars.csv")
    return ["sensitivity.json", "bars.csv"]
