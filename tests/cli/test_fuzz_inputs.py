"""Hypothesis fuzzing of everything a user types or edits: scenario YAML (structure and numbers),
risk models, investment options and command-line options.

The contract checked for every generated input: either it is accepted and then runs to a finite
result, or it is refused with one line (naming the file), exit code 2 on the command line; never a
traceback, never a hang, never a silently non-finite number, never a pydantic web link, and never
the text of a value the user wrote where a number, date or flag belongs (such a value may be a case
reference pasted into the wrong cell: the ``SENTINEL`` below stands for one).

Runs in the normal suite with 25 examples each (profile ``default``: about 12 s in all); set
``DFU_FUZZ=long`` for a longer search (``DFU_FUZZ=long python -m pytest tests/test_fuzz_inputs.py``).
Examples are derandomised, so a run is the same on every machine.
"""
from __future__ import annotations

import copy
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from dfu_sched.cli import main
from dfu_sched.errors import InputError
from dfu_sched.scenario.schema import load_scenario
from tests.helpers import MINI

settings.register_profile("default", max_examples=25, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("long", max_examples=400, deadline=None, derandomize=False,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile("long" if os.environ.get("DFU_FUZZ") == "long" else "default")

SENTINEL = "C-REF-0042-SECRET"
#: Simulate accepted scenarios only up to this many estimated events (keeps each example fast).
SIM_BUDGET_EVENTS = 40_000

# ---- a base scenario touching every section --------------------------------------------------------

BASE = copy.deepcopy(MINI)
BASE.update({
    "description": "fuzz base",
    "calendar": {"start_date": "2024-01-01", "horizon_weeks": 6, "warmup_weeks": 0},
    "run": {"replications": 2, "seed": 3},
    "tiers": [{"name": "VH", "weight": 8, "target_days": 1}, {"name": "H", "weight": 4, "target_days": 7},
              {"name": "M", "weight": 2, "target_days": 14}, {"name": "L", "weight": 1, "target_days": 30}],
    "arrivals": {"cases_per_week": 3, "periods": [{"from_week": 2, "cases_per_week": 4}], "annual_growth": 0.05,
                 "devices_per_case": {"dist": "one-plus-poisson", "mean": 1.5},
                 "tier_mix": {"VH": 0.1, "H": 0.2, "M": 0.3, "L": 0.4},
                 "device_mix": {"phone": 0.6, "computer": 0.4}},
    "device_types": {
        "phone": {"skill": "mobile", "service_hours": {
            "triage": {"dist": "fixed", "value": 0.5},
            "examination": {"dist": "lognormal", "mean": 8, "sd": 4}}},
        "computer": {"skill": "computer", "service_hours": {
            "triage": {"dist": "uniform", "low": 0.2, "high": 1.0},
            "examination": {"dist": "gamma", "mean": 12, "sd": 6}}},
    },
    "stages": {"extraction": {"enabled": False}, "triage": {"enabled": False, "servers": 1}},
    "examiners": [{"name": "ann", "count": 2, "skills": ["mobile", "computer"], "hours_per_week": 37.5,
                   "start_hour": 8, "absence": 0.1, "productivity": 1.0},
                  {"name": "bob", "count": 1, "skills": ["computer"], "start_week": 1, "ramp_up_weeks": 2,
                   "leave_week": 5}],
    "backlog": [{"device_type": "phone", "tier": "H", "count": 5, "age_days": {"dist": "exponential", "mean": 30}},
                {"device_type": "computer", "tier": "L", "count": 3,
                 "age_days": {"dist": "empirical", "samples": [10, 20, 300]}}],
    "policy": {"discipline": "aging", "expedite_share": 0.05},
    "measures": {"wait_thresholds_days": [3, 30]},
})

INVESTMENT = {
    "budget_gbp": 200000,
    "options": [
        {"kind": "hire_examiners", "name": "hire", "annual_cost_gbp": 50000, "recruitment_gbp": 2000,
         "lag_weeks": 1, "ramp_up_weeks": 2, "skills": ["mobile"], "max_count": 2, "source": "estimate"},
        {"kind": "overtime", "name": "ot", "rate_gbp_per_hour": 40, "cap_hours_per_person_per_week": 8,
         "step_hours_per_week": 4, "weeks": 4},
        {"kind": "outsourcing", "name": "out", "price_gbp_by_type": {"phone": 900}, "step_devices_per_week": 1,
         "max_devices_per_week": 2, "start_week": 1, "contract_weeks": 4,
         "turnaround_days": {"dist": "fixed", "value": 10}},
        {"kind": "triage_kit", "name": "kit", "capital_gbp": 10000, "running_gbp_per_year": 1000,
         "screen_out_share": 0.2},
        {"kind": "automation", "name": "auto", "licence_gbp_per_year": 5000, "time_saved_share": 0.2},
        {"kind": "training", "name": "train", "cost_gbp_per_person": 1500, "productivity_gain": 0.1, "max_count": 2},
    ],
}

RISK = {"name": "fuzz", "version": 1,
        "factors": {"a": {"points": 10, "label": "A", "cap": 2}, "b": {"points": 3}, "c": {"points": 0.5, "cap": 4}},
        "tiers": [{"name": "VH", "min_score": 20}, {"name": "H", "min_score": 10}, {"name": "L", "min_score": 0}]}

#: YAML written verbatim in place of a value: tags, impossible dates, special floats, aliases, nesting.
RAW_YAML = [
    ".inf", "-.inf", ".nan", ".NaN", "!!float abc", "!!float ''", "!!int 0x", "!!int 12abc", "!!timestamp x",
    "2023-02-30", "2023-13-01", "2023-00-01", "9999-12-01", "0001-01-01", "1e400", "-1e400", "0x1F", "0o17",
    "!!binary abc", "!!str 12", "!!bool maybe", "!!python/object:os.system x", "!!set {a, b}", "!!omap [a: 1]",
    "~", "*undefined", "&a [*a]", "{a: 1, a: 2}", "[" * 80 + "]" * 80, "'" + SENTINEL + "'",
    "2024-01-01 25:00:00", "!!null x", "[1, 2", "{a: b: c}", "\"\\x00\"",
]

NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10 ** 25), max_value=10 ** 25),
    st.sampled_from([0, 1, -1, 2, 0.5, 1e-300, 1e300, 1e19, 2 ** 63, 2 ** 64, 8.9999, 23.9999, 1040, 10_000_000]),
)
SMALL = st.one_of(NUMBERS, st.booleans(), st.none(), st.text(max_size=8))


def values(numeric_leaf: bool):
    """Replacement values; the sentinel only goes where a number, date or flag belongs."""
    options = [NUMBERS, st.floats(0, 50), st.integers(0, 20), st.booleans(), st.none(), st.text(max_size=12),
               st.lists(SMALL, max_size=4), st.dictionaries(st.text(max_size=6), SMALL, max_size=3),
               st.integers(0, len(RAW_YAML) - 1).map(lambda i: _Raw(RAW_YAML[i]))]
    if numeric_leaf:
        options.append(st.just(SENTINEL))
    return st.one_of(*options)


class _Raw:
    """A value to be written as raw YAML text (for tags and dates safe_dump cannot produce)."""

    def __init__(self, text: str):
        self.text = text


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _get(node, path):
    for p in path:
        node = node[p]
    return node


def _is_numeric_leaf(value) -> bool:
    return isinstance(value, (int, float, bool)) or bool(re.fullmatch(r"\d{4}-\d\d-\d\d", str(value)))


@st.composite
def mutated(draw, base: dict, under: tuple = ()):
    """``base`` with 1-3 random edits (replace, delete, add an unknown key, nest deeply) below ``under``."""
    data = copy.deepcopy(base)
    raws: dict[str, str] = {}
    for _ in range(draw(st.integers(1, 3))):
        try:
            root = _get(data, under)
        except (KeyError, IndexError, TypeError):  # an earlier edit replaced the section itself
            break
        paths = [p for p in _paths(root, under) if len(p) > len(under)]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _get(data, path[:-1]), path[-1]
        op = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "nest"]))
        if op == "replace":
            new = draw(values(_is_numeric_leaf(parent[key])))
            if isinstance(new, _Raw):
                token = f"RAWVALUE{len(raws)}"
                raws[token] = new.text
                new = token
            parent[key] = new
        elif op == "delete":
            del parent[key]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "skils", "mean_", "count ", "dist"]))] = draw(SMALL)
        elif op == "nest":
            depth = draw(st.sampled_from([2, 30, 70, 200]))
            value = 1
            for _ in range(depth):
                value = [value]
            parent[key] = value
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    for token, raw in raws.items():
        text = text.replace(token, raw)
    return text


# ---- the contract ------------------------------------------------------------------------------------

def assert_clean(message: str, source: str | None = None) -> None:
    assert "\n" not in message.strip(), message
    assert "Traceback" not in message and "https://" not in message and "errors.pydantic" not in message, message
    assert SENTINEL not in message, message
    assert len(message) < 1500, message
    if source is not None:
        assert source in message, message


def assert_finite_tree(node, where="") -> None:
    """No inf/nan anywhere in JSON-like output (None stands for 'no value')."""
    if isinstance(node, dict):
        for k, v in node.items():
            assert_finite_tree(v, f"{where}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            assert_finite_tree(v, f"{where}[{i}]")
    elif isinstance(node, float):
        assert math.isfinite(node), where


def run_accepted_scenario(sc) -> None:
    """An accepted scenario sizes, runs (when small) and gives finite results."""
    from dfu_sched.reports.text import simulation_text
    from dfu_sched.sim.experiment import check_size, run_experiment

    try:
        est = check_size(sc, 2)
    except InputError as exc:
        assert_clean(str(exc))
        return
    assert math.isfinite(est.devices) and math.isfinite(est.events)
    if est.events_per_replication > SIM_BUDGET_EVENTS or sc.policy.discipline == "weekly-plan":
        return
    res = run_experiment(sc, 2, 0, 1)
    event("simulated")
    for key, v in res.scalars.items():
        assert not np.isinf(v).any(), key
    for key in ("overall.exposure", "overall.started", "overall.waiting_at_end"):
        assert np.isfinite(res.scalars[key]).all(), key
    for key, m in res.weekly.items():
        assert not np.isinf(m).any(), key
    summary = res.summary()
    assert_finite_tree(summary)
    json.dumps(summary, allow_nan=False)
    simulation_text(summary)


def load_text(tmp_path: Path, text: str, name: str = "fuzz.yaml", source: str | None = None):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    try:
        sc = load_scenario(path)
    except InputError as exc:
        assert_clean(str(exc), source or name)
        event("refused")
        return None
    event("accepted")
    return sc


# ---- scenario YAML ------------------------------------------------------------------------------------

@given(text=mutated(BASE))
def test_fuzz_scenario_yaml(tmp_path_factory, text):
    sc = load_text(tmp_path_factory.mktemp("sc"), text)
    if sc is not None:
        run_accepted_scenario(sc)


@given(text=mutated(BASE, ("arrivals",)) | mutated(BASE, ("device_types",)) | mutated(BASE, ("examiners",)))
def test_fuzz_scenario_numbers_that_drive_the_run(tmp_path_factory, text):
    sc = load_text(tmp_path_factory.mktemp("sc"), text)
    if sc is not None:
        run_accepted_scenario(sc)


@given(base=mutated(BASE, ("calendar",)), variant=st.sampled_from(
    ["extends: base.yaml\n", "extends: /dev/zero\n", "extends: .\n", "extends: variant.yaml\n",
     "extends: [base.yaml]\n", "extends: missing.yaml\n", "extends: base.yaml\nrun: {seed: .nan}\n",
     "extends: base.yaml\ncalendar: {horizon_weeks: 1e400}\n"]))
def test_fuzz_extends(tmp_path_factory, base, variant):
    folder = tmp_path_factory.mktemp("ext")
    (folder / "base.yaml").write_text(base, encoding="utf-8")
    sc = load_text(folder, variant, "variant.yaml", source=".yaml")  # the variant or its base
    if sc is not None:
        run_accepted_scenario(sc)


# ---- risk models --------------------------------------------------------------------------------------

@given(text=mutated(RISK), values=st.dictionaries(st.sampled_from(["a", "b", "c"]),
                                                  st.floats(0, 1e6, allow_nan=False), max_size=3))
def test_fuzz_risk_model(tmp_path_factory, text, values):
    from dfu_sched.plan.risk import assess, load_risk_model

    path = tmp_path_factory.mktemp("risk") / "risk.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        model = load_risk_model(path)
    except InputError as exc:
        assert_clean(str(exc), "risk.yaml")
        return
    known = {k: v for k, v in values.items() if k in model.factors}
    result = assess(model, known, None)
    assert math.isfinite(result.score) and result.tier in model.tier_names
    for t in model.tiers:
        assert math.isfinite(t.min_score)


# ---- investment options ---------------------------------------------------------------------------------

@given(text=mutated({**BASE, "investment": INVESTMENT}, ("investment",)),
       units=st.lists(st.integers(0, 3), min_size=6, max_size=6))
def test_fuzz_investment_options(tmp_path_factory, text, units):
    from dfu_sched.invest.evaluate import prepare
    from dfu_sched.scenario.levers import cost_profile, max_units

    sc = load_text(tmp_path_factory.mktemp("inv"), text)
    if sc is None or sc.investment is None:
        return
    mix = {o.name: min(u, max_units(o, sc)) for o, u in zip(sc.investment.options, units)}
    profile = cost_profile(sc, mix)
    assert_finite_tree(profile)
    try:
        prepared = prepare(sc, mix)
    except InputError as exc:
        assert_clean(str(exc))
        return
    assert math.isfinite(prepared.cost) and prepared.cost >= 0
    run_accepted_scenario(prepared.scenario)


# ---- command-line options ------------------------------------------------------------------------------

OPTION_TEXT = st.one_of(
    st.sampled_from(["inf", "-inf", "nan", "NaN", "1e400", "-0", "0", "-1", "2.5", "1e3", "", " ", "£", "400k",
                     "1.2m", "£-5", "0x10", "9" * 400, "2024-02-30", "2024-06-03", "9999-12-31", "3", "12",
                     "VH.wait_to_start_days.p90<=7", "VH+H.wait_to_start_days.p90<=1.2.3",
                     "overall.within_target_share>=.5", "x<=nan", "high-risk-week", "vh-day"]),
    st.text(max_size=12),
    st.integers(-5, 6).map(str),
)


@pytest.fixture(scope="module")
def small_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    sc = folder / "small.yaml"
    sc.write_text(yaml.safe_dump({**BASE, "calendar": {"start_date": "2024-01-01", "horizon_weeks": 10}}))
    inv = folder / "invest.yaml"
    inv.write_text(yaml.safe_dump({**BASE, "calendar": {"start_date": "2024-01-01", "horizon_weeks": 10},
                                   "investment": {"budget_gbp": 60000, "options": INVESTMENT["options"][:2]}}))
    return sc, inv


def assert_cli_contract(res) -> None:
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise AssertionError(f"traceback: {res.exception!r}") from res.exception
    assert res.exit_code in (0, 2), (res.exit_code, res.output)
    if res.exit_code == 2:
        err = res.stderr.strip()
        assert err.startswith("error: ") and len(err.splitlines()) == 1, err
        assert "Traceback" not in res.output and "https://" not in err


@given(n=OPTION_TEXT, seed=OPTION_TEXT, workers=OPTION_TEXT)
def test_fuzz_simulate_options(small_files, n, seed, workers):
    sc, _ = small_files
    args = ["simulate", str(sc), "-q", "--workers", "1"]
    try:
        n_int = int(n)
    except ValueError:
        n_int = None
    if n_int is None or n_int <= 6:  # large valid counts would only be slow
        args += ["-n", n]
    args += ["--seed", seed]
    res = CliRunner().invoke(main, args)
    assert_cli_contract(res)


@given(budget=OPTION_TEXT, target=st.none() | OPTION_TEXT, by=st.none() | OPTION_TEXT)
def test_fuzz_invest_options(small_files, budget, target, by):
    _, inv = small_files
    args = ["invest", str(inv), "-n", "4", "-q", "--workers", "1", "--budget", budget]
    if target is not None:
        args += ["--target", target]
    if by is not None:
        args += ["--by", by]
    res = CliRunner().invoke(main, args)
    assert_cli_contract(res)
