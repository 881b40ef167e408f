"""How long ``fit_history`` takes on a 5-year history of about 20,000 devices (run on demand).

    python -m tests.calibrate.bench_fit
"""
from __future__ import annotations

import time

from dfu_sched.calibrate.fit import default_base, fit_history
from tests.calibrate.fit_history_builder import Truth, synthetic_history


def main() -> None:
    history = synthetic_history(Truth(weeks=261, cases_per_week=27.0), seed=20)
    base = default_base()
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        fit = fit_history(history, base)
        times.append(time.perf_counter() - t0)
    print(f"{len(history.devices):,} devices, {fit.arrivals.weeks} weeks: fit_history best of 3 "
          f"{min(times):.2f} s (all: {', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
