"""Shared builders: tiny scenarios whose outcomes can be worked out by hand."""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from dfu_sched.model import DFUModel
from dfu_sched.scenario import Scenario, _deep_merge, parse_scenario
from dfu_sched.workload import child_seed, generate

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "north_yorkshire_2022.yaml"

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


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    return BASELINE
