"""``dfu-sched invest --input-uncertainty``: the robust block, its headline line, and one-line refusals."""
from __future__ import annotations

import json

from click.testing import CliRunner

from dfu_sched.cli import main
from tests.helpers import BASELINE, small, to_yaml
from tests.uncertainty.robust_builders import ranged_small_file


def _run(args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_invest_input_uncertainty_folder_text_and_headline(tmp_path):
    sc = ranged_small_file(tmp_path / "small.yaml", weeks=6, budget=150_000)
    out_dir = tmp_path / "run"
    r = _run(["invest", sc, "-n", "4", "--seed", "5", "--workers", "1", "--input-uncertainty", "--worlds", "3",
              "--world-replications", "2", "--out", out_dir, "-q"])
    assert r.exit_code == 0, r.output
    out = json.loads((out_dir / "invest.json").read_text())
    rb = out["robust"]
    assert rb["worlds"] == 3 and rb["replications"] == 2 and rb["mixes"][0]["role"] == "chosen"
    assert rb["mixes"][-1]["role"] == "do nothing" and sum(m["best_worlds"] for m in rb["mixes"]) == 3
    assert out["explanation"].index(rb["headline"]) == 1  # right after the answer
    assert "Is the choice robust?" in r.output and "with estimate uncertainty" in r.output
    assert rb["headline"] in r.output


def test_no_ranged_estimates_is_one_line_exit_2_and_writes_nothing(tmp_path):
    plain = to_yaml(small(keep=("overtime",), budget=50_000), tmp_path / "plain.yaml")
    out_dir = tmp_path / "never"
    r = _run(["invest", plain, "-n", "4", "--input-uncertainty", "--out", out_dir, "-q"])
    assert r.exit_code == 2, r.output
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "needs ranged inputs" in err and "--input-uncertainty" in err
    assert not out_dir.exists()
    bad = _run(["invest", BASELINE, "-n", "4", "--input-uncertainty", "--worlds", "1", "-q"])
    assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1 and "--worlds" in bad.stderr
