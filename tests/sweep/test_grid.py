"""Reading ``--grid``: values, key paths, every point validated, one-line errors naming the option and key."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dfu_sched.cli import main
from dfu_sched.errors import InputError
from dfu_sched.sweep import grid as grid_mod
from dfu_sched.sweep.grid import build_grid, parse_axis, parse_values, set_path
from tests.helpers import small
from tests.sweep.builders import unit, unit_file


@pytest.mark.parametrize(("text", "values"), [
    ("3..7", (3, 4, 5, 6, 7)), ("3..7..2", (3, 5, 7)), ("-1..1", (-1, 0, 1)), ("4..4", (4,)),
    ("0,1,2,3", (0, 1, 2, 3)), ("6, 7.5 ,9", (6, 7.5, 9)), ("fifo,priority", ("fifo", "priority")),
    ("1e2", (100.0,)), ("weekly-plan", ("weekly-plan",)),
])
def test_values(text, values):
    got = parse_values(text, "--grid k")
    assert got == values and [type(v) for v in got] == [type(v) for v in values]


@pytest.mark.parametrize(("text", "match"), [
    ("7..3", "ends below its start"), ("3..7..0", "step of '3..7..0' must be"), ("3..", "cannot read the range"),
    ("0.5..2", "whole numbers"), ("1,,2", "an empty value"), ("", "an empty value"), ("a b", "neither a number"),
    ("0..100000", "100,001 values"), ("1e999", "not a finite number"),
])
def test_bad_values_are_one_line(text, match):
    with pytest.raises(InputError, match=match) as err:
        parse_values(text, "--grid k")
    assert str(err.value).startswith("--grid k: ") and "\n" not in str(err.value)


def test_keys_address_named_groups_and_list_positions():
    data = unit().model_dump(mode="json", by_alias=True)
    set_path(data, "examiners.ann.count", 4)
    set_path(data, "backlog.1.count", 2)
    set_path(data, "tiers.VH.target_days", 2)
    assert data["examiners"][0]["count"] == 4 and data["backlog"][1]["count"] == 2
    assert data["tiers"][0]["target_days"] == 2
    g = build_grid(unit(), ["examiners.ann.count=1..3", "policy.discipline=fifo,priority"])
    assert len(g.points) == 6 and g.points[1].values == (1, "priority")  # the first key varies slowest
    assert g.points[5].scenario.examiners[0].count == 3 and g.points[5].scenario.policy.discipline == "priority"
    assert g.label(g.points[1]) == "examiners.ann.count=1, policy.discipline=priority"


@pytest.mark.parametrize(("grid", "match"), [
    ("examiners.anne.count=1,2", r"^--grid examiners\.anne\.count=1: unknown examiner group 'anne' "
                                 r"\(did you mean 'ann'\?\) \(known: ann\)$"),
    ("examiners.ann.cuont=1", r"^--grid examiners\.ann\.cuont=1: .*unknown key 'cuont' \(did you mean 'count'\?\)"),
    ("examiners.ann.count=-1,2", r"^--grid examiners\.ann\.count=-1: examiners.*must be a whole number from 0"),
    ("policy.discipline=fifo,fast", r"^--grid policy\.discipline=fast: .*unknown discipline|^--grid policy\.discipline"
                                    r"=fast: .*fast"),
    ("polcy.discipline=fifo", r"^--grid polcy\.discipline=fifo: unknown key 'polcy' \(did you mean 'policy'\?\)"),
    ("examiners.ann=3", r"'examiners\.ann' is a section, not a value"),
    ("arrivals.cases_per_week.x=3", r"'arrivals\.cases_per_week' is a value, not a section"),
    ("investment.mix.overtime=1", r"'investment' is not set in the scenario"),
    ("backlog.7.count=1", r"unknown entry '7' \(known: 0 to 1\)"),
    ("examiners.ann.count", r"^--grid: cannot read 'examiners\.ann\.count'; write KEY=VALUES"),
    ("exam iners=1", r"^--grid: 'exam iners' is not a key path"),
    ("run.seed=1,2", r"^--grid run\.seed: the run settings are the same for every point \(use -n and --seed\)"),
])
def test_grid_errors_name_the_option_and_key(grid, match):
    with pytest.raises(InputError, match=match) as err:
        build_grid(unit(), [grid])
    assert "\n" not in str(err.value)


def test_investment_mix_keys_are_checked_by_the_levers():
    sc = small(horizon_weeks=8, backlog_divisor=20)
    with pytest.raises(InputError, match=r"^--grid investment\.mix\.overtyme=1: .*unknown option 'overtyme'"):
        build_grid(sc, ["investment.mix.overtyme=1"])
    mx = sc.investment.option("overtime").max_units_in(sc)
    with pytest.raises(InputError, match=rf"exceed the option's maximum of {mx}"):
        build_grid(sc, [f"investment.mix.overtime=0,{mx + 1}"])


def test_a_point_invalid_only_in_combination_is_named_whole():
    # warm-up 6 weeks is fine with the 8-week horizon, and a 5-week horizon with no warm-up; not together
    with pytest.raises(InputError, match=r"^--grid: the point calendar\.warmup_weeks=6, calendar\.horizon_weeks=5 "
                                         r"gives an invalid scenario: calendar"):
        build_grid(unit(), ["calendar.warmup_weeks=0,6", "calendar.horizon_weeks=8,5"])


def test_repeated_keys_and_too_many_points_are_refused(monkeypatch):
    with pytest.raises(InputError, match=r"^--grid examiners\.ann\.count: given twice"):
        build_grid(unit(), ["examiners.ann.count=1", "examiners.ann.count=2"])
    monkeypatch.setattr(grid_mod, "MAX_POINTS", 5)
    with pytest.raises(InputError, match=r"^--grid: 6 points \(the most is 5\)"):
        build_grid(unit(), ["examiners.ann.count=1..3", "policy.discipline=fifo,priority"])
    with pytest.raises(InputError, match="at least one KEY=VALUES"):
        build_grid(unit(), [])


def test_parse_axis_keeps_the_key_and_values():
    a = parse_axis(" arrivals.cases_per_week = 6,7.5 ")
    assert (a.key, a.values, a.option, a.is_investment) == ("arrivals.cases_per_week", (6, 7.5),
                                                            "--grid arrivals.cases_per_week", False)


# ---- fuzz: whatever is typed after --grid, one line and exit 2, never a traceback ------------------

KEYS = st.sampled_from(["examiners.ann.count", "examiners.ann.hours_per_week", "arrivals.cases_per_week",
                        "policy.discipline", "calendar.horizon_weeks", "backlog.0.count", "tiers.VH.target_days",
                        "examiners", "investment.mix.x", "run.seed", "stages.triage.enabled"])
PIECES = st.sampled_from(["0", "1", "3", "-2", "7", "..", ",", ".", "e", "1e9", "nan", "inf", "fifo", "priority",
                          "x", " ", "=", "£", "\n", "\x85", "999999999999", "2.5", "true"])
GRIDS = st.one_of(
    st.builds(lambda k, v: f"{k}={v}", KEYS, st.lists(PIECES, max_size=6).map("".join)),
    st.lists(PIECES, max_size=8).map("".join),
    st.text(max_size=30),
)


@pytest.fixture(scope="module")
def unit_yaml(tmp_path_factory):
    return unit_file(tmp_path_factory.mktemp("fuzz"))


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(grids=st.lists(GRIDS, min_size=1, max_size=2))
def test_fuzzed_grid_options_fail_in_one_line_with_exit_2(unit_yaml, grids):
    """``--csv`` names a .txt file, so a grid that is valid stops at the output check (also exit 2): no
    example runs a simulation, and each either names --grid or the output."""
    args = ["sweep", str(unit_yaml), "--csv", str(unit_yaml.with_suffix(".txt")), "-q"]
    for g in grids:
        args += ["--grid", g]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2, (grids, res.output, res.exception)
    err = res.stderr if hasattr(res, "stderr") else res.output
    lines = [x for x in err.splitlines() if x]
    assert len(lines) == 1 and lines[0].startswith("error: "), (grids, err)
    assert "Traceback" not in err
    assert lines[0].startswith(("error: --grid", "error: --csv", "error: sweep: "))
