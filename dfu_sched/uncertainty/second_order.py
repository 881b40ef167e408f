"""Second-order Monte Carlo: intervals that include what we do not know about the estimates.

Why: a run's usual 95% interval covers the randomness of arrivals and service only, as if every
estimate [E] were exact. Here W plausible worlds of the ranged inputs are drawn (``worlds``: a
Latin hypercube over each estimate's law) and each is run for R replications with its own seed
(``runner``, ``streams="per_world"``: the outer draws independent, as the variance split assumes).
For each headline measure ``spread.split_spread`` says how much of the spread comes from the
estimates and how much from chance and gives the 95% range of the expected outcome over the
worlds; ``spread.attribute`` says which input drives the estimate-driven part. The base scenario
(every input at its value) is run beside the worlds with the scenario's own seed, so its interval
is exactly the one ``simulate`` or ``compare`` prints "with the estimates taken as exact".

Compare: the worlds are drawn once over the union of the scenarios' ranged inputs (by key) and
every scenario runs world i with the same inputs (those it has) and the same seed, so differences
between scenarios are paired world by world, and the share of worlds in which each is best is a
plain count. Results never depend on the executor or the number of workers (``run_tasks``).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dfu_sched.errors import InputError
from dfu_sched.scenario.estimates import Estimate
from dfu_sched.scenario.levers import normalise_mix
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import Executor
from dfu_sched.sim.measures import label_of
from dfu_sched.stats import Interval, measure_interval, paired_difference
from dfu_sched.uncertainty.runner import BASE, run_tasks
from dfu_sched.uncertainty.spread import Spread, attribute, split_spread
from dfu_sched.uncertainty.worlds import Worlds, require_estimates, sample_worlds

#: Outer draws (worlds) when ``--worlds`` is not given.
DEFAULT_WORLDS = 20
#: Measures where more is better (everything else headline here is a wait, a backlog or an exposure).
_HIGHER_IS_BETTER = ("within_target_share", "within_target_pct", "examined_per_week")


def headline_measures(sc: Scenario) -> list[str]:
    """The measures ``--input-uncertainty`` reports: backlog at 12 months, the first tier's P90 wait,
    the mean wait and the exposure (the headline of the £400K question)."""
    return ["invest.backlog_at_12m", f"{sc.tier_names[0]}.wait_to_start_days.p90",
            "overall.wait_to_start_days.mean", "overall.exposure"]


def lower_is_better(key: str) -> bool:
    return not key.endswith(_HIGHER_IS_BETTER)


_DROP = ("investment", "options", "device_types", "service_hours", "examiners", "arrivals", "stages", "calendar")


def input_label(key: str) -> str:
    """A ranged input in words: ``device_types.phone.service_hours.examination.mean`` -> 'phone examination
    hours (mean)', ``investment.options.triage_kiosk.screen_out_share`` -> 'triage kiosk screen out share'."""
    parts = key.split(".")
    hours = "service_hours" in parts
    words = [p for p in parts if p not in _DROP]
    if hours and words and words[-1] == "mean":
        words = words[:-1] + ["hours"]
    return " ".join(w.replace("_", " ") for w in words) or key


@dataclass(frozen=True)
class MeasureSpread:
    """One measure: its interval with the estimates taken as exact and its spread over the worlds."""

    key: str
    exact: Interval                 #: the base scenario's R replications (the usual interval, in the measure's range)
    spread: Spread                  #: W worlds x R replications
    world_means: np.ndarray         #: each world's mean over its replications
    attribution: dict               #: ``spread.attribute``: r2, shares, direction by input key

    def drivers(self) -> list[tuple[str, float, int]]:
        """``(input key, share of the differences between worlds, direction)``, largest first."""
        shares, direction = self.attribution["shares"], self.attribution.get("direction", {})
        return sorted(((k, float(s), int(direction.get(k, 0))) for k, s in shares.items()),
                      key=lambda t: -t[1])


@dataclass(frozen=True)
class InputUncertainty:
    """Second-order Monte Carlo of one scenario (its mix applied, if any)."""

    scenario: str
    estimates: tuple[Estimate, ...]
    worlds: Worlds                  #: the inputs' values in each world (this scenario's own columns)
    replications: int
    seed: int
    mix: dict[str, int]
    measures: tuple[MeasureSpread, ...]
    replications_run: int

    def measure(self, key: str) -> MeasureSpread:
        return next(m for m in self.measures if m.key == key)


def _mix_key(sc: Scenario, mix: dict[str, int] | None) -> tuple:
    if not mix:
        return ()
    try:
        return tuple(normalise_mix(sc, mix).values())
    except ValueError as exc:
        raise InputError(f"mix: {exc}") from None


def _check_measures(measures: Sequence[str], known: dict[str, np.ndarray]) -> None:
    for k in measures:
        if k not in known:
            raise InputError(f"--measure: unknown measure '{k[:80]}' (see the README section Sweeps for the names)")


def _runs(sc: Scenario, worlds: Worlds, mix_key: tuple, measures: Sequence[str] | None, replications: int,
          seed: int, executor: Executor | None, workers: int | None, progress: Callable[[int], None] | None
          ) -> tuple[list[str], dict[str, np.ndarray], dict[str, np.ndarray], int]:
    """The base run (R replications, all measures) and the worlds (W x R, the measures kept)."""
    base = run_tasks(sc, worlds.estimates, worlds.values, [(BASE, mix_key)], replications, seed,
                     streams="per_world", executor=executor, workers=workers, progress=progress)
    known = base.values[(BASE, mix_key)]
    keys = list(dict.fromkeys(measures if measures else headline_measures(sc)))
    _check_measures(keys, known)
    tasks = [(i, mix_key) for i in range(len(worlds))]
    runs = run_tasks(sc, worlds.estimates, worlds.values, tasks, replications, seed, streams="per_world",
                     keep=keys, executor=executor, workers=workers, progress=progress)
    grid = {k: np.vstack([runs.values[t][k] for t in tasks]) for k in keys}
    return keys, {k: known[k] for k in keys}, grid, base.replications_run + runs.replications_run


def _measure(key: str, base: np.ndarray, grid: np.ndarray, worlds: Worlds) -> MeasureSpread:
    spread = split_spread(grid)
    ok = np.isfinite(grid)
    counts = ok.sum(axis=1)
    means = np.where(counts > 0, np.where(ok, grid, 0.0).sum(axis=1) / np.maximum(counts, 1), np.nan)
    return MeasureSpread(key, measure_interval(base, key), spread, means, attribute(means, worlds.values, worlds.keys))


def _own_worlds(sc: Scenario, worlds: Worlds) -> Worlds:
    """The columns of ``worlds`` this scenario has (by key), in the scenario's own estimate order."""
    keys = worlds.keys
    own = [e for e in sc.estimates if e.key in keys]
    cols = [keys.index(e.key) for e in own]
    return Worlds(tuple(own), worlds.values[:, cols] if cols else np.zeros((len(worlds), 0)))


def _check_sizes(n_worlds: int, replications: int) -> None:
    if n_worlds < 2:
        raise InputError(f"--worlds: needs at least 2 worlds to tell the estimates' spread from chance "
                         f"(got {n_worlds})")
    if replications < 2:
        raise InputError("--input-uncertainty needs at least 2 replications per world (-n 2 or more) to tell "
                         "chance from the estimates")


def input_uncertainty(sc: Scenario, measures: Sequence[str] | None = None, worlds: int = DEFAULT_WORLDS,
                      replications: int | None = None, seed: int | None = None, executor: Executor | None = None,
                      workers: int | None = None, progress: Callable[[int], None] | None = None,
                      mix: dict[str, int] | None = None, what: str = "--input-uncertainty") -> InputUncertainty:
    """W worlds of ``sc``'s ranged inputs x R replications each, with ``mix`` applied (None: as given).

    ``progress(1)`` after each of the ``(W + 1) * R`` replications (the base run first).
    """
    ests = require_estimates(sc, what)
    n = sc.run.replications if replications is None else replications
    seed = sc.run.seed if seed is None else seed
    _check_sizes(worlds, n)
    drawn = sample_worlds(ests, worlds, seed)
    mix_key = _mix_key(sc, mix)
    keys, base, grid, ran = _runs(sc, drawn, mix_key, measures, n, seed, executor, workers, progress)
    out = tuple(_measure(k, base[k], grid[k], drawn) for k in keys)
    used = normalise_mix(sc, mix) if mix and mix_key else {}
    return InputUncertainty(sc.name, ests, drawn, n, seed, {k: u for k, u in used.items() if u}, out, ran)


# ---- several scenarios, paired world by world ------------------------------------------------------

@dataclass(frozen=True)
class CompareUncertainty:
    """Each scenario over the same worlds (the union of the ranged inputs), paired against the first."""

    ids: tuple[str, ...]
    worlds: Worlds                            #: the union of the ranged inputs
    scenarios: tuple[InputUncertainty, ...]
    grids: tuple[dict[str, np.ndarray], ...]  #: per scenario: measure -> W x R
    bases: tuple[dict[str, np.ndarray], ...]  #: per scenario: measure -> R (the estimates taken as exact)

    @property
    def keys(self) -> list[str]:
        return [m.key for m in self.scenarios[0].measures]

    def difference(self, i: int, key: str) -> tuple[Interval, Spread, float]:
        """Scenario i minus the first on ``key``: exact interval, spread over worlds, share of worlds in
        which scenario i is better (its world mean lower, or higher where more is better)."""
        a, b = self.grids[0][key], self.grids[i][key]
        exact = paired_difference(self.bases[0][key], self.bases[i][key])
        da, db = self.scenarios[0].measure(key).world_means, self.scenarios[i].measure(key).world_means
        better = (db < da) if lower_is_better(key) else (db > da)
        ok = np.isfinite(da) & np.isfinite(db)
        return exact, split_spread(b - a), float(better[ok].mean()) if ok.any() else float("nan")

    def best_share(self, key: str) -> list[float]:
        """The share of worlds in which each scenario is best on ``key`` (ties shared)."""
        m = np.vstack([s.measure(key).world_means for s in self.scenarios])  # S x W
        m = m if lower_is_better(key) else -m
        ok = np.isfinite(m).all(axis=0)
        if not ok.any():
            return [float("nan")] * len(self.scenarios)
        m = m[:, ok]
        best = (m == m.min(axis=0)).astype(float)
        return [float(x) for x in (best / best.sum(axis=0)).mean(axis=1)]


def union_estimates(scenarios: Sequence[Scenario]) -> tuple[Estimate, ...]:
    """Every ranged input of the scenarios, by key; a key in several takes the first scenario's law."""
    seen: dict[str, Estimate] = {}
    for sc in scenarios:
        for e in sc.estimates:
            seen.setdefault(e.key, e)
    return tuple(seen.values())


def compare_input_uncertainty(scenarios: Sequence[tuple[str, Scenario]], measures: Sequence[str] | None = None,
                              worlds: int = DEFAULT_WORLDS, replications: int | None = None,
                              seed: int | None = None, executor: Executor | None = None,
                              workers: int | None = None, progress: Callable[[int], None] | None = None
                              ) -> CompareUncertainty:
    """Each scenario (its ``investment.mix`` applied, as ``compare``) over the same W worlds x R replications.

    ``scenarios`` are ``(id, scenario)``; world i of every scenario has the same inputs (those it
    has) and the same seed. ``progress(1)`` after each of ``S * (W + 1) * R`` replications.
    """
    first = scenarios[0][1]
    ests = union_estimates([sc for _, sc in scenarios])
    if not ests:
        require_estimates(first, "compare --input-uncertainty")
    n = first.run.replications if replications is None else replications
    seed = first.run.seed if seed is None else seed
    _check_sizes(worlds, n)
    drawn = sample_worlds(ests, worlds, seed)
    keys = list(measures) if measures else headline_measures(first)
    results, grids, bases = [], [], []
    for _, sc in scenarios:
        own = _own_worlds(sc, drawn)
        mix = dict(sc.investment.mix) if sc.investment and sc.investment.mix else None
        mix_key = _mix_key(sc, mix)
        k, base, grid, ran = _runs(sc, own, mix_key, keys, n, seed, executor, workers, progress)
        out = tuple(_measure(m, base[m], grid[m], own) for m in k)
        results.append(InputUncertainty(sc.name, own.estimates, own, n, seed,
                                        {m: u for m, u in (mix or {}).items() if u}, out, ran))
        grids.append(grid)
        bases.append(base)
    return CompareUncertainty(tuple(i for i, _ in scenarios), drawn, tuple(results), tuple(grids), tuple(bases))


# ---- JSON ------------------------------------------------------------------------------------------

def _r(x: float | None, digits: int = 6) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), digits)


def _interval(iv: Interval) -> dict:
    return {"estimate": _r(iv.estimate), "ci95": [_r(iv.low), _r(iv.high)], "n": iv.n}


def _inputs_json(estimates: Sequence[Estimate]) -> list[dict]:
    return [{"key": e.key, "label": input_label(e.key), "value": e.value, "low": e.support[0], "high": e.support[1],
             "shape": e.shape} for e in estimates]


def wider_interval(exact: Interval, spread: Spread) -> tuple[float, float]:
    """The 95% interval that includes estimate uncertainty: the range of the expected outcome over the
    plausible worlds (each world's mean, so it carries chance at R replications too), never narrower
    than the interval with the estimates taken as exact (with few replications the Student-t interval
    of the base run can be the wider one; then the estimates add nothing we can see)."""
    lo, hi = spread.worlds_range95
    ends = [(lo, exact.low, min), (hi, exact.high, max)]
    return tuple(f(a, b) if np.isfinite(b) else a for a, b, f in ends)  # type: ignore[return-value]


def _spread_json(exact: Interval, spread: Spread) -> dict:
    return {**spread.as_json(), "interval95": [_r(x) for x in wider_interval(exact, spread)]}


def adjusted_r2(r2: float | None, worlds: int, inputs: int) -> float | None:
    """R² adjusted for the number of inputs: 20 worlds and 10 inputs fit noise well, and the shares of
    such a fit say little (the text calls the split rough, or finds no driver, from this)."""
    if r2 is None or worlds - inputs - 1 <= 0:
        return None
    return round(1.0 - (1.0 - r2) * (worlds - 1) / (worlds - inputs - 1), 4)


def _measure_json(m: MeasureSpread) -> dict:
    r2 = m.attribution.get("r2")
    fit = adjusted_r2(r2, int(np.isfinite(m.world_means).sum()), len(m.attribution["shares"]))
    drivers = [{"key": k, "label": input_label(k), "share": _r(s, 4), "direction": d} for k, s, d in m.drivers()]
    return {"label": label_of(m.key), "exact": _interval(m.exact), "with_estimates": _spread_json(m.exact, m.spread),
            "r2": r2, "r2_adjusted": fit, "drivers": drivers}


def input_uncertainty_json(res: InputUncertainty) -> dict:
    """The ``input_uncertainty`` block of ``simulate --json`` (read by the text, HTML and app)."""
    return {"method": "second-order Monte Carlo (Latin-hypercube worlds x replications, per-world seeds)",
            "worlds": len(res.worlds), "replications": res.replications, "seed": res.seed,
            "mix": res.mix, "inputs": _inputs_json(res.estimates),
            "measures": {m.key: _measure_json(m) for m in res.measures},
            "replications_simulated": res.replications_run}


def compare_uncertainty_json(res: CompareUncertainty) -> dict:
    """The ``input_uncertainty`` block of ``compare --json``: per scenario, paired differences, best shares."""
    keys = res.keys
    have = {e.key: [i for i, s in zip(res.ids, res.scenarios) if e.key in {x.key for x in s.estimates}]
            for e in res.worlds.estimates}
    inputs = [{**d, "in": have[d["key"]]} for d in _inputs_json(res.worlds.estimates)]
    diffs = []
    for i in range(1, len(res.ids)):
        block = {}
        for k in keys:
            exact, spread, better = res.difference(i, k)
            block[k] = {"label": label_of(k), "exact": _interval(exact), "with_estimates": _spread_json(exact, spread),
                        "share_of_worlds_better": _r(better, 4)}
        diffs.append({"id": res.ids[i], "versus": res.ids[0], "measures": block})
    best = {k: dict(zip(res.ids, (_r(x, 4) for x in res.best_share(k)))) for k in keys}
    return {"method": "second-order Monte Carlo (the same Latin-hypercube worlds and seeds for every scenario)",
            "worlds": len(res.worlds), "replications": res.scenarios[0].replications, "seed": res.scenarios[0].seed,
            "inputs": inputs, "measures": keys, "lower_is_better": {k: lower_is_better(k) for k in keys},
            "scenarios": [{"id": i, "name": s.scenario, "mix": s.mix, "measures": {m.key: _measure_json(m)
                                                                                 for m in s.measures}}
                          for i, s in zip(res.ids, res.scenarios)],
            "differences": diffs, "best_share": best,
            "replications_simulated": sum(s.replications_run for s in res.scenarios)}
