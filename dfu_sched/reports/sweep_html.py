"""The ``sweep`` report: every grid point's measures, the heat map, and the cheapest point meeting the target.

Everything comes from ``sweep.json`` (``dfu-sched sweep --out``), so ``dfu-sched report`` on the
folder draws the same page. It leads with the answer (the cheapest point that meets the target and
its paired difference from the baseline point), then one chart per shown measure
(``reports.charts.sweep``), the table of points, the paired differences of every point, how to
reproduce the run and the scenario's assumptions (from the copy in the folder). A sweep holds
totals over simulated devices only; with ``--pseudonymise`` the scenario's file name is replaced.
"""
from __future__ import annotations

import shlex
from dataclasses import replace
from html import escape
from pathlib import Path

from dfu_sched import __version__
from dfu_sched.privacy import FILE_PLACEHOLDER
from dfu_sched.reports.charts.common import ChartSpec, render_charts
from dfu_sched.reports.charts.sweep import SWEEP_CHARTS
from dfu_sched.reports.page import (
    RenderedReport,
    aggregate_privacy,
    assumptions_section,
    diff_cell,
    facts,
    gbp,
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
    anything,
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
from dfu_sched.reports.sweep_text import cost_phrase

_opt_num = nullable(num)
_value = anything  # a grid value: a number or a word (shown escaped)
SWEEP_POINT = obj({
    "index": integer, "label": text, "values": map_of(_value), "mix": Opt(map_of(_opt_num)), "mix_label": Opt(text),
    "cost_gbp": _opt_num, "cost": num, "measures": map_of(INTERVAL), "vs_baseline": map_of(INTERVAL),
    "meets_target": nullable(boolean), "meets_target_surely": Opt(nullable(boolean)),
})
#: The schema ``dfu-sched report`` checks a ``sweep.json`` against before drawing anything.
SWEEP = obj({
    "kind": text, "version": Opt(nullable(text)), "scenario": text, "scenario_file": Opt(nullable(text)),
    "seed": integer, "replications": integer, "horizon_weeks": Opt(integer), "start_date": Opt(date),
    "axes": list_of(obj({"key": text, "values": list_of(_value, min_length=1)}), min_length=1),
    "measures": list_of(text, min_length=1), "labels": map_of(text), "cost_basis": text, "cost_unit": Opt(text),
    "baseline": integer, "target": nullable(obj({"expression": text, "key": text, "op": text, "value": num,
                                                "from_week": Opt(num)})),
    "cheapest": nullable(integer), "points": list_of(SWEEP_POINT, min_length=1), "run": Opt(RUN_INFO),
    "pseudonymised": Opt(nullable(boolean)),
})


def _v(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def reproduce_command(doc: dict) -> str:
    cmd = ["dfu-sched", "sweep", str(doc.get("scenario_file") or "scenario.yaml")]
    for a in doc["axes"]:
        cmd += ["--grid", f"{a['key']}={','.join(_v(v) for v in a['values'])}"]
    target = doc.get("target")
    cmd += sum((["--measure", k] for k in doc["measures"] if not target or k != target["key"]), [])
    if target:
        cmd += ["--target", target["expression"]]
    if doc["cost_basis"] not in ("investment", "grid order"):
        cmd += ["--cost", doc["cost_basis"]]
    cmd += ["-n", str(doc["replications"]), "--seed", str(doc["seed"]), "--out", "RUN_DIR"]
    return " ".join(c if c == "RUN_DIR" else shlex.quote(c) for c in cmd)


def signed_with_ci(block: dict) -> str:
    """``−420 (95% CI −432 to −409)`` for a difference, in running text."""
    v = block.get("estimate")
    digits = 0 if v is not None and abs(v) >= 100 else 1
    sign = (lambda x: f"{x:+,.{digits}f}".replace("-", "−"))  # noqa: E731
    lo, hi = block.get("ci95", [None, None])
    return sign(v) + (f" (95% CI {sign(lo)} to {sign(hi)})" if lo is not None and hi is not None else "")


def chart_specs(doc: dict) -> list[ChartSpec]:
    """The sweep's charts titled by the measure each shows (the registry's specs keep generic titles)."""
    return [replace(spec, title=f"{doc['labels'].get(k, k)} across the grid")
            for spec, k in zip(SWEEP_CHARTS, doc["measures"])]


def headline(doc: dict) -> list[str]:
    """The answer first: the cheapest point meeting the target (or that none does), then the spread."""
    items = [f"<strong>{len(doc['points'])} grid points</strong> over "
             f"{escape(', '.join(a['key'] for a in doc['axes']))}, {doc['replications']} replications each "
             "with the same simulated devices at every point (common random numbers), so differences are paired."]
    t, best = doc.get("target"), doc.get("cheapest")
    if t and best is None:
        items.append(f"<strong>No point meets {escape(t['expression'])}</strong> on the mean of the replications.")
    elif t:
        p, base = doc["points"][best], doc["points"][doc["baseline"]]
        cost = f" at {gbp(p['cost_gbp'])}" if doc["cost_basis"] == "investment" else ""
        sure = ("its whole 95% interval meets it" if p.get("meets_target_surely")
                else "its mean meets it, but its 95% interval does not wholly")
        d = p["vs_baseline"].get(t["key"], {})
        diff = "" if best == doc["baseline"] or d.get("estimate") is None else (
            f" Against the baseline ({escape(base['label'])}) the target's measure changes by "
            f"{escape(signed_with_ci(d))} (paired).")
        items.append(f"<strong>Cheapest point that meets {escape(t['expression'])}: {escape(p['label'])}</strong>"
                     f"{cost}; {sure}.{diff} <span class=\"note\">({escape(cost_phrase(doc))})</span>")
    return items


def points_table(doc: dict) -> str:
    keys = [a["key"] for a in doc["axes"]]
    invest = doc["cost_basis"] == "investment" or any(p["cost_gbp"] for p in doc["points"])
    header = keys + [doc["labels"][k] for k in doc["measures"]] + (["cost in horizon"] if invest else [])
    header += ["meets target"] if doc.get("target") else []
    rows = []
    for p in doc["points"]:
        row = [escape(_v(p["values"][k])) for k in keys] + [measure_cell(k, p["measures"][k]) for k in doc["measures"]]
        row += [gbp(p["cost_gbp"])] if invest else []
        if doc.get("target"):
            mark = "yes" if p["meets_target"] else "no"
            row.append(f"<strong>{mark} (cheapest)</strong>" if p["index"] == doc.get("cheapest") else mark)
        rows.append(row)
    numeric = [False] * len(keys) + [True] * (len(header) - len(keys))
    return table(header, rows, numeric=numeric, raw=True)


def differences_table(doc: dict) -> str:
    base = doc["points"][doc["baseline"]]
    rows = [[escape(p["label"])] + [diff_cell(p["vs_baseline"][k]) for k in doc["measures"]]
            for p in doc["points"] if p["index"] != doc["baseline"]]
    if not rows:
        return '<p class="note">One point only: nothing to compare.</p>'
    intro = (f"<p>Each point minus the baseline ({escape(base['label'])}), replication by replication, with the "
             "95% interval of the mean difference; bold where the interval excludes zero.</p>")
    return intro + table(["point"] + [doc["labels"][k] for k in doc["measures"]], rows, raw=True)


def render_sweep(doc: dict, scenario_yaml: str | None, *, pseudonymise: bool = False) -> RenderedReport:
    """The sweep page of a ``sweep.json`` document (``scenario_yaml``: the scenario file's text)."""
    if pseudonymise:
        doc = {**doc, "scenario_file": FILE_PLACEHOLDER}
    charts = render_charts(doc, chart_specs(doc))
    fig = numbered_figures(charts)
    body = headline_box(headline(doc), title="In brief")
    if charts:
        body += section("Across the grid", "".join(fig(c.spec.name) for c in charts))
    body += section("Every point (mean, 95% confidence interval below)", points_table(doc))
    body += section("Paired differences from the baseline point", differences_table(doc))
    run = doc.get("run") or {}
    body += section("Reproducing this report", facts([
        ("scenario", doc["scenario"]), ("scenario file", str(doc.get("scenario_file") or "not recorded")),
        ("replications", str(doc["replications"])), ("seed", str(doc["seed"])),
        ("cost basis", cost_phrase(doc)), ("dfu-sched version", str(doc.get("version") or "–")),
        ("run time", f"{run.get('seconds', 0):.1f} s on {run.get('workers', 1)} worker(s)" if run else "–"),
        ("pseudonymised", "yes" if pseudonymise else "no"),
    ]) + "<p>The same command, seed and replications give the same numbers on any number of workers:</p>"
        f"<pre>{escape(reproduce_command(doc))}</pre>", anchor="reproduce")
    body += assumptions_section(scenario_yaml)
    privacy = aggregate_privacy("a sweep", pseudonymise)
    html = page(f"Sweep: {doc['scenario']}", body, kicker="dfu-sched sweep",
                subtitle=f"{len(doc['points'])} points x {doc['replications']} replications, seed {doc['seed']}",
                footer=report_footer(doc.get("version") or __version__, privacy))
    return RenderedReport(html, charts)


def render_run_dir(run_dir: Path, summary: dict, *, pseudonymise: bool = False, salt: str | None = None
                   ) -> RenderedReport:
    """``dfu-sched report`` on a ``sweep --out`` folder (its scenario.yaml gives the assumptions)."""
    path = Path(run_dir) / "scenario.yaml"
    try:
        yaml_text = path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        yaml_text = None
    return render_sweep(summary, yaml_text, pseudonymise=pseudonymise)
