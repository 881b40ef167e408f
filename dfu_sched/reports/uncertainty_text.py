"""``--input-uncertainty`` in words and terminal tables, read from its JSON block only.

Why one module for the words: the terminal, the HTML report and the web app all say the same
thing ("k% of the spread comes from the estimates, the rest from chance; most of it from X"), so
the sentence is built once here from the ``input_uncertainty`` block of ``simulate --json`` or
``compare --json`` (``uncertainty.second_order``), and the three never disagree.
"""
from __future__ import annotations

from dfu_sched.reports.text import fmt, table

#: Below this R² the inputs' shares are read as rough (the outcome is far from linear in them).
ROUGH_R2 = 0.5


def _digits(*values) -> int:
    finite = [abs(v) for v in values if isinstance(v, (int, float))]
    return 0 if finite and max(finite) >= 100 else 1


def exact_text(block: dict) -> str:
    """``8 [3, 14]``: the mean and 95% CI with the estimates taken as exact."""
    est, (lo, hi) = block.get("estimate"), block.get("ci95", [None, None])
    d = _digits(est, lo, hi)
    return fmt(est, d) if lo is None or hi is None else f"{fmt(est, d)} [{fmt(lo, d)}, {fmt(hi, d)}]"


def range_text(spread: dict) -> str:
    """``2 to 190``: the 95% interval including estimate uncertainty (``interval95``: the range of the
    expected outcome over the plausible worlds, never narrower than the usual interval)."""
    lo, hi = spread.get("interval95", spread.get("worlds_range95", [None, None]))
    d = _digits(lo, hi)
    return f"{fmt(lo, d)} to {fmt(hi, d)}"


def share_text(share) -> str:
    return "-" if share is None else f"{100 * share:.0f}%"


def driver_phrase(m: dict, worlds: int | None = None) -> str:
    """'most of it from triage kiosk screen out share (62% of the differences between worlds)'."""
    drivers = m.get("drivers") or []
    if m.get("r2") is None or not drivers:
        more = f" (more worlds than ranged inputs + 1 are needed; {worlds} given)" if worlds else ""
        return f"too few worlds to say which input matters most{more}"
    top = drivers[0]
    fit = m.get("r2_adjusted", m["r2"])
    if not top.get("share") or fit is None or fit <= 0:
        return "no single input stands out (more worlds would tell)"
    rough = "; a rough split: the inputs act together or the worlds are few" if fit < ROUGH_R2 else ""
    return f"most of it from {top['label']} ({share_text(top['share'])} of the differences between worlds{rough})"


def main_driver(m: dict, none: str = "-") -> str:
    """The table cell: the input that drives most of the estimates' spread, or ``none`` when none stands out."""
    top = (m.get("drivers") or [{}])[0]
    fit = m.get("r2_adjusted", m.get("r2"))
    if fit is None or fit <= 0 or not top.get("share"):
        return none
    return f"{top['label']} ({share_text(top['share'])}{', rough' if fit < ROUGH_R2 else ''})"


def spread_sentence(m: dict, worlds: int | None = None) -> str:
    """'k% of the spread comes from the estimates, the rest from chance; most of it from X (n%)'."""
    share = m["with_estimates"].get("input_share")
    if share is None:
        return "not enough results to split the spread"
    if share < 0.005:
        return "practically none of the spread comes from the estimates: it is chance (arrivals and work times)"
    return (f"{share_text(share)} of the spread comes from the estimates, the rest from chance; "
            f"{driver_phrase(m, worlds)}")


def measure_sentence(m: dict, worlds: int | None = None) -> str:
    """One measure in a sentence: both intervals and where the spread comes from."""
    w = m["with_estimates"]
    return (f"{m['label']}: {exact_text(m['exact'])} with the estimates taken as exact; "
            f"{range_text(w)} once the estimates' own uncertainty is included (95%). "
            f"{spread_sentence(m, worlds)[0].upper()}{spread_sentence(m, worlds)[1:]}.")


def _intro(block: dict) -> str:
    n_in = len(block.get("inputs", []))
    return (f"What if our estimates are wrong? {block['worlds']} plausible worlds of the {n_in} ranged "
            f"input{'s' if n_in != 1 else ''} (Latin hypercube) x {block['replications']} replications each, "
            f"seed {block['seed']} ({block.get('replications_simulated', 0):,} replications)")


def input_uncertainty_text(block: dict) -> str:
    """The terminal section ``simulate --input-uncertainty`` prints after the usual summary."""
    rows = []
    for m in block["measures"].values():
        main = main_driver(m)
        rows.append([m["label"], exact_text(m["exact"]), range_text(m["with_estimates"]),
                     share_text(m["with_estimates"].get("input_share")), main])
    out = [_intro(block), "",
           table(["measure", "estimates exact: mean [95% CI]", "including estimate uncertainty (95%)",
                  "spread from estimates", "main driver"], rows, "lrrrl"), ""]
    out += [f"- {measure_sentence(m, block['worlds'])}" for m in block["measures"].values()]
    return "\n".join(out)


def compare_uncertainty_text(block: dict) -> str:
    """The terminal section ``compare --input-uncertainty`` prints after the usual comparison."""
    labels = {k: m["label"] for k, m in block["scenarios"][0]["measures"].items()}
    out = [_intro(block) + "; the same worlds and seeds for every scenario", ""]
    for s in block["scenarios"]:
        rows = [[m["label"], exact_text(m["exact"]), range_text(m["with_estimates"]),
                 share_text(m["with_estimates"].get("input_share")), main_driver(m)] for m in s["measures"].values()]
        out += [f"{s['name']} ({s['id']})",
                table(["measure", "estimates exact", "including estimate uncertainty (95%)",
                       "spread from estimates", "main driver"], rows, "lrrrl"), ""]
    for d in block["differences"]:
        rows = [[m["label"], exact_text(m["exact"]), range_text(m["with_estimates"]),
                 share_text(m.get("share_of_worlds_better"))] for m in d["measures"].values()]
        out += [f"{d['id']} minus {d['versus']} (paired world by world)",
                table(["measure", "estimates exact", "including estimate uncertainty (95%)",
                       f"{d['id']} better in"], rows), ""]
    ids = [s["id"] for s in block["scenarios"]]
    if len(ids) > 1:
        rows = [[labels[k], *(share_text(block["best_share"][k].get(i)) for i in ids)] for k in block["measures"]]
        out += ["Share of plausible worlds in which each scenario is best", table(["measure", *ids], rows)]
    return "\n".join(out).rstrip()
