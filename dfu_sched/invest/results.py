"""What an investment search found, for people: the ``invest`` JSON, interval blocks, plain sentences.

Why a module: the search (``invest.search``) decides; this module only describes, over the
evaluator's replications: the measures of a mix with 95% intervals, paired differences against
doing nothing, monthly trajectories, the cost of each month of backlog removed, and the headline
sentences a finance committee reads (``explain``). ``invest.compare`` uses the same blocks.
"""
from __future__ import annotations

import datetime as dt
import math
import warnings

import numpy as np

from dfu_sched import __version__
from dfu_sched.invest.appraisal import add_appraisal
from dfu_sched.invest.evaluate import Evaluator
from dfu_sched.invest.frontier import FRONTIER_TOLERANCE
from dfu_sched.invest.objectives import OBJECTIVES
from dfu_sched.invest.search import SearchResult
from dfu_sched.scenario.levers import cost_profile, describe_mix, mix_label
from dfu_sched.scenario.schema import Scenario
from dfu_sched.sim.measures import MONTH_WEEKS
from dfu_sched.stats import (
    NON_NEGATIVE,
    measure_interval,
    measure_range,
    paired_difference,
    t_interval,
    t_interval_columns,
)


def interval(values: np.ndarray) -> dict:
    return t_interval(values).as_dict()


def headline_keys(sc: Scenario) -> list[str]:
    """Measures shown for every mix (all but the counts: smaller is better)."""
    keys = ["overall.wait_to_start_days.p50", "overall.wait_to_start_days.mean"]
    for t in sc.tier_names[:2]:
        keys += [f"{t}.wait_to_start_days.p50", f"{t}.wait_to_start_days.mean"]
    keys += ["invest.wait_at_12m_days", "invest.wait_at_end_days", "invest.backlog_at_12m", "overall.waiting_at_end",
             "overall.exposure"]
    keys += [f"{t}.exposure" for t in sc.tier_names[:1]]
    keys += [f"first_week_below.{thr:g}" for thr in sc.measures.wait_thresholds_days]
    keys += ["overall.started", "invest.outsourced_devices", "invest.outsourced_spend_gbp"]
    return keys


def compare_keys(sc: Scenario) -> list[str]:
    """What ``compare`` shows: the headline measures, then per tier the share started within target and
    the examinations started, and how long the lowest tier's devices still waiting at the end have
    waited; a priority rule can look good on the headline while it starves a tier."""
    keys = headline_keys(sc)
    keys += [f"{t}.within_target_pct" for t in sc.tier_names] + [f"{t}.started" for t in sc.tier_names]
    low = sc.tier_names[-1]
    return keys + [f"{low}.waiting_at_end", f"{low}.age_at_end_days.p50"]


def measures_block(ev: Evaluator, key: tuple, keys: list[str], n: int) -> dict:
    out = {}
    for k in keys:
        v = ev.values(key, k, n)
        block = measure_interval(v, k).as_dict()  # inside the measure's range (shares 0-1, others >= 0)
        if k.startswith("first_week_below."):
            block["reached_share"] = float(np.mean(np.isfinite(v))) if v.size else 0.0
        out[k] = block
    return out


def paired_block(ev: Evaluator, base: tuple, key: tuple, keys: list[str], n: int) -> dict:
    return {k: paired_difference(ev.values(base, k, n), ev.values(key, k, n)).as_dict() for k in keys}


def monthly_trajectory(ev: Evaluator, key: tuple, sc: Scenario, series: list[str]) -> dict:
    """Weekly series sampled at (about) each month boundary: mean and 95% band."""
    H = sc.calendar.horizon_weeks
    months = int(math.floor(H / MONTH_WEEKS + 1e-9))
    weeks = [min(H, int(round(m * MONTH_WEEKS))) for m in range(months + 1)]
    out = {}
    for s in series:
        mean, lo, hi = t_interval_columns(ev.weekly(key, s), bounds=measure_range(s))
        out[s] = {"mean": [_r(mean[w]) for w in weeks], "ci95_low": [_r(lo[w]) for w in weeks],
                  "ci95_high": [_r(hi[w]) for w in weeks]}
    return {"month": list(range(months + 1)), "week": weeks, "series": out}


def monthly_wait(ev: Evaluator, key: tuple, sc: Scenario, scope: str = "overall") -> dict:
    """Mean wait to start of examinations starting in each month (weekly means pooled by month)."""
    m = ev.weekly(key, f"wait_to_start_days.{scope}")
    H = sc.calendar.horizon_weeks
    months = int(math.floor(H / MONTH_WEEKS + 1e-9))
    mean, lo, hi = [], [], []
    for j in range(months):
        w0, w1 = int(round(j * MONTH_WEEKS)), int(round((j + 1) * MONTH_WEEKS))
        with np.errstate(all="ignore"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                per_rep = np.nanmean(m[:, w0:w1], axis=1)
        iv = t_interval(per_rep, bounds=NON_NEGATIVE)  # a wait is never negative
        mean.append(_r(iv.estimate))
        lo.append(_r(iv.low))
        hi.append(_r(iv.high))
    return {"month": list(range(1, months + 1)), "mean": mean, "ci95_low": lo, "ci95_high": hi}


def _r(x) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), 3)


def backlog_months_removed(ev: Evaluator, base: tuple, key: tuple, n: int) -> dict:
    """Backlog removed at the horizon, in months of the do-nothing examination rate.

    = (devices awaiting examination at the end, doing nothing - with the mix) / (devices the
    unit examines a month doing nothing). Because both runs see the same arrivals (CRN), the
    devices removed equal the extra devices the mix cleared (examined, outsourced, screened out).
    """
    b_end = ev.values(base, "overall.waiting_at_end", n)
    m_end = ev.values(key, "overall.waiting_at_end", n)
    per_month = ev.values(base, "throughput.examined_per_week", n) * MONTH_WEEKS
    devices = b_end - m_end
    months = devices / per_month
    return {"devices_removed": interval(devices), "months_removed": interval(months),
            "baseline_devices_examined_per_month": interval(per_month)}


def evaluated_rows(res: SearchResult) -> list[dict]:
    """The JSON rows of the mixes with at least the candidate replications, cheapest first."""
    ev, st = res.evaluator, res.settings
    evaluated = []
    for p in sorted(res.points.values(), key=lambda p: (p["cost_gbp"], p["label"])):
        n = p["replications"]
        evaluated.append({
            "mix": p["mix"], "label": p["label"], "cost_gbp": round(p["cost_gbp"], 2), "stage": p["stage"],
            "replications": n, "on_frontier": p.get("on_frontier", False),
            "meets_target": p.get("meets_target"),
            "objectives": {o: _r(p["objectives"][OBJECTIVES[o].measure]) for o in OBJECTIVES},
            "target_value": _r(p.get("target_value")) if st.target else None,
            # doing nothing and the chosen mix over this mix's replications: the same devices (CRN), so a
            # share of an improvement compares like with like when this mix has fewer replications
            "same_replications": {who: {o: _r(ev.mean(k, OBJECTIVES[o].measure, n)) for o in OBJECTIVES}
                                  for who, k in (("baseline", res.baseline), ("chosen", res.chosen))},
        })
    return evaluated


def result_json(res: SearchResult, sc: Scenario, source: str | None = None) -> dict:
    """The ``invest`` JSON (kind 'invest'): see the README section for its shape."""
    ev, st = res.evaluator, res.settings
    nf = st.final_reps
    keys = headline_keys(sc) + ([st.target.result_key] if st.target else [])
    base, ch = res.baseline, res.chosen
    primary = OBJECTIVES[st.objective].measure
    evaluated = evaluated_rows(res)
    # Mixes dropped with fewer than the candidate replications: each beaten with 95% confidence by an evaluated mix.
    screened = [{"mix": ev.preps[k].mix, "label": mix_label(ev.preps[k].mix), "cost_gbp": round(ev.preps[k].cost, 2),
                 "stage": ev.stage[k], "replications": ev.n(k), "on_frontier": False, "meets_target": None,
                 "objectives": {o: _r(ev.mean(k, OBJECTIVES[o].measure)) for o in OBJECTIVES}, "target_value": None,
                 "dominated_by": mix_label(ev.preps[q].mix)}
                for k, q in sorted(res.dropped.items(),
                                   key=lambda kv: (ev.preps[kv[0]].cost, mix_label(ev.preps[kv[0]].mix)))]
    front = [e for e in evaluated if e["on_frontier"]]
    prep = ev.preps[ch]
    bm = backlog_months_removed(ev, base, ch, nf)
    months = bm["months_removed"]["estimate"]
    devices = bm["devices_removed"]["estimate"]
    chosen = {
        "mix": prep.mix, "label": mix_label(prep.mix), "actions": describe_mix(sc, prep.mix),
        "cost_gbp": round(prep.cost, 2), "budget_gbp": st.budget,
        "within_budget": st.budget is None or prep.cost <= st.budget + 1e-6,
        "recurring_gbp_per_year_after_horizon": prep.recurring, "replications": nf,
        "measures": measures_block(ev, ch, keys, nf),
        "vs_baseline": paired_block(ev, base, ch, keys, nf),
        "backlog_removed": bm,
        "gbp_per_month_of_backlog_removed": (prep.cost / months) if months and months > 0 and prep.cost > 0 else None,
        "gbp_per_device_removed": (prep.cost / devices) if devices and devices > 0 and prep.cost > 0 else None,
    }
    if st.target:
        v = ev.values(ch, st.target.result_key, nf)
        chosen["target"] = {"value": measure_interval(v, st.target.result_key).as_dict(), "met": bool(res.reachable),
                            "replications_meeting": float(np.mean([st.target.met(x) for x in v]))}
    series = ["backlog.awaiting_examination", "months_of_work"]
    out = {
        "kind": "invest",
        "version": __version__,
        "scenario": sc.name,
        "scenario_file": source,
        "mode": "target" if st.target else "budget",
        "budget_gbp": st.budget,
        "target": None if not st.target else {
            "expression": st.target.expression, "key": st.target.key, "op": st.target.op, "value": st.target.value,
            "from_week": st.target.from_week, "reachable": res.reachable},
        "objective": {"name": st.objective, "key": primary, "meaning": OBJECTIVES[st.objective].meaning},
        "seed": st.seed,
        "replications": {"screen": st.screen_reps, "candidates": st.candidate_reps, "final": nf},
        "horizon_weeks": sc.calendar.horizon_weeks,
        "start_date": sc.calendar.start_date.isoformat(),
        "options": res.option_table,
        "excluded_options": res.excluded,
        "baseline": {"replications": nf, "measures": measures_block(ev, base, keys, nf)},
        "evaluated": evaluated,
        "screened": screened,
        "frontier": front,
        "chosen": chosen,
        "cost_profile": cost_profile(sc, prep.mix),
        "trajectory": {
            "baseline": {**monthly_trajectory(ev, base, sc, series), "wait_to_start_days": monthly_wait(ev, base, sc)},
            "chosen": {**monthly_trajectory(ev, ch, sc, series), "wait_to_start_days": monthly_wait(ev, ch, sc)},
        },
        "run": {"seconds": round(res.seconds, 2), "mixes_evaluated": len(ev.preps),
                "replications_simulated": ev.replications_run, "workers": ev.workers,
                "mixes_x_replications_per_minute": round(ev.replications_run / max(ev.seconds, 1e-9) * 60, 1)},
    }
    out["explanation"] = explain(out, sc)
    add_appraisal(out, sc, prep.mix)  # only when the scenario sets investment.appraisal
    return out


def _gbp(x) -> str:
    return "-" if x is None else f"£{x:,.0f}"


def _week_phrase(block: dict, start_date: dt.date, H: int) -> str:
    est, share = block.get("estimate"), block.get("reached_share", 0.0)
    if not share or est is None:
        return f"not within the {H}-week horizon"
    d = start_date + dt.timedelta(weeks=est)
    txt = f"around week {est:.0f} ({d:%B %Y})"
    if share < 1:
        txt += f", but only in {share:.0%} of replications"
    return txt


def _days(x: float) -> str:
    return f"{x:,.1f}" if abs(x) < 10 else f"{x:,.0f}"


#: A cheaper frontier mix is named when it gets at least this share of the chosen mix's improvement.
CHEAPER_SHARE = 0.8


def cheaper_mix_sentences(out: dict) -> list[str]:
    """The cheapest frontier mix with at least 80% of the chosen mix's improvement on the objective.

    The claim names its measure, and when that mix is worse than the chosen one on another
    objective (beyond the frontier's tie tolerance), the next sentence says so with both values:
    a headline must not hide a worse measure behind a better one.
    """
    ch, base = out["chosen"], out["baseline"]["measures"]
    name = out["objective"]["name"]
    rows = {p["label"]: p for p in out["frontier"]}
    if ch["label"] not in rows:
        return []
    for p in sorted(out["frontier"], key=lambda p: p["cost_gbp"]):
        v = p["objectives"][name]
        # doing nothing and the chosen mix over this mix's replications (common random numbers)
        same = p.get("same_replications") or {"baseline": {name: base[OBJECTIVES[name].measure]["estimate"]},
                                               "chosen": rows[ch["label"]]["objectives"]}
        b0, best = same["baseline"][name], same["chosen"][name]
        if best is None or b0 is None or b0 <= best:
            continue
        if v is None or p["cost_gbp"] >= ch["cost_gbp"] or (b0 - v) < CHEAPER_SHARE * (b0 - best):
            continue
        share = math.floor(100 * (b0 - v) / (b0 - best)) / 100
        words = OBJECTIVES[name].words
        lines = [f"A cheaper mix on the frontier, {p['label']} at {_gbp(p['cost_gbp'])}, gets {share:.0%} "
                 "of the chosen "
                 f"mix's reduction in {words}."]
        worse = []
        for o, obj in OBJECTIVES.items():
            v_o, c_o = p["objectives"][o], rows[ch["label"]]["objectives"][o]
            c_same = same["chosen"].get(o, c_o)  # judged over the same replications, said as the chosen mix's
            b_o = base[obj.measure]["estimate"]
            tol = FRONTIER_TOLERANCE * abs(b_o) if b_o is not None else 0.0
            if o != name and c_o is not None and c_same is not None and (v_o is None or v_o > c_same + tol):
                worse.append(obj.say(v_o, c_o) if v_o is not None else f"{obj.words} is not measured")
        if worse:
            lines.append(f"But it is worse on the other measures: {'; '.join(worse)} with the chosen mix. "
                         "See the frontier table before choosing between them.")
        else:
            lines.append("It is no worse on the other frontier measures: see the frontier table before committing "
                         "the full sum.")
        return lines
    return []


def robust_line(out: dict) -> list[str]:
    """The robust-choice verdict (``invest --input-uncertainty``: ``uncertainty.robust.headline``), if tested."""
    said = (out.get("robust") or {}).get("headline")
    return [str(said)] if said else []


def explain(out: dict, sc: Scenario) -> list[str]:
    """Plain sentences for a finance committee."""
    ch, bm, base = out["chosen"], out["chosen"]["measures"], out["baseline"]["measures"]
    dv = ch["vs_baseline"]
    H = sc.calendar.horizon_weeks
    start = sc.calendar.start_date
    lines = []
    if out["mode"] == "target":
        t = out["target"]
        if t["reachable"]:
            lines.append(f"The least-cost mix found that meets '{t['expression']}' from week {t['from_week']:.0f} is: "
                         f"{'; '.join(ch['actions'])}. It costs {_gbp(ch['cost_gbp'])} inside the {H}-week horizon.")
        else:
            lines.append(f"No mix of the options meets '{t['expression']}' from week {t['from_week']:.0f}"
                         f"{' within ' + _gbp(out['budget_gbp']) if out['budget_gbp'] is not None else ''}; "
                         f"the closest found is: {'; '.join(ch['actions'])} ({_gbp(ch['cost_gbp'])}).")
    elif not any(ch["mix"].values()):
        lines.append("With this budget no option is affordable or worth buying: the answer is the do-nothing baseline.")
        return lines + robust_line(out)
    else:
        lines.append(f"With {_gbp(out['budget_gbp'])}, the best mix found (lowest {out['objective']['meaning']}) is: "
                     f"{'; '.join(ch['actions'])}. It costs {_gbp(ch['cost_gbp'])} inside the {H}-week horizon.")
    lines += robust_line(out)
    if ch["recurring_gbp_per_year_after_horizon"]:
        lines.append(f"It also commits {_gbp(ch['recurring_gbp_per_year_after_horizon'])} a year after the horizon "
                     "(permanent staff, licences, running costs).")
    k12, kend = "invest.backlog_at_12m", "overall.waiting_at_end"
    when = "After 12 months" if H >= 52 else f"At the end of the {H}-week horizon"
    lines.append(
        f"{when} the backlog is {bm[k12]['estimate']:,.0f} devices (95% CI {bm[k12]['ci95'][0]:,.0f} to "
        f"{bm[k12]['ci95'][1]:,.0f}) instead of {base[k12]['estimate']:,.0f} doing nothing; at the end of the horizon "
        f"{bm[kend]['estimate']:,.0f} instead of {base[kend]['estimate']:,.0f}.")
    w12 = "invest.wait_at_12m_days"
    if bm[w12]["estimate"] is not None and base[w12]["estimate"] is not None:
        month = "in month 12" if H >= 52 else f"in the last month of the {H} weeks"
        lines.append(f"Examinations starting {month} have waited {_days(bm[w12]['estimate'])} days on average "
                     f"instead of {_days(base[w12]['estimate'])}.")
    e = dv["overall.exposure"]
    if base["overall.exposure"]["estimate"]:
        pct = -e["estimate"] / base["overall.exposure"]["estimate"] if e["estimate"] is not None else 0
        lo, hi = e["ci95"]
        rng = ""
        if lo is not None and hi is not None:
            b_exp = base["overall.exposure"]["estimate"]
            rng = f" (95% CI {-hi / b_exp:.0%} to {-lo / b_exp:.0%})"
        lines.append("Child-safeguarding exposure (risk-weighted days devices wait unexamined) "
                     f"falls by {pct:.0%}{rng}.")
    for thr in sc.measures.wait_thresholds_days:
        k = f"first_week_below.{thr:g}"
        name = "72 hours" if abs(thr - 3) < 1e-9 else f"{thr:g} days"
        lines.append(f"The mean wait to start falls under {name} {_week_phrase(bm[k], start, H)} "
                     f"(doing nothing: {_week_phrase(base[k], start, H)}).")
    if ch["gbp_per_month_of_backlog_removed"]:
        lines.append(f"Each month of backlog removed (at today's examination rate) costs "
                     f"{_gbp(ch['gbp_per_month_of_backlog_removed'])}; each device taken off the queue "
                     f"{_gbp(ch['gbp_per_device_removed'])}.")
    if out["mode"] == "budget":
        lines += cheaper_mix_sentences(out)
    if out["excluded_options"]:
        lines.append("Not chosen: " + "; ".join(f"{k} ({v})" for k, v in out["excluded_options"].items()) + ".")
    return lines
