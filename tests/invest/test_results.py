"""What a search result says: one number for doing nothing, headline claims that name their measure."""
from __future__ import annotations

import pytest

from dfu_sched.invest.results import explain


def test_do_nothing_is_one_evaluation_with_one_number(result):
    from dfu_sched.reports.invest_text import invest_text

    _, out = result
    base = out["baseline"]["measures"]
    rows = [e for e in out["evaluated"] + out["frontier"] if not any(e["mix"].values())]
    assert rows
    for row in rows:
        assert row["replications"] == out["replications"]["final"] == out["baseline"]["replications"]
        assert row["objectives"]["exposure"] == pytest.approx(base["overall.exposure"]["estimate"], abs=1e-3)
        assert row["objectives"]["backlog"] == pytest.approx(base["overall.waiting_at_end"]["estimate"], abs=1e-3)
    text = invest_text(out)
    exposure = f"{base['overall.exposure']['estimate']:,.0f}"
    line = next(ln for ln in text.splitlines() if ln.startswith("do nothing"))
    assert exposure in line


# ---- headline claims name their measure and do not hide a worse one (item 14) ----------------------

def _with_frontier(out: dict, cheap_objectives: dict, chosen_objectives: dict) -> dict:
    import copy

    o = copy.deepcopy(out)
    ch = o["chosen"]
    b = o["baseline"]["measures"]
    zero = {"mix": {}, "label": "do nothing", "cost_gbp": 0.0, "objectives": {
        "exposure": b["overall.exposure"]["estimate"], "wait-12m": b["invest.wait_at_12m_days"]["estimate"],
        "backlog": b["overall.waiting_at_end"]["estimate"]}}
    cheap = {"mix": {"x": 1}, "label": "cheap mix", "cost_gbp": ch["cost_gbp"] / 2, "objectives": cheap_objectives}
    chosen = {"mix": ch["mix"], "label": ch["label"], "cost_gbp": ch["cost_gbp"], "objectives": chosen_objectives}
    ch["measures"]["overall.exposure"]["estimate"] = chosen_objectives["exposure"]
    o["frontier"] = [zero, cheap, chosen]
    return o


def test_cheaper_mix_claim_names_its_measure_and_a_worse_wait(result, scenario):
    _, out = result
    b0 = out["baseline"]["measures"]["overall.exposure"]["estimate"]
    best = 0.2 * b0
    cheap_exposure = b0 - 0.9 * (b0 - best)
    o = _with_frontier(out, {"exposure": cheap_exposure, "wait-12m": 99.4, "backlog": 9.0},
                       {"exposure": best, "wait-12m": 1.4, "backlog": 9.0})
    lines = explain(o, scenario)
    i = next(j for j, ln in enumerate(lines) if "cheaper mix" in ln)
    claim, after = lines[i], lines[i + 1]
    assert "cheap mix" in claim and "90%" in claim and "exposure" in claim
    assert "month 12" in after and "99" in after and "1.4" in after and "worse" in after
    assert "backlog" not in after  # 9 against 9 is no worse


def test_cheaper_mix_claim_says_when_nothing_is_worse(result, scenario):
    _, out = result
    b0 = out["baseline"]["measures"]["overall.exposure"]["estimate"]
    o = _with_frontier(out, {"exposure": b0 * 0.3, "wait-12m": 1.5, "backlog": 9.0},
                       {"exposure": b0 * 0.25, "wait-12m": 1.4, "backlog": 9.0})
    lines = explain(o, scenario)
    i = next(j for j, ln in enumerate(lines) if "cheaper mix" in ln)
    assert "exposure" in lines[i] and "no worse" in lines[i + 1]
