"""The JSON Schema for editors accepts a range wherever it accepts a number, and nothing looser.

Checked two ways: by structure (every number node of the schema is ``anyOf: [number, Range]``), and,
with ``jsonschema`` (installed with the app extra), by validating the shipped scenarios -- the £400K
case carries ranges -- and a few wrong ranges that an editor should flag.
"""
from __future__ import annotations

import copy
import json

import pytest

from dfu_sched.errors import InputError
from dfu_sched.scenario.estimates import RANGE_KEYS, SHAPES
from dfu_sched.scenario.range_schema import RANGE_REF, with_ranges
from dfu_sched.scenario.schema import Scenario, parse_scenario, read_scenario_data, scenario_json_schema
from tests.helpers import ROOT

SCENARIOS = ROOT / "scenarios"
RANGED = SCENARIOS / "north_yorkshire_400k.yaml"


def _nodes(node, path="$"):
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            if k not in ("default", "examples", "enum", "const"):
                yield from _nodes(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _nodes(v, f"{path}[{i}]")


def test_every_number_of_the_schema_may_be_a_range():
    schema = scenario_json_schema()
    rng = schema["$defs"]["Range"]
    assert set(rng["properties"]) == set(RANGE_KEYS) and rng["properties"]["shape"]["enum"] == list(SHAPES)
    assert rng["required"] == ["value"] and rng["additionalProperties"] is False
    numbers = [(p, n) for p, n in _nodes(schema) if n.get("type") in ("number", "integer")
               and not p.startswith("$.$defs.Range")]
    assert len(numbers) > 50
    for path, _ in numbers:  # each number sits as the first branch of an anyOf whose second is a Range
        parent_path = path.rsplit(".anyOf[0]", 1)
        assert len(parent_path) == 2 and parent_path[1] == "", path
    wrapped = [n for _, n in _nodes(schema) if isinstance(n.get("anyOf"), list) and {"$ref": RANGE_REF} in n["anyOf"]]
    assert len(wrapped) == len(numbers)
    # annotations stay outside, where editors show them
    absence = schema["$defs"]["ExaminerGroup"]["properties"]["absence"]
    assert "description" in absence and absence["anyOf"][0]["type"] == "number"
    assert absence["anyOf"][0]["exclusiveMaximum"] == 1 and "exclusiveMaximum" not in absence
    # the raw pydantic schema is not modified
    raw = Scenario.model_json_schema(by_alias=True)
    assert with_ranges(copy.deepcopy(raw)) == with_ranges(raw) and "Range" not in raw.get("$defs", {})


def test_error_messages_still_name_the_allowed_range():
    data = read_scenario_data(SCENARIOS / "north_yorkshire_2022.yaml")
    data["examiners"][0]["absence"] = 1.5
    with pytest.raises(InputError) as err:
        parse_scenario(data)
    assert "examiners[0].absence" in str(err.value) or "absence" in str(err.value)
    assert "from 0" in str(err.value) or "below 1" in str(err.value), str(err.value)


@pytest.fixture(scope="module")
def validator():
    jsonschema = pytest.importorskip("jsonschema")
    return jsonschema.Draft202012Validator(scenario_json_schema())


def _json_data(path):
    """The scenario's data as an editor sees it (dates as text, as in a JSON or YAML editor)."""
    return json.loads(json.dumps(read_scenario_data(path), default=str))


def test_the_shipped_scenarios_including_the_ranged_one_validate_against_the_schema(validator):
    files = [*sorted(SCENARIOS.glob("*.yaml")), *sorted((SCENARIOS / "theory").glob("*.yaml")),
             SCENARIOS / "examples" / "history_truth.yaml"]
    assert RANGED in files and len(files) > 10
    for path in files:
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_json_data(path))]
        assert not errors, (path.name, errors[:3])
    assert parse_scenario(read_scenario_data(RANGED)).estimates  # it does carry ranges


def test_a_fitted_scenario_validates_against_the_schema(validator):
    import yaml

    from dfu_sched.calibrate.fit import fit_history
    from tests.calibrate.fit_history_builder import Truth, synthetic_history

    fit = fit_history(synthetic_history(Truth(weeks=30), seed=2))
    assert fit.scenario is not None and fit.scenario.estimates
    data = json.loads(json.dumps(yaml.safe_load(fit.yaml_text), default=str))
    assert not [e.message for e in validator.iter_errors(data)]


@pytest.mark.parametrize("bad", [
    {"value": 0.3, "low": 0.2},                       # low without high
    {"value": 0.3, "low": 0.2, "high": 0.5, "shape": "lognormal"},
    {"value": 0.3, "sd": -0.1},
    {"value": 0.3, "draws": [0.3]},                   # one draw
    {"value": 0.3, "lo": 0.2, "high": 0.5},           # a misspelt key
])
def test_a_malformed_range_is_flagged_by_the_schema(validator, bad):
    data = _json_data(RANGED)
    data["policy"]["expedite_share"] = bad
    assert list(validator.iter_errors(data)), bad
