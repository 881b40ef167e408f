"""A fitted scenario as YAML text in which every number carries its source comment.

Why a writer of its own: ``reports/assumptions.py`` reads each input's source from the comment on
its line (``[S]`` sourced, ``[E]`` estimate), so a fitted scenario is only as trustworthy as its
comments. Values are wrapped in :class:`Note` (value + comment) and written one input per line,
block style; a base-scenario section is written with ``default [E] (base scenario)`` on every line.
A fitted number with its standard error is written as a flow range, ``{value: 9.31, sd: 0.412}``.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from dfu_sched.scenario.estimates import is_range


@dataclass(frozen=True)
class Note:
    """A value and the comment that says where it came from."""

    value: Any
    comment: str


def noted(obj: Any, comment: str) -> Any:
    """Every scalar (and scalar list) inside ``obj`` wrapped in a :class:`Note` with ``comment``."""
    if isinstance(obj, dict) and obj:
        return {k: noted(v, comment) for k, v in obj.items()}
    if isinstance(obj, list) and any(isinstance(v, (dict, list)) for v in obj):
        return [noted(v, comment) for v in obj]
    return Note(obj, comment)


def scalar(v: Any) -> str:
    """A YAML scalar (or flow collection) as text: JSON for strings and collections (JSON is YAML)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return f"{v:.10g}"
    if isinstance(v, int):
        return str(v)
    if is_range(v):  # {value: 9.31, sd: 0.412}: a fitted number and its standard error, as people write it
        return "{" + ", ".join(f"{k}: {scalar(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, dict)):
        return json.dumps(v, default=str)
    return json.dumps(str(v))


def _comment(text: str) -> str:
    return "  # " + " ".join(text.split())


def emit(obj: dict, indent: int = 0) -> list[str]:
    """Block-style YAML lines for a mapping whose leaves are :class:`Note` values."""
    pad = " " * indent
    lines: list[str] = []
    for key, v in obj.items():
        if isinstance(v, Note):
            lines.append(f"{pad}{key}: {scalar(v.value)}{_comment(v.comment)}")
        elif isinstance(v, dict):
            lines.append(f"{pad}{key}:")
            lines += emit(v, indent + 2)
        elif isinstance(v, list):
            lines.append(f"{pad}{key}:")
            lines += _emit_items(v, indent + 2)
        else:
            raise TypeError(f"{key}: value without a source note")
    return lines


def _emit_items(items: list, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    for item in items:
        if isinstance(item, Note):
            out.append(f"{pad}- {scalar(item.value)}{_comment(item.comment)}")
        elif isinstance(item, dict):
            sub = emit(item, indent + 2)
            out.append(f"{pad}- {sub[0][indent + 2:]}")
            out += sub[1:]
        else:
            raise TypeError("list item without a source note")
    return out


def scenario_text(header: list[str], body: dict) -> str:
    """The whole file: a comment header, then the noted mapping."""
    return "\n".join([f"# {h}".rstrip() for h in header] + emit(body)) + "\n"
