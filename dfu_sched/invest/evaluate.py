"""Evaluating investment mixes: a mix made runnable, one replication of it, many through the runner.

Why a module: the search, ``compare`` and the reports all need "the measures of this mix over
these replications", and they must be the same numbers whoever asks. ``levers.apply_mix`` gives
the scenario as staffed and equipped; replication r of a mix runs the core's replication r
(``sim.model.simulate_once`` from ``sim.experiment.replication_seed``: the same devices for
every mix, common random numbers) with the mix's outsourcing contracts as a model hook
(``sim.outsourcing``), and the core's ``measures.measure`` plus the investment measures is
computed on it. With no outsourcing this is exactly the core's replication, so a zero mix
reproduces ``run_experiment`` bit for bit. Replications fan out through
``sim.experiment.run_replications``, the one runner, on whichever executor the caller gives.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

import numpy as np
from pydantic import ValidationError

from dfu_sched.calendar import HOURS_PER_WEEK
from dfu_sched.errors import InputError
from dfu_sched.invest.targets import window_measures
from dfu_sched.scenario.levers import (
    Contract,
    apply_mix,
    mix_cost,
    mix_label,
    normalise_mix,
    outsourcing_contracts,
    recurring_after_horizon,
)
from dfu_sched.scenario.schema import Scenario, format_validation_error
from dfu_sched.sim.experiment import (
    Executor,
    Job,
    ReusablePool,
    default_workers,
    replication_seed,
    run_replications,
)
from dfu_sched.sim.measures import measure
from dfu_sched.sim.model import ModelHook, simulate_once, without_gc
from dfu_sched.sim.outsourcing import OUTSOURCING_MEASURES, Outsourcing, outsourcing_stream
from dfu_sched.sim.records import EXAM

#: Weekly series kept per replication of a mix (for trajectories and charts).
KEPT_SERIES = ("week", "backlog.awaiting_examination", "backlog.awaiting_examination_hours", "months_of_work",
               "throughput.examined", "wait_to_start_days.overall")


@dataclass(frozen=True)
class Prepared:
    """A mix made runnable: the scenario as staffed, its contracts, its cost."""

    key: tuple
    mix: dict
    scenario: Scenario
    contracts: tuple[Contract, ...]
    cost: float
    recurring: float


def prepare(base: Scenario, mix: dict[str, int]) -> Prepared:
    mix = normalise_mix(base, mix)
    try:
        sc = apply_mix(base, mix)
    except ValidationError as exc:  # a mix the scenario rules reject (e.g. hours over 24 a day)
        why = format_validation_error(exc)
        raise InputError(f"the mix {mix_label(mix)} gives an invalid scenario: {why}") from None
    except ValueError as exc:
        raise InputError(f"the mix {mix_label(mix)} gives an invalid scenario: {exc}") from None
    return Prepared(tuple(mix.values()), mix, sc, outsourcing_contracts(base, mix), mix_cost(base, mix),
                    recurring_after_horizon(base, mix))


def replicate(prep: Prepared, seed: int, rep: int, window: dict | None = None) -> tuple[dict, dict]:
    """One replication of a mix: the core's measures plus the investment ones (see module doc)."""
    sc = prep.scenario
    ss = replication_seed(seed, rep)
    hooks: tuple[ModelHook, ...] = (Outsourcing(prep.contracts, outsourcing_stream(ss)),) if prep.contracts else ()
    with without_gc():  # the measures too: see ``sim.model.without_gc``
        out, wl = simulate_once(sc, ss, hooks=hooks)
        m = measure(sc, wl, out)
    s = dict(m.scalars)
    for t in sc.tier_names:  # the share as people read it, so every output shows the same number
        s[f"{t}.within_target_pct"] = 100.0 * s[f"{t}.within_target_share"]
    s.update(dict.fromkeys(OUTSOURCING_MEASURES, 0.0))
    s.update(out.measures)
    H = sc.calendar.horizon_weeks
    w12 = min(52, H)
    wk = m.weekly
    s["invest.backlog_at_12m"] = float(wk["backlog.awaiting_examination"][w12])
    start_h = out.records.start[:, EXAM]
    wait = (start_h - wl.submit) / 24.0
    for name, (w0, w1) in {"invest.wait_at_12m_days": (w12 - 4, w12), "invest.wait_at_end_days": (H - 4, H)}.items():
        rows = (start_h >= max(w0, 0) * HOURS_PER_WEEK) & (start_h < w1 * HOURS_PER_WEEK)
        s[name] = float(wait[rows].mean()) if rows.any() else np.nan
    if window:
        window_measures(sc, wl, start_h, wait, window, s)
    keep = list(KEPT_SERIES) + [f"wait_to_start_days.{t}" for t in sc.tier_names]
    return s, {k: wk[k] for k in keep if k in wk}


def _mix_replication(context: tuple[Scenario, int, dict | None, dict[Hashable, Prepared]], key: Hashable,
                     rep: int) -> tuple[dict, dict]:
    """A runner job: replication ``rep`` of mix ``key`` (context: base scenario, seed, window, preps).

    A worker that does not hold ``key`` (it was added after the worker started) prepares it from
    the key (``key_mix``) and keeps it: jobs carry no scenario, so a search's worker pool lives as
    long as the search (``ReusablePool``) and nothing is pickled per job but the key.
    """
    base, seed, window, preps = context
    prep = preps.get(key)
    if prep is None:
        prep = preps[key] = prepare(base, key_mix(base, key))  # type: ignore[arg-type]
    return replicate(prep, seed, rep, window)


def key_mix(base: Scenario, key: tuple) -> dict[str, int]:
    """The mix a key stands for (a key is the normalised mix's values, in scenario option order)."""
    names = [o.name for o in base.investment.options] if base.investment else []
    if len(key) != len(names):
        raise ValueError(f"a key of {len(key)} levels for {len(names)} options")
    return dict(zip(names, (int(u) for u in key)))


class Evaluator:
    """Replications of many mixes under one seed: the same devices for every mix (CRN).

    Replication ``r`` of a mix is run once and kept (``runs``): a later stage asking for more
    replications of the same mix runs only the missing ones, and since replication ``r`` always
    has the same stream, the first ``n`` of the final replications *are* the screening ones.
    Without an executor the replications run on a ``ReusablePool`` kept for the evaluator's life
    (``close`` ends it); the job context is one object for that life, replaced only when a mix is
    registered that a worker could not prepare from its key (``add_prepared``, as ``compare`` does).
    """

    def __init__(self, base: Scenario, seed: int, workers: int | None = None, window: dict | None = None,
                 progress: Callable[[int], None] | None = None, executor: Executor | None = None):
        self.base, self.seed, self.window = base, seed, window
        self._own = executor is None
        self.executor = ReusablePool(default_workers() if workers is None else workers) if executor is None \
            else executor
        self.workers = self.executor.workers
        self.progress = progress
        self.preps: dict[tuple, Prepared] = {}
        self.runs: dict[tuple, dict[int, tuple[dict, dict]]] = {}
        self.stage: dict[tuple, str] = {}
        self.replications_run = 0
        self.seconds = 0.0
        self._context: tuple = (base, seed, window, self.preps)

    def add(self, mix: dict[str, int], stage: str) -> Prepared:
        return self._register(prepare(self.base, mix), stage, derivable=True)

    def add_prepared(self, p: Prepared, stage: str) -> Prepared:
        """Register a prepared mix under its key (the first registration of a key wins)."""
        return self._register(p, stage, derivable=False)

    def _register(self, p: Prepared, stage: str, derivable: bool) -> Prepared:
        if p.key not in self.preps:
            self.preps[p.key] = p
            self.runs[p.key] = {}
            self.stage[p.key] = stage
            if not derivable:  # running workers could not prepare it from its key: a new context
                self._context = (self.base, self.seed, self.window, self.preps)
        return self.preps[p.key]

    def ensure(self, keys: Iterable[tuple], n: int | dict[tuple, int],
               meanwhile: Callable[[], object] | None = None) -> None:
        """Run whatever replications 0..n-1 the given mixes still lack (``n`` one count, or a count per mix).

        One batch through the runner for all of them, so every worker stays busy to the end of it.
        ``meanwhile`` runs once in this process when the first replication is back, while the
        workers have the rest of the batch (the search warms its slow imports there); it cannot
        change a number, since the results are gathered by job.
        """
        count = (lambda k: n) if isinstance(n, int) else n.__getitem__
        wanted = [(k, r) for k in dict.fromkeys(keys) for r in range(count(k)) if r not in self.runs[k]]
        todo: list[Job] = list(wanted)
        if not todo:
            if meanwhile is not None:
                meanwhile()
            return
        t0 = time.perf_counter()
        pending = [meanwhile]

        def progress(k: int) -> None:
            if self.progress is not None:
                self.progress(k)
            task, pending[0] = pending[0], None
            if task is not None:
                task()

        results = run_replications(_mix_replication, self._context, todo, self.executor, progress)
        for (k, r), res in zip(wanted, results):
            self.runs[k][r] = res
        self.replications_run += len(todo)
        self.seconds += time.perf_counter() - t0

    def keep_first(self, keys: Iterable[tuple], n: int) -> None:
        """Forget replications n and later of ``keys`` (``-n auto`` ran past the n it needed: what
        follows is then exactly the ``-n n`` result; ``replications_run`` still counts them)."""
        for k in keys:
            self.runs[k] = {r: v for r, v in self.runs[k].items() if r < n}

    def close(self) -> None:
        """End the worker processes this evaluator started (none when the caller gave the executor)."""
        if self._own and isinstance(self.executor, ReusablePool):
            self.executor.close()

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def n(self, key: tuple) -> int:
        return len(self.runs[key])

    def values(self, key: tuple, measure: str, n: int | None = None) -> np.ndarray:
        n = self.n(key) if n is None else n
        return np.array([self.runs[key][r][0].get(measure, np.nan) for r in range(n)], dtype=float)

    def weekly(self, key: tuple, series: str) -> np.ndarray:
        return np.vstack([self.runs[key][r][1][series] for r in range(self.n(key))])

    def mean(self, key: tuple, measure: str, n: int | None = None) -> float:
        v = self.values(key, measure, n)
        v = v[np.isfinite(v)]
        return float(v.mean()) if v.size else np.nan
