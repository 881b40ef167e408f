"""What the robust-choice tests share: the £400K scenario cut small with its ranged estimates kept."""
from __future__ import annotations

from pathlib import Path

import yaml

from dfu_sched.scenario.schema import Scenario, parse_scenario
from tests.helpers import NY400K


def ranged_small_data(weeks: int = 8, keep=("overtime", "triage_kiosk"), budget: float = 200_000) -> dict:
    """The £400K file's data (ranges as written): ``weeks`` weeks, a tenth of the backlog, two options."""
    data = yaml.safe_load(NY400K.read_text(encoding="utf-8"))
    data["calendar"]["horizon_weeks"] = weeks
    for b in data["backlog"]:
        b["count"] = max(1, b["count"] // 10)
    data["investment"]["options"] = [o for o in data["investment"]["options"] if o["name"] in keep]
    data["investment"]["mix"] = {}
    data["investment"]["budget_gbp"] = budget
    return data


def ranged_small(**kw) -> Scenario:
    return parse_scenario(ranged_small_data(**kw), source="small.yaml")


def ranged_small_file(path: Path, **kw) -> Path:
    path.write_text(yaml.safe_dump(ranged_small_data(**kw), sort_keys=False), encoding="utf-8")
    return path
