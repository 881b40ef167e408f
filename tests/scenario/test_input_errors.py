"""One-line input errors for any pydantic model, read against that model's own JSON Schema."""
from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dfu_sched.scenario.input_errors import RANGE_ERRORS, one_line, range_phrase, schema_nodes_at, suggest


class _Inner(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    share: float = Field(default=0.5, ge=0, le=1)


class _Outer(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    weeks: int = Field(default=4, gt=0, le=1040)
    inner: _Inner = Field(default_factory=lambda: _Inner.model_validate({}))


def _error(data: dict) -> ValidationError:
    with pytest.raises(ValidationError) as err:
        _Outer.model_validate(data)
    return err.value


def test_a_number_out_of_range_is_told_its_whole_range():
    schema = _Outer.model_json_schema()
    assert one_line(_error({"inner": {"share": 2}}), schema) == "inner.share: must be a finite number from 0 to 1"
    assert one_line(_error({"weeks": 0}), schema) == "weeks: must be a whole number more than 0 and at most 1,040"
    text = one_line(_error({"inner": {"share": float("nan")}}), schema)
    assert "from 0 to 1" in text and ".inf and .nan" in text


def test_a_misspelt_key_is_named_with_a_suggestion_and_the_allowed_keys():
    text = one_line(_error({"inner": {"shar": 0.1}}), _Outer.model_json_schema())
    assert text == "inner.shar: unknown key 'shar' (did you mean 'share'?) (allowed: share)"
    assert "\n" not in text


def test_the_pieces_used_by_other_models():
    schema = _Outer.model_json_schema()
    assert "greater_than" in RANGE_ERRORS
    assert range_phrase(schema_nodes_at(["weeks"], schema)) == "a whole number more than 0 and at most 1,040"
    assert suggest("mobil", ["mobile", "computer"]) == " (did you mean 'mobile'?)" and suggest("x", ["mobile"]) == ""
