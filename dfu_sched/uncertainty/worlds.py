"""Plausible worlds: one value for every ranged input, drawn reproducibly, made into a scenario.

Why Latin hypercube: a world is a point in the space of the ranged inputs, and with a few dozen
outer draws a Latin hypercube covers every input's range evenly (each of n equal-probability slices
of every input is used once), where plain random draws leave gaps. The uniforms come from
``scipy.stats.qmc.LatinHypercube`` seeded from the run's seed, and become values through each
estimate's inverse CDF (``Estimate.ppf``), so the same seed gives the same worlds on any machine.

A world's scenario is the base scenario's data with the inputs set (``estimates.set_values``) and
validated again; the range ends were validated when the file was read, so any value inside them
gives a valid scenario.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dfu_sched.errors import InputError
from dfu_sched.scenario.estimates import Estimate, set_values
from dfu_sched.scenario.schema import Scenario, parse_scenario

#: Most outer draws (worlds) one run may ask for.
MAX_WORLDS = 2_000


@dataclass(frozen=True)
class Worlds:
    """``values[i, j]``: input ``estimates[j]`` in world ``i``."""

    estimates: tuple[Estimate, ...]
    values: np.ndarray

    def __len__(self) -> int:
        return int(self.values.shape[0])

    @property
    def keys(self) -> list[str]:
        return [e.key for e in self.estimates]


def require_estimates(sc: Scenario, what: str) -> tuple[Estimate, ...]:
    """The scenario's ranged inputs, or one line saying how to give some."""
    if not sc.estimates:
        raise InputError(f"{what} needs ranged inputs: give an estimate a range in the scenario file, e.g. "
                         "screen_out_share: {value: 0.30, low: 0.20, high: 0.50} (docs/uncertainty.md)")
    return sc.estimates


def world_seed(seed: int, world: int) -> int:
    """An integer seed for world ``world``'s own replications (independent of every other world)."""
    return int(np.random.SeedSequence(seed, spawn_key=(0x5EED, world)).generate_state(1, np.uint64)[0] >> 1)


def sample_worlds(estimates: Sequence[Estimate], n: int, seed: int) -> Worlds:
    """``n`` worlds by Latin hypercube over the estimates' laws (the same for the same seed)."""
    if not 1 <= n <= MAX_WORLDS:
        raise InputError(f"--worlds: must be from 1 to {MAX_WORLDS:,} (got {n})")
    from scipy.stats import qmc  # lazy: a plain run never loads scipy.stats

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x0E57,)))
    u = qmc.LatinHypercube(d=len(estimates), seed=rng).random(n)
    values = np.column_stack([e.ppf(u[:, j]) for j, e in enumerate(estimates)]) if estimates else np.zeros((n, 0))
    return Worlds(tuple(estimates), values)


def central_values(estimates: Sequence[Estimate]) -> np.ndarray:
    return np.array([e.value for e in estimates], dtype=float)


def world_scenario(base: Scenario, estimates: Sequence[Estimate], values: Sequence[float]) -> Scenario:
    """The base scenario with each estimate's input at its value (no ranges carried)."""
    data = set_values(base.model_dump(mode="json", by_alias=True), estimates, values)
    return parse_scenario(data, source=f"{base.name} (a world of its ranged inputs)")
