"""The assumptions behind a run, read from the scenario file's values *and its comments*.

Scenario files mark each number ``[S]`` (public source, named in the comment) or ``[E]``
(estimate). A report that chief officers act on must say which of its inputs are which, so
this module pairs every input (as a key path such as ``tiers[VH].target_days``) with its value
and the comment that annotates it:

1. the comment on the input's own line (unless it names another key on that line, as in
   ``{name: VH, weight: 8, target_days: 1}  # weight [E]``, which annotates ``weight`` only);
2. else comment lines directly above it;
3. else the comment of the nearest enclosing key (``tiers:  # ... [S: HMICFRS ...]``),
   reported as inherited from that key;
4. else "not annotated".

Inputs the file does not set (model defaults) are listed from the validated scenario. A ranged
input (``{value: 0.30, low: 0.20, high: 0.50}``, see ``scenario/estimates.py``) is one input, its
value shown with its range: ``0.30 (0.20-0.50, triangular)``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from dfu_sched.scenario.estimates import RANGE_KEYS

SOURCED, ESTIMATE, COMMENT, NONE, DEFAULT = "sourced", "estimate", "comment", "not annotated", "default"
_LABELS = ("name", "description")  # the scenario's title, not inputs of the model

_MARKER = re.compile(r"\[\s*([SE])\s*(?:[:\]\s])")


@dataclass(frozen=True)
class Assumption:
    """One input of the scenario and what the file says about where it comes from."""

    path: str
    value: str
    status: str            # sourced | estimate | comment | not annotated | default
    note: str = ""         # the annotating comment text
    inherited_from: str = ""  # key path whose comment applies, when not the input's own
    line: int = 0          # 1-based line in the scenario file (0 for defaults)

    @property
    def marker(self) -> str:
        return {SOURCED: "[S]", ESTIMATE: "[E]"}.get(self.status, "")


def classify(comment: str) -> str:
    """``sourced``/``estimate`` by the first marker in the comment; ``comment`` if none."""
    m = _MARKER.search(comment + " ")
    if not m:
        return COMMENT if comment.strip() else NONE
    return SOURCED if m.group(1) == "S" else ESTIMATE


def line_comments(text: str) -> dict[int, str]:
    """Comment text per 0-based line (quotes respected, so ``"#1"`` is not a comment)."""
    out: dict[int, str] = {}
    for i, line in enumerate(text.splitlines()):
        quote = None
        for j, ch in enumerate(line):
            if quote:
                if ch == quote:
                    quote = None
            elif ch in "'\"":
                quote = ch
            elif ch == "#" and (j == 0 or line[j - 1] in " \t"):
                out[i] = line[j + 1:].strip()
                break
    return out


def header_comment(text: str) -> str:
    """The comment block at the top of the file (its description of sources and units)."""
    lines = []
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#"):
            lines.append(s.lstrip("#").strip())
        elif s:
            break
        else:
            lines.append("")
    return "\n".join(lines).strip()


# ---- walking the YAML node tree ------------------------------------------------------------------

@dataclass(frozen=True)
class _Leaf:
    path: str
    value: str
    line: int                 # 0-based
    key: str                  # the last key (for key-specific comments)
    ancestors: tuple[tuple[str, int], ...]  # (path, 0-based line) of enclosing keys, outermost first


def _item_label(node: yaml.Node, index: int) -> str:
    """``[VH]`` for a list item with a name, else ``[3]``: readable and stable paths."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "name" and isinstance(v, yaml.ScalarNode):
                return f"[{v.value}]"
    return f"[{index}]"


def _scalar_list(node: yaml.SequenceNode) -> bool:
    return all(isinstance(n, yaml.ScalarNode) for n in node.value)


def _scalar_text(node: yaml.ScalarNode) -> str:
    return " ".join(node.value.split()) if node.style in (">", "|") else node.value


def _range_fields(node: yaml.Node) -> dict[str, yaml.Node] | None:
    """A range's fields by name when ``node`` is a ranged number (the rule of ``estimates.is_range``)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    fields = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    if len(fields) != len(node.value) or "value" not in fields or not set(fields) <= set(RANGE_KEYS) \
            or not {"low", "high", "sd", "draws"} & set(fields):
        return None
    return fields


def range_text(fields: dict[str, yaml.Node]) -> str:
    """A ranged input as one cell: ``0.30 (0.20-0.50, triangular)``, ``9.31 (sd 0.41, normal)``,
    ``6.0 (4 draws, 5.1-6.9)``; numbers as the file writes them."""
    def text(k: str) -> str:
        n = fields.get(k)
        return n.value if isinstance(n, yaml.ScalarNode) else ""

    value = text("value")
    draws = fields.get("draws")
    if isinstance(draws, yaml.SequenceNode):
        numbers = sorted(float(n.value) for n in draws.value if isinstance(n, yaml.ScalarNode) and _is_number(n.value))
        span = f", {numbers[0]:g}-{numbers[-1]:g}" if numbers else ""
        return f"{value} ({len(draws.value)} draws{span})"
    sd = text("sd")
    shape = text("shape") or ("normal" if sd else "triangular")
    parts = [f"sd {sd}"] if sd else []
    if "low" in fields or "high" in fields:
        parts.append(f"{text('low')}-{text('high')}")
    return f"{value} ({', '.join(parts + [shape])})"


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _walk(node: yaml.Node, path: str, key: str, line: int, ancestors: tuple) -> list[_Leaf]:
    fields = _range_fields(node)
    if fields is not None:  # one input with its range, not four
        return [_Leaf(path, range_text(fields), line, key, ancestors)]
    if isinstance(node, yaml.ScalarNode):
        return [_Leaf(path, _scalar_text(node), line, key, ancestors)]
    if isinstance(node, yaml.SequenceNode) and _scalar_list(node):
        return [_Leaf(path, "[" + ", ".join(n.value for n in node.value) + "]", line, key, ancestors)]
    here = ancestors + ((path, line),) if path else ancestors
    out: list[_Leaf] = []
    if isinstance(node, yaml.MappingNode):
        named_item = path.endswith("]")
        for k, v in node.value:
            name = k.value if isinstance(k, yaml.ScalarNode) else str(k)
            if named_item and name == "name" and path.endswith(f"[{getattr(v, 'value', '')}]"):
                continue  # the name is already in the path
            sub = f"{path}.{name}" if path else name
            out += _walk(v, sub, name, k.start_mark.line, here)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out += _walk(item, f"{path}{_item_label(item, i)}", key, item.start_mark.line, here)
    return out


def _keys_on_line(leaves: list[_Leaf]) -> dict[int, set[str]]:
    keys: dict[int, set[str]] = {}
    for leaf in leaves:
        keys.setdefault(leaf.line, set()).add(leaf.key)
    return keys


def _own_comment(leaf: _Leaf, comments: dict[int, str], keys_on_line: dict[int, set[str]],
                 lines: list[str], header_end: int) -> str | None:
    c = comments.get(leaf.line)
    if c is not None and lines[leaf.line].lstrip().startswith("#"):
        c = None  # a whole-line comment is not the input's own
    if c:
        first = re.split(r"[\s\[:,;(]", c, maxsplit=1)[0]
        others = keys_on_line.get(leaf.line, set()) - {leaf.key}
        if first in others:
            return None  # e.g. "# weight [E]" annotates weight, not target_days on the same line
        return c
    above: list[str] = []
    i = leaf.line - 1
    while i >= header_end and lines[i].lstrip().startswith("#"):
        above.insert(0, comments.get(i, ""))
        i -= 1
    return " ".join(a for a in above if a) or None


def parse_assumptions(text: str) -> list[Assumption]:
    """Every input the scenario file sets, with its value and annotation, in file order.

    Raises ``yaml.YAMLError`` for text that is not YAML (callers turn that into one line).
    """
    root = yaml.compose(text)
    if root is None or not isinstance(root, yaml.MappingNode):
        return []
    leaves = [x for x in _walk(root, "", "", 0, ()) if x.path not in _LABELS]
    comments = line_comments(text)
    lines = text.splitlines()
    header_end = _header_end(lines)
    keys_on_line = _keys_on_line(leaves)
    out = []
    for leaf in leaves:
        own = _own_comment(leaf, comments, keys_on_line, lines, header_end)
        if own:
            out.append(Assumption(leaf.path, leaf.value, classify(own), own, "", leaf.line + 1))
            continue
        for anc_path, anc_line in reversed(leaf.ancestors):
            if anc_line == leaf.line:
                continue  # same line: its comment was the leaf's own and did not apply
            c = comments.get(anc_line)
            if c and not lines[anc_line].lstrip().startswith("#"):
                out.append(Assumption(leaf.path, leaf.value, classify(c), c, anc_path, leaf.line + 1))
                break
        else:
            out.append(Assumption(leaf.path, leaf.value, NONE, "", "", leaf.line + 1))
    return out


def _header_end(lines: list[str]) -> int:
    for i, line in enumerate(lines):
        s = line.strip()
        if s and not s.startswith("#"):
            return i
    return len(lines)


# ---- defaults the file did not set ---------------------------------------------------------------

def flatten_model(model: dict, path: str = "") -> dict[str, str]:
    """Key paths (same convention as :func:`parse_assumptions`) -> value text of a scenario dump."""
    out: dict[str, str] = {}
    if isinstance(model, dict):
        for k, v in model.items():
            if path.endswith("]") and k == "name" and path.endswith(f"[{v}]"):
                continue
            out.update(flatten_model(v, f"{path}.{k}" if path else str(k)))
    elif isinstance(model, list) and not all(isinstance(v, (dict, list)) for v in model) and \
            not any(isinstance(v, (dict, list)) for v in model):
        out[path] = "[" + ", ".join(_value_text(v) for v in model) + "]"
    elif isinstance(model, list):
        for i, item in enumerate(model):
            label = f"[{item['name']}]" if isinstance(item, dict) and "name" in item else f"[{i}]"
            out.update(flatten_model(item, f"{path}{label}"))
    else:
        out[path] = _value_text(model)
    return out


def _value_text(v) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return f"{v:g}"
    return str(v)


def defaults_not_in_file(model: dict, stated: list[Assumption]) -> list[Assumption]:
    """Inputs the model used that the file never set: shown so nothing is hidden.

    A path counts as set if the file sets it or any key above it (``roster: {continuous: true}``
    sets ``roster``; its other fields still come from defaults and are listed).
    """
    set_paths = {a.path for a in stated}
    pending = [(p, v) for p, v in flatten_model(model).items() if p not in set_paths and p not in _LABELS]
    merged = [Assumption(p, v, DEFAULT) for p, v in _merge_list_items(pending)]
    first_seen: dict[str, int] = {}
    for i, a in enumerate(merged):
        first_seen.setdefault(_parent(a.path), i)
    # defaults of one key together, so group_rows shows each key's defaults on one row
    return sorted(merged, key=lambda a: first_seen[_parent(a.path)])


_LABEL = re.compile(r"\[([^\]]*)\]")


def _merge_list_items(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``backlog[0].stage = first`` ... ``backlog[11].stage = first`` -> ``backlog[0-11].stage``.

    Only paths with one list label and equal values merge, and the merged path names every item
    it covers, so a default that applies to some items only never reads as applying to all.
    """
    groups: dict[tuple[str, str], list[str]] = {}
    order: list[tuple[str, str]] = []
    for path, value in pairs:
        labels = _LABEL.findall(path)
        key = (_LABEL.sub("[*]", path), value) if len(labels) == 1 else (path, value)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(labels[0] if len(labels) == 1 else "")
    out = []
    for key in order:
        labels = groups[key]
        if len(labels) == 1 or not labels[0]:
            path = key[0].replace("[*]", f"[{labels[0]}]") if labels[0] else key[0]
        else:
            path = key[0].replace("[*]", f"[{_label_list(labels)}]")
        out.append((path, key[1]))
    return out


def _label_list(labels: list[str]) -> str:
    if all(x.isdigit() for x in labels):
        nums = [int(x) for x in labels]
        if nums == list(range(nums[0], nums[0] + len(nums))) and len(nums) > 2:
            return f"{nums[0]}-{nums[-1]}"
    return ", ".join(labels)


def status_counts(items: list[Assumption]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for a in items:
        counts[a.status] = counts.get(a.status, 0) + 1
    return counts


# ---- grouping for display ------------------------------------------------------------------------

def _common_prefix(paths: list[str]) -> str:
    """Longest shared key path (whole keys only): ``a.b.c`` and ``a.b.d`` -> ``a.b``."""
    split = [re.findall(r"\[[^\]]*\]|[^.\[]+", p) for p in paths]
    prefix = []
    for parts in zip(*split):
        if len(set(parts)) != 1:
            break
        prefix.append(parts[0])
    return "".join(p if p.startswith("[") or not i else f".{p}" for i, p in enumerate(prefix))


def _joined(prefix: str, items: list[Assumption]) -> Assumption:
    if len(items) == 1:
        return items[0]
    rel = [a.path[len(prefix):].lstrip(".") for a in items]
    value = ", ".join(f"{r}: {a.value}" for r, a in zip(rel, items))
    first = items[0]
    return Assumption(prefix, value, first.status, first.note, first.inherited_from, first.line)


def group_rows(items: list[Assumption]) -> list[Assumption]:
    """Merge neighbouring inputs that share a line and an annotation into one row.

    ``{dist: lognormal, mean: 7.0, sd: 3.5}  # [E] phone 3-12 h`` reads as one assumption,
    not three; defaults are grouped by the key they belong to.
    """
    out: list[Assumption] = []
    run: list[Assumption] = []

    def flush():
        if run:
            prefix = _common_prefix([a.path for a in run])
            if not prefix:  # nothing shared: keep them apart
                out.extend(run)
            else:
                out.append(_joined(prefix, run))
            run.clear()

    for a in items:
        if run:
            last = run[-1]
            same = (a.status == last.status and a.note == last.note
                    and a.inherited_from == last.inherited_from)
            if a.status == DEFAULT:
                same = same and _parent(a.path) == _parent(last.path)
            else:
                same = same and a.line == last.line
            if not same:
                flush()
        run.append(a)
    flush()
    return out


def _parent(path: str) -> str:
    m = re.match(r"(.*?)(\.[^.\[]+|\[[^\]]*\])$", path)
    return m.group(1) if m else ""
