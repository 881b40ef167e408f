"""What ``fit`` estimated: one dataclass the scenario writer, the terminal, JSON and HTML read.

Why separate: the writer, the command and the report page all read a fit; keeping the result apart
from the fitting keeps the imports one-way. No case reference is kept here (only counts, dates and
estimates), so every view of a fit is safe to share; ``--pseudonymise`` only hides the file name.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from dfu_sched.calibrate.arrivals import ArrivalFit, CountFit, Share
from dfu_sched.calibrate.history import ReadSummary
from dfu_sched.calibrate.service import HoursFit
from dfu_sched.calibrate.staffing import StaffFit
from dfu_sched.scenario.schema import Scenario


@dataclass
class FitResult:
    """Everything ``fit`` estimated, the scenario it wrote and the counts of what it left out."""

    source: str
    start: dt.date
    end: dt.date
    as_of: dt.date
    devices: int
    base_name: str
    arrivals: ArrivalFit
    devices_per_case: CountFit
    tier_mix: dict[str, Share]
    device_mix: dict[str, Share]
    device_mix_by_tier: dict[str, dict[str, Share]]
    hours: dict[str, HoursFit]
    staff: StaffFit | None
    expedite: Share
    backlog_devices: int
    inference: dict | None
    hours_per_day: float
    read_summary: ReadSummary
    counts: dict[str, int] = field(default_factory=dict)   #: what the fit left out, and why
    warnings: list[str] = field(default_factory=list)
    yaml_text: str = ""
    scenario: Scenario | None = None

    @property
    def period(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"
