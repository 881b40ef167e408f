"""Machine-readable run folders: summary.json, weekly.csv, weekly_replications.csv,
replications.csv, devices.csv.

``weekly.csv`` holds each weekly series' mean and band; ``weekly_replications.csv`` holds the
same series for every replication (long format), so a question the summary does not answer
(e.g. "in how many replications is the backlog under 500 by week 52?") needs no re-run.

Everything is written into a temporary folder and swapped into place whole only when complete, so
an interrupted or failed run never leaves a half-written folder that looks valid, and a re-used
folder never mixes files of two runs.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from dfu_sched.io import atomic_dir
from dfu_sched.reports.cells import write_csv_rows


class RunResult(Protocol):
    """What a run folder is written from (``sim.experiment.ExperimentResult`` has this shape); a
    protocol, so reports read the data without importing the simulation engine."""

    replications: int
    weekly: dict[str, np.ndarray]
    scalars: dict[str, np.ndarray]
    records: dict[str, Any] | None
    scenario: Any

    def summary(self) -> dict[str, Any]: ...

    def weekly_summary(self) -> dict[str, Any]: ...


def to_json(obj) -> str:
    """JSON with NaN/inf as null (strict JSON for other tools) and stable key order."""
    return json.dumps(_finite(obj), indent=2, allow_nan=False)


def _finite(obj):
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def weekly_rows(result: RunResult) -> tuple[list[str], list[list]]:
    """One row per week: each series' mean and 95% band."""
    summary = result.weekly_summary()
    weeks = summary.pop("week")
    header = ["week"]
    cols = []
    for key, band in summary.items():
        for stat in ("mean", "ci95_low", "ci95_high"):
            header.append(f"{key}.{stat}")
            cols.append(band[stat])
    rows = [[w] + ["" if c[i] is None else c[i] for c in cols] for i, w in enumerate(weeks)]
    return header, rows


def weekly_replication_rows(result: RunResult) -> tuple[list[str], list[list]]:
    """Long format: one row per (replication, week), one column per weekly series."""
    keys = [k for k in result.weekly if k != "week"]
    weeks = result.weekly["week"][0].astype(int).tolist()
    header = ["replication", "week"] + keys
    rows = [[r, w] + [_cell(result.weekly[k][r, i]) for k in keys]
            for r in range(result.replications) for i, w in enumerate(weeks)]
    return header, rows


def write_csv(path: Path, header: list[str], rows) -> None:
    """Every cell through the shared writer: scenario text never becomes a spreadsheet formula."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        write_csv_rows(fh, header, rows)


def write_run_dir(result: RunResult, out_dir: str | Path, scenario_file: str | Path | None = None) -> Path:
    """Write a complete run folder atomically (replacing any earlier one whole) and return its path."""
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        write_run_files(result, tmp, scenario_file)
    return out_dir


def write_run_files(result: RunResult, folder: Path, scenario_file: str | Path | None = None) -> list[str]:
    """The files of a run folder, written into ``folder`` (a staged one); returns their names."""
    names = ["summary.json", "weekly.csv", "weekly_replications.csv", "replications.csv"]
    (folder / "summary.json").write_text(to_json(result.summary()), encoding="utf-8")
    header, rows = weekly_rows(result)
    write_csv(folder / "weekly.csv", header, rows)
    write_csv(folder / "weekly_replications.csv", *weekly_replication_rows(result))
    keys = sorted(result.scalars)
    write_csv(folder / "replications.csv", ["replication"] + keys,
              ([r] + [_cell(result.scalars[k][r]) for k in keys] for r in range(result.replications)))
    if result.records is not None:
        cols = result.records
        names_ = list(cols)
        n = len(cols[names_[0]])
        write_csv(folder / "devices.csv", names_, ([_cell(cols[c][i]) for c in names_] for i in range(n)))
        names.append("devices.csv")
    (folder / "scenario.json").write_text(
        to_json(result.scenario.model_dump(mode="json", by_alias=True)), encoding="utf-8")
    names.append("scenario.json")
    if scenario_file is not None:
        shutil.copyfile(scenario_file, folder / "scenario.yaml")
        names.append("scenario.yaml")
    return names


def _cell(x):
    if isinstance(x, (float, np.floating)):
        return "" if not np.isfinite(x) else round(float(x), 6)
    if isinstance(x, (np.bool_, bool)):
        return int(x)
    if isinstance(x, np.integer):
        return int(x)
    return x
