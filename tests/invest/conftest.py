"""Fixtures of the investment tests: one small search, run once and read by several test modules."""
from __future__ import annotations

import pytest

from dfu_sched.invest.results import result_json
from dfu_sched.invest.search import SearchSettings, search
from tests.helpers import small
from tests.invest.builders import DEAR_CLONE, FAST, USELESS


@pytest.fixture(scope="package")
def scenario():
    return small(extra_options=[USELESS, DEAR_CLONE], budget=120_000)


@pytest.fixture(scope="package")
def result(scenario):
    res = search(scenario, SearchSettings(budget=120_000, **FAST))
    return res, result_json(res, scenario)
