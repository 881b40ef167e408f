"""A plain simulation loads none of the heavy libraries (issue 13: 75 MB of a run's peak was
``scipy.stats`` imported for nothing). Each check runs in a fresh interpreter, since this test
process has long imported everything."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("scipy.stats", "matplotlib", "ortools", "pandas")

_PROBE = """
import sys
def heavy(step):
    print(step + ":" + ",".join(m for m in {heavy!r} if m in sys.modules))
from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim.experiment import run_experiment
sc = load_scenario({scenario!r})
assert run_experiment(sc, 2, workers=1).replications == 2
heavy("library")
from dfu_sched.cli import main
try:
    main(["simulate", {scenario!r}, "-n", "2", "--workers", "1", "--json"])
except SystemExit as e:
    assert e.code == 0, e.code
heavy("command")
import scipy.stats
heavy("probe")
"""


@pytest.fixture(scope="module")
def heavy_after(tmp_path_factory) -> dict[str, list[str]]:
    """The heavy modules loaded after each step, in one fresh interpreter (imports cost seconds)."""
    text = (ROOT / "scenarios" / "theory" / "mmc_rho85.yaml").read_text(encoding="utf-8")
    long, short = "calendar: {horizon_weeks: 100, warmup_weeks: 10}", "calendar: {horizon_weeks: 4, warmup_weeks: 1}"
    assert long in text
    sc = tmp_path_factory.mktemp("lazy") / "mmc.yaml"
    sc.write_text(text.replace(long, short), encoding="utf-8")
    code = _PROBE.format(heavy=HEAVY, scenario=str(sc))
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True).stdout.splitlines()
    steps = {}
    for line in out:
        step, sep, mods = line.partition(":")
        if sep and step in ("library", "command", "probe"):
            steps[step] = [m for m in mods.split(",") if m]
    return steps


def test_a_plain_mmc_experiment_imports_no_heavy_library(heavy_after):
    assert heavy_after["library"] == []


def test_the_simulate_command_imports_no_heavy_library(heavy_after):
    assert heavy_after["command"] == []


def test_the_probe_sees_a_heavy_import(heavy_after):
    """The checks above could not pass by failing to look: an import of one is seen."""
    assert heavy_after["probe"] == ["scipy.stats"]


@pytest.mark.parametrize("confidence", [0.5, 0.9, 0.95, 0.99])
def test_the_lazy_t_quantile_is_scipy_stats_bit_for_bit(confidence):
    from scipy import stats as sps

    from dfu_sched.stats import _t_ppf

    df = np.concatenate([np.arange(1, 500), [1e3, 1e5]])
    assert np.array_equal(_t_ppf(0.5 + confidence / 2, df), sps.t.ppf(0.5 + confidence / 2, df))
    assert _t_ppf(0.5 + confidence / 2, 4) == sps.t.ppf(0.5 + confidence / 2, 4)


def test_the_lazy_inverse_cdfs_are_unchanged():
    from scipy import stats as sps

    from dfu_sched.scenario.distributions import Gamma, LogNormal

    u = np.random.default_rng(3).random(1000)
    ln = LogNormal.model_validate({"dist": "lognormal", "mean": 10.0, "sd": 6.0})
    mu, sigma = ln._params()
    assert np.array_equal(ln.ppf(u), np.exp(mu + sigma * sps.norm.ppf(u)))
    g = Gamma.model_validate({"dist": "gamma", "mean": 10.0, "sd": 4.0})
    assert np.array_equal(g.ppf(u), sps.gamma.ppf(u, 6.25, scale=10.0 / 6.25))
