"""Targets: named and written targets, --by dates and weeks, the window measures they are judged on."""
from __future__ import annotations

import pytest

from dfu_sched.errors import InputError
from dfu_sched.invest.targets import parse_by, parse_target
from tests.helpers import small


def test_target_parsing():
    sc = small()
    t = parse_target("high-risk-week", sc, parse_by("2023-03-06", sc))
    assert t.key == "VH+H.wait_to_start_days.p90" and t.value == 7 and t.from_week == 9
    assert t.result_key == "window.VH+H.p90" and t.met(6.9) and not t.met(7.1)
    for bad in ("VX.wait_to_start_days.p90<=7", "nonsense", "overall.wait_to_start_days.p42<=1"):
        with pytest.raises(InputError):
            parse_target(bad, sc, 0)
    with pytest.raises(InputError):
        parse_by("2030-01-01", sc)
