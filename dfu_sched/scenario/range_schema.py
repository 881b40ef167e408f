"""The scenario JSON Schema with ranges allowed wherever it has a number, so editors accept them.

Why a post-processing step: ranges (``{value: 0.30, low: 0.20, high: 0.50}``, ``{value: 71.2, sd:
2.1}``, ``{value: 6.0, draws: [...]}``; see ``scenario/estimates.py``) are taken out of the data
before pydantic sees it, so the models (and the schema pydantic generates from them) know only
numbers. An editor that validates a file against that schema would flag every range as an error.
:func:`with_ranges` rewrites every number node as ``anyOf: [number, {$ref: "#/$defs/Range"}]``
(keeping its title, description and default outside, where editors show them) and adds the
``Range`` definition. The range's ends are still checked against the field when the file is read
(``estimates.check_range_ends``); the schema says only what shape a range has.
"""
from __future__ import annotations

from typing import Any

from dfu_sched.scenario.estimates import MAX_DRAWS, RANGE_KEYS, SHAPES

RANGE_REF = "#/$defs/Range"
#: Annotations kept on the outer node (what an editor shows on hover), not on the number branch.
_OUTER = ("title", "description", "default", "examples")


def range_definition() -> dict[str, Any]:
    """The ``Range`` definition: the keys and shapes ``estimates.parse_range`` accepts."""
    number = {"type": "number"}
    return {
        "title": "Range",
        "description": "An estimate with its uncertainty: every command runs with value; dfu-sched sensitivity "
                       "and --input-uncertainty move it. {value, low, high[, shape]} (triangular by default), "
                       "{value, sd[, low, high]} (normal, e.g. a fitted value and its standard error) or "
                       "{value, draws: [...]} (bootstrap draws). Mix shares (tier_mix, device_mix) must sum to 1 "
                       "and cannot carry ranges.",
        "type": "object",
        "properties": {
            "value": {**number, "description": "The central value: what every command runs with."},
            "low": {**number, "description": "Smallest plausible value (give high too)."},
            "high": {**number, "description": "Largest plausible value (give low too)."},
            "sd": {**number, "exclusiveMinimum": 0, "description": "Standard error: a normal law, truncated to "
                   "[low, high] when given, else to value +- 3 sd."},
            "draws": {"type": "array", "items": number, "minItems": 2, "maxItems": MAX_DRAWS,
                      "description": "Bootstrap draws of the value."},
            "shape": {"enum": list(SHAPES), "description": "The law on [low, high]: triangular (mode = value), "
                      "uniform, pert; normal with sd; draws with draws."},
            "note": {"type": "string", "description": "Where the range comes from."},
        },
        "required": ["value"],
        "anyOf": [{"required": ["low", "high"]}, {"required": ["sd"]}, {"required": ["draws"]}],
        "dependentRequired": {"low": ["high"], "high": ["low"]},
        "additionalProperties": False,
    }


def _is_number(node: dict) -> bool:
    return node.get("type") in ("number", "integer") and "anyOf" not in node


def _wrap(node: dict) -> dict:
    outer = {k: node[k] for k in _OUTER if k in node}
    inner = {k: v for k, v in node.items() if k not in _OUTER}
    return {**outer, "anyOf": [inner, {"$ref": RANGE_REF}]}


def _visit(node: Any) -> Any:
    if isinstance(node, list):
        return [_visit(v) for v in node]
    if not isinstance(node, dict):
        return node
    if _is_number(node):
        return _wrap(node)
    return {k: (_visit(v) if k not in ("default", "examples", "enum", "const") else v) for k, v in node.items()}


def with_ranges(schema: dict) -> dict:
    """A copy of a scenario JSON Schema in which every number may also be a :func:`range_definition`."""
    out = _visit(schema)
    out.setdefault("$defs", {})["Range"] = range_definition()
    assert set(out["$defs"]["Range"]["properties"]) == set(RANGE_KEYS)
    return out
