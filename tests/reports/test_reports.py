"""Fast checks of the report machinery: charts, assumptions parser, pseudonyms, report CLI errors."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path

import pytest
from click.testing import CliRunner

from dfu_sched.cli import main
from dfu_sched.errors import InputError
from dfu_sched.privacy import Pseudonymiser, pseudonymise_column
from dfu_sched.reports.assumptions import (
    DEFAULT,
    ESTIMATE,
    NONE,
    SOURCED,
    defaults_not_in_file,
    group_rows,
    header_comment,
    line_comments,
    parse_assumptions,
)
from dfu_sched.reports.charts.common import render_charts, save_figures
from dfu_sched.reports.charts.simulate import SIMULATION_CHARTS
from dfu_sched.reports.files import write_run_dir
from dfu_sched.reports.kinds import render_report
from dfu_sched.reports.simulate_html import render_simulation_report
from dfu_sched.scenario.levers import in_words
from dfu_sched.scenario.schema import load_scenario
from dfu_sched.sim.experiment import run_experiment
from tests.helpers import ROOT

BASELINE = ROOT / "scenarios" / "north_yorkshire_2022.yaml"
SVG_NS = "{http://www.w3.org/2000/svg}"


def make_run_dir(tmp: Path, *, weeks: int = 13, replications: int = 2) -> Path:
    """A real run folder of the shipped baseline, shortened so the test stays fast."""
    text = BASELINE.read_text(encoding="utf-8")
    text = re.sub(r"horizon_weeks: *\d+", f"horizon_weeks: {weeks}", text, count=1)
    scen = tmp / "baseline_short.yaml"
    scen.write_text(text, encoding="utf-8")
    sc = load_scenario(scen)
    result = run_experiment(sc, replications, workers=1, source=str(scen))
    return write_run_dir(result, tmp / "run", scen)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run_dir(tmp_path_factory.mktemp("reports"))


@pytest.fixture(scope="module")
def summary(run_dir) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


# ---- charts ------------------------------------------------------------------------------------

def test_every_chart_is_valid_scalable_svg_with_drawing(summary):
    charts = render_charts(summary, SIMULATION_CHARTS)
    assert [c.spec.name for c in charts] == [s.name for s in SIMULATION_CHARTS]
    all_ids: list[str] = []
    for c in charts:
        root = ET.fromstring(c.svg)
        assert root.tag == f"{SVG_NS}svg"
        assert "viewBox" in root.attrib and "width" not in root.attrib  # scales to the page width
        paths = [p for p in root.iter(f"{SVG_NS}path") if p.get("d")]
        assert len(paths) > 5, c.spec.name
        texts = "".join(t.text or "" for t in root.iter(f"{SVG_NS}text"))
        assert texts.strip(), f"{c.spec.name}: no labels"
        ids = [e.get("id") for e in root.iter() if e.get("id")]
        assert all(i.startswith(c.spec.name + "-") for i in ids)
        all_ids += ids
    assert len(all_ids) == len(set(all_ids)), "charts in one page must not share ids (clip paths)"


def test_charts_skip_missing_data_instead_of_drawing_empty(summary):
    thin = {k: v for k, v in summary.items() if k not in ("backlog_weekly", "utilisation")}
    names = [c.spec.name for c in render_charts(thin, SIMULATION_CHARTS)]
    assert names == ["wait_by_tier"]


def test_figures_export_png_and_svg(summary, tmp_path):
    charts = render_charts(summary, SIMULATION_CHARTS)[:2]
    files = save_figures(charts, tmp_path / "fig", dpi=50)
    assert sorted(p.name for p in files) == sorted(
        f"{c.spec.name}.{ext}" for c in charts for ext in ("png", "svg"))
    assert all(p.stat().st_size > 1000 for p in files)
    assert (tmp_path / "fig" / f"{charts[0].spec.name}.png").read_bytes()[:4] == b"\x89PNG"


# ---- the page ------------------------------------------------------------------------------------

def test_report_is_self_contained_deterministic_and_complete(run_dir, summary):
    html = render_report(run_dir)
    assert html == render_report(run_dir)  # same folder, same page
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html, re.I)
    assert "@import" not in html and not re.search(r"url\(\s*['\"]?https?:", html)
    assert html.count('<svg ') == len(SIMULATION_CHARTS)
    assert "@page" in html and "size: A4" in html and "break-inside: avoid" in html
    assert "Median wait to start examination:" in html
    assert f"seed</dt><dd>{summary['seed']}" in html
    assert "dfu-sched simulate" in html and f"--seed {summary['seed']}" in html
    assert "[S] sourced" in html and "[E] estimate" in html
    assert "response targets [S: HMICFRS online CSA inspection 2023]" in html


def test_simulation_report_without_scenario_file_says_so(summary):
    html = render_simulation_report(summary, None)
    assert "no copy of the scenario file" in html


def test_pseudonymise_is_safe_on_simulation_reports(run_dir):
    plain = render_report(run_dir)
    pseudo = render_report(run_dir, pseudonymise=True, salt="k")
    assert "pseudonymised</dt><dd>yes" in pseudo
    assert pseudo.count("<svg ") == plain.count("<svg ")


# ---- assumptions ---------------------------------------------------------------------------------

SCENARIO_TEXT = """\
# Header about the file [S] = sourced
# second header line
name: Test
calendar:
  horizon_weeks: 52          # the year we care about
tiers:                       # response targets [S: HMICFRS 2023]
  - {name: VH, weight: 8, target_days: 1}   # weight [E]
  - {name: H, weight: 4, target_days: 7}
arrivals:
  cases_per_week: 7.5        # [E] guess from "#3 report"
  # [S] FOI 2020 reply
  annual_growth: 0.04
  label: "a # inside quotes"
examiners:
  - name: mobile
    count: 3
    skills: [mobile, video]
"""


def test_assumptions_parser_reads_markers_and_inheritance():
    items = {a.path: a for a in parse_assumptions(SCENARIO_TEXT)}
    assert "name" not in items  # the scenario's title is not an input
    assert items["calendar.horizon_weeks"].status == "comment"
    assert items["tiers[VH].weight"].status == ESTIMATE
    # "# weight [E]" names weight only: target_days on the same line inherits the tiers comment
    td = items["tiers[VH].target_days"]
    assert td.status == SOURCED and td.inherited_from == "tiers" and "HMICFRS" in td.note
    assert items["tiers[H].weight"].status == SOURCED and items["tiers[H].weight"].inherited_from == "tiers"
    assert items["arrivals.cases_per_week"].status == ESTIMATE
    assert items["arrivals.cases_per_week"].note == '[E] guess from "#3 report"'
    assert items["arrivals.annual_growth"].status == SOURCED  # comment line directly above
    assert items["arrivals.label"].status == NONE and items["arrivals.label"].value == "a # inside quotes"
    assert items["examiners[mobile].skills"].value == "[mobile, video]"
    assert items["examiners[mobile].count"].status == NONE
    assert header_comment(SCENARIO_TEXT).startswith("Header about the file")
    assert line_comments('x: "#no"  # yes')[0] == "yes"


def test_assumptions_group_rows_and_list_defaults():
    rows = group_rows(parse_assumptions(SCENARIO_TEXT))
    assert [r.path for r in rows][:3] == ["calendar.horizon_weeks", "tiers[VH].weight", "tiers[VH].target_days"]
    model = {"name": "Test", "calendar": {"horizon_weeks": 52, "warmup_weeks": 0.0},
             "examiners": [{"name": "mobile", "count": 3, "productivity": 1.0},
                           {"name": "senior", "count": 1, "productivity": 0.8}],
             "backlog": [{"count": 1, "stage": "first"}, {"count": 2, "stage": "first"},
                         {"count": 3, "stage": "first"}]}
    defaults = {a.path: a for a in defaults_not_in_file(model, parse_assumptions(SCENARIO_TEXT))}
    assert defaults["calendar.warmup_weeks"].status == DEFAULT and defaults["calendar.warmup_weeks"].value == "0"
    assert defaults["backlog[0-2].stage"].value == "first"
    assert "examiners[mobile].count" not in defaults  # the file sets it


def test_shipped_baseline_assumptions_are_all_accounted_for():
    items = parse_assumptions(BASELINE.read_text(encoding="utf-8"))
    assert len(items) > 50
    by = {a.path: a for a in items}
    assert by["calendar.start_date"].status == SOURCED
    assert by["arrivals.cases_per_week"].status == ESTIMATE


# ---- pseudonyms ----------------------------------------------------------------------------------

def test_pseudonyms_are_stable_salted_and_hide_the_reference():
    ref = "NY/2023/0412"
    a, b = Pseudonymiser("secret"), Pseudonymiser("secret")
    assert a(ref) == b(ref) and re.fullmatch(r"C-[0-9a-f]{6}", a(ref))
    assert a(ref) != Pseudonymiser("other")(ref)
    assert Pseudonymiser()(ref) != Pseudonymiser()(ref)  # random per-run keys
    assert a(f"  {ref} ") == a(ref)
    out = pseudonymise_column([ref, "NY/2023/0413", ref], a)
    assert out[0] == out[2] != out[1]
    assert not any("0412" in p or "NY" in p for p in out)
    assert Pseudonymiser("s", prefix="D-")(ref).startswith("D-")


def test_pseudonym_mapping_never_merges_two_references():
    p = Pseudonymiser("s", length=4)  # 65,536 values: 3,000 references collide at 4 digits
    refs = [f"CASE-{i}" for i in range(3000)]
    table = p.mapping(refs)
    assert len(set(table.values())) == len(refs)
    assert len({len(v) for v in table.values()}) == 1  # all lengthened together


# ---- the report command --------------------------------------------------------------------------

def _run(args):
    return CliRunner().invoke(main, args)


@pytest.mark.parametrize("setup, message", [
    (lambda d: None, "no such run folder"),
    (lambda d: d.mkdir(), "no summary.json"),
    (lambda d: (d.mkdir(), (d / "summary.json").write_text("{not json")), "not valid JSON"),
    (lambda d: (d.mkdir(), (d / "summary.json").write_text('{"a": 1}')), "no \"kind\""),
    (lambda d: (d.mkdir(), (d / "summary.json").write_text('{"kind": "weather"}')), "unknown kind"),
    (lambda d: (d.mkdir(), (d / "summary.json").write_text('{"kind": "simulation"}')), "not a complete"),
    (lambda d: (d.mkdir(), (d / "summary.json").write_text('{"kind": "compare"}')), "incomplete or malformed compare"),
    (lambda d: (d.mkdir(), (d / "invest.json").write_text('{"kind": "invest", "chosen": 1}')), "malformed invest"),
    (lambda d: (d.mkdir(), (d / "plan.json").write_text('{"summary": {}, "devices": []}')), "no \"kind\""),
    (lambda d: (d.mkdir(), (d / "notes.txt").write_text("x")), "no summary.json, compare.json"),
])
def test_report_command_bad_input_one_line_exit_2_nothing_written(tmp_path, setup, message):
    run = tmp_path / "run"
    setup(run)
    before = sorted(tmp_path.rglob("*"))
    res = _run(["report", str(run), "-o", str(tmp_path / "out.html"), "--figures", str(tmp_path / "figs")])
    assert res.exit_code == 2, res.output
    assert res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 1 and message in res.stderr
    assert sorted(tmp_path.rglob("*")) == before


def test_report_command_writes_default_file_and_figures(run_dir, tmp_path):
    res = _run(["report", str(run_dir), "--figures", str(tmp_path / "figs"), "--pseudonymise"])
    assert res.exit_code == 0, res.output
    assert res.stdout == ""  # human messages go to stderr
    assert (run_dir / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert len(list((tmp_path / "figs").glob("*.png"))) == len(SIMULATION_CHARTS)
    quiet = _run(["report", str(run_dir), "-o", str(tmp_path / "r.html"), "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == "" and (tmp_path / "r.html").exists()


def test_a_summary_json_of_kind_plan_is_checked_as_a_plan(tmp_path):
    """Every kind renders through the registry (no module looked up by name): a summary.json that
    says "plan" but is no plan is refused by the plan schema with one line, nothing rendered."""
    run = tmp_path / "plan"
    run.mkdir()
    (run / "summary.json").write_text('{"kind": "plan"}')
    with pytest.raises(InputError, match="malformed plan summary"):
        render_report(run)


# ---- compare, invest and plan reports ------------------------------------------------------------

SCENARIOS = BASELINE.parent
EXAMPLES = SCENARIOS / "examples"
ORIGINAL_REFS = re.compile(r"EX24\d\d|NY/2024/\d+")


def make_compare_dir(tmp: Path, *, weeks: int = 13, replications: int = 2) -> tuple[Path, Path]:
    """``compare --out --report`` on the baseline and its strict-priority variant, shortened.

    The variant ``extends`` the baseline by a relative path, so both are written side by side.
    """
    text = re.sub(r"horizon_weeks: *\d+", f"horizon_weeks: {weeks}", BASELINE.read_text(encoding="utf-8"), count=1)
    (tmp / BASELINE.name).write_text(text, encoding="utf-8")
    variant = SCENARIOS / "north_yorkshire_2022_priority.yaml"
    (tmp / variant.name).write_text(variant.read_text(encoding="utf-8"), encoding="utf-8")
    out, report = tmp / "cmp", tmp / "cmp_report.html"
    res = _run(["compare", str(tmp / BASELINE.name), str(tmp / variant.name), "-n", str(replications),
                "--workers", "1", "--out", str(out), "--report", str(report), "-q"])
    assert res.exit_code == 0, res.output
    return out, report


def make_invest_dir(tmp: Path) -> tuple[Path, Path]:
    """A very small real ``invest`` run (8 weeks, three levers, 4 replications) with its report."""
    from tests.helpers import small, to_yaml

    scen = to_yaml(small(horizon_weeks=8, keep=("overtime", "triage_kiosk", "training"), budget=150_000, appraisal={}),
                   tmp / "invest_small.yaml")
    out, report = tmp / "inv", tmp / "inv_report.html"
    res = _run(["invest", str(scen), "-n", "4", "--workers", "1", "--out", str(out), "--report", str(report), "-q"])
    assert res.exit_code == 0, res.output
    return out, report


def make_plan_json(tmp: Path, *extra: str) -> tuple[Path, Path]:
    """The shipped example queue and staff planned for 3 June 2024, as plan.json and its report."""
    out, report = tmp / "plan.json", tmp / "plan_report.html"
    res = _run(["plan", str(EXAMPLES / "queue.csv"), "--staff", str(EXAMPLES / "staff.csv"), "--week", "2024-06-03",
                "--out", str(out), "--report", str(report), *extra])
    assert res.exit_code == 0, res.output
    return out, report


@pytest.fixture(scope="module")
def compare_run(tmp_path_factory):
    return make_compare_dir(tmp_path_factory.mktemp("compare"))


@pytest.fixture(scope="module")
def invest_run(tmp_path_factory):
    return make_invest_dir(tmp_path_factory.mktemp("invest"))


def _self_contained(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html, re.I)


def test_compare_report_same_page_from_option_folder_and_memory(compare_run):
    from dfu_sched.reports.compare_html import render_compare, scenario_files

    out, report = compare_run
    html = report.read_text(encoding="utf-8")
    assert html == render_report(out)  # --report == `dfu-sched report` on the --out folder
    data = json.loads((out / "compare.json").read_text())
    assert render_compare(data, scenario_files(data, None)).html == html  # no --out: from the recorded files
    assert sorted(p.name for p in (out / "scenarios").iterdir()) == ["north_yorkshire_2022.yaml",
                                                                     "north_yorkshire_2022_priority.yaml"]
    _self_contained(html)


def test_compare_report_reads_in_plain_words_with_paired_intervals(compare_run):
    out, report = compare_run
    html = report.read_text(encoding="utf-8")
    # scenarios are named as people know them, not by file name (issue 8, item 16)
    assert "Lowest child-safeguarding exposure: North Yorkshire 2022, strict tier priority</strong>" in html
    assert "paired 95% CI" in html
    assert "North Yorkshire 2022, strict tier priority minus North Yorkshire 2022 baseline" in html
    assert "Cost inside the horizon:" in html
    names = re.findall(r'data-chart="([^"]+)"', html)
    assert names == ["compare_backlog", "compare_wait", "compare_differences"]  # no costs: no cost chart
    assert "Builds on the compared scenario <strong>north_yorkshire_2022</strong>" in html
    assert "[S] sourced" in html and "[E] estimate" in html
    assert "dfu-sched compare" in html and "--seed 2022" in html


def test_compare_cost_chart_appears_when_a_scenario_costs_money(compare_run):
    from dfu_sched.reports.charts.compare import COMPARE_CHARTS

    data = json.loads((compare_run[0] / "compare.json").read_text())
    s = data["scenarios"][1]
    s["cost_gbp"] = 120_000.0
    s["cost_profile"]["by_financial_year"] = [{"financial_year": "2022/23", "total": 20_000.0},
                                              {"financial_year": "2023/24", "total": 100_000.0}]
    names = [c.spec.name for c in render_charts(data, COMPARE_CHARTS)]
    assert names == ["compare_backlog", "compare_wait", "compare_differences", "compare_cost"]


def test_invest_report_from_a_small_real_run(invest_run):
    out, report = invest_run
    html = report.read_text(encoding="utf-8")
    assert html == render_report(out)
    _self_contained(html)
    data = json.loads((out / "invest.json").read_text())
    assert (out / "scenario.yaml").is_file()
    lead = in_words(data["explanation"][0], [o["name"] for o in data["options"]])  # options in words
    assert f"<li><strong>{escape(lead)}</strong></li>" in html  # the answer leads the page
    names = re.findall(r'data-chart="([^"]+)"', html)
    assert names[:3] == ["invest_frontier", "invest_backlog", "invest_wait"]
    assert ("invest_cost" in names) == (data["cost_profile"]["total_gbp"] > 0)
    assert "chosen minus doing nothing" in html and "[E] estimate" in html
    assert "dfu-sched invest" in html and "--budget 150000" in html


def test_invest_report_on_synthetic_frontier_marks_dominated_and_budget(invest_run):
    from dfu_sched.reports.charts.invest import frontier_chart

    data = json.loads((invest_run[0] / "invest.json").read_text())
    fig = frontier_chart(data)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "efficient frontier" in labels and "chosen mix (95% CI)" in labels
    assert any(t.startswith("budget £150,000") for t in labels)


def test_invest_report_when_no_mix_was_screened_out(invest_run):
    """A search that screened nothing out (every mix evaluated) still gets its page: the note
    about screened mixes is left out instead of failing on an empty list."""
    from dfu_sched.reports.invest_html import render_invest

    data = json.loads((invest_run[0] / "invest.json").read_text())
    page = render_invest({**data, "screened": []}, None).html
    assert "Mixes evaluated, with at least" in page and "were dropped after" not in page


def test_lever_sources_are_classified():
    from dfu_sched.reports.invest_html import lever_status

    assert lever_status("estimate") == "estimate"
    assert lever_status("estimate: fully loaded (grades pay [S])") == "partly sourced"
    assert lever_status("[S] Cleveland kiosk ~£109K") == "sourced"
    assert lever_status("[S] pilot; image-case share [E]") == "partly sourced"
    assert lever_status("") == "not annotated"


def test_plan_report_same_page_from_option_and_json(tmp_path):
    plan_json, report = make_plan_json(tmp_path)
    html = report.read_text(encoding="utf-8")
    assert html == render_report(plan_json) == render_report(tmp_path)  # the file, or its folder
    _self_contained(html)
    assert re.findall(r'data-chart="([^"]+)"', html) == ["plan_week"]
    assert "Each examiner&#x27;s list, in order" in html and "why this device, now" in html
    assert "size: A4 landscape" in html and "pseudonymised: no" in html
    res = _run(["report", str(plan_json), "-q"])
    assert res.exit_code == 0 and (tmp_path / "plan.report.html").read_text() == html


def test_plan_report_pseudonymises_everything_and_matches_plan_pseudonyms(tmp_path):
    plain, _ = make_plan_json(tmp_path)
    assert ORIGINAL_REFS.search(plain.read_text())  # the example has real-looking references
    pseudo = render_report(plain, pseudonymise=True, salt="k1")
    assert not ORIGINAL_REFS.search(pseudo), "a reference survived pseudonymisation"
    assert render_report(plain, pseudonymise=True, salt="k1") == pseudo
    # the same salt gives the same pseudonyms as `plan --pseudonymise --salt`
    other = tmp_path / "p"
    other.mkdir()
    masked, masked_report = make_plan_json(other, "--pseudonymise", "--salt", "k1")
    doc = json.loads(masked.read_text())
    assert all(d["device"] in pseudo for d in doc["devices"])
    # a pseudonymised plan is left alone, with or without the flag
    page_masked = masked_report.read_text()
    assert page_masked == render_report(masked) == render_report(masked, pseudonymise=True)
    assert "pseudonymised: yes (in the plan file)" in page_masked and not ORIGINAL_REFS.search(page_masked)


def test_new_report_options_check_the_path_before_any_work(tmp_path):
    for args in (["compare", str(BASELINE), str(BASELINE), "-n", "2", "--out", str(tmp_path / "o")],
                 ["invest", str(SCENARIOS / "north_yorkshire_400k.yaml"), "--out", str(tmp_path / "o")],
                 ["plan", str(EXAMPLES / "queue.csv"), "--staff", str(EXAMPLES / "staff.csv"),
                  "--out", str(tmp_path / "o.json")]):
        res = _run(args + ["--report", str(tmp_path / "r.pdf"), "--figures", str(tmp_path / "f")])
        assert res.exit_code == 2 and "--report" in res.stderr and len(res.stderr.strip().splitlines()) == 1
        assert list(tmp_path.iterdir()) == []


def test_compare_figures_export(compare_run, tmp_path):
    res = _run(["report", str(compare_run[0]), "-o", str(tmp_path / "r.html"), "--figures", str(tmp_path / "f"), "-q"])
    assert res.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "f").iterdir()) == sorted(
        f"{n}.{e}" for n in ("compare_backlog", "compare_wait", "compare_differences") for e in ("png", "svg"))


def test_plan_out_html_and_report_are_one_page_with_one_palette(tmp_path):
    """Issue 8 item 8: `plan --out x.html` and `plan --report` gave two pages with two tier palettes
    (a red-blue diverging one, not colour-blind safe, and Okabe-Ito). Now: the same bytes, and every
    tier colour on the page (tags, week chart, examiner strips) comes from charts.TIER_COLOURS."""
    from dfu_sched.reports.charts.palette import TIER_COLOURS

    out, rep = tmp_path / "plan.html", tmp_path / "plan-report.html"
    res = _run(["plan", str(EXAMPLES / "queue.csv"), "--staff", str(EXAMPLES / "staff.csv"), "--week", "2024-06-03",
                "--time-limit", "5", "--out", str(out), "--report", str(rep)])
    assert res.exit_code == 0, res.output
    page = out.read_text()
    assert page == rep.read_text()
    tags = set(re.findall(r'class="tiertag" style="background:(#[0-9A-Fa-f]{6})', page))
    bars = set(re.findall(r'<rect [^>]*fill="(#[0-9A-Fa-f]{6})" stroke="#333"', page))
    assert tags and bars and tags | bars <= set(TIER_COLOURS)
    for old in ("#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"):
        assert old not in page.lower()
