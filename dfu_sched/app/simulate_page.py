"""The Scenario + Simulate page's logic, as plain functions over the library API.

Why plain functions: the Streamlit script only lays out widgets; what a control changes, how an
upload is read, how a run is made and what the headline says live here, where a unit test or a
notebook can call them. Everything goes through the same library calls as ``dfu-sched simulate``
(``parse_scenario``, ``Scenario.with_updates``, ``run_experiment``, ``render_simulation``), so the
page and the command line give the same numbers for the same scenario, replications and seed.
"""
from __future__ import annotations

import html
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

# The form's levers (``dfu_sched.app.scenario_form``), also reachable here: the page's one entry point.
from dfu_sched.app.scenario_form import Levers, apply_levers, controls_for, levers_of  # noqa: F401
from dfu_sched.app.yaml_edit import edited_yaml_text, plain_yaml
from dfu_sched.errors import InputError
from dfu_sched.paths import shipped
from dfu_sched.reports.assumptions import ESTIMATE, SOURCED, classify, parse_assumptions
from dfu_sched.reports.files import to_json
from dfu_sched.reports.simulate_html import simulation_headline
from dfu_sched.scenario.schema import Scenario, parse_scenario
from dfu_sched.sim.disciplines import DISCIPLINES
from dfu_sched.sim.experiment import run_experiment
from dfu_sched.uncertainty.second_order import input_uncertainty, input_uncertainty_json
from dfu_sched.yamlfile import MAX_FILE_BYTES, parse_yaml

#: Replications the page offers (a run on the page should take seconds, not minutes).
MAX_REPLICATIONS = 200
#: Plausible worlds "Include uncertainty in the estimates" offers (each runs the page's replications).
DEFAULT_WORLDS, MAX_WORLDS = 10, 50


@dataclass(frozen=True)
class ScenarioSource:
    """A scenario the page starts from: its label, its YAML text (for the [S]/[E] notes) and model."""

    label: str
    text: str
    scenario: Scenario
    folder: Path | None = None  #: where an ``extends:`` base is looked up (None: an upload, which has none)


def shipped_scenarios() -> list[str]:
    """The shipped scenario files a manager can start from (top level of ``scenarios/``), by name."""
    folder = shipped("north_yorkshire_2022.yaml").parent
    return sorted(p.name for p in folder.glob("*.yaml"))


def disciplines() -> list[str]:
    """The queue rules that can run (the registry ``dfu-sched schema`` lists)."""
    return list(DISCIPLINES)


def _from_text(text: str, label: str, folder: Path | None) -> ScenarioSource:
    data = parse_yaml(text, label)
    if not isinstance(data, dict):
        raise InputError("a scenario file must be a mapping of keys to values", source=label)
    if "extends" in data:
        if folder is None:
            raise InputError("extends: an uploaded scenario cannot name a base file; upload the whole "
                             "scenario (or start from a shipped one and edit it here)", source=label)
        from dfu_sched.scenario.schema import load_scenario

        return ScenarioSource(label, text, load_scenario(folder / label), folder)
    return ScenarioSource(label, text, parse_scenario(data, source=label), folder)


def read_shipped(name: str) -> ScenarioSource:
    """A shipped scenario by file name (``extends`` resolved against its folder)."""
    if name not in shipped_scenarios():
        raise InputError(f"no shipped scenario is called '{name}'")
    path = shipped(name)
    return _from_text(path.read_text(encoding="utf-8"), name, path.parent)


def read_path(path: Path) -> ScenarioSource:
    """The scenario file ``dfu-sched app SCENARIO`` named, read as ``dfu-sched simulate`` reads it."""
    from dfu_sched.scenario.schema import load_scenario
    from dfu_sched.yamlfile import read_text_file

    sc = load_scenario(path)  # the one-line errors of the command line, extends resolved
    return ScenarioSource(path.name, read_text_file(path, "scenario file"), sc, path.parent)


def read_upload(name: str, data: bytes) -> ScenarioSource:
    """An uploaded scenario file, checked as ``dfu-sched simulate`` checks a file on disk.

    Raises ``InputError`` with one line naming the file and the key (never a value of it).
    """
    label = Path(name).name or "uploaded scenario"
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"the scenario file is larger than {MAX_FILE_BYTES // 1_000_000} MB", source=label)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the scenario file is not UTF-8 text", source=label) from None
    if not text.strip():
        raise InputError("the file is empty", source=label)
    return _from_text(text, label, None)


def control_sources(text: str) -> dict[str, str]:
    """Each form control's source note from the file's comments: ``[S] ...``/``[E] ...`` by key path.

    Keys are the paths the assumptions table uses (``examiners[mobile].count``,
    ``arrivals.cases_per_week``, ``policy.discipline``); a control without a marked comment has none.
    """
    try:
        items = parse_assumptions(text)
    except yaml.YAMLError:
        return {}
    return {a.path: a.note.strip() for a in items if a.marker}


def source_marker(note: str | None) -> str:
    """``[S]`` or ``[E]``: the first marker of a control's note (what the assumptions table counts), or ''."""
    kind = classify(note or "")
    return {SOURCED: "[S]", ESTIMATE: "[E]"}.get(kind, "")


def scenario_json(sc: Scenario) -> str:
    """The validated scenario as JSON: the cache key of a run (same JSON, same result).

    Keys stay in the model's order (never sorted): the order of a mix's entries is part of how
    devices are drawn, so a sorted copy would be a different simulation.
    """
    return json.dumps(sc.model_dump(mode="json", by_alias=True))


def run_summary(scenario_text: str, replications: int, seed: int,
                progress: Callable[[int], None] | None = None, precision: float | None = None) -> dict:
    """Run the scenario (given as :func:`scenario_json`) and return its JSON summary.

    With ``precision`` (a share, e.g. 0.05) it is ``dfu-sched simulate -n auto --precision P
    --max-replications N``: replications until the headline measures' 95% half-widths are within
    ``precision`` of their means, ``replications`` at the most.

    One process (``workers=1``): the result is the same on any machine and under any load, and the
    page does not fork a pool per click. Timing keys are left in the summary for the report.
    """
    if not 1 <= replications <= MAX_REPLICATIONS:
        raise InputError(f"replications must be between 1 and {MAX_REPLICATIONS}", source="the form")
    sc = Scenario.model_validate(json.loads(scenario_text))
    if precision is not None:  # -n auto --precision P --max-replications N: replications as the cap
        from dfu_sched.sim.experiment import SerialExecutor
        from dfu_sched.sim.precision import PrecisionRule, run_until_precise

        rule = PrecisionRule(precision, minimum=min(5, replications), maximum=replications) if replications >= 2 \
            else PrecisionRule(precision, minimum=2, maximum=2)
        result = run_until_precise(sc, rule, seed, SerialExecutor(), progress=progress, source="the web app")
    else:
        result = run_experiment(sc, replications, seed, workers=1, progress=progress, source="the web app")
    clean: dict = json.loads(to_json(result.summary()))  # what summary.json holds
    return clean


class RunCache:
    """Results of runs by (scenario JSON, replications, seed), the newest ``size`` kept, process-wide.

    Why not ``st.cache_data``: it records the Streamlit elements a cached function touches and
    replays them on a hit, and the run's progress bar lives outside the function, so a hit failed.
    A run is a pure function of its key (same input and seed, same output), so any session may
    reuse it; each hit returns a fresh copy, so no caller can change another's result.
    """

    def __init__(self, size: int = 32):
        self.size = size
        self._kept: OrderedDict[tuple[str, int, int, float | None], str] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, scenario_text: str, replications: int, seed: int, precision: float | None = None) -> dict | None:
        """The kept result for these inputs (a fresh copy), or None: no run is made."""
        with self._lock:
            kept = self._kept.get((scenario_text, replications, seed, precision))
        found: dict | None = None if kept is None else json.loads(kept)
        return found

    def summary(self, scenario_text: str, replications: int, seed: int,
                progress: Callable[[int], None] | None = None, precision: float | None = None) -> dict:
        key = (scenario_text, replications, seed, precision)
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
        if kept is None:
            by_precision = {} if precision is None else {"precision": precision}
            kept = json.dumps(run_summary(scenario_text, replications, seed, progress, **by_precision))
            with self._lock:
                self._kept[key] = kept
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        found: dict = json.loads(kept)
        return found


#: The page's run cache (one per server process).
RUNS = RunCache()


_TAG = re.compile(r"<[^>]+>")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def plain_words(fragment: str) -> str:
    """An HTML fragment of the report's headline as plain text (tags dropped, entities read)."""
    return html.unescape(_TAG.sub("", fragment))


def headline(summary: dict) -> list[str]:
    """The report's headline findings, one plain sentence each (the same words as the HTML report)."""
    return [plain_words(item) for item in simulation_headline(summary)]


def markdown_text(text: str) -> str:
    """Plain text made safe for Markdown: a scenario's names can hold ``*`` or ``[``."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def report_and_charts(summary: dict, sc: Scenario, yaml_text: str) -> tuple[str, list[tuple[str, str]]]:
    """The HTML report ``dfu-sched simulate --report`` writes, and its charts as (title, inline SVG).

    One rendering serves both: the page shows the charts and offers the same report as a download.
    """
    from dfu_sched.reports.simulate_html import render_simulation  # matplotlib: only when asked for

    rendered = render_simulation(summary, yaml_text, scenario_model=sc.model_dump(mode="json", by_alias=True))
    return rendered.html, [(c.spec.title, c.svg) for c in rendered.charts]


def edited_yaml(src: ScenarioSource | Scenario, edited: Scenario | str) -> str:
    """The edited scenario as YAML, the original file's comments kept (``dfu_sched.app.yaml_edit``).

    ``dfu-sched simulate`` reads it back to the same model as ``edited``. The first increment's call,
    ``edited_yaml(scenario, source_label)``, still works: with no original text it is a plain dump.
    """
    if isinstance(src, Scenario):
        return plain_yaml(src, str(edited))
    if not isinstance(edited, Scenario):
        raise TypeError("edited_yaml(src, edited): edited must be a Scenario")
    return edited_yaml_text(src.text, src.folder, src.label, edited)


# ---- "Include uncertainty in the estimates" (dfu-sched simulate --input-uncertainty) ---------------

def uncertainty_choice(sc: Scenario) -> tuple[str, bool, str]:
    """The checkbox's label (how many ranged inputs), whether it can be ticked, and its help."""
    n = len(sc.estimates)
    if not n:
        return ("Include uncertainty in the estimates", False,
                "No estimate in this scenario carries a range; give one a range in the scenario file, e.g. "
                "screen_out_share: {value: 0.30, low: 0.20, high: 0.50}, to use this.")
    return (f"Include uncertainty in the estimates ({n} ranged input{'s' if n != 1 else ''})", True,
            "Also run the scenario in plausible worlds of its ranged estimates (as dfu-sched simulate "
            "--input-uncertainty) and show the wider intervals beside the usual ones.")


def ranges_key(sc: Scenario) -> str:
    """The scenario's ranges as text: with :func:`scenario_json` (which holds values only), the key of a run."""
    return repr(sc.estimates)


def run_uncertainty(sc: Scenario, replications: int, seed: int, worlds: int,
                    progress: Callable[[int], None] | None = None) -> dict:
    """``dfu-sched simulate --input-uncertainty --worlds W -n N --seed S``'s block, in one process (the same
    numbers on any machine). ``sc`` must carry its ranges (``Scenario.estimates``), so it is the
    scenario itself, not its JSON."""
    if not 2 <= worlds <= MAX_WORLDS:
        raise InputError(f"plausible worlds must be between 2 and {MAX_WORLDS}", source="the form")
    res = input_uncertainty(sc, None, worlds, max(2, replications), seed, workers=1, progress=progress)
    block: dict = json.loads(to_json(input_uncertainty_json(res)))
    return block


def uncertainty_lines(block: dict) -> list[str]:
    """Each headline measure in plain words: the usual interval, the wider one, where the spread comes from."""
    from dfu_sched.reports.uncertainty_text import measure_sentence

    return [measure_sentence(m, block["worlds"]) for m in block["measures"].values()]
