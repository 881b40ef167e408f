"""A column map: what a unit's own export means, so its case-system files are read as they are.

Why: a case-management export has its own headers ("Exhibit Ref"), date spellings ("03/04/2023")
and codes ("Mobile Phone", "P1"), and dozens of columns the tool does not need. Asking a DFU to
rename them by hand each Monday invites mistakes, so a small YAML file says once what they mean:

    columns:                 # export header -> dfu_sched column
      Exhibit Ref: device_id
    dates:                   # per dfu_sched column: strptime formats tried in order
      date_submitted: ["%d/%m/%Y", "%Y-%m-%d"]
    values:                  # per dfu_sched column: export value -> dfu_sched value
      device_type: {Mobile Phone: phone}
    unknown_columns: ignore  # or 'error'

or the same keys under ``queue:``, ``staff:`` and ``history:`` sections, one per kind of file.
``tables.read_table`` applies it. The map is the user's own file, so its keys may be quoted in
messages (short, one line); a table's cells never are.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from dfu_sched.errors import InputError
from dfu_sched.yamlfile import read_yaml_mapping

#: The sections a column map may have instead of being flat (one per kind of file a unit exports).
MAP_SECTIONS = ("queue", "staff", "history")
_MAP_KEYS = ("columns", "dates", "values", "unknown_columns")


@dataclass(frozen=True)
class ColumnMap:
    """What a unit's export means: header -> column, date formats and value codes per column.

    ``columns`` maps a normalised export header (stripped, lower case) to a spec column; ``dates``
    gives the strptime formats tried, in order, for a column (instead of :data:`DATE_FORMATS`);
    ``values`` maps a normalised export value (stripped, lower case) to the value the reader
    expects, per column. ``unknown_columns`` is ``ignore`` (counted in one warning) or ``error``.
    A map with ``queue:``/``staff:``/``history:`` sections holds one such map per kind of file in
    ``sections``; :meth:`for_file` picks the one for a table.
    """

    source: str
    columns: Mapping[str, str] = field(default_factory=dict)
    dates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    unknown_columns: Literal["error", "ignore"] = "ignore"
    sections: Mapping[str, ColumnMap] = field(default_factory=dict)

    def for_file(self, section: str, flat_ok: bool = True) -> ColumnMap | None:
        """The map for one kind of file: its section, or this map if it is flat and ``flat_ok``
        (a flat map describes one file; ``plan`` applies it to the queue, not the staff list)."""
        if self.sections:
            return self.sections.get(section)
        return self if flat_ok else None


def load_column_map(path: str | Path) -> ColumnMap:
    """Read a column map (YAML, the safe reader). Every problem is one line naming the key."""
    path = Path(path)
    data = read_yaml_mapping(path, "column map")
    name = path.name
    keys = [str(k) for k in data]
    if any(k in MAP_SECTIONS for k in keys):
        bad = [k for k in keys if k not in MAP_SECTIONS]
        if bad:
            raise InputError(f"key '{short_key(bad[0])}': a map with sections holds only "
                             f"{', '.join(MAP_SECTIONS)}", source=name)
        sections = {}
        for k, v in data.items():
            if not isinstance(v, dict):
                raise InputError(f"key '{k}': must be a mapping of {', '.join(_MAP_KEYS)}", source=name)
            sections[k] = _flat_map(v, name, f"{k}.")
        return ColumnMap(name, sections=sections)
    return _flat_map(data, name, "")


def short_key(k: object) -> str:
    """A map key fit for a message: the map is the user's own file (no case references), but keep
    it short and on one line."""
    text = "".join(ch if ch.isprintable() else "?" for ch in str(k))
    return text if len(text) <= 40 else text[:37] + "..."


def _str_mapping(v: object, name: str, where: str) -> dict[str, str]:
    if not isinstance(v, dict):
        raise InputError(f"key '{where}': must be a mapping (export text: dfu_sched text)", source=name)
    out: dict[str, str] = {}
    for k, target in v.items():
        if isinstance(k, (dict, list)) or k is None or isinstance(target, (dict, list)) or target is None:
            raise InputError(f"key '{where}.{short_key(k)}': must map one text to one text", source=name)
        kk, tt = str(k).strip().lower(), str(target).strip()
        if not kk or not tt:
            raise InputError(f"key '{where}.{short_key(k)}': an empty name cannot be mapped", source=name)
        if kk in out:
            raise InputError(f"key '{where}.{short_key(k)}': given twice (names are compared trimmed, "
                             "ignoring case)", source=name)
        out[kk] = tt
    return out


def _flat_map(data: dict, name: str, prefix: str) -> ColumnMap:
    """One section (or a flat file): columns, dates, values, unknown_columns."""
    for k in data:
        if k not in _MAP_KEYS:
            raise InputError(f"key '{prefix}{short_key(k)}': not a column-map key (use {', '.join(_MAP_KEYS)}, "
                             f"or sections {', '.join(MAP_SECTIONS)})", source=name)
    columns = {k: v.lower() for k, v in _str_mapping(data.get("columns") or {}, name, prefix + "columns").items()}
    dates: dict[str, tuple[str, ...]] = {}
    raw_dates = data.get("dates") or {}
    if not isinstance(raw_dates, dict):
        raise InputError(f"key '{prefix}dates': must map a column to a list of date formats", source=name)
    for col, fmts in raw_dates.items():
        where = f"{prefix}dates.{short_key(col)}"
        fmts = [fmts] if isinstance(fmts, str) else fmts
        if (not isinstance(fmts, list) or not fmts or isinstance(col, (dict, list))
                or not all(isinstance(f, str) and "%" in f for f in fmts)):
            raise InputError(f"key '{where}': must be a list of strptime formats such as \"%d/%m/%Y\"",
                             source=name)
        for f in fmts:
            try:
                dt.datetime.strptime(dt.date(2001, 2, 3).strftime(f), f)
            except (ValueError, TypeError):
                raise InputError(f"key '{where}': a format cannot be read back ({short_key(f)})", source=name) from None
        dates[str(col).strip().lower()] = tuple(fmts)
    raw_values = data.get("values") or {}
    if not isinstance(raw_values, dict):
        raise InputError(f"key '{prefix}values': must map a column to its value codes", source=name)
    values = {str(col).strip().lower(): _str_mapping(m, name, f"{prefix}values.{short_key(col)}")
              for col, m in raw_values.items()}
    unknown = data.get("unknown_columns", "ignore")
    if unknown not in ("ignore", "error"):
        raise InputError(f"key '{prefix}unknown_columns': must be 'ignore' or 'error'", source=name)
    return ColumnMap(name, columns, dates, values, unknown)
