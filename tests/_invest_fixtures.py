"""Small investment scenarios for the levers/invest/compare tests (fast: short horizon, small backlog)."""
from __future__ import annotations

from pathlib import Path

import yaml

from dfu_sched.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parent.parent
NY400K = ROOT / "scenarios" / "north_yorkshire_400k.yaml"

#: Options kept for the search tests (the full list is exercised by the levers tests).
KEEP = ("contract_examiner", "overtime", "outsource_phones", "triage_kiosk", "training")


def small(horizon_weeks: int = 20, keep=KEEP, extra_options: list[dict] | None = None,
          budget: float = 150_000, backlog_divisor: int = 5, **investment) -> Scenario:
    """The £400K scenario cut down: shorter horizon, a fifth of the backlog, fewer options."""
    sc = load_scenario(NY400K)
    data = sc.model_dump(mode="json", by_alias=True)
    data["calendar"]["horizon_weeks"] = horizon_weeks
    for b in data["backlog"]:
        b["count"] = max(1, b["count"] // backlog_divisor)
    inv = data["investment"]
    inv["options"] = [o for o in inv["options"] if keep is None or o["name"] in keep] + list(extra_options or [])
    inv["budget_gbp"] = budget
    inv["mix"] = {}
    inv.update(investment)
    return Scenario.model_validate(data)


def to_yaml(sc: Scenario, path: Path) -> Path:
    path.write_text(yaml.safe_dump(sc.model_dump(mode="json", by_alias=True), sort_keys=False), encoding="utf-8")
    return path


def raw(sc: Scenario) -> dict:
    return sc.model_dump(mode="json", by_alias=True)
