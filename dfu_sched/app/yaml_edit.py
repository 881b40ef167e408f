"""The edited scenario as YAML with the original file's comments kept (ruamel.yaml round trip).

Why: every number in a scenario file carries its source note ([S] public source, [E] estimate), and
the report's assumptions table is read from those comments. A download that dropped them would turn
a sourced file into an unsourced one. So the original text is loaded round-trip, only the values the
form changed are set in place (key order, flow style and every comment stay), keys the file left to
their defaults are added where they belong (noted as added), and a header says what was changed and
from what. Lines the edit did not touch are the file's own, byte for byte: ruamel re-spaces flow
mappings, so its dump of the unedited file is diffed against its dump of the edited one, and only
the differing lines take ruamel's wording.

A file that ``extends:`` a base (a shipped variant) is downloaded as the merged scenario, so it reads
on its own anywhere: the base file's text with the variant's keys laid over it, each key keeping the
comment of the file it came from; the variant's own header lines are not carried over (the header
names both files). The comment of a changed value is kept as it was: it says where the original
value came from, and the header lists each change with its old value.

The result is checked: it must read back (``parse_scenario``) to exactly the edited scenario; if it
did not (a construct the round trip cannot edit in place), the plain dump is returned instead, with
a header saying the comments could not be kept.
"""
from __future__ import annotations

import datetime as dt
import difflib
import io
import json
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from dfu_sched.errors import InputError
from dfu_sched.scenario.schema import MAX_EXTENDS_DEPTH, Scenario, parse_scenario
from dfu_sched.yamlfile import parse_yaml, read_text_file

#: Marks a merged document (an attribute, not a key: it is never written out).
EXTENDED = "_dfu_extended"


def _yaml() -> YAML:
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never re-wrap a long comment or value
    rt.indent(mapping=2, sequence=4, offset=2)  # the shipped files' style: "  - name: ..."
    return rt


def _plain(node: Any) -> Any:
    """Round-trip data as plain JSON-like data (dates as ISO text, as the model's JSON holds them)."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, (dt.date, dt.datetime)):
        return node.isoformat()
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def merged_document(text: str, folder: Path | None, label: str, depth: int = 0) -> CommentedMap:
    """The file's round-trip mapping with ``extends:`` resolved against ``folder`` (comments kept).

    ``text`` has already been read by the safe reader (``ScenarioSource``); a base file is read with
    the same size limits. Mappings merge key by key, lists and distributions are replaced whole, as
    ``scenario.schema.read_scenario_data`` does.
    """
    doc = _yaml().load(text)
    if not isinstance(doc, CommentedMap):
        raise InputError("a scenario file must be a mapping of keys to values", source=label)
    base = doc.pop("extends", None)
    if base is None:
        return doc
    setattr(doc, EXTENDED, True)
    if folder is None or not isinstance(base, str) or depth >= MAX_EXTENDS_DEPTH:
        raise InputError("extends: cannot resolve the base file here", source=label)
    base_path = folder / base
    base_doc = merged_document(read_text_file(base_path, "scenario file"), base_path.parent, base, depth + 1)
    _overlay(base_doc, doc)
    setattr(base_doc, EXTENDED, True)
    return base_doc


def _overlay(base: CommentedMap, over: CommentedMap) -> None:
    for key, value in over.items():
        below = base.get(key)
        if isinstance(value, CommentedMap) and isinstance(below, CommentedMap) and "dist" not in value:
            _overlay(below, value)
        else:
            base[key] = value
            _drop_note(base, key)  # the base's note was about the base's value
        if key in over.ca.items:
            base.ca.items[key] = over.ca.items[key]  # the variant's note for the key it sets


def _drop_note(doc: CommentedMap, key: Any) -> None:
    """Remove a key's line comment, keeping the blank lines that followed it."""
    token = doc.ca.items.get(key, [None] * 4)[2]
    if token is not None:
        blank = len(token.value) - len(token.value.rstrip("\n"))
        token.value = "\n" * blank if blank > 1 else ""
        if not token.value:
            doc.ca.items.pop(key, None)


def _is_dist_change(old: Any, new: Any) -> bool:
    return isinstance(new, dict) and "dist" in new and (not isinstance(old, dict) or old.get("dist") != new.get("dist"))


def _label(path: str, key: Any, item: Any) -> str:
    if isinstance(key, int):
        name = item.get("name") if isinstance(item, dict) else None
        return f"{path}[{name if isinstance(name, str) else key}]"
    return f"{path}.{key}" if path else str(key)


def _edit(doc: Any, old: Any, new: Any, path: str, changes: list[tuple[str, Any, Any]]) -> None:
    """Set in ``doc`` (round trip) each leaf where ``new`` differs from ``old`` (plain model data)."""
    if isinstance(new, dict):
        keys: list[Any] = list(new)
    else:
        keys = list(range(len(new)))
    for key in keys:
        before = old.get(key) if isinstance(old, dict) else old[key]
        after = new[key]
        if before == after:
            continue
        here = _label(path, key, after)
        nested = isinstance(after, dict) and isinstance(before, dict) and not _is_dist_change(before, after)
        listed = (isinstance(after, list) and isinstance(before, list) and len(after) == len(before)
                  and all(isinstance(x, dict) for x in after))
        present = key in doc if isinstance(doc, dict) else key < len(doc)
        if nested and not present:
            _add_key(doc, key, CommentedMap())
            present = True
        if present and nested and isinstance(doc[key], dict):
            _edit(doc[key], before, after, here, changes)
        elif present and listed and isinstance(doc[key], CommentedSeq) and len(doc[key]) == len(after):
            _edit(doc[key], before, after, here, changes)
        elif present:
            doc[key] = after
            changes.append((here, before, after))
        else:
            _add_key(doc, key, after)
            changes.append((here, before, after))


ADDED_NOTE = "# added in the web app (the original file left it to its default)"


def _add_key(doc: Any, key: Any, value: Any) -> None:
    """Add a key the file left out, noted as added; a blank line that closed the mapping stays after it."""
    if not isinstance(doc, CommentedMap):
        doc[key] = value
        return
    last = list(doc)[-1] if doc else None
    doc[key] = value
    if doc.fa.flow_style() or isinstance(value, dict):
        return  # no line comment inside {...}; a new sub-mapping's keys carry the note
    token = doc.ca.items.get(last, [None] * 4)[2] if last is not None else None
    column = token.column if token is not None and token.column else None
    doc.yaml_add_eol_comment(ADDED_NOTE, key, column=column or 32)
    if token is not None and token.value.endswith("\n\n"):
        token.value = token.value[:-1]
        doc.ca.items[key][2].value = ADDED_NOTE + "\n\n"


def _value_text(v: Any) -> str:
    text = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
    return text if len(text) <= 60 else text[:57] + "..."


def _one_line(text: str) -> str:
    """A header line never breaks out of its comment (a name or value may hold a line break)."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _header(label: str, extends: bool, changes: list[tuple[str, Any, Any]]) -> str:
    lines = [f"# Edited in the dfu-sched web app, starting from {label}"
             + (" (with the base file it extends merged in)." if extends else "."),
             "# The source notes ([S]/[E]) below are the original file's; a changed value keeps its old note."]
    if changes:
        lines.append("# Changed here:")
        lines += [f"#   {path}: {_value_text(old)} -> {_value_text(new)}" for path, old, new in changes]
    return "".join(_one_line(line) + "\n" for line in lines)


def plain_yaml(sc: Scenario, label: str) -> str:
    """``sc`` as plain YAML (no original text to keep comments from), with a header naming ``label``."""
    return _plain_dump(sc, label)


def _plain_dump(sc: Scenario, label: str) -> str:
    head = (_one_line(f"# Edited in the dfu-sched web app, starting from {label}.") + "\n"
            "# The source comments ([S]/[E]) of the original file could not be kept: see the original.\n")
    body = yaml.safe_dump(sc.model_dump(mode="json", by_alias=True, exclude_none=True),
                          sort_keys=False, allow_unicode=True)
    return head + body


def _same(text: str, sc: Scenario) -> bool:
    try:
        data = parse_yaml(text, "edited scenario")
        if not isinstance(data, dict):
            return False
        back = parse_scenario(data, source="edited scenario")
    except InputError:
        return False
    return back.model_dump(mode="json", by_alias=True) == sc.model_dump(mode="json", by_alias=True)


def edited_yaml_text(text: str, folder: Path | None, label: str, edited: Scenario) -> str:
    """``edited`` as YAML: the original ``text`` (``extends`` resolved) with only the changed values set.

    Reads back to exactly ``edited``; falls back to a plain dump (and says so) where it would not.
    """
    try:
        kept = _round_trip(text, folder, label, edited)
    except InputError:  # e.g. a base file gone or changed since the page read it
        kept = None
    return kept if kept is not None else _plain_dump(edited, label)


def _round_trip(text: str, folder: Path | None, label: str, edited: Scenario) -> str | None:
    doc = merged_document(text, folder, label)
    extends = bool(getattr(doc, EXTENDED, False))
    original = parse_scenario(_plain(doc), source=label).model_dump(mode="json", by_alias=True)
    untouched = _dumped(doc)
    changes: list[tuple[str, Any, Any]] = []
    _edit(doc, original, edited.model_dump(mode="json", by_alias=True), "", changes)
    body = _dumped(doc)
    head = _header(label, extends, changes)
    if not extends:  # untouched lines exactly as the file has them (its alignment, its spacing)
        kept = head + _patched(text, untouched, body)
        if _same(kept, edited):
            return kept
    result = head + body
    return result if _same(result, edited) else None


def _dumped(doc: CommentedMap) -> str:
    out = io.StringIO()
    _yaml().dump(doc, out)
    return out.getvalue()


def _patched(text: str, untouched: str, edited: str) -> str:
    """``text`` with the lines where ``edited`` differs from ``untouched`` (both ruamel's dumps) replaced.

    The round trip re-spaces flow mappings and list indents; where its dump of the unedited file has
    the file's line count, lines map one to one and only the edited ones need ruamel's wording.
    """
    original, same, new = text.splitlines(keepends=True), untouched.splitlines(keepends=True), \
        edited.splitlines(keepends=True)
    if len(original) != len(same):
        return edited
    out: list[str] = []
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(None, same, new, autojunk=False).get_opcodes():
        out += original[a0:a1] if op == "equal" else new[b0:b1]
    return "".join(out)
