"""Risk scoring: monotone in every factor, given tier wins, bad models rejected in one line."""
from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner

from dfu_sched.cli import main
from dfu_sched.errors import InputError
from dfu_sched.plan.risk import assess, load_risk_model, score_factors

EXAMPLES = "scenarios/examples"


@pytest.fixture(scope="module")
def model():
    return load_risk_model()


def test_default_model_is_kirat_like_not_kirat(model):
    assert "KIRAT-like" in model.name
    assert model.tier_names == ["VH", "H", "M", "L"]
    assert all(f.points >= 0 for f in model.factors.values())


@pytest.mark.parametrize("factor", sorted(load_risk_model().factors))
def test_score_and_tier_monotone_in_each_factor(model, factor):
    rank = {t: i for i, t in enumerate(model.tier_names)}  # 0 = highest
    rng = random.Random(factor)
    for _ in range(30):
        base = {f: rng.choice([0, 0, 1, 2]) for f in model.factors}
        lo = dict(base, **{factor: 0})
        hi = dict(base, **{factor: rng.choice([1, 2, 3])})
        s_lo, s_hi = score_factors(model, lo)[0], score_factors(model, hi)[0]
        assert s_hi >= s_lo
        assert rank[model.tier_of(s_hi)] <= rank[model.tier_of(s_lo)]


def test_tier_thresholds_and_contributions(model):
    r = assess(model, {"child_lives_with_suspect": 1, "image_production": 1}, None)
    assert r.score == 50 and r.tier == "VH" and not r.mismatch
    assert [k for k, _ in r.contributions] == ["child_lives_with_suspect", "image_production"]
    assert assess(model, {}, None).tier == "L"


def test_given_tier_wins_and_mismatch_flagged(model):
    r = assess(model, {"contact_offending_indicators": 1}, "VH")
    assert r.tier == "VH" and r.computed_tier == "H" and r.mismatch
    assert not assess(model, None, "M").mismatch


@pytest.mark.parametrize("text, needle", [
    ("factors: {a: {points: -1}}\ntiers: [{name: L, min_score: 0}]", "greater than or equal to 0"),
    ("factors: {a: {points: 1}}\ntiers: [{name: L, min_score: 0}, {name: H, min_score: 5}]", "highest"),
    ("factors: {}\ntiers: [{name: L, min_score: 0}]", "factors"),
    ("- just a list", "mapping"),
])
def test_bad_risk_model_one_line(tmp_path, text, needle):
    p = tmp_path / "risk.yaml"
    p.write_text(text)
    with pytest.raises(InputError) as exc:
        load_risk_model(p)
    assert needle in str(exc.value) and "\n" not in str(exc.value)


def test_risk_cli_prints_and_writes(tmp_path):
    out = tmp_path / "risk.csv"
    r = CliRunner().invoke(main, ["risk", f"{EXAMPLES}/queue.csv", "--week", "2024-06-03",
                                  "--out", str(out), "--risk-model", f"{EXAMPLES}/risk_weights.yaml"])
    assert r.exit_code == 0, r.output
    assert "KIRAT-like" in r.output and "MISMATCH" in r.output
    assert out.read_text().startswith("device,case,tier,score")


def test_risk_cli_json_pseudonymised():
    r = CliRunner().invoke(main, ["risk", f"{EXAMPLES}/queue.csv", "--week", "2024-06-03", "--json",
                                  "--pseudonymise", "--salt", "k"])
    assert r.exit_code == 0
    doc = json.loads(r.output)
    assert "NY/2024" not in r.output and "EX24" not in r.output
    assert all(d["device"].startswith("D-") for d in doc["devices"])


def test_risk_cli_writes_an_html_page(tmp_path):
    """Issue 8 item 8: `risk --out x.html` was promised but failed with "unsupported type"."""
    import re

    from dfu_sched.reports.charts.palette import TIER_COLOURS

    out, masked = tmp_path / "risk.html", tmp_path / "masked.html"
    r = CliRunner().invoke(main, ["risk", f"{EXAMPLES}/queue.csv", "--week", "2024-06-03", "--out", str(out)])
    assert r.exit_code == 0, r.output
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "http" not in page.split("<body>")[1]
    assert page.count("<tr>") == 1 + 36                       # header + every device of the example queue
    assert "EX2404" in page and "mismatch" in page and "KIRAT-like" in page
    colours = set(re.findall(r'class="tiertag" style="background:(#[0-9A-Fa-f]{6})', page))
    assert colours and colours <= set(TIER_COLOURS)
    r = CliRunner().invoke(main, ["risk", f"{EXAMPLES}/queue.csv", "--week", "2024-06-03", "--out", str(masked),
                                  "--pseudonymise", "--salt", "k"])
    assert r.exit_code == 0
    text = masked.read_text()
    assert "NY/2024" not in text and "EX24" not in text and "pseudonymised: yes" in text
