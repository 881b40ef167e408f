"""A synthetic case history with known truth, for the fit tests (numpy seeded, small and fast)."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from dfu_sched.calibrate.history import History, HistoryDevice, ReadSummary


@dataclass(frozen=True)
class Truth:
    cases_per_week: float = 8.0           # at the first Monday
    annual_growth: float = 0.06
    weeks: int = 156
    start: dt.date = dt.date(2021, 1, 4)
    devices_mean: float = 2.5             # 1 + Poisson(1.5)
    tier_mix: dict = field(default_factory=lambda: {"VH": 0.1, "H": 0.25, "M": 0.35, "L": 0.3})
    device_mix: dict = field(default_factory=lambda: {"phone": 0.65, "computer": 0.2, "storage": 0.15})
    hours: dict = field(default_factory=lambda: {"phone": ("lognormal", 7.0, 3.5), "computer": ("gamma", 30.0, 15.0),
                                                 "storage": ("lognormal", 5.0, 2.5)})
    season_amplitude: float = 0.0         # rate x (1 + a cos(2 pi (month - 1) / 12))
    blank_tier_share: float = 0.0
    examiners: dict = field(default_factory=lambda: {"mobile": 3, "computer": 4})


def _hours(rng: np.random.Generator, law: tuple[str, float, float], n: int) -> np.ndarray:
    name, mean, sd = law
    if name == "lognormal":
        s2 = math.log(1 + (sd / mean) ** 2)
        return rng.lognormal(math.log(mean) - s2 / 2, math.sqrt(s2), n)
    shape = (mean / sd) ** 2
    return rng.gamma(shape, mean / shape, n)


def synthetic_history(truth: Truth = Truth(), seed: int = 7) -> History:
    """Poisson cases per week with compound growth; devices, tiers, types and hours from ``truth``.

    Every device is examined (start a few weeks after submission, end a few days later) by one of
    the examiners of its skill, except those submitted in the last 8 weeks, which are still waiting.
    """
    rng = np.random.default_rng(seed)
    tiers, tier_p = list(truth.tier_mix), np.array(list(truth.tier_mix.values()))
    types, type_p = list(truth.device_mix), np.array(list(truth.device_mix.values()))
    skill = {"phone": "mobile", "computer": "computer", "storage": "computer"}
    devices: list[HistoryDevice] = []
    case_no = 0
    end = truth.start + dt.timedelta(weeks=truth.weeks) - dt.timedelta(days=1)
    for w in range(truth.weeks):
        monday = truth.start + dt.timedelta(weeks=w)
        month = (monday + dt.timedelta(days=3)).month
        rate = truth.cases_per_week * (1 + truth.annual_growth) ** (w * 7 / 365.25)
        rate *= 1 + truth.season_amplitude * math.cos(2 * math.pi * (month - 1) / 12)
        for _ in range(rng.poisson(rate)):
            case_no += 1
            day = monday + dt.timedelta(days=int(rng.integers(0, 5)))
            tier = tiers[rng.choice(len(tiers), p=tier_p)]
            blank = rng.random() < truth.blank_tier_share
            for _k in range(1 + rng.poisson(truth.devices_mean - 1)):
                dtype = types[rng.choice(len(types), p=type_p)]
                h = float(_hours(rng, truth.hours[dtype], 1)[0])
                waiting = (end - day).days < 56
                start = day + dt.timedelta(days=int(rng.integers(7, 40)))
                exam_end = start + dt.timedelta(days=int(rng.integers(0, 10)))
                examiner = f"examiner-ref-{skill[dtype]}-{rng.integers(truth.examiners[skill[dtype]])}"
                devices.append(HistoryDevice(
                    row=len(devices) + 2, device_id=f"dev-ref-{len(devices)}", case_id=f"case-ref-{case_no}",
                    device_type=dtype,
                    submitted=day, status="waiting" if waiting else "completed", tier=None if blank else tier,
                    exam_start=None if waiting else start, exam_end=None if waiting else exam_end,
                    examiner_id=None if waiting else examiner, exam_hours=None if waiting else round(h, 2),
                    expedite=bool(rng.random() < 0.03)))
    summary = ReadSummary(rows_read=len(devices), devices=len(devices))
    return History("synthetic.csv", devices, summary)
