"""Fixtures (and the report header naming the simulation core under test); shared builders live in
tests/helpers.py."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import BASELINE


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    return BASELINE


def pytest_report_header(config: pytest.Config) -> str:
    """Which simulation core the suite tests: compiled (the install's default) or pure Python."""
    from dfu_sched.sim.native import status

    return f"dfu_sched simulation core: {status().label}"
