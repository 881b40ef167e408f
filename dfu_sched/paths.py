"""Where the shipped scenario files are: the repository's ``scenarios/`` folder.

Scenarios are user-editable files, not package internals, so they live in the repository.
Commands that default to one (``validate``, ``plan``) look in the current folder first, then
beside the package (a source checkout or editable install), and say so clearly otherwise.
"""
from __future__ import annotations

from pathlib import Path

from dfu_sched.errors import InputError

_REPO = Path(__file__).resolve().parent.parent


def shipped(relative: str, option: str = "") -> Path:
    """Path of a shipped file or folder under ``scenarios/``; InputError if neither place has it."""
    for base in (Path.cwd(), _REPO):
        path = base / "scenarios" / relative
        if path.exists():
            return path
    hint = f" or pass {option}" if option else ""
    raise InputError(f"cannot find scenarios/{relative}: run from the dfu_sched folder{hint}")
