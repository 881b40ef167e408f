"""How long ``fit_history`` takes on a 5-year history of about 20,000 devices (run on demand).

    python -m tests.calibrate.bench_fit

The figure that does not depend on the machine's load is the ratio to a peer timed in the same run:
one ``scipy.stats.weibull_min.fit`` of all the history's booked hours (a single numerical
maximum-likelihood fit, the unit of work the calibration repeats per family and device type).
"""
from __future__ import annotations

import time

import numpy as np
from scipy import stats

from dfu_sched.calibrate.fit import default_base, fit_history
from tests.calibrate.fit_history_builder import Truth, synthetic_history


def main() -> None:
    history = synthetic_history(Truth(weeks=261, cases_per_week=27.0), seed=20)
    base = default_base()
    hours = np.array([d.exam_hours for d in history.devices if d.exam_hours], dtype=float)
    times, peer = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        fit = fit_history(history, base)
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        stats.weibull_min.fit(hours, floc=0)
        peer.append(time.perf_counter() - t0)
    print(f"{len(history.devices):,} devices, {fit.arrivals.weeks} weeks: fit_history best of 3 "
          f"{min(times):.2f} s (all: {', '.join(f'{t:.2f}' for t in times)}); one Weibull fit of "
          f"{hours.size:,} hours {min(peer) * 1000:.0f} ms; ratio {min(times) / min(peer):.1f}x")


if __name__ == "__main__":
    main()
