"""Shared test builders, imported as ``from tests.helpers import ...``.

A plain module, not ``conftest.py``: importing from a conftest breaks when any installed package ships
a top-level ``tests`` package (Ciw does). Tiny scenarios whose outcomes can be worked out by hand, and
the investment scenarios cut small enough to search in seconds.
"""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import yaml

from dfu_sched.scenario.schema import Scenario, _deep_merge, load_scenario, parse_scenario
from dfu_sched.sim.model import DFUModel
from dfu_sched.sim.workload import child_seed, generate

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "north_yorkshire_2022.yaml"
EXAMPLES = SCENARIOS / "examples"
NY400K = SCENARIOS / "north_yorkshire_400k.yaml"

def short_baseline_file(folder: Path, weeks: int, name: str = "short.yaml") -> Path:
    """The shipped baseline cut to ``weeks`` weeks, written into ``folder``: a quick real run."""
    import yaml

    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["calendar"]["horizon_weeks"] = weeks
    path = Path(folder) / name
    path.write_text(yaml.safe_dump(data))
    return path


MINI = {
    "name": "mini",
    "calendar": {"start_date": "2024-01-01", "horizon_weeks": 4},  # a Monday
    "run": {"replications": 2, "seed": 1},
    "arrivals": {
        "cases_per_week": 0,
        "tier_mix": {"VH": 0.25, "H": 0.25, "M": 0.25, "L": 0.25},
        "device_mix": {"phone": 0.5, "computer": 0.5},
    },
    "device_types": {
        "phone": {"skill": "mobile", "service_hours": {"examination": {"dist": "fixed", "value": 10}}},
        "computer": {"skill": "computer", "service_hours": {"examination": {"dist": "fixed", "value": 10}}},
    },
    "stages": {"extraction": {"enabled": False}},
    "examiners": [{"name": "ann", "skills": ["mobile", "computer"]}],
}


def mini(**updates) -> Scenario:
    """The mini scenario with nested keys replaced: ``mini(policy={"discipline": "priority"})``."""
    return parse_scenario(_deep_merge(copy.deepcopy(MINI), updates))


def backlog(*entries) -> list[dict]:
    """Backlog entries ``(type, tier, count, age_days)`` with fixed ages."""
    return [{"device_type": t, "tier": tier, "count": n, "age_days": {"dist": "fixed", "value": age}}
            for t, tier, n, age in entries]


def run(sc: Scenario, seed: int = 0):
    """One replication: (workload, run output)."""
    ss = np.random.SeedSequence(seed)
    wl_seed, model_seed = child_seed(ss, 0), child_seed(ss, 1)
    wl = generate(sc, wl_seed)
    return wl, DFUModel(sc, wl, model_seed).run()


# --- investment scenarios cut small ---------------------------------------------------------

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
    inv["appraisal"] = None  # the shipped file's Green Book settings: tests that want them pass appraisal=...
    inv.update(investment)
    return Scenario.model_validate(data)


def to_yaml(sc: Scenario, path: Path) -> Path:
    path.write_text(yaml.safe_dump(sc.model_dump(mode="json", by_alias=True), sort_keys=False), encoding="utf-8")
    return path


def raw(sc: Scenario) -> dict:
    return sc.model_dump(mode="json", by_alias=True)
