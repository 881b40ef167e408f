"""``dfu-sched risk --out scores.html``: the risk scores of a queue as one self-contained page.

Same building blocks as every other report (``page.page``, ``table``, ``tier_tag``), so a tier
has the same colour here as in the plan and the simulation pages. The page shows only what
``risk`` prints: references (pseudonyms with ``--pseudonymise``), tier, score and factors.
"""
from __future__ import annotations

from html import escape

from dfu_sched.reports.page import headline_box, page, section, table, tier_tag


def render_risk_html(doc: dict, tiers: list[str], *, pseudonymised: bool) -> str:
    """The page for the document ``risk`` writes as JSON (``risk_model``, ``disclaimer``, ``devices``)."""
    rows = doc.get("devices", [])
    counts = [f"{tier_tag(t, tiers)} {sum(r['tier'] == t for r in rows)}" for t in tiers]
    mismatch = [r for r in rows if r.get("mismatch")]
    items = [f"<strong>{len(rows)} device(s) scored</strong> with the risk model "
             f"'{escape(str(doc.get('risk_model', '')))}' ({escape(str(doc.get('disclaimer', '')))}).",
             "Tier used: " + " · ".join(counts) + "."]
    items.append(f"<strong>{len(mismatch)} device(s) have a given tier that differs from their risk factors</strong> "
                 "(the given tier is used; marked below)." if mismatch
                 else "Every given tier agrees with its risk factors.")
    header = ["device", "case", "tier used", "score", "tier from factors", "given tier", "factors (points)", "flag"]
    body = [[escape(str(r["device"])), escape(str(r["case"])), tier_tag(r["tier"], tiers),
             "–" if r.get("score") is None else f"{r['score']:g}",
             tier_tag(r["computed_tier"], tiers) if r.get("computed_tier") else "–",
             tier_tag(r["given_tier"], tiers) if r.get("given_tier") else "–",
             escape(str(r.get("factors") or "none")),
             "<strong>mismatch</strong>" if r.get("mismatch") else ""] for r in rows]
    content = headline_box(items, title="Risk scores") + section(
        "Every device", table(header, body, numeric=[False, False, False, True, False, False, False, False],
                              raw=True) if rows else "<p>The queue is empty.</p>", anchor="devices")
    footer = (f"dfu-sched risk · pseudonymised: {'yes' if pseudonymised else 'no'} · "
              "Self-contained page: no scripts, no network; prints on A4.")
    return page("Risk scores of the queue", content, kicker="DFU risk scores",
                subtitle=f"{len(rows)} device(s) · KIRAT-like factor model, not KIRAT", footer=footer)
