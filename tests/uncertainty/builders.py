"""A small unit with ranged inputs for the sensitivity tests: fast to run, with known directions.

The sweep tests' 8-week mini unit (10 cases a week, one examiner) run for 12 weeks, with a triage kiosk
(the £400K scenario's option, screen-out 20%-50%) in its mix and a mobile-examiner hire that is not, and
cases a week ranged 8-12: more cases mean a larger backlog, more screen-out a smaller one, and the
hire's ramp-up has no effect at all.
"""
from __future__ import annotations

import copy

import yaml

from dfu_sched.scenario.schema import Scenario, parse_scenario
from tests.helpers import NY400K, raw
from tests.sweep.builders import unit

CASES = "arrivals.cases_per_week"
KIOSK = "investment.options.triage_kiosk.screen_out_share"
RAMP = "investment.options.mobile_examiner.ramp_up_weeks"


def kiosk_data(mix: dict | None = None) -> dict:
    options = {o["name"]: o for o in yaml.safe_load(NY400K.read_text(encoding="utf-8"))["investment"]["options"]}
    data = raw(unit(calendar={"start_date": "2024-01-01", "horizon_weeks": 12}))
    data["arrivals"]["cases_per_week"] = {"value": 10, "low": 8, "high": 12}
    for d in data["device_types"].values():
        d["service_hours"]["triage"] = {"dist": "fixed", "value": 1.0}
    hire = copy.deepcopy(options["mobile_examiner"])
    hire["skills"] = ["mobile"]
    data["investment"] = {"budget_gbp": 400000, "mix": {"triage_kiosk": 1} if mix is None else mix,
                          "options": [hire, copy.deepcopy(options["triage_kiosk"])]}
    return data


def kiosk_unit(mix: dict | None = None) -> Scenario:
    return parse_scenario(kiosk_data(mix), source="kiosk unit")
