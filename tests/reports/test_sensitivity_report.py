"""The sensitivity report kind: its schema, the tornado chart (bars from the base, no-effect rows marked), the
page's words and pseudonymisation, and the text/CSV outputs, on a hand-made sensitivity.json (no simulation)."""
from __future__ import annotations

import copy
import json
import subprocess
import sys

import pytest

from dfu_sched.errors import InputError
from dfu_sched.privacy import FILE_PLACEHOLDER
from dfu_sched.reports.charts.tornado import HIGH_COLOUR, LOW_COLOUR, tornado
from dfu_sched.reports.kinds import build_report, read_run_dir
from dfu_sched.reports.sensitivity_html import render_sensitivity
from dfu_sched.reports.sensitivity_text import csv_table, sensitivity_text, write_sensitivity_dir

M = "invest.backlog_at_12m"


def iv(x, half=1.0):
    return {"estimate": x, "ci95": [x - half, x + half], "n": 4}


def a_bar(key, words, rng, lo, hi, base=100.0):
    return {"key": key, "label": f"{words} {rng}", "words": words, "range": rng, "low_value": 1.0, "high_value": 2.0,
            "low_text": rng.split("-")[0], "high_text": rng.split("-")[1], "low": iv(lo), "high": iv(hi),
            "low_diff": iv(lo - base), "high_diff": iv(hi - base), "swing": abs(hi - lo)}


def doc() -> dict:
    bars = [a_bar("arrivals.cases_per_week", "cases a week", "6.0-9.0", 60.0, 180.0),
            a_bar("investment.options.triage_kiosk.screen_out_share", "triage kiosk screen-out", "20%-50%", 130, 80),
            a_bar("investment.options.mobile_examiner.ramp_up_weeks", "mobile examiner ramp-up weeks", "26-52",
                  100.0, 100.0)]
    bars[-1].update(low_diff=iv(0.0, 0.0), high_diff=iv(0.0, 0.0), swing=0.0)
    inputs = [{"key": b["key"], "words": b["words"], "range": b["range"], "label": b["label"], "value": 1.5,
               "value_text": "1.5", "low": 1.0, "high": 2.0, "shape": "triangular", "note": "<b>n</b>"} for b in bars]
    return {"kind": "sensitivity", "version": "0", "scenario": "unit <x>", "scenario_file": "secret-C42.yaml",
            "seed": 3, "replications": 4, "horizon_weeks": 52, "start_date": "2024-01-01", "method": "oat",
            "method_asked": "auto", "mix_choice": "file", "mix": {"triage_kiosk": 1}, "mix_label": "triage kiosk",
            "measures": [M], "labels": {M: "backlog at 12 months (devices)"}, "units": {M: "devices"},
            "inputs": inputs, "base": {M: iv(100.0)}, "bars": {M: bars},
            "headline": {M: "The 12-month backlog depends most on cases a week (6.0-9.0: 60.0 to 180 devices)."},
            "screening": None, "run": {"seconds": 1.0, "replications_simulated": 28, "workers": 1}}


def test_the_tornado_draws_bars_from_the_base_and_marks_no_effect():
    fig = tornado(doc(), M)
    ax = fig.axes[0]
    rects = [p for p in ax.patches if p.get_width() != 0 and p.get_height() < 1]
    assert len(rects) == 4  # two bars for each of the two inputs with an effect, none for the idle one
    assert all(r.get_x() == pytest.approx(100.0) for r in rects)  # every bar starts at the base
    widths = sorted(round(r.get_width()) for r in rects)
    assert widths == [-40, -20, 30, 80]
    colours = {(round(r.get_width()), tuple(round(c, 3) for c in r.get_facecolor()[:3])) for r in rects}
    from matplotlib.colors import to_rgb
    low, high = tuple(round(c, 3) for c in to_rgb(LOW_COLOUR)), tuple(round(c, 3) for c in to_rgb(HIGH_COLOUR))
    assert (-40, low) in colours and (80, high) in colours and (30, low) in colours and (-20, high) in colours
    assert any(t.get_text().strip() == "no effect" for t in ax.texts)
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "cases a week 6.0-9.0"  # largest swing on top
    empty = doc()
    empty["bars"][M] = []
    assert tornado(empty, M) is None


def test_the_page_leads_with_the_headline_escapes_and_pseudonymises():
    r = render_sensitivity(doc(), None, pseudonymise=True)
    assert "depends most on cases a week" in r.html and len(r.charts) == 1
    assert "secret-C42" not in r.html and FILE_PLACEHOLDER in r.html
    assert "<b>n</b>" not in r.html and "unit &lt;x&gt;" in r.html  # file text is shown escaped
    assert "0 (no effect)" in r.html and "What moves backlog at 12 months (devices)" in r.html


def test_the_folder_is_a_report_kind_and_a_bad_one_is_one_line(tmp_path):
    write_sensitivity_dir(doc(), tmp_path)
    assert read_run_dir(tmp_path)["kind"] == "sensitivity"
    assert "<svg" in build_report(tmp_path).html
    bad = copy.deepcopy(doc())
    del bad["bars"][M][0]["low_diff"]
    (tmp_path / "sensitivity.json").write_text(json.dumps(bad))
    with pytest.raises(InputError) as exc:
        read_run_dir(tmp_path)
    assert "low_diff" in str(exc.value) and "\n" not in str(exc.value)


def test_text_and_csv_read_the_json():
    out = doc()
    text = sensitivity_text(out)
    assert out["headline"][M] in text and "6.0 -> 9.0" in text and "180 (+80.0)" in text and "0 (no effect)" in text
    header, rows = csv_table(out)
    assert [r[2] for r in rows] == [b["key"] for b in out["bars"][M]]
    assert rows[0][header.index("swing")] == 120.0 and rows[-1][header.index("high_minus_base")] == 0.0


def test_a_plain_run_never_loads_salib():
    code = "import sys, dfu_sched.cli; assert 'SALib' not in sys.modules and 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
