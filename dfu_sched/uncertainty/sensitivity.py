"""``dfu-sched sensitivity`` as library calls: which estimate matters most, for which measure.

Why two steps, as ``sweep``: the command line must refuse a scenario with no ranged inputs, an
unknown ``--measure``, a bad ``--mix`` or ``--method`` (one line, exit 2) before the first
replication runs, and a notebook user wants the same checks. ``plan_sensitivity`` does every check
and sizes the run; ``run_planned`` runs it (Morris screening first when there are many ranged
inputs, then the one-at-a-time tornado: ``morris``, ``oat``); ``sensitivity_json`` is what every
output reads. ``sensitivity`` does the three::

    from dfu_sched.scenario import load_scenario
    from dfu_sched.uncertainty.sensitivity import sensitivity, sensitivity_json
    res = sensitivity(load_scenario("scenarios/north_yorkshire_400k.yaml"), replications=10)
    sensitivity_json(res)["headline"]

The mix: with ``--mix file`` (the default when the scenario has ``investment.mix``) every run has
the scenario's chosen mix applied, as ``compare`` applies it, so on the £400K scenario the tornado
is the chosen mix's; ``--mix none`` is the unit as staffed today (a lever's parameters then get
zero-width bars, exactly).
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dfu_sched import __version__
from dfu_sched.errors import InputError
from dfu_sched.invest.evaluate import prepare
from dfu_sched.invest.measure_keys import measure_names
from dfu_sched.scenario.estimates import Estimate
from dfu_sched.scenario.input_errors import suggest
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import Executor, make_executor
from dfu_sched.sim.measures import label_of
from dfu_sched.uncertainty.morris import TRAJECTORIES, Morris, morris_jobs, run_morris
from dfu_sched.uncertainty.oat import Bar, Oat, oat_jobs, run_oat
from dfu_sched.uncertainty.words import (
    end_texts,
    input_label,
    input_words,
    measure_words,
    mix_words,
    number_text,
    range_text,
    value_text,
)
from dfu_sched.uncertainty.worlds import require_estimates

#: The tornado's measures without ``--measure``: the 12-month backlog, the first tier's P90 wait
#: to start, exposure (``{tier}`` is the scenario's first tier).
DEFAULT_MEASURES = ("invest.backlog_at_12m", "{tier}.wait_to_start_days.p90", "overall.exposure")
METHODS = ("auto", "oat", "morris")
MIXES = ("file", "none")
#: ``--method auto`` screens with Morris first when a scenario has more ranged inputs than this, and
#: the tornado then shows this many (the largest mu*).
MORRIS_ABOVE = 12
#: Replications of each Morris point: a screening ranks inputs, a few paired replications suffice.
SCREEN_REPLICATIONS = 4
#: Most replications one sensitivity run may simulate (a typo such as -n 20000 is refused up front).
MAX_JOBS = 200_000

def _shown(word: str, n: int = 40) -> str:
    """What the user typed, for a message: at most ``n`` characters, anything unprintable as '?' (one line)."""
    return "".join(c if c.isprintable() else "?" for c in str(word)[:n])


def default_measures(sc: Scenario) -> list[str]:
    return [m.format(tier=sc.tier_names[0]) for m in DEFAULT_MEASURES]


def check_measures(sc: Scenario, keys: Sequence[str]) -> list[str]:
    """The ``--measure`` keys, each known for ``sc`` (else one line with a suggestion), duplicates dropped."""
    known = measure_names(sc)
    for k in keys:
        if k not in known:
            raise InputError(f"--measure: unknown measure '{_shown(k, 80)}'{suggest(k, known)} "
                             "(see the README section Sweeps for the names)")
    return list(dict.fromkeys(keys))


def choose_mix(sc: Scenario, mix: str | None) -> tuple[str, dict[str, int]]:
    """``--mix``: (``"file"`` or ``"none"``, the mix applied). Default: ``file`` when the scenario has a mix."""
    has_mix = sc.investment is not None and any(sc.investment.mix.values())
    choice = ("file" if has_mix else "none") if mix is None else str(mix).strip().lower()
    if choice not in MIXES:
        raise InputError(f"--mix: expected 'file' (the scenario's investment.mix) or 'none' (as staffed today), "
                         f"got '{_shown(str(mix))}'{suggest(choice, MIXES)}")
    if choice == "file" and not has_mix:
        raise InputError("--mix file: the scenario has no investment.mix to apply (use --mix none)")
    return choice, (dict(sc.investment.mix) if choice == "file" and sc.investment is not None else {})


def choose_method(method: str | None, n_inputs: int) -> tuple[str, bool]:
    """``--method``: (what was asked, whether Morris screens first). ``auto`` screens above MORRIS_ABOVE inputs."""
    m = "auto" if method is None else str(method).strip().lower()
    if m not in METHODS:
        raise InputError(f"--method: expected one of {', '.join(METHODS)}, got '{_shown(str(method))}'"
                         f"{suggest(m, METHODS)}")
    return m, m == "morris" or (m == "auto" and n_inputs > MORRIS_ABOVE)


@dataclass(frozen=True)
class SensitivityPlan:
    """A sensitivity run checked and sized, ready to run."""

    base: Scenario
    estimates: tuple[Estimate, ...]
    measures: tuple[str, ...]
    replications: int
    seed: int
    mix_choice: str
    mix: dict[str, int]
    mix_key: tuple
    method: str
    screen: bool
    trajectories: int = TRAJECTORIES            #: of the Morris design, when it screens
    screen_replications: int = SCREEN_REPLICATIONS

    @property
    def shown(self) -> int:
        """Inputs the tornado shows (after a screening: the MORRIS_ABOVE largest)."""
        return min(len(self.estimates), MORRIS_ABOVE) if self.screen else len(self.estimates)

    @property
    def jobs(self) -> int:
        screen = morris_jobs(self.estimates, self.screen_replications, self.trajectories) if self.screen else 0
        return screen + oat_jobs(self.estimates[:self.shown], self.replications)


def plan_sensitivity(base: Scenario, measures: Sequence[str] = (), replications: int | None = None,
                     seed: int | None = None, mix: str | None = None, method: str | None = None) -> SensitivityPlan:
    """Every check of a sensitivity run, nothing run (ranged inputs, measures, -n, mix, method, size)."""
    estimates = require_estimates(base, "sensitivity")
    shown = check_measures(base, list(measures) or default_measures(base))
    n = (base.run.replications or 10) if replications is None else int(replications)
    if n < 1:
        raise InputError(f"-n/--replications: must be at least 1 (got {n})")
    choice, chosen = choose_mix(base, mix)
    key = prepare(base, chosen).key if chosen else ()
    asked, screen = choose_method(method, len(estimates))
    plan = SensitivityPlan(base, tuple(estimates), tuple(shown), n, base.run.seed if seed is None else int(seed),
                           choice, chosen, key, asked, screen)
    if plan.jobs > MAX_JOBS:
        raise InputError(f"-n/--replications: {plan.jobs:,} replications in all is over the {MAX_JOBS:,} a "
                         "sensitivity run may simulate (fewer replications, or fewer ranged inputs)")
    return plan


@dataclass(frozen=True)
class Sensitivity:
    """What a sensitivity run found: the tornado (and the screening, when one ran first)."""

    plan: SensitivityPlan
    oat: Oat
    morris: Morris | None
    seconds: float
    workers: int


def run_planned(plan: SensitivityPlan, *, executor: Executor | None = None, workers: int | None = None,
                progress: Callable[[int], None] | None = None) -> Sensitivity:
    """Run a planned sensitivity (screening first when planned) through one executor."""
    ex = make_executor(workers) if executor is None else executor
    t0 = time.perf_counter()
    screening = None
    shown = plan.estimates
    if plan.screen:
        screening = run_morris(plan.base, plan.estimates, plan.measures, plan.screen_replications, plan.seed,
                               mix_key=plan.mix_key, trajectories=plan.trajectories, executor=ex, progress=progress)
        top = set(screening.top(plan.shown))
        shown = tuple(e for e in plan.estimates if e.key in top)
    oat = run_oat(plan.base, shown, plan.measures, plan.replications, plan.seed, mix_key=plan.mix_key, executor=ex,
                  progress=progress)
    jobs = oat.replications_run + (screening.replications_run if screening else 0)
    return Sensitivity(plan, oat, screening, time.perf_counter() - t0, min(ex.workers, jobs))


def sensitivity(base: Scenario, measures: Sequence[str] = (), replications: int | None = None,
                seed: int | None = None, mix: str | None = None, method: str | None = None, *,
                executor: Executor | None = None, workers: int | None = None,
                progress: Callable[[int], None] | None = None) -> Sensitivity:
    """``plan_sensitivity`` then ``run_planned``."""
    plan = plan_sensitivity(base, measures, replications, seed, mix, method)
    return run_planned(plan, executor=executor, workers=workers, progress=progress)


# ---- the JSON every output reads -----------------------------------------------------------------

def _r(x: float | None, digits: int = 6) -> float | None:
    return None if x is None or x != x else round(float(x), digits)


def _interval(iv) -> dict:
    d = iv.as_dict()
    return {"estimate": _r(d["estimate"]), "ci95": [_r(x) for x in d["ci95"]], "n": d["n"]}


def _bar_json(b: Bar, e: Estimate) -> dict:
    return {"key": b.key, "label": input_label(e), "words": input_words(e.key), "range": range_text(e),
            "low_value": b.low_value, "high_value": b.high_value,
            "low_text": end_texts(e)[0], "high_text": end_texts(e)[1],
            "low": _interval(b.low), "high": _interval(b.high), "low_diff": _interval(b.low_diff),
            "high_diff": _interval(b.high_diff), "swing": _r(b.swing)}


def headline(measure: str, bars: list[dict], top: int = 3) -> str:
    """``The 12-month backlog depends most on cases a week (6.0-9.0: 180 to 420 devices), then ...``."""
    name, unit = measure_words(measure)
    moving = [b for b in bars if (b["swing"] or 0) > 0][:top]
    if not moving:
        return f"No ranged input moves {name} in these runs (every bar has zero width)."
    parts = []
    for b in moving:
        lo, hi = b["low"]["estimate"], b["high"]["estimate"]
        scale = max(abs(lo or 0.0), abs(hi or 0.0))
        parts.append(f"{b['words']} ({b['range']}: {number_text(lo, scale)} to {number_text(hi, scale)}"
                     f"{' ' + unit if unit else ''})")
    text = f"{name[0].upper()}{name[1:]} depends most on {parts[0]}"
    if len(parts) > 1:
        text += ", then " + ", then ".join(parts[1:])
    return text + "."


def _screening_json(m: Morris, shown: Sequence[str]) -> dict:
    return {"trajectories": m.trajectories, "levels": m.levels, "replications": m.replications,
            "points": m.trajectories * (len(m.estimates) + 1), "kept": list(shown),
            "measures": {k: [{"key": s.key, "mu_star": _r(s.mu_star), "mu": _r(s.mu), "sigma": _r(s.sigma),
                              "mu_star_conf": _r(s.mu_star_conf)} for s in rows] for k, rows in m.screens.items()}}


def sensitivity_json(res: Sensitivity, source: str | None = None) -> dict:
    """The ``sensitivity`` JSON (kind 'sensitivity'): every bar with its intervals, the base, the method, the run."""
    plan, oat = res.plan, res.oat
    by_key = {e.key: e for e in plan.estimates}
    bars = {m: [_bar_json(b, by_key[b.key]) for b in oat.bars[m]] for m in plan.measures}
    base = plan.base
    return {
        "kind": "sensitivity", "version": __version__, "scenario": base.name, "scenario_file": source,
        "seed": plan.seed, "replications": plan.replications, "horizon_weeks": base.calendar.horizon_weeks,
        "start_date": base.calendar.start_date.isoformat(),
        "method": "morris+oat" if res.morris is not None else "oat", "method_asked": plan.method,
        "mix_choice": plan.mix_choice, "mix": {k: u for k, u in plan.mix.items() if u},
        "mix_label": mix_words(plan.mix),
        "measures": list(plan.measures), "labels": {k: label_of(k) for k in plan.measures},
        "units": {k: measure_words(k)[1] for k in plan.measures},
        "inputs": [{"key": e.key, "words": input_words(e.key), "range": range_text(e), "label": input_label(e),
                    "value": e.value, "value_text": value_text(e, e.value), "low": e.swing[0], "high": e.swing[1],
                    "shape": e.shape, "note": e.note} for e in plan.estimates],
        "base": {m: _interval(oat.base[m]) for m in plan.measures},
        "bars": bars,
        "headline": {m: headline(m, bars[m]) for m in plan.measures},
        "screening": None if res.morris is None else _screening_json(res.morris, [e.key for e in oat.estimates]),
        "run": {"seconds": round(res.seconds, 2), "replications_simulated": res.plan.jobs, "workers": res.workers},
    }
