"""Fixtures only; shared builders live in tests/helpers.py."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import BASELINE


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    return BASELINE
