"""``dfu-sched sweep`` end to end: the table, --json, --csv, --out, the HTML report and ``dfu-sched report``."""
from __future__ import annotations

import csv
import json
import re
import shutil

import pytest
from click.testing import CliRunner

from dfu_sched.cli import main
from dfu_sched.errors import InputError
from dfu_sched.privacy import FILE_PLACEHOLDER
from dfu_sched.reports.charts.sweep import measure_chart
from dfu_sched.reports.kinds import build_report
from dfu_sched.reports.sweep_html import render_sweep
from tests.sweep.builders import unit_file

TARGET = "overall.waiting_at_end<=60"


def _self_contained(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html, re.I)
    assert ">nan<" not in html.lower() and "None" not in re.sub(r"<[^>]+>", "", html)


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """One 2 x 2 sweep with every output (4 points x 2 replications of the 8-week mini unit)."""
    d = tmp_path_factory.mktemp("sweep")
    scen = unit_file(d, "secret-case-name.yaml")
    args = ["sweep", str(scen), "--grid", "examiners.ann.count=1..2", "--grid", "policy.discipline=fifo,priority",
            "--target", TARGET, "-n", "2", "--workers", "1", "--out", str(d / "run"), "--csv", str(d / "p.csv"),
            "--report", str(d / "r.html"), "-q"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    return d, scen, res.output


def test_the_table_names_each_point_and_the_cheapest_meeting_the_target(swept):
    d, _, text = swept
    assert "Sweep: mini, 4 points x 2 replications" in text
    assert re.search(r"^1 +fifo +[0-9.,]+ \[[0-9.,]+, [0-9.,]+\]", text, re.M)
    out = json.loads((d / "run" / "sweep.json").read_text())
    assert out["kind"] == "sweep" and out["target"]["key"] == "overall.waiting_at_end"
    best = out["cheapest"]
    assert best is not None and out["points"][best]["meets_target"]
    assert all(not p["meets_target"] for p in out["points"][:best])  # grid order: the first that meets it
    assert f"Cheapest point that meets {TARGET}: {out['points'][best]['label']}" in text
    rows = list(csv.DictReader((d / "p.csv").open()))
    assert [int(r["point"]) for r in rows] == [0, 1, 2, 3]
    assert float(rows[best]["overall.waiting_at_end"]) == pytest.approx(
        out["points"][best]["measures"]["overall.waiting_at_end"]["estimate"], abs=1e-4)
    assert (d / "run" / "points.csv").read_text() == (d / "p.csv").read_text()


def test_the_report_renders_the_same_page_as_dfu_sched_report_on_the_folder(swept):
    d, _, _ = swept
    html = (d / "r.html").read_text()
    _self_contained(html)
    assert html == build_report(d / "run").html
    assert html.count('data-chart="sweep-measure-') == 3  # the target's measure and the two defaults
    assert "Cheapest point that meets" in html and "Paired differences from the baseline point" in html
    assert "secret-case-name.yaml" in html  # without --pseudonymise the file is named (see below)
    res = CliRunner().invoke(main, ["report", str(d / "run"), "-o", str(d / "again.html"), "-q"])
    assert res.exit_code == 0 and (d / "again.html").read_text() == html


def test_a_one_key_sweep_draws_a_line_and_pseudonymise_hides_the_file_name(tmp_path):
    scen = unit_file(tmp_path, "secret-case-name.yaml")
    res = CliRunner().invoke(main, ["sweep", str(scen), "--grid", "examiners.ann.count=1,2", "-n", "2", "--json",
                                    "--pseudonymise", "--workers", "1", "--report", str(tmp_path / "r.html"), "-q"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["scenario_file"] == FILE_PLACEHOLDER and out["pseudonymised"] is True
    assert out["target"] is None and out["cheapest"] is None and out["cost_basis"] == "grid order"
    html = (tmp_path / "r.html").read_text()
    _self_contained(html)
    assert "secret-case-name" not in html and "secret-case-name" not in res.output
    assert html.count('data-chart="sweep-measure-') == 2
    page = render_sweep(out, None)
    assert "no copy of the scenario file" in page.html and len(page.charts) == 2
    ax = page.charts[0].figure.axes[0]
    assert ax.lines and not ax.images  # one key: a line with whiskers, not a heat map


def test_two_keys_draw_a_heat_map_with_the_cheapest_cell_framed(swept):
    d, _, _ = swept
    doc = json.loads((d / "run" / "sweep.json").read_text())
    ax = measure_chart(0)(doc).axes[0]
    assert len(ax.images) == 1 and ax.images[0].get_array().shape == (2, 2)
    assert len(ax.patches) == 1  # the frame round the cheapest point meeting the target
    stars = [t.get_text() for t in ax.texts if t.get_text().endswith("*")]
    assert len(stars) == sum(p["meets_target"] for p in doc["points"])


def test_a_broken_sweep_json_is_one_line_naming_the_key(swept, tmp_path):
    d, _, _ = swept
    doc = json.loads((d / "run" / "sweep.json").read_text())
    del doc["points"][1]["measures"]
    (tmp_path / "sweep.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"points\[1\]\.measures: missing"):
        build_report(tmp_path)


def test_a_second_run_replaces_the_folder_and_bad_options_exit_2_before_running(swept):
    d, scen, _ = swept
    base = ["sweep", str(scen), "--grid", "examiners.ann.count=1", "-n", "1", "--workers", "1", "-q"]
    shutil.copytree(d / "run", d / "run2")  # the module's run folder stays as the fixture wrote it
    again = CliRunner().invoke(main, base + ["--out", str(d / "run2")])
    assert again.exit_code == 0, again.output
    assert json.loads((d / "run2" / "sweep.json").read_text())["replications"] == 1
    for extra, msg in [(["--measure", "VH.wait"], "error: --measure: unknown measure 'VH.wait'"),
                       (["--by", "3"], "error: --by needs --target"),
                       (["--cost", "staff"], "error: --cost: 'staff' is not a --grid key"),
                       (["--target", "VH.exposure=<3"], "error: --target: cannot read"),
                       (["--report", str(d / "x.txt")], "error: --report")]:
        res = CliRunner().invoke(main, base + extra)
        assert res.exit_code == 2 and res.output.startswith(msg) and res.output.count("\n") == 1, (extra, res.output)


def test_three_keys_draw_a_dot_plot_of_the_points(swept):
    d, _, _ = swept
    doc = json.loads((d / "run" / "sweep.json").read_text())
    doc["axes"].append({"key": "tiers.VH.weight", "values": [8]})
    for p in doc["points"]:
        p["values"]["tiers.VH.weight"] = 8
    ax = measure_chart(0)(doc).axes[0]
    assert not ax.images and [t.get_text() for t in ax.get_yticklabels()] == [p["label"] for p in doc["points"]]
    assert measure_chart(5)(doc) is None  # fewer measures than charts: that chart is left out
