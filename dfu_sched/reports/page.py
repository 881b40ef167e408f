"""Page building blocks shared by every report kind: formatting, the page shell, sections, tables.

Why its own module: every report (simulation, compare, invest, plan, risk) is one self-contained
HTML file a DFU manager can e-mail or print on A4: inline CSS and SVG, no scripts, no network at
view time. The blocks that make a page look like a dfu-sched report (``page``, ``section``,
``figure``/``numbered_figures``, ``table``, ``headline_box``, ``facts``, ``tier_tag``, the
footer and privacy lines, the assumptions section) live here, and page modules import them;
this module imports no page module, so nothing points back up.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING

from dfu_sched.reports.assumptions import (
    defaults_not_in_file,
    group_rows,
    header_comment,
    parse_assumptions,
    status_counts,
)
from dfu_sched.reports.charts.palette import ink_on, tier_colour

if TYPE_CHECKING:  # the type only: a page without charts (risk) needs no matplotlib
    from dfu_sched.reports.charts.common import RenderedChart

# ---- formatting ------------------------------------------------------------------------------------


def num(x, digits: int = 0) -> str:
    """``1,234`` / ``12.3``; a dash for missing values (never "nan" on a page)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    return f"{x:,.{digits}f}"


def gbp(x: float | None) -> str:
    """``£12,345``; a dash for a missing amount."""
    return "–" if x is None else f"£{x:,.0f}"


def pct(x, digits: int = 0) -> str:
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{100 * x:.{digits}f}%"


def est(block: dict | None):
    return (block or {}).get("estimate")


def ci_text(block: dict | None, digits: int = 0, percent: bool = False) -> str:
    """``95% CI 426–434`` for an interval dict, or '' when it has none (one replication)."""
    lo, hi = (block or {}).get("ci95", [None, None])
    if lo is None or hi is None:
        return ""
    f = (lambda v: pct(v, digits)) if percent else (lambda v: num(v, digits))
    return f"95% CI {f(lo)}–{f(hi)}"


def with_ci(block: dict | None, digits: int = 0, percent: bool = False) -> str:
    """``430 (95% CI 426–434)``."""
    v = est(block)
    main = pct(v, digits) if percent else num(v, digits)
    ci = ci_text(block, digits, percent)
    return f"{main} ({ci})" if ci else main


def week_date(summary: dict, week: float) -> str:
    """``14 Mar 2024`` for a week number of the run (``week N`` if the start date is unknown)."""
    try:
        d = dt.date.fromisoformat(summary["start_date"]) + dt.timedelta(weeks=float(week))
        return d.strftime("%-d %b %Y")
    except (KeyError, TypeError, ValueError):
        return f"week {week:g}"


# ---- page skeleton ---------------------------------------------------------------------------------

CSS = """
:root { --ink:#1d1d1f; --muted:#5b5b60; --rule:#d9d9de; --accent:#0b4f8a; --warn:#a4161a; --panel:#f4f6f9; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { font-family: "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif;
       color: var(--ink); margin: 0; line-height: 1.45; font-size: 15px; background: #fff; }
main { max-width: 940px; margin: 0 auto; padding: 28px 28px 48px; }
header.report-head { border-bottom: 3px solid var(--accent); padding-bottom: 10px; margin-bottom: 18px; }
header.report-head .kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: var(--accent);
       font-weight: 600; }
h1 { font-size: 26px; margin: 4px 0 6px; line-height: 1.2; }
h2 { font-size: 19px; margin: 30px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--rule);
     color: var(--accent); break-after: avoid; page-break-after: avoid; }
h3 { font-size: 15px; margin: 18px 0 6px; break-after: avoid; page-break-after: avoid; }
p { margin: 6px 0 10px; }
.sub { color: var(--muted); font-size: 14px; margin: 0; }
.headline { background: var(--panel); border-left: 6px solid var(--warn); padding: 12px 18px 10px; margin: 16px 0 8px;
            break-inside: avoid; page-break-inside: avoid; }
.headline h2 { border: 0; margin: 0 0 6px; padding: 0; color: var(--ink); font-size: 17px; }
.headline ul { margin: 0; padding-left: 20px; }
.headline li { margin: 4px 0; }
.headline strong { font-weight: 700; }
figure.chart-figure { margin: 18px 0 22px; break-inside: avoid; page-break-inside: avoid; }
figure.chart-figure .fig-title { font-weight: 600; font-size: 15px; margin: 0 0 4px; }
figure.chart-figure svg { display: block; width: 100%; height: auto; max-width: 100%; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--rule); vertical-align: top; text-align: left; }
th { background: var(--panel); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.n { white-space: nowrap; }  /* numbers never break; long numeric headers may wrap (A4) */
tr { break-inside: avoid; page-break-inside: avoid; }
thead { display: table-header-group; }
table.assumptions td:nth-child(1) { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 12px;
       overflow-wrap: anywhere; width: 28%; }
table.assumptions td:nth-child(2) { word-break: break-word; width: 26%; }
table.assumptions td:nth-child(3) { white-space: nowrap; }
.tag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; font-weight: 600; }
.tag.sourced { background: #dbeafe; color: #0b3b75; }
.tag.estimate { background: #fde8cf; color: #7a3a00; }
.tag.comment, .tag.default { background: #ececec; color: #444; }
.tag.none { background: #f8d7da; color: #7a1118; }
.tiertag { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; font-weight: 600;
           -webkit-print-color-adjust: exact; print-color-adjust: exact; }
.note { color: var(--muted); font-size: 13px; }
code, pre { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 12.5px; }
pre { background: var(--panel); padding: 8px 10px; white-space: pre-wrap; word-break: break-all; margin: 6px 0 12px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 6px 0 12px; font-size: 14px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.header-comment { white-space: pre-wrap; font-size: 13px; color: var(--muted); border-left: 3px solid var(--rule);
                  padding-left: 10px; margin: 6px 0 12px; }
footer { margin-top: 36px; border-top: 1px solid var(--rule); padding-top: 8px; font-size: 12px; color: var(--muted); }
@page { size: A4; margin: 14mm 13mm 16mm; }
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  h1 { font-size: 19pt; }
  h2 { font-size: 14pt; margin-top: 16pt; }
  table { font-size: 8.5pt; }
  figcaption, .note { font-size: 8.5pt; }
  figure.chart-figure { margin: 8pt 0 12pt; }
  .headline { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .tag, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section.page-break { break-before: page; page-break-before: always; }
  a { color: inherit; text-decoration: none; }
}
"""


def page(title: str, body: str, *, kicker: str = "dfu-sched report", subtitle: str = "",
         footer: str = "", extra_css: str = "") -> str:
    """A complete HTML document: inline CSS (screen and A4 print), no scripts, no external links.

    ``extra_css`` is appended after the shared rules (e.g. a landscape ``@page`` for wide tables).
    """
    sub = f'<p class="sub">{escape(subtitle)}</p>' if subtitle else ""
    foot = f"<footer>{footer}</footer>" if footer else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}{extra_css}</style>\n</head>\n<body>\n<main>\n"
        f'<header class="report-head"><div class="kicker">{escape(kicker)}</div>'
        f"<h1>{escape(title)}</h1>{sub}</header>\n{body}\n{foot}\n</main>\n</body>\n</html>\n"
    )


def section(title: str, body: str, *, anchor: str = "", new_page: bool = False) -> str:
    cls = ' class="page-break"' if new_page else ""
    ident = f' id="{escape(anchor)}"' if anchor else ""
    return f"<section{ident}{cls}>\n<h2>{escape(title)}</h2>\n{body}\n</section>\n"


def figure(svg: str, title: str, caption: str, *, name: str, number: int | None = None) -> str:
    """A chart with its title above and how-to-read caption below; never split across pages."""
    label = f"Figure {number}. " if number is not None else ""
    return (f'<figure class="chart-figure" id="fig-{escape(name)}">\n'
            f'<div class="fig-title">{escape(label + title)}</div>\n{svg}\n'
            f"<figcaption>{escape(caption)}</figcaption>\n</figure>\n")



def aggregate_privacy(what: str, pseudonymise: bool) -> str:
    """The privacy line of a report built from simulated totals (nothing to pseudonymise)."""
    if pseudonymise:
        return (f"Pseudonymisation requested: {what} shows only totals over simulated devices, "
                "with no case or device references, so nothing needed replacing.")
    return "This report shows only totals over simulated devices: no case or device references."


def report_footer(version, privacy: str, paper: str = "A4") -> str:
    """The footer every report page shares: version, privacy, and that it is self-contained."""
    return (f"dfu-sched {escape(str(version or ''))} · {escape(privacy)} · "
            f"Self-contained page: no scripts, no network; prints on {paper}.")


def numbered_figures(charts: Sequence[RenderedChart]) -> Callable[[str], str]:
    """``fig(name)``: the named chart as a numbered figure (numbers follow the order used)."""
    by_name = {c.spec.name: c for c in charts}
    count = [0]

    def fig(name: str) -> str:
        c = by_name.get(name)
        if c is None:
            return ""
        count[0] += 1
        return figure(c.svg, c.spec.title, c.spec.caption, name=name, number=count[0])

    return fig


def table(header: Sequence[str], rows: Sequence[Sequence[str]], *, numeric: Sequence[bool] | None = None,
          cls: str = "", raw: bool = False) -> str:
    """An HTML table; ``numeric`` right-aligns columns; cells are escaped unless ``raw``."""
    numeric = list(numeric) if numeric is not None else [False] + [True] * (len(header) - 1)
    c = (lambda s: str(s)) if raw else (lambda s: escape(str(s)))

    def cell(tag: str, v, i: int) -> str:
        klass = ' class="n"' if i < len(numeric) and numeric[i] else ""
        return f"<{tag}{klass}>{c(v)}</{tag}>"

    head = "".join(cell("th", h, i) for i, h in enumerate(header))
    body = "\n".join("<tr>" + "".join(cell("td", v, i) for i, v in enumerate(r)) + "</tr>" for r in rows)
    klass = f' class="{escape(cls)}"' if cls else ""
    return f"<table{klass}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>\n"


def tier_tag(tier: str, tiers: Sequence[str]) -> str:
    """A risk tier as a coloured tag: the tier's one colour from ``palette.TIER_COLOURS`` (Okabe-Ito),
    with the text colour of higher contrast, so every report kind shows a tier the same way."""
    colour = tier_colour(tier, tiers)
    return f'<span class="tiertag" style="background:{colour};color:{ink_on(colour)}">{escape(tier)}</span>'


def headline_box(items: Sequence[str], title: str = "In brief") -> str:
    """The plain-words summary at the top. ``items`` are trusted HTML fragments (built here)."""
    lis = "\n".join(f"<li>{i}</li>" for i in items)
    return f'<div class="headline" role="note">\n<h2>{escape(title)}</h2>\n<ul>\n{lis}\n</ul>\n</div>\n'


def facts(pairs: Sequence[tuple[str, str]]) -> str:
    inner = "\n".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in pairs)
    return f'<dl class="facts">\n{inner}\n</dl>\n'



# ---- assumptions and reproducibility ---------------------------------------------------------------

_STATUS_TEXT = {"sourced": "[S] sourced", "estimate": "[E] estimate", "comment": "comment, no marker",
                "not annotated": "not annotated", "default": "model default"}


def _tag(status: str) -> str:
    klass = "none" if status == "not annotated" else status
    return f'<span class="tag {klass}">{escape(_STATUS_TEXT.get(status, status))}</span>'


def assumptions_section(scenario_yaml: str | None, scenario_model: dict | None = None, *,
                        heading: str = "Assumptions: every input, and where it comes from") -> str:
    """Each input of the scenario with its value and its source marker, read from the file's comments.

    ``scenario_model``: the validated scenario (``scenario.json``), to list defaults the file
    did not set. Without a scenario file the section says so rather than pretending.
    """
    return section(heading, assumptions_body(scenario_yaml, scenario_model), anchor="assumptions", new_page=True)


def assumptions_body(scenario_yaml: str | None, scenario_model: dict | None = None) -> str:
    """The inside of an assumptions section for one scenario file (reports of several files repeat it)."""
    if not scenario_yaml:
        return ('<p class="note">The run folder has no copy of the scenario file (scenario.yaml), so the '
                "inputs' sources cannot be shown. Re-run with the scenario file to get this section.</p>")
    try:
        stated = parse_assumptions(scenario_yaml)
    except Exception as exc:  # a YAML error in a copied file: say so, keep the rest of the report
        return f'<p class="note">The scenario file could not be read for assumptions: {escape(str(exc))}</p>'
    defaults = defaults_not_in_file(scenario_model, stated) if scenario_model else []
    rows_stated = group_rows(stated)
    counts = status_counts(rows_stated)
    parts = []
    head = header_comment(scenario_yaml)
    if head:
        parts.append("<h3>What the scenario file says about itself</h3>")
        parts.append(f'<div class="header-comment">{escape(head)}</div>')
    parts.append(
        f"<p>The scenario file sets {len(rows_stated)} inputs (one row each below): "
        f"<strong>{counts.get('sourced', 0)} sourced [S]</strong> "
        f"(a public source is named in the file), <strong>{counts.get('estimate', 0)} estimates [E]</strong>, "
        f"{counts.get('comment', 0)} with a comment but no marker and {counts.get('not annotated', 0)} not "
        "annotated. An input without its own comment takes the comment of the key it sits under "
        "(shown as “from …”). Estimates are defaults to be overwritten with the force's own data.</p>")
    rows = []
    for a in rows_stated:
        note = escape(a.note)
        if a.inherited_from:
            note = f'<span class="note">from {escape(a.inherited_from)}:</span> {note}'
        rows.append([_breakable_path(a.path), escape(a.value), _tag(a.status), note])
    parts.append(table(["input", "value", "status", "comment in the file"], rows,
                       numeric=[False] * 4, cls="assumptions", raw=True))
    if defaults:
        parts.append("<h3>Inputs the file leaves to the model's defaults</h3>")
        parts.append(table(["input", "value", "status", ""],
                           [[_breakable_path(a.path), escape(a.value), _tag("default"), ""]
                            for a in group_rows(defaults)],
                           numeric=[False] * 4, cls="assumptions", raw=True))
    return "\n".join(parts)


def _breakable_path(path: str) -> str:
    """Escaped key path with line-break chances after dots and before brackets, not mid-word."""
    return escape(path).replace(".", ".<wbr>").replace("[", "<wbr>[")


# ---- interval cells (compare and invest tables) -------------------------------------------------

def _digits(v: float | None) -> int:
    return 0 if v is None or abs(v) >= 10 else 1


def _fmt(v, digits: int | None = None) -> str:
    return num(v, _digits(v) if digits is None else digits)


def _excludes_zero(block: dict) -> bool | None:
    lo, hi = (block or {}).get("ci95", [None, None])
    if lo is None or hi is None:
        return None
    return lo > 0 or hi < 0


def measure_cell(key: str, block: dict) -> str:
    """Estimate over its CI on a second line (narrow columns for several scenarios); HTML."""
    if key.startswith("first_week_below."):
        share = block.get("reached_share", 1.0)
        if not share:
            return "never"
        main = f"week {_fmt(est(block), 0)}"
        note = ci_text(block, 0) + (f"; reached in {share:.0%}" if share < 1 else "")
        return f'{main}<br><span class="note">{escape(note)}</span>'
    v = est(block)
    ci = (block or {}).get("ci95", [None, None])
    digits = _digits(v)
    if ci[0] is None or ci[1] is None:
        return escape(num(v, digits))
    low, high = escape(num(ci[0], digits)), escape(num(ci[1], digits))
    return f'{escape(num(v, digits))}<br><span class="note">{low} to {high}</span>'


def diff_cell(block: dict) -> str:
    v = est(block)
    ci = (block or {}).get("ci95", [None, None])
    if v is None:
        return "–"
    digits = 0 if abs(v) >= 100 else 1
    main = escape(f"{v:+,.{digits}f}".replace("-", "−"))
    if _excludes_zero(block):
        main = f"<strong>{main}</strong>"
    if ci[0] is None or ci[1] is None:
        return main
    lo, hi = (f"{x:+,.{digits}f}".replace("-", "−") for x in ci)
    return f'{main}<br><span class="note">{escape(lo)} to {escape(hi)}</span>'


@dataclass
class RenderedReport:
    """A report's HTML and the charts in it (for ``--figures`` export without redrawing)."""

    html: str
    charts: list[RenderedChart] = field(default_factory=list)
