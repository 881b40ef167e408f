"""The run folder of ``dfu-sched simulate --out DIR``, as a ZIP built for a download.

Why a module: the page offers exactly what the command writes (``summary.json``, the weekly and
per-replication CSVs, replication 0's ``devices.csv``, ``scenario.json`` and the scenario file),
made by the same library function (``reports.files.write_run_files``) from a run of the same
scenario, replications and seed, so a manager's download and an analyst's folder agree. The files
are written into a private temporary folder, read into the ZIP in memory and removed at once:
nothing is left on disk. Entries are in name order with a fixed date, so the archive depends only
on the files (the summary records the run's measured seconds, as the command's does).
"""
from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from dfu_sched.errors import InputError
from dfu_sched.reports.files import write_run_files
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.experiment import run_experiment

#: The folder name inside the ZIP (what ``--out`` would be called).
FOLDER = "run"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a ZIP entry can hold: no clock in the archive


def zip_folder(folder: Path, prefix: str = FOLDER) -> bytes:
    """Every file of ``folder`` (not recursive) in a ZIP, by name, under ``prefix/``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            info = zipfile.ZipInfo(f"{prefix}/{path.name}", date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def run_folder_zip(sc: Scenario, scenario_yaml: str, replications: int, seed: int, max_replications: int,
                   progress: Callable[[int], None] | None = None, source: str = "the web app") -> bytes:
    """Run ``sc`` as ``dfu-sched simulate -n N --seed S --out DIR`` does and return DIR as a ZIP.

    ``scenario_yaml`` is the file the folder's ``scenario.yaml`` holds (the edited scenario's
    download; ``source`` what the summary names as its scenario file). One process, as the page's
    runs: the same numbers on any machine and under any load.
    """
    if not 1 <= replications <= max_replications:
        raise InputError(f"replications must be between 1 and {max_replications}", source="the form")
    result = run_experiment(sc, replications, seed, workers=1, keep_records=True, progress=progress,
                            source=source)
    with tempfile.TemporaryDirectory(prefix="dfu-run-") as tmp:
        scenario_file = Path(tmp) / "scenario.yaml"
        scenario_file.write_text(scenario_yaml, encoding="utf-8")
        folder = Path(tmp) / FOLDER
        folder.mkdir()
        write_run_files(result, folder, scenario_file)
        return zip_folder(folder)
