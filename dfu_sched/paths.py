"""Where the shipped scenario files are, in a checkout and in an installed package alike.

The repository's ``scenarios/`` folder is the user-facing copy (users read and edit it) and the one
source of truth; ``pyproject.toml`` maps it into the wheel as ``dfu_sched/scenarios``, so after
``pip install .`` the commands that default to a shipped file (``validate``, ``plan``, ``risk``)
work from any folder. Lookup order: ``scenarios/`` in the current folder (a user's own edited
copy), the installed package data, then the source checkout beside the package.
"""
from __future__ import annotations

from pathlib import Path

from dfu_sched.errors import InputError

#: Installed package data (a wheel): dfu_sched/scenarios.
_PACKAGE = Path(__file__).resolve().parent / "scenarios"
#: A source checkout or editable install: the repository's scenarios/.
_REPO = Path(__file__).resolve().parent.parent / "scenarios"


def scenario_roots() -> list[Path]:
    """The folders searched for shipped files, in order."""
    return [Path.cwd() / "scenarios", _PACKAGE, _REPO]


def shipped(relative: str, option: str = "") -> Path:
    """Path of a shipped file or folder under ``scenarios/``; InputError if no place has it."""
    for base in scenario_roots():
        path = base / relative
        if path.exists():
            return path
    hint = f"; pass {option}" if option else ""
    raise InputError(f"cannot find the shipped scenarios/{relative} (the installation is incomplete){hint}")
