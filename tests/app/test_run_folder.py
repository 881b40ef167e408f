"""The run folder download: the files ``dfu-sched simulate --out DIR`` writes, zipped in memory."""
from __future__ import annotations

import io
import json
import tempfile
import zipfile

from click.testing import CliRunner

from dfu_sched.app import simulate_page as page
from dfu_sched.app.run_folder import FOLDER, run_folder_zip
from dfu_sched.cli import main

BASE = "north_yorkshire_2022.yaml"


def short_source():
    src = page.read_shipped(BASE)
    sc = src.scenario.with_updates({"calendar": {"horizon_weeks": 4}})
    return sc, page.edited_yaml(src, sc)


def without_timing(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k not in ("run", "scenario_file")}


def test_the_zip_holds_what_simulate_out_writes_for_the_same_run(tmp_path, monkeypatch):
    sc, text = short_source()
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # where the page's private folder goes
    data = run_folder_zip(sc, text, 2, 11, page.MAX_REPLICATIONS, source="edited.yaml")
    assert list(temp.iterdir()) == []  # the private folder is gone once the ZIP is made
    scenario_file = tmp_path / "edited.yaml"
    scenario_file.write_text(text, encoding="utf-8")
    out = tmp_path / "cli"
    r = CliRunner().invoke(main, ["simulate", str(scenario_file), "-n", "2", "--seed", "11", "--workers", "1",
                                  "--out", str(out), "-q"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert names == sorted(f"{FOLDER}/{p.name}" for p in out.iterdir())
        assert {n.split("/")[1] for n in names} >= {"summary.json", "weekly.csv", "replications.csv",
                                                      "devices.csv", "scenario.json", "scenario.yaml"}
        for name in names:
            ours, theirs = archive.read(name), (out / name.split("/")[1]).read_bytes()
            if name.endswith("summary.json"):  # the measured seconds and the file name differ
                assert without_timing(json.loads(ours)) == without_timing(json.loads(theirs))
            else:
                assert ours == theirs, name
        assert archive.read(f"{FOLDER}/scenario.yaml").decode() == text
        assert json.loads(archive.read(f"{FOLDER}/summary.json"))["scenario_file"] == "edited.yaml"


def test_too_many_replications_is_one_line():
    sc, text = short_source()
    try:
        run_folder_zip(sc, text, page.MAX_REPLICATIONS + 1, 1, page.MAX_REPLICATIONS)
    except Exception as exc:  # noqa: BLE001 - the type and line are the point
        assert str(exc) == f"the form: replications must be between 1 and {page.MAX_REPLICATIONS}"
    else:
        raise AssertionError("no error")
