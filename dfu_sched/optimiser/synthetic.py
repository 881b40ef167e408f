"""Reproducible synthetic weeks for tests and the benchmark (the setting of docs/optimiser.md §4).

Examiners work Mon-Fri 08:00-15:30 on a 168-hour week axis, skills mobile/computer/video,
accreditation 1 or 2; devices are mostly phones (3-12 h), some computers (15-60 h) and video,
in four risk tiers, with a few hard deadlines.
"""
from __future__ import annotations

import numpy as np

from dfu_sched.optimiser.model import PlanDevice, PlanExaminer

TIERS = [("VH", 8.0, 1.0, 0.07), ("H", 4.0, 7.0, 0.25), ("M", 2.0, 14.0, 0.35), ("L", 1.0, 30.0, 0.33)]
SKILL_SETS = [("mobile",), ("mobile",), ("mobile", "video"), ("mobile", "computer"), ("computer",),
              ("computer", "video"), ("mobile", "computer", "video")]


def week_windows(days: int = 5, start: float = 8.0, per_day: float = 7.5) -> list[tuple[float, float]]:
    return [(24.0 * d + start, 24.0 * d + start + per_day) for d in range(days)]


def synthetic_week(n_devices: int, n_examiners: int, seed: int = 1, n_deadlines: int = 6,
                   ) -> tuple[list[PlanDevice], list[PlanExaminer]]:
    rng = np.random.default_rng(seed)
    examiners = []
    for i in range(n_examiners):
        skills = frozenset(SKILL_SETS[i % len(SKILL_SETS)])
        days = 5 if rng.random() > 0.2 else 4  # some leave
        examiners.append(PlanExaminer(id=f"E{i + 1:02d}", skills=skills, hours=7.5 * days,
                                      accreditation=2 if rng.random() < 0.4 else 1,
                                      windows=week_windows()[:days]))
    tier_idx = rng.choice(len(TIERS), size=n_devices, p=[t[3] for t in TIERS])
    kinds = rng.choice(["mobile", "computer", "video"], size=n_devices, p=[0.68, 0.22, 0.10])
    devices = []
    case, left = 0, 0
    for j in range(n_devices):
        if left == 0:
            case, left = case + 1, 1 + rng.poisson(1.8)
        left -= 1
        name, weight, target, _ = TIERS[tier_idx[j]]
        kind = kinds[j]
        mean, sd = {"mobile": (7.0, 3.5), "computer": (30.0, 15.0), "video": (6.0, 3.0)}[kind]
        sigma = np.sqrt(np.log(1 + (sd / mean) ** 2))
        hours = float(np.clip(rng.lognormal(np.log(mean) - sigma ** 2 / 2, sigma), 0.5, 80.0))
        devices.append(PlanDevice(
            id=f"D{j + 1:05d}", case_id=f"C{case:05d}", tier=name, weight=weight, target_days=target,
            age_days=float(rng.exponential(200.0)), hours=round(hours * 2) / 2 or 0.5, skill=kind,
            accreditation=2 if (kind == "computer" and rng.random() < 0.3) else 1))
    for j in rng.choice(n_devices, size=min(n_deadlines, n_devices), replace=False):
        d = devices[j]
        devices[j] = PlanDevice(**{**d.__dict__, "deadline_hours": float(rng.uniform(40, 110)),
                                   "hours": min(d.hours, 8.0)})
    return devices, examiners
