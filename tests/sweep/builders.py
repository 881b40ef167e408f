"""Small scenarios for the sweep tests: a unit whose backlog after a few weeks can be worked out by hand."""
from __future__ import annotations

from pathlib import Path

from dfu_sched.scenario.schema import Scenario
from tests.helpers import backlog, mini, to_yaml

#: 10 cases a week (one device each, 10 examination hours) and 30 devices waiting, for 8 weeks: about
#: 110 devices for 37.5 h x 8 weeks / 10 h = 30 examinations per examiner.
ARRIVALS = {"cases_per_week": 10, "tier_mix": {"VH": 0.25, "H": 0.25, "M": 0.25, "L": 0.25},
            "device_mix": {"phone": 0.5, "computer": 0.5}}


def unit(**updates) -> Scenario:
    """The tests' mini unit with arrivals and a backlog, 8 weeks, 3 replications by default."""
    base = {"calendar": {"start_date": "2024-01-01", "horizon_weeks": 8}, "run": {"replications": 3, "seed": 5},
            "arrivals": ARRIVALS, "backlog": backlog(("phone", "H", 15, 20), ("computer", "L", 15, 40))}
    base.update(updates)
    return mini(**base)


def unit_file(folder: Path, name: str = "unit.yaml", **updates) -> Path:
    return to_yaml(unit(**updates), Path(folder) / name)
