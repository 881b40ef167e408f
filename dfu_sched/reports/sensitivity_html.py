"""The ``sensitivity`` report: which estimate matters most, as a tornado per measure and in words.

Everything comes from ``sensitivity.json`` (``dfu-sched sensitivity --out``), so ``dfu-sched report``
on the folder draws the same page. It leads with the answer (per measure, "the 12-month backlog
depends most on cases a week (6.0-9.0: 180 to 420 devices), then ..."), then one tornado per
measure (``reports.charts.tornado``), the table of every bar with its paired intervals, the ranged
inputs and their laws, the Morris screening when one ran, how to reproduce the run and the
scenario's assumptions (from the copy in the folder). A sensitivity run holds totals over simulated
devices only; with ``--pseudonymise`` the scenario's file name is replaced.
"""
from __future__ import annotations

import shlex
from dataclasses import replace
from html import escape
from pathlib import Path

from dfu_sched import __version__
from dfu_sched.privacy import FILE_PLACEHOLDER
from dfu_sched.reports.charts.common import ChartSpec, render_charts
from dfu_sched.reports.charts.tornado import TORNADO_CHARTS
from dfu_sched.reports.page import (
    RenderedReport,
    aggregate_privacy,
    assumptions_section,
    diff_cell,
    facts,
    headline_box,
    measure_cell,
    numbered_figures,
    page,
    report_footer,
    section,
    table,
)
from dfu_sched.reports.run_files import (
    INTERVAL,
    RUN_INFO,
    Opt,
    boolean,
    date,
    integer,
    list_of,
    map_of,
    nullable,
    num,
    obj,
    text,
)
from dfu_sched.reports.sensitivity_text import method_line, mix_line, swing_text

_opt_num = nullable(num)
BAR = obj({"key": text, "label": text, "words": text, "range": text, "low_value": num, "high_value": num,
           "low_text": text, "high_text": text, "low": INTERVAL, "high": INTERVAL, "low_diff": INTERVAL,
           "high_diff": INTERVAL, "swing": _opt_num})
INPUT = obj({"key": text, "words": text, "range": text, "label": text, "value": num, "low": num, "high": num,
             "shape": text, "value_text": Opt(text), "note": Opt(text)})
SCREEN = obj({"key": text, "mu_star": _opt_num, "mu": _opt_num, "sigma": _opt_num, "mu_star_conf": _opt_num})
#: The schema ``dfu-sched report`` checks a ``sensitivity.json`` against before drawing anything.
SENSITIVITY = obj({
    "kind": text, "version": Opt(nullable(text)), "scenario": text, "scenario_file": Opt(nullable(text)),
    "seed": integer, "replications": integer, "horizon_weeks": Opt(integer), "start_date": Opt(date),
    "method": text, "method_asked": Opt(text), "mix_choice": text, "mix": map_of(_opt_num), "mix_label": text,
    "measures": list_of(text, min_length=1), "labels": map_of(text), "units": Opt(map_of(text)),
    "inputs": list_of(INPUT, min_length=1), "base": map_of(INTERVAL), "bars": map_of(list_of(BAR)),
    "headline": map_of(text),
    "screening": nullable(obj({"trajectories": integer, "levels": integer, "replications": integer,
                               "points": integer, "kept": list_of(text), "measures": map_of(list_of(SCREEN))})),
    "run": Opt(RUN_INFO), "pseudonymised": Opt(nullable(boolean)),
})


def reproduce_command(doc: dict) -> str:
    cmd = ["dfu-sched", "sensitivity", str(doc.get("scenario_file") or "scenario.yaml")]
    for k in doc["measures"]:
        cmd += ["--measure", k]
    cmd += ["--mix", doc["mix_choice"], "--method", str(doc.get("method_asked") or "auto"),
            "-n", str(doc["replications"]), "--seed", str(doc["seed"]), "--out", "RUN_DIR"]
    return " ".join(c if c == "RUN_DIR" else shlex.quote(c) for c in cmd)


def chart_specs(doc: dict) -> list[ChartSpec]:
    """The tornadoes titled by the measure each shows (the registry's specs keep generic titles)."""
    return [replace(spec, title=f"What moves {doc['labels'].get(k, k)}")
            for spec, k in zip(TORNADO_CHARTS, doc["measures"])]


def headline(doc: dict) -> list[str]:
    items = [escape(doc["headline"][k]) for k in doc["measures"]]
    items.append(f"{len(doc['inputs'])} ranged inputs, each moved alone to the ends of its range with "
                 f"{doc['replications']} replications per end; every run sees the same simulated devices "
                 "(common random numbers), so a bar is the estimate's effect, and an estimate with no effect "
                 f"has no bar. {escape(mix_line(doc))}")
    return items


def bars_table(doc: dict, key: str) -> str:
    base = doc["base"][key]
    rows = [[escape(b["words"]), escape(f"{b['low_text']} – {b['high_text']}"), measure_cell(key, b["low"]),
             diff_cell(b["low_diff"]), measure_cell(key, base), measure_cell(key, b["high"]),
             diff_cell(b["high_diff"]), escape(swing_text(b["swing"]))]
            for b in doc["bars"][key]]
    header = ["estimate", "low – high", "at low", "low − base", "base", "at high", "high − base", "swing"]
    return table(header, rows, numeric=[False, False] + [True] * 6, raw=True)


def inputs_table(doc: dict) -> str:
    rows = [[i["words"], i["value_text"] if "value_text" in i else f"{i['value']:g}", i["range"], i["shape"],
             i.get("note") or ""] for i in doc["inputs"]]
    return table(["estimate", "value", "one-at-a-time range", "law", "note"], rows,
                 numeric=[False, True, False, False, False])


def screening_section(doc: dict) -> str:
    s = doc.get("screening")
    if not s:
        return ""
    words = {i["key"]: i["words"] for i in doc["inputs"]}
    parts = [f"<p>{escape(method_line(doc))} mu* is the mean absolute change in the measure when the estimate "
             "moves one grid step of its range (in probability); sigma, how much that change depends on the other "
             "estimates.</p>"]
    for k in doc["measures"]:
        rows = [[words.get(r["key"], r["key"]), _g(r["mu_star"]), _g(r["mu_star_conf"]), _g(r["sigma"]),
                 "yes" if r["key"] in s["kept"] else ""] for r in s["measures"].get(k, [])]
        parts.append(f"<h3>{escape(doc['labels'].get(k, k))}</h3>"
                     + table(["estimate", "mu*", "mu* 95% ±", "sigma", "in the tornado"], rows))
    return section("Morris screening", "".join(parts), anchor="screening")


def _g(x) -> str:
    return "–" if x is None else f"{x:,.1f}"


def render_sensitivity(doc: dict, scenario_yaml: str | None, *, pseudonymise: bool = False) -> RenderedReport:
    """The sensitivity page of a ``sensitivity.json`` document (``scenario_yaml``: the scenario file's text)."""
    if pseudonymise:
        doc = {**doc, "scenario_file": FILE_PLACEHOLDER}
    charts = render_charts(doc, chart_specs(doc))
    fig = numbered_figures(charts)
    body = headline_box(headline(doc), title="In brief")
    if charts:
        body += section("Which estimate matters most", "".join(fig(c.spec.name) for c in charts))
    for k in doc["measures"]:
        body += section(f"Every estimate: {doc['labels'].get(k, k)} (mean, 95% interval below)", bars_table(doc, k))
    body += section("The ranged inputs", inputs_table(doc))
    body += screening_section(doc)
    run = doc.get("run") or {}
    body += section("Reproducing this report", facts([
        ("scenario", doc["scenario"]), ("scenario file", str(doc.get("scenario_file") or "not recorded")),
        ("method", method_line(doc)), ("mix", mix_line(doc)),
        ("replications per end", str(doc["replications"])), ("seed", str(doc["seed"])),
        ("dfu-sched version", str(doc.get("version") or "–")),
        ("run time", f"{run.get('seconds', 0):.1f} s on {run.get('workers', 1)} worker(s)" if run else "–"),
        ("pseudonymised", "yes" if pseudonymise else "no"),
    ]) + "<p>The same command, seed and replications give the same numbers on any number of workers:</p>"
        f"<pre>{escape(reproduce_command(doc))}</pre>", anchor="reproduce")
    body += assumptions_section(scenario_yaml)
    privacy = aggregate_privacy("a sensitivity run", pseudonymise)
    html = page(f"Sensitivity: {doc['scenario']}", body, kicker="dfu-sched sensitivity",
                subtitle=f"{len(doc['inputs'])} ranged inputs x 2 ends x {doc['replications']} replications, "
                         f"seed {doc['seed']}",
                footer=report_footer(doc.get("version") or __version__, privacy))
    return RenderedReport(html, charts)


def render_run_dir(run_dir: Path, summary: dict, *, pseudonymise: bool = False, salt: str | None = None
                   ) -> RenderedReport:
    """``dfu-sched report`` on a ``sensitivity --out`` folder (its scenario.yaml gives the assumptions)."""
    path = Path(run_dir) / "scenario.yaml"
    try:
        yaml_text = path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        yaml_text = None
    return render_sensitivity(summary, yaml_text, pseudonymise=pseudonymise)
