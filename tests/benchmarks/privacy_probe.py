"""Count what issue 9 (items 1-3) counted, so the before/after figures can be rerun.

    python tests/benchmarks/privacy_probe.py

Formula cells in every workbook and live formula text in every CSV, written from inputs full of
``= + - @`` strings; error messages that repeat the probed cell value; real references left in a
``report --pseudonymise`` page of a plan whose references look like pseudonyms.
"""
from __future__ import annotations

import csv
import re
import sys
import tempfile
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import tests.test_privacy as tp  # noqa: E402
from dfu_sched.reports.cells import FORMULA_START  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        out = tmp / "out"
        q, s = tp.injected_queue(tmp), tp.injected_staff(tmp)
        inv, a, b = tp.injected_scenarios(tmp)
        for args in (["plan", q, "--staff", s, "--week", tp.WEEK, "--time-limit", 5, "--out", out / "plan.xlsx",
                      "--out", out / "plan.csv"],
                     ["risk", q, "--week", tp.WEEK, "--out", out / "risk.xlsx", "--out", out / "risk.csv"],
                     ["simulate", a, "-n", 2, "--workers", 1, "--out", out / "sim", "-q"],
                     ["compare", a, b, "-n", 2, "--workers", 1, "--out", out / "cmp", "-q"],
                     ["invest", inv, "-n", 4, "--workers", 1, "--out", out / "inv", "-q"]):
            assert tp.run(args).exit_code == 0, args[0]
        for book in sorted(out.rglob("*.xlsx")):
            wb = openpyxl.load_workbook(book)
            n = sum(c.data_type == "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)
            print(f"formula cells  {book.relative_to(out)}: {n}")
        for f in sorted(out.rglob("*.csv")):
            live = 0
            for row in csv.reader(f.open(newline="", encoding="utf-8")):
                for cell in row:
                    if cell.startswith(FORMULA_START):
                        try:
                            float(cell)
                        except ValueError:
                            live += 1
            print(f"live formula text  {f.relative_to(out)}: {live}")
        leaks = 0
        for _name, (text, _where) in sorted(tp.PROBES.items()):
            qf = tmp / "probe.csv"
            qf.write_text(text)
            res = tp.run(["plan", qf, "--staff", tp.EX / "staff.csv", "--week", tp.WEEK])
            leaks += any(v in res.stderr for v in (tp.SECRET, "1007", "10.07", "ex2401", "EX24"))
        print(f"probe messages repeating the value: {leaks} of {len(tp.PROBES)}")
        ql = tp.lookalike_queue(tmp)
        real = {r[k] for r in list(csv.reader(ql.open()))[1:] for k in (0, 1)}
        tp.run(["plan", ql, "--staff", tp.EX / "staff.csv", "--week", tp.WEEK, "--time-limit", 5,
                "--out", tmp / "plan.json"])
        tp.run(["report", tmp / "plan.json", "--pseudonymise", "-o", tmp / "r.html", "-q"])
        page = (tmp / "r.html").read_text()
        left = sum(bool(re.search(rf"(?<![\w-]){re.escape(x)}(?![\w-])", page)) for x in real)
        print(f"real references left by report --pseudonymise: {left} of {len(real)}; "
              f"queue file name left: {'NYSECRET' in page}")


if __name__ == "__main__":
    main()
