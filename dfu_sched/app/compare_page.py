"""The Compare page's logic, as plain functions over the library API.

Why plain functions: the Streamlit script only lays out widgets; how a variant is made, how the
comparison is run and what its table says in words live here, where a unit test or a notebook can
call them. The run is the call ``dfu-sched compare`` makes (``invest.compare.compare_scenarios``,
common random numbers, differences against the first variant), the report is the command's
``render_compare`` and the workbook its ``write_compare_xlsx``: for the same scenarios,
replications and seed the page shows the command's numbers. Each variant becomes a scenario file
named by its id (``variants_zip``), so ``dfu-sched compare`` on those files repeats the run exactly.
"""
from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from dfu_sched.app.runs import PACE, KeptResults, duration_words, rough_seconds, scenario_events
from dfu_sched.app.simulate_page import (
    MAX_REPLICATIONS,
    Levers,
    ScenarioSource,
    apply_levers,
    edited_yaml,
    plain_words,
    scenario_json,
)
from dfu_sched.errors import InputError
from dfu_sched.scenario.schema import Scenario

#: Variants besides the page's scenario (the compare report is read side by side: four at most).
MAX_EXTRA_VARIANTS = 3
#: The longest variant name (a column heading in the report and the workbook).
MAX_NAME = 60
#: Measure keys (by their last part) where more is better; neutral ones say only "more" or "fewer".
HIGHER_IS_BETTER = ("within_target_pct", "started")
NEUTRAL = ("outsourced_devices", "outsourced_spend_gbp")


@dataclass(frozen=True)
class Variant:
    """One compared scenario: its name (shown escaped), the model, and the YAML its assumptions are read from."""

    name: str
    scenario: Scenario
    text: str


@dataclass(frozen=True)
class CompareRequest:
    """What one comparison runs: the variants (the first is the reference), replications and seed."""

    variants: tuple[Variant, ...]
    replications: int
    seed: int

    @property
    def key(self) -> str:
        """The cache key: the same scenarios (as JSON), names, replications and seed give the same result."""
        return json.dumps([[v.name, scenario_json(v.scenario)] for v in self.variants]
                          + [self.replications, self.seed])

    @property
    def total(self) -> int:
        """Replications the run makes (what its progress bar counts)."""
        return self.replications * len(self.variants)

    def duration(self) -> str:
        """Roughly how long the run will take, in words (a guide from the scenarios' size)."""
        seconds = sum(rough_seconds(v.scenario, self.replications) for v in self.variants)
        return (f"This comparison simulates {self.total:,} replications: {duration_words(seconds)} at this "
                "computer's latest pace, one replication at a time.")


@dataclass(frozen=True)
class CompareOutcome:
    """A finished comparison: the command's JSON, its report and charts, and the workbook's bytes."""

    doc: dict
    html: str
    charts: list[tuple[str, str]]
    xlsx: bytes


def check_name(name: str, position: int) -> str:
    """A variant's name, stripped; ``InputError`` (one line) if empty, too long or on several lines."""
    text = name.strip()
    if not text:
        raise InputError(f"variant {position}: give it a name", source="the form")
    if len(text) > MAX_NAME or "\n" in text or "\r" in text:
        raise InputError(f"variant {position}: the name must be one line of at most {MAX_NAME} characters",
                         source="the form")
    return text


def named(sc: Scenario, name: str) -> Scenario:
    """``sc`` under the variant's name (the report titles each scenario by its name)."""
    return sc if sc.name == name else sc.with_updates({"name": name})


def from_levers(base: ScenarioSource, name: str, levers: Levers, position: int) -> Variant:
    """A variant made from the page's scenario by changing the levers (examiners, demand, queue rule)."""
    sc = named(apply_levers(base.scenario, levers), check_name(name, position))
    return Variant(sc.name, sc, edited_yaml(sc, base.label))


def from_source(src: ScenarioSource, name: str, position: int) -> Variant:
    """A variant read from a file (shipped, uploaded or the page's own) under the variant's name.

    Its assumptions are read from the file's own text (with its [S]/[E] notes) unless it ``extends``
    another file, whose inputs the report could not list: then from the whole scenario.
    """
    sc = named(src.scenario, check_name(name, position))
    data = yaml.safe_load(src.text)  # read before (``ScenarioSource``): valid YAML
    extends = isinstance(data, dict) and "extends" in data
    return Variant(sc.name, sc, edited_yaml(sc, src.label) if extends else src.text)


def make_request(variants: list[Variant], replications: int, seed: int) -> CompareRequest:
    """The comparison of ``variants``, checked as ``dfu-sched compare`` checks its files."""
    from dfu_sched.sim.experiment import check_size

    if not 2 <= len(variants) <= MAX_EXTRA_VARIANTS + 1:
        raise InputError(f"compare needs two to {MAX_EXTRA_VARIANTS + 1} variants", source="the form")
    seen: set[str] = set()
    for i, v in enumerate(variants, 1):
        if v.name.casefold() in seen:
            raise InputError(f"variant {i}: another variant has the same name", source="the form")
        seen.add(v.name.casefold())
    if not 2 <= replications <= MAX_REPLICATIONS:
        raise InputError(f"replications must be between 2 and {MAX_REPLICATIONS} (intervals need two)",
                         source="the form")
    for v in variants:
        check_size(v.scenario, replications)  # refused before starting, as the command does
    return CompareRequest(tuple(variants), replications, seed)


def variant_ids(names: list[str]) -> list[str]:
    """A file-name id per variant: lower-case letters, digits and dashes ('More staff!' -> 'more-staff').

    Only these characters, so an id is a safe file name and a workbook heading that cannot start a
    formula; a name with none of them becomes ``variant-N``; repeats get ``-2``, ``-3``.
    """
    out: list[str] = []
    for i, name in enumerate(names, 1):
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-") or f"variant-{i}"
        out.append(slug if slug not in out else f"{slug}-{i}")
    return out


def loaded(request: CompareRequest) -> list[tuple[str, Scenario]]:
    """(file name, scenario) pairs as ``dfu-sched compare ID.yaml ...`` loads them."""
    ids = variant_ids([v.name for v in request.variants])
    return [(f"{i}.yaml", v.scenario) for i, v in zip(ids, request.variants)]


def run_compare(request: CompareRequest, progress: Callable[[int], None] | None = None) -> dict:
    """The comparison's JSON (what ``dfu-sched compare --json`` prints), in this process.

    One process (the serial executor): results do not depend on the workers, and the app's server
    does not fork a pool from a background thread (see ``sim.experiment.worker_pool``).
    """
    from dfu_sched.invest.compare import compare_scenarios
    from dfu_sched.reports.files import to_json
    from dfu_sched.sim.experiment import SerialExecutor

    out = compare_scenarios(loaded(request), request.replications, request.seed, workers=1, progress=progress,
                            executor=SerialExecutor())
    PACE.observe(sum(scenario_events(v.scenario, request.replications) for v in request.variants),
                 out["run"]["seconds"])
    clean: dict = json.loads(to_json(out))
    return clean


#: The page's comparisons (one cache per server process, shared by sessions: a result is a pure
#: function of its request).
RUNS = KeptResults()


def compare_cached(request: CompareRequest, progress: Callable[[int], None] | None = None) -> dict:
    """:func:`run_compare`, or the kept result of an identical request."""
    found: dict = RUNS.get(request.key, lambda: run_compare(request, progress))
    return found


def outcome(doc: dict, request: CompareRequest) -> CompareOutcome:
    """The report ``dfu-sched compare --report`` writes, its charts, and the ``--xlsx`` workbook's bytes."""
    from dfu_sched.reports.compare_html import ScenarioFile, render_compare
    from dfu_sched.reports.finance_xlsx import write_compare_xlsx

    files = [ScenarioFile(s["id"], s["file"], v.text) for s, v in zip(doc["scenarios"], request.variants)]
    rendered = render_compare(doc, files, pseudonymise=False)  # totals over simulated devices: no references
    with tempfile.TemporaryDirectory(prefix="dfu-app-") as tmp:
        path = write_compare_xlsx(doc, Path(tmp) / "compare.xlsx")
        xlsx = path.read_bytes()
    return CompareOutcome(doc, rendered.html, [(c.spec.title, c.svg) for c in rendered.charts], xlsx)


def variants_zip(request: CompareRequest) -> bytes:
    """The variants as scenario files ``ID.yaml`` in a zip: ``dfu-sched compare`` on them repeats the run."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for (name, sc), v in zip(loaded(request), request.variants):
            zf.writestr(name, edited_yaml(sc, f"the variant '{v.name}'"))
    return buf.getvalue()


def headline(doc: dict) -> list[str]:
    """The report's headline findings, one plain sentence each (the same words as the HTML report)."""
    from dfu_sched.reports.compare_html import compare_headline

    return [plain_words(item) for item in compare_headline(doc)]


# ---- the paired differences in words ------------------------------------------------------------

def _unit(key: str) -> str:
    last = key.split(".")[-1]
    if "wait" in key or "age_at_end" in key:
        return "days"
    if last == "exposure":
        return "weighted device-days"
    if last == "within_target_pct":
        return "percentage points"
    if last == "outsourced_spend_gbp":
        return "£"
    return "devices"


def _direction(key: str) -> int:
    """-1: smaller is better (waits, exposure, backlog), +1: larger is better, 0: neither."""
    last = key.split(".")[-1]
    return 1 if last in HIGHER_IS_BETTER else 0 if last in NEUTRAL else -1


def _num(x: float, digits: int) -> str:
    return f"{x:,.{digits}f}"


def difference_words(block: dict, key: str, name: str, versus: str) -> tuple[str, str]:
    """(which is better, the sentence) for a paired block of ``name`` minus ``versus`` on measure ``key``.

    A difference whose 95% interval holds zero is "cannot tell apart": the runs do not show one.
    """
    v, (lo, hi) = block.get("estimate"), (block.get("ci95") or [None, None])
    if v is None:
        return "no estimate", "no estimate (the measure was not observed in every run)"
    unit, digits = _unit(key), 0 if abs(v) >= 100 else 1
    few = "fewer" if unit in ("days", "devices") else "less"
    if lo is None or hi is None or lo <= 0 <= hi:
        ci = "" if lo is None or hi is None else f" (95% CI {_num(lo, digits)} to {_num(hi, digits)})"
        return "cannot tell apart", (f"{name} minus {versus}: {v:+,.{digits}f} {unit}{ci}: "
                                     "the runs cannot tell them apart")
    word = few if v < 0 else "more"
    a, b = sorted((abs(lo), abs(hi)))
    sentence = (f"{name} has {_num(abs(v), digits)} {unit} {word} than {versus} "
                f"(paired 95% CI {_num(a, digits)} to {_num(b, digits)} {word})")
    direction = _direction(key)
    better = "neither (not better or worse)" if direction == 0 else name if (v > 0) == (direction > 0) else versus
    return better, sentence


def difference_rows(doc: dict) -> list[dict]:
    """The paired-difference table in words: per variant and measure, which is better and by how much."""
    titles = {s["id"]: s["title"] for s in doc["scenarios"]}
    rows = []
    for d in doc["differences"]:
        name, versus = titles.get(d["id"], d["id"]), titles.get(d["versus"], d["versus"])
        for k in doc["measures"]:
            if k.startswith("first_week_below.") or k not in d["measures"]:
                continue
            block = d["measures"][k]
            better, sentence = difference_words(block, k, name, versus)
            lo, hi = block.get("ci95") or [None, None]
            rows.append({"variant": name, "measure": doc["labels"].get(k, k), "better": better,
                         "in words": sentence, "difference": block.get("estimate"), "95% CI low": lo,
                         "95% CI high": hi})
    return rows


def side_by_side(doc: dict) -> list[dict]:
    """Each measure's mean per variant (the report's "Side by side" table), for a data table.

    Columns are headed 'A: name', 'B: name' ...: unique, and never the 'measure' column, whatever a
    variant is called.
    """
    heads = [f"{chr(ord('A') + i)}: {s['title']}" for i, s in enumerate(doc["scenarios"])]
    rows = []
    for k in doc["measures"]:
        row: dict = {"measure": doc["labels"].get(k, k)}
        for head, s in zip(heads, doc["scenarios"]):
            row[head] = (s["measures"].get(k) or {}).get("estimate")
        rows.append(row)
    rows.append({"measure": "cost in horizon (£)", **{h: s["cost_gbp"] for h, s in zip(heads, doc["scenarios"])}})
    return rows
