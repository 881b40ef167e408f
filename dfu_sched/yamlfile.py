"""Reading a user's YAML file (scenario, risk model) safely: one ``InputError`` line or a mapping.

PyYAML's SafeLoader is safe against code execution, not against bad data. Left alone it raises
``ValueError`` for an impossible date (``2023-02-30``) or a bad tag (``!!float abc``), recurses
until ``RecursionError`` on deeply nested input, follows aliases into exponentially large
(or self-referencing) structures, and will read ``/dev/zero`` until memory runs out. So every
file is checked to be a regular file of sane size before it is read, and the loader here
refuses duplicate keys, limits nesting depth and the size of the data once aliases are expanded,
and turns every construction failure into one line naming the file, line and column (never the
offending value: it may be sensitive text).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml

from dfu_sched.errors import InputError

#: Largest YAML file read (the baseline scenario is ~8 KB; a long empirical sample list fits easily).
MAX_FILE_BYTES = 5_000_000
#: Deepest nesting accepted (a scenario needs about 6 levels).
MAX_DEPTH = 64
#: Most values (scalars, lists, mappings) in a document, counted after aliases are expanded.
MAX_NODES = 1_000_000

_TAG_NAMES = {
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:int": "a whole number",
    "tag:yaml.org,2002:timestamp": "a date",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:binary": "base64 data",
}


class SafeLoader(yaml.SafeLoader):
    """SafeLoader with duplicate-key, depth and expanded-size limits and marked construction errors."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    # ---- composing: depth and size are known before anything is constructed ----
    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            node = super().compose_node(parent, index)
            if not hasattr(node, "_size"):
                raise yaml.composer.ComposerError(None, None, "an alias refers to the list or mapping that holds it "
                                                  "(a cycle)", event.start_mark)
            self._count(node._size, event.start_mark)
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels",
                                              self.peek_event().start_mark)
        node = super().compose_node(parent, index)
        self._depth -= 1
        if isinstance(node, yaml.MappingNode):
            node._size = 1 + sum(getattr(k, "_size", 1) + getattr(v, "_size", 1) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            node._size = 1 + sum(getattr(v, "_size", 1) for v in node.value)
        else:
            node._size = 1
            self._count(1, node.start_mark)
        return node

    def _count(self, size: int, mark) -> None:
        # Scalars are counted as they are composed; an alias adds the whole size of what it repeats.
        self._nodes += size
        if self._nodes > MAX_NODES:
            raise yaml.composer.ComposerError(None, None, f"more than {MAX_NODES:,} values once aliases are "
                                              "expanded", mark)

    # ---- constructing: a bad date or tag becomes a marked error, not a ValueError ----
    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, AttributeError, OverflowError, IndexError, KeyError):
            if node.tag.endswith(":timestamp"):
                problem = "not a real date (YYYY-MM-DD, month 01-12, a day inside the month)"
            else:
                problem = f"not readable as {_TAG_NAMES.get(node.tag, 'a value of tag ' + node.tag)}"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from None


def _construct_mapping(loader: SafeLoader, node: yaml.MappingNode, deep: bool = False):
    """Refuse duplicate keys (PyYAML would silently keep the last one)."""
    seen: list = []
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:
            duplicate = False
        if duplicate:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
        seen.append(key)
    return loader.construct_mapping(node, deep=deep)


SafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_text_file(path: str | Path, what: str = "file", max_bytes: int = MAX_FILE_BYTES) -> str:
    """A regular file's text, refusing devices, FIFOs, folders and files over ``max_bytes``."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError("file not found", source=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read the {what} ({exc.__class__.__name__})", source=str(path)) from None
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"the {what} must be a regular file (this is a folder, device or pipe)", source=str(path))
    if st.st_size > max_bytes:
        raise InputError(f"the {what} is {st.st_size:,} bytes; the most accepted is {max_bytes:,}", source=str(path))
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read the {what} ({exc.__class__.__name__})", source=str(path)) from None
    if len(raw) > max_bytes:  # grew while we looked
        raise InputError(f"the {what} is over {max_bytes:,} bytes", source=str(path))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"the {what} is not UTF-8 text", source=str(path)) from None


def parse_yaml(text: str, source: str) -> object:
    """YAML text -> Python data, every problem one ``InputError`` with ``source:line:column``."""
    try:
        return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if isinstance(exc, (yaml.composer.ComposerError, yaml.constructor.ConstructorError)):
            raise InputError(f"YAML: {problem}", source=where) from None  # readable YAML, unusable value
        raise InputError(f"YAML syntax error: {problem}", source=where) from None
    except RecursionError:  # a safety net: the depth limit should make this unreachable
        raise InputError(f"YAML nested deeper than {MAX_DEPTH} levels", source=source) from None


def read_yaml_mapping(path: str | Path, what: str = "scenario file") -> dict:
    """Read a YAML file that must hold a mapping of keys to values."""
    text = read_text_file(path, what)
    if not text.strip():
        raise InputError("the file is empty", source=str(path))
    data = parse_yaml(text, str(path))
    if data is None:
        raise InputError("the file is empty", source=str(path))
    if not isinstance(data, dict):
        raise InputError(f"a {what} must be a mapping of keys to values", source=str(path))
    return data
