"""The fit's parts on their own: the GLM, the choice of hours law, hours inferred from dates, the page."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pytest
from scipy import optimize, stats

from dfu_sched.calibrate import history as history_module
from dfu_sched.calibrate.arrivals import poisson_glm
from dfu_sched.calibrate.fit import fit_history
from dfu_sched.calibrate.history import HistoryDevice
from dfu_sched.calibrate.service import GOF_REJECT, fit_hours, inferred_hours
from dfu_sched.calibrate.writer import Note, emit
from tests.calibrate.fit_history_builder import Truth, synthetic_history


def test_the_irls_glm_matches_a_direct_maximum_likelihood():
    rng = np.random.default_rng(1)
    t = np.arange(200) / 52
    x = np.column_stack([np.ones(200), t])
    y = rng.poisson(np.exp(2.0 + 0.1 * t))
    glm = poisson_glm(y, x)

    def nll(b):
        return -float(np.sum(stats.poisson.logpmf(y, np.exp(x @ b))))

    direct = optimize.minimize(nll, np.zeros(2), method="BFGS")
    assert np.allclose(glm.beta, direct.x, atol=1e-4)
    assert abs(glm.loglik + direct.fun) < 1e-6
    # the covariance is the inverse of the log-likelihood's curvature (central differences, 1e-4 steps)
    e, hess = 1e-4, np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            di, dj = np.eye(2)[i] * e, np.eye(2)[j] * e
            hess[i, j] = (nll(glm.beta + di + dj) - nll(glm.beta + di - dj) - nll(glm.beta - di + dj)
                          + nll(glm.beta - di - dj)) / (4 * e * e)
    assert np.allclose(glm.cov, np.linalg.inv(hess), rtol=1e-3)


@pytest.mark.parametrize(("family", "draw"), [
    ("lognormal", lambda r, n: r.lognormal(1.5, 0.8, n)),
    ("gamma", lambda r, n: r.gamma(2.0, 5.0, n)),
    ("weibull", lambda r, n: 10 * r.weibull(3.0, n)),
    ("exponential", lambda r, n: r.exponential(6.0, n)),
])
def test_the_family_is_chosen_right_on_clear_cases(family, draw):
    x = draw(np.random.default_rng(4), 2000)
    h = fit_hours("phone", x, "booked")
    assert h.chosen == family, [(f.name, round(f.aic, 1)) for f in h.families]
    assert h.ks_p > GOF_REJECT
    lo, hi = h.mean_ci
    assert lo < x.mean() < hi
    if family == "weibull":  # no Weibull law in scenarios: written as its quantiles
        assert h.dist["dist"] == "empirical" and len(h.dist["samples"]) == 200
        assert abs(np.mean(h.dist["samples"]) - h.mean) < 0.01 * h.mean


def test_when_no_family_fits_the_empirical_distribution_is_used():
    rng = np.random.default_rng(2)
    x = np.concatenate([rng.normal(3, 0.3, 1500), rng.normal(30, 1.0, 1500)])  # two humps
    h = fit_hours("computer", x, "booked")
    assert h.chosen == "empirical" and h.ks_p < GOF_REJECT and "no family fits" in h.note
    assert h.dist["dist"] == "empirical" and abs(np.mean(h.dist["samples"]) - x.mean()) < 0.05


def test_too_few_hours_keep_the_base_and_say_so():
    h = fit_hours("storage", np.array([1.0, 2.0, 3.0]), "booked")
    assert h.source == "base" and not h.dist and "fewer than" in h.note


def _dev(row, start, end, examiner="examiner-ref-1"):
    return HistoryDevice(row=row, device_id=f"dev-ref-{row}", case_id=f"case-ref-{row}", device_type="phone",
                         submitted=start - dt.timedelta(days=30), status="completed", exam_start=start, exam_end=end,
                         examiner_id=examiner)


def test_inferred_hours_share_each_working_day_among_the_examiners_open_devices():
    mon = dt.date(2024, 6, 3)
    a = _dev(1, mon, mon + dt.timedelta(days=4))                         # Mon-Fri
    b = _dev(2, mon + dt.timedelta(days=2), mon + dt.timedelta(days=3))  # Wed-Thu, alongside a
    c = _dev(3, mon + dt.timedelta(days=5), mon + dt.timedelta(days=7))  # Sat-Mon: one working day
    d = _dev(4, mon, mon + dt.timedelta(days=1), examiner="examiner-ref-2")  # someone else's: not shared
    got = inferred_hours([a, b, c, d], hours_per_day=6.0)
    assert got == {1: pytest.approx(6 * (3 + 2 / 2)), 2: pytest.approx(6 * (2 / 2)), 3: pytest.approx(6.0),
                   4: pytest.approx(12.0)}


def test_hours_are_inferred_from_dates_when_none_are_booked():
    history = synthetic_history(Truth(weeks=52), seed=2)
    stripped = [HistoryDevice(**{**d.__dict__, "exam_hours": None}) for d in history.devices]
    fit = fit_history(history_module.History(history.source, stripped, history.summary))
    assert all(h.source in ("inferred from exam dates", "base") for h in fit.hours.values())
    assert fit.hours["phone"].n_inferred == fit.hours["phone"].n > 0
    assert "inferred" in fit.yaml_text and fit.staff is not None and fit.staff.productive_hours_per_week is None


def test_every_written_value_needs_a_note():
    assert emit({"a": {"b": Note(1.5, "[S] x")}, "c": [Note({"d": 1}, "[E] y")]}) == [
        "a:", "  b: 1.5  # [S] x", "c:", '  - {"d": 1}  # [E] y']
    with pytest.raises(TypeError):
        emit({"a": 1})


def test_the_fit_page_draws_the_laws_and_the_arrivals_and_holds_no_reference():
    from dfu_sched.reports import kinds
    from dfu_sched.reports.fit_html import render_fit

    fit = fit_history(synthetic_history(Truth(weeks=52), seed=1))
    doc = json.loads(json.dumps(fit.to_json("(pseudonymised)")))
    kinds.validate_run_document(doc, kinds.KINDS["fit"].schema, "fit", "fit.json")
    page = render_fit(doc, pseudonymise=True, scenario_yaml=fit.yaml_text)
    assert [c.spec.name for c in page.charts] == ["fit-arrivals", "fit-hours"]
    assert "Q-Q" in page.html and "fitted from" in page.html and "-ref-" not in page.html
    assert "synthetic.csv" not in page.html


def test_the_command_writes_the_scenario_and_report_or_nothing(tmp_path):
    from click.testing import CliRunner

    from dfu_sched.cli import main
    from dfu_sched.scenario.schema import load_scenario

    history = synthetic_history(Truth(weeks=52), seed=1)
    path = tmp_path / "history.csv"
    rows = ["device_id,case_id,device_type,date_submitted,tier,status,date_exam_start,date_exam_end,examiner_id,"
            "exam_hours,expedite"]
    for d in history.devices:
        rows.append(",".join("" if v is None else str(v) for v in (
            d.device_id, d.case_id, d.device_type, d.submitted, d.tier, d.status, d.exam_start, d.exam_end,
            d.examiner_id, d.exam_hours, "yes" if d.expedite else "no")))
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out, report = tmp_path / "fitted.yaml", tmp_path / "fit.html"
    run = CliRunner().invoke(main, ["fit", str(path), "-o", str(out), "--report", str(report)])
    assert run.exit_code == 0, run.output
    assert load_scenario(out).backlog and report.exists() and "-ref-" not in run.output
    bad = CliRunner().invoke(main, ["fit", str(path), "-o", str(tmp_path / "x.yaml"), "--from", "2022-01-01",
                                    "--to", "2021-01-01"])
    assert bad.exit_code == 2 and not (tmp_path / "x.yaml").exists()
    assert len(bad.output.strip().splitlines()) == 1


def _weekly_exams(weeks, hours, submitted):
    mon = dt.date(2024, 1, 1)
    return [HistoryDevice(row=w, device_id=f"dev-ref-{w}", case_id=f"case-ref-{w}", device_type="phone",
                          submitted=submitted(mon, w), status="completed", exam_start=mon + dt.timedelta(weeks=w),
                          exam_end=mon + dt.timedelta(weeks=w, days=4), examiner_id="examiner-ref-1",
                          exam_hours=hours(w)) for w in weeks]


def test_capacity_counts_weeks_with_work_waiting_even_when_nothing_was_done():
    """All 30 devices wait from day one, so weeks 0-28 had work waiting all week (week 29's device
    was the last); the three weeks with nothing open count as lost capacity, not as idle."""
    from dfu_sched.calibrate.staffing import fit_staff

    idle = {5, 12, 20}
    devices = _weekly_exams([w for w in range(30) if w not in idle], lambda w: 30.0,
                            lambda mon, w: mon - dt.timedelta(days=7))
    s = fit_staff(devices, {"phone": "mobile"})
    assert s is not None and s.examiners == 1 and s.groups == {("mobile",): 1}
    assert s.examiner_weeks == 29 and s.weeks_in_post == 30
    assert s.productive_hours_per_week == pytest.approx(26 * 30.0 / 29)
    assert s.productive_by_group == {("mobile",): pytest.approx(26 * 30.0 / 29)}
    assert s.productive_se is not None and s.productive_se > 0
    assert s.absence_share == pytest.approx(3 / 30)
    assert s.latest_quarter == "2024-Q2" and s.headcount["2024-Q1"] == {"mobile": 1}


def test_capacity_leaves_out_weeks_in_which_the_examiner_ran_out_of_work():
    """A queue for ten weeks (30 h a week examined), then devices arriving the day they are started
    (10 h a week): capacity is the 30 h of the weeks with work waiting all week, not 16.7 h (all weeks)."""
    from dfu_sched.calibrate.staffing import fit_staff

    devices = _weekly_exams(range(30), lambda w: 30.0 if w < 10 else 10.0,
                            lambda mon, w: mon - dt.timedelta(days=7) if w < 10 else mon + dt.timedelta(weeks=w))
    s = fit_staff(devices, {"phone": "mobile"})
    assert s is not None and s.examiner_weeks == 9
    assert s.productive_hours_per_week == pytest.approx(30.0)
    booked_over_all_weeks = sum(d.exam_hours for d in devices) / 30
    assert booked_over_all_weeks == pytest.approx(50 / 3)


def test_the_default_window_starts_where_submissions_are_complete():
    """Five devices a week from 2024-01-01 (first exam start); before it, ten weeks holding only four
    devices (the open backlog): cut. The same history with the ten weeks full: kept."""
    from dfu_sched.calibrate.fit import complete_from
    from dfu_sched.calibrate.history import History, ReadSummary

    mon = dt.date(2024, 1, 1)

    def device(i, submitted, started):
        return HistoryDevice(row=i, device_id=f"dev-ref-{i}", case_id=f"case-ref-{i}", device_type="phone",
                             submitted=submitted, status="completed" if started else "waiting",
                             exam_start=started, exam_end=started, examiner_id="examiner-ref-1", exam_hours=5.0)

    later = [device(i, mon + dt.timedelta(days=i // 5 * 7 + 1), mon + dt.timedelta(days=i // 5 * 7 + 2))
             for i in range(100)]
    backlog = [device(100 + i, mon - dt.timedelta(weeks=10 - 2 * i), None) for i in range(4)]
    day, why = complete_from(History(source="h.csv", devices=backlog + later, summary=ReadSummary()))
    assert day == mon and "first recorded examination start" in why and "only 4 devices" in why
    full = [device(200 + i, mon - dt.timedelta(days=70 - i * 70 // 50), None) for i in range(50)]
    day, why = complete_from(History(source="h.csv", devices=full + later, summary=ReadSummary()))
    assert day == mon - dt.timedelta(days=70) and "as many as its rate predicts" in why
    no_exams = [dataclasses.replace(d, exam_start=None, exam_end=None, status="waiting") for d in backlog + later]
    day, why = complete_from(History(source="h.csv", devices=no_exams, summary=ReadSummary()))
    assert day == backlog[0].submitted and "first submission" in why and "-ref-" not in why


def test_the_command_is_a_thin_shell_over_the_reader_and_fit_history(tmp_path, monkeypatch):
    """With the reader stood in for, the command writes the scenario, the page
    and the JSON, all or nothing, and a bad window is one line, exit 2, nothing written."""
    from click.testing import CliRunner

    from dfu_sched.cli import main
    from dfu_sched.scenario.schema import load_scenario

    history = synthetic_history(Truth(weeks=52), seed=1)
    import dfu_sched.cli.fit as fit_cli

    monkeypatch.setattr(fit_cli, "read_history", lambda path, columns=None: history)
    src = tmp_path / "history.csv"
    src.write_text("device_id\n", encoding="utf-8")
    out, report = tmp_path / "fitted.yaml", tmp_path / "fit.html"
    run = CliRunner().invoke(main, ["fit", str(src), "-o", str(out), "--report", str(report), "--json",
                                    "--pseudonymise", "-q"])
    assert run.exit_code == 0, run.output
    doc = json.loads(run.output)
    assert doc["kind"] == "fit" and doc["source"] == "(pseudonymised)" and "history.csv" not in run.output
    assert load_scenario(out).arrivals.cases_per_week == pytest.approx(doc["arrivals"]["cases_per_week_at_as_of"],
                                                                       rel=1e-3)
    assert "history.csv" not in report.read_text(encoding="utf-8")
    bad = CliRunner().invoke(main, ["fit", str(src), "-o", str(tmp_path / "x.yaml"), "--report",
                                    str(tmp_path / "x.html"), "--from", "2022-01-01", "--to", "2021-01-01"])
    assert bad.exit_code == 2 and len(bad.output.strip().splitlines()) == 1 and "before --from" in bad.output
    assert not (tmp_path / "x.yaml").exists() and not (tmp_path / "x.html").exists()


def test_a_window_too_short_or_reversed_is_one_line_without_references():
    from dfu_sched.errors import InputError

    history = synthetic_history(Truth(weeks=30), seed=1)
    for start, end in ((dt.date(2021, 3, 1), dt.date(2021, 3, 20)), (dt.date(2021, 6, 1), dt.date(2021, 3, 1))):
        with pytest.raises(InputError) as err:
            fit_history(history, start=start, end=end)
        assert "\n" not in str(err.value) and "-ref-" not in str(err.value)


def test_an_export_of_submissions_only_keeps_the_base_backlog_with_a_warning():
    """No exam dates and no status anywhere: every device would look as if it were still waiting
    (a queue of the whole history). The fit keeps the base's backlog instead, and says why."""
    from dfu_sched.calibrate.fit import default_base
    from dfu_sched.calibrate.history import History, ReadSummary

    full = synthetic_history(Truth(weeks=40), seed=2)
    bare = [dataclasses.replace(d, status="waiting", exam_start=None, exam_end=None, exam_hours=None,
                                examiner_id=None) for d in full.devices]
    summary = ReadSummary(rows_read=len(bare), devices=len(bare),
                          counts={"statuses inferred from the dates": len(bare)})
    fit = fit_history(History("submissions.csv", bare, summary))
    assert fit.scenario is not None and fit.backlog_devices == 0 and fit.backlog_from_base
    assert any("the base scenario's backlog" in line for line in fit.lines())
    base = default_base()
    assert sum(e.count for e in fit.scenario.backlog) == sum(e.count for e in base.backlog)
    assert any("cannot be told" in w for w in fit.warnings)
    assert "who is waiting cannot be told" in fit.yaml_text
    # the same devices with their statuses: the queue comes from the history
    assert fit_history(full).backlog_devices > 0
