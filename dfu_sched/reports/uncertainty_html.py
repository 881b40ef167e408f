"""The "What if our estimates are wrong?" section of the simulate and compare reports.

Why a section function, not a page: input uncertainty is a second look at the same run, so it sits
inside the simulate (or compare) report beside the usual intervals. It reads only the
``input_uncertainty`` block of the run's JSON, and its sentences are those of the terminal
(``reports.uncertainty_text``), so a panel member reads the same words on paper and on screen.
"""
from __future__ import annotations

from html import escape

from dfu_sched.reports.page import section, table
from dfu_sched.reports.uncertainty_text import exact_text, main_driver, measure_sentence, range_text, share_text

ANCHOR = "input-uncertainty"
TITLE = "What if our estimates are wrong?"


def _how(block: dict) -> str:
    n_in = len(block.get("inputs", []))
    return ("<p>The intervals elsewhere in this report cover chance only (which devices arrive, how long each "
            "takes), as if every estimate [E] in the scenario were exact. Here the "
            f"{n_in} estimate{'s' if n_in != 1 else ''} that carry a range in the scenario file were drawn "
            f"together over {block['worlds']} plausible worlds (a Latin hypercube over each range), and each "
            f"world was simulated {block['replications']} times with its own random numbers. The wider interval "
            "below is where the expected outcome falls in 95% of those worlds (never narrower than the usual "
            "interval, which it includes).</p>")


def _inputs_table(block: dict) -> str:
    rows = [[i["label"], f"{i['value']:g}", f"{i['low']:g} to {i['high']:g}", i["shape"]]
            for i in block.get("inputs", [])]
    return "<h3>The ranged estimates</h3>" + table(["estimate", "value used", "range", "shape"], rows,
                                                   numeric=[False, True, True, False])


def input_uncertainty_section(block: dict | None) -> str:
    """The section for ``simulate --input-uncertainty`` ('' when the run had none)."""
    if not block:
        return ""
    items = "\n".join(f"<li>{escape(measure_sentence(m, block['worlds']))}</li>" for m in block["measures"].values())
    rows = [[m["label"], exact_text(m["exact"]), range_text(m["with_estimates"]),
             share_text(m["with_estimates"].get("input_share")), main_driver(m, "–")]
            for m in block["measures"].values()]
    body = (_how(block) + f"<ul>\n{items}\n</ul>\n"
            + table(["measure", "estimates taken as exact (mean, 95% CI)", "including estimate uncertainty "
                     "(95% of worlds)", "share of the spread from the estimates", "main driver"], rows,
                    numeric=[False, True, True, True, False])
            + _inputs_table(block)
            + '<p class="note">The share of the spread splits the variance of one simulated history into the part '
              "the estimates cause and the part chance causes (law of total variance, the inner noise taken off). "
              "The main driver is the estimate whose squared standardised regression coefficient over the "
              "worlds is largest: its share of the differences between worlds.</p>")
    return section(TITLE, body, anchor=ANCHOR)


def compare_uncertainty_section(block: dict | None) -> str:
    """The section for ``compare --input-uncertainty`` ('' when the run had none)."""
    if not block:
        return ""
    body = [_how(block).replace("</p>", " Every scenario ran the same worlds with the same random numbers, so "
                                         "the differences are paired world by world.</p>")]
    for s in block["scenarios"]:
        items = "\n".join(f"<li>{escape(measure_sentence(m, block['worlds']))}</li>" for m in s["measures"].values())
        body.append(f"<h3>{escape(s['name'])} ({escape(s['id'])})</h3>\n<ul>\n{items}\n</ul>")
    for d in block["differences"]:
        rows = [[m["label"], exact_text(m["exact"]), range_text(m["with_estimates"]),
                 share_text(m.get("share_of_worlds_better"))] for m in d["measures"].values()]
        body.append(f"<h3>{escape(d['id'])} minus {escape(d['versus'])}</h3>")
        body.append(table(["measure", "estimates taken as exact (mean, 95% CI)",
                           "including estimate uncertainty (95% of worlds)", f"worlds where {d['id']} is better"],
                          rows))
    ids = [s["id"] for s in block["scenarios"]]
    labels = {k: m["label"] for k, m in block["scenarios"][0]["measures"].items()}
    if len(ids) > 1:
        rows = [[labels[k], *(share_text(block["best_share"][k].get(i)) for i in ids)] for k in block["measures"]]
        body += ["<h3>Share of plausible worlds in which each scenario is best</h3>", table(["measure", *ids], rows)]
    body.append(_inputs_table(block))
    return section(TITLE, "\n".join(body), anchor=ANCHOR)
