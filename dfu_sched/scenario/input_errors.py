"""Input errors in one line: a pydantic ``ValidationError`` told as ``key.path: message``.

Its own module because the scenario schema and the risk model (``dfu_sched.plan.risk``) both
turn validation errors into the one-line messages users see (exit code 2), and both read the
allowed range of a number from their model's JSON Schema. It is plain functions over the error
and a JSON Schema dict, so it imports no model and no model imports create a circle through it.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable

from pydantic import ValidationError


def suggest(word: str, options: Iterable[str]) -> str:
    """A "(did you mean 'x'?)" phrase for a near miss among ``options``, else ''."""
    close = difflib.get_close_matches(word, [o for o in options if o != word], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


#: pydantic error types about a number's value or range: rewritten to state the allowed range.
RANGE_ERRORS = {"finite_number", "greater_than", "greater_than_equal", "less_than", "less_than_equal",
                "int_parsing_size", "float_parsing", "float_type", "int_parsing", "int_type"}


def one_line(exc: ValidationError, schema: dict) -> str:
    """First error as ``key.path: message`` (+ how many more), with a spelling suggestion.

    A number out of range or not finite is told the whole allowed range, read from ``schema``
    (the JSON Schema of the model that failed), so one fix is enough.
    """
    errors = exc.errors(include_url=False)
    # A misspelt key shows up twice (unknown key + required key missing): name the misspelling.
    errors.sort(key=lambda e: e["type"] != "extra_forbidden")
    first = errors[0]
    loc = list(first["loc"])
    path = _format_loc(loc, schema)
    msg = first["msg"].splitlines()[0] if first["msg"] else "invalid value"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if first["type"] == "extra_forbidden":
        siblings = _schema_fields_at(loc[:-1], schema)
        msg = f"unknown key '{loc[-1]}'{suggest(str(loc[-1]), siblings)}"
        if siblings:
            msg += f" (allowed: {', '.join(sorted(siblings))})"
    elif first["type"] == "missing":
        msg = "required key is missing"
    elif first["type"] == "union_tag_invalid":
        msg = msg.replace("Input tag", "dist").replace(
            "found using 'dist' does not match any of the expected tags", "is not a known distribution; use one of")
    elif first["type"] in RANGE_ERRORS:
        allowed = range_phrase(schema_nodes_at(loc, schema))
        if allowed:
            not_finite = " (.inf and .nan are not numbers here)" if first["type"] == "finite_number" else ""
            msg = f"must be {allowed}{not_finite}"
    text = f"{path}: {msg}" if path and not msg.startswith(path) else msg
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return text


def _num(x: float | None) -> str:
    assert x is not None  # range_phrase only asks for bounds it has
    return f"{int(x):,}" if float(x).is_integer() and abs(x) < 1e15 else f"{x:g}"


def range_phrase(nodes: list[dict]) -> str:
    """'a finite number from 0 to 1,040' from a JSON Schema number node ('' when none is found)."""
    node = next((n for n in nodes if n.get("type") in ("number", "integer")), None)
    if node is None:
        return ""
    kind = "a whole number" if node["type"] == "integer" else "a finite number"
    lo = ("from", node["minimum"]) if "minimum" in node else ("more than", node.get("exclusiveMinimum"))
    hi = ("to", node["maximum"]) if "maximum" in node else ("below", node.get("exclusiveMaximum"))
    if lo[1] is None and hi[1] is None:
        return kind
    if lo[1] is None:
        return f"{kind} {'at most' if hi[0] == 'to' else 'below'} {_num(hi[1])}"
    if hi[1] is None:
        return f"{kind} {'at least' if lo[0] == 'from' else 'more than'} {_num(lo[1])}"
    if lo[0] == "from" and hi[0] == "to":
        return f"{kind} from {_num(lo[1])} to {_num(hi[1])}"
    left = f"at least {_num(lo[1])}" if lo[0] == "from" else f"more than {_num(lo[1])}"
    right = f"at most {_num(hi[1])}" if hi[0] == "to" else f"below {_num(hi[1])}"
    return f"{kind} {left} and {right}"


def _union_tags(schema: dict) -> set[str]:
    """Every discriminator value in the schema: pydantic puts the union branch in error paths."""
    tags: set[str] = set()

    def visit(node):
        if isinstance(node, dict):
            tags.update(node.get("discriminator", {}).get("mapping", {}))
            for v in node.values():
                visit(v)
        elif isinstance(node, list):
            for v in node:
                visit(v)

    visit(schema.get("$defs", {}))
    visit(schema.get("properties", {}))
    return tags


def _format_loc(loc: list, schema: dict) -> str:
    out = ""
    tags = _union_tags(schema)
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in tags:
            continue  # pydantic names the union branch; users never wrote it
        else:
            out += f".{part}" if out else str(part)
    return out


def _schema_fields_at(loc: list, schema: dict) -> set[str]:
    """Property names allowed at a key path, found by walking the JSON Schema."""
    return {name for node in schema_nodes_at(loc, schema) for name in node.get("properties", {})}


def schema_nodes_at(loc: list, schema: dict) -> list[dict]:
    """The JSON Schema nodes (unions resolved) that describe the value at a key path."""
    defs = schema.get("$defs", {})

    def resolve(node: dict, tag: str | None = None) -> list[dict]:
        if "$ref" in node:
            return resolve(defs[node["$ref"].split("/")[-1]], tag)
        mapping = node.get("discriminator", {}).get("mapping", {})
        if tag is not None and tag in mapping:  # the union branch pydantic names in the path
            return resolve(defs[mapping[tag].split("/")[-1]])
        for key in ("anyOf", "oneOf", "allOf"):
            if key in node:
                return [n for sub in node[key] for n in resolve(sub, tag)]
        return [node]

    def _shallow(node: dict) -> list[dict]:
        """Follow $ref and plain unions, but keep discriminated unions whole for the tag."""
        if "$ref" in node:
            return _shallow(defs[node["$ref"].split("/")[-1]])
        if "discriminator" in node:
            return [node]
        for key in ("anyOf", "oneOf", "allOf"):
            if key in node:
                return [n for sub in node[key] for n in _shallow(sub)]
        return [node]

    nodes = resolve(schema)
    for part in loc:
        if isinstance(part, str) and any(part in n.get("discriminator", {}).get("mapping", {}) for n in nodes):
            nodes = [r for n in nodes for r in resolve(n, part)]
            continue
        nxt: list[dict] = []
        for node in nodes:
            if isinstance(part, int) and "items" in node:
                nxt += resolve(node["items"])
            elif isinstance(part, str):
                if part in node.get("properties", {}):
                    nxt += _shallow(node["properties"][part])
                elif isinstance(node.get("additionalProperties"), dict):
                    nxt += _shallow(node["additionalProperties"])
        nodes = nxt or nodes
    return [r for n in nodes for r in resolve(n)]
