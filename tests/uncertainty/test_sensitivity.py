"""The sensitivity library's words and names: labels a finance committee reads, the headline, (the measure list is
``invest.measure_keys``, shared with the sweep wing)."""
from __future__ import annotations

from dfu_sched.scenario.schema import load_scenario
from dfu_sched.uncertainty.sensitivity import headline
from dfu_sched.uncertainty.words import input_label, measure_words, mix_words, range_text

SC = "scenarios/north_yorkshire_400k.yaml"


def test_inputs_in_words_with_their_ranges():
    by = {e.key: e for e in load_scenario(SC).estimates}
    assert input_label(by["investment.options.triage_kiosk.screen_out_share"]) == "triage kiosk screen-out 20%-50%"
    assert input_label(by["arrivals.cases_per_week"]) == "cases a week 6.0-9.0"
    assert input_label(by["arrivals.annual_growth"]) == "annual growth 0%-10%"
    assert input_label(by["examiners.mobile.absence"]) == "mobile absence 15%-25%"
    assert range_text(by["investment.options.mobile_examiner.ramp_up_weeks"]) == "26-52"
    phone = next(k for k in by if k.endswith("phone.service_hours.examination.mean"))
    assert input_label(by[phone]) == "phone examination hours 5.0-10.0"
    assert input_label(by["investment.options.cse_automation.time_saved_share"]) == "CSE automation time saved 35%-60%"
    for e in by.values():
        assert "_" not in input_label(e), e.key


def test_a_mix_in_words():
    mix = load_scenario(SC).investment.mix
    assert mix_words(dict(mix)) == "3x overtime + triage kiosk + CSE automation + 7x training"
    assert mix_words({}) == "do nothing"


def test_measures_in_words():
    assert measure_words("invest.backlog_at_12m") == ("the 12-month backlog", "devices")
    assert measure_words("VH.wait_to_start_days.p90") == ("the VH P90 wait to start", "days")
    assert measure_words("overall.exposure") == ("exposure", "device-days")


def _bar(words, rng, lo, hi, swing):
    return {"words": words, "range": rng, "low": {"estimate": lo}, "high": {"estimate": hi}, "swing": swing}


def test_the_headline_names_the_top_three_in_order_and_skips_no_effect():
    bars = [_bar("cases a week", "6.0-9.0", 180.0, 420.0, 240.0),
            _bar("triage kiosk screen-out", "20%-50%", 300, 90, 210),
            _bar("annual growth", "0%-10%", 250, 270, 20), _bar("training gain", "0%-15%", 260, 255, 5),
            _bar("mobile ramp-up", "26-52", 260, 260, 0.0)]
    text = headline("invest.backlog_at_12m", bars)
    assert text == ("The 12-month backlog depends most on cases a week (6.0-9.0: 180 to 420 devices), then triage "
                    "kiosk screen-out (20%-50%: 300 to 90 devices), then annual growth (0%-10%: 250 to 270 devices).")
    none = headline("overall.exposure", [bars[-1]])
    assert none.startswith("No ranged input moves exposure")
