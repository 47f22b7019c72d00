"""A self-contained SVG bar chart: the total per provider (its cheapest offer), stacked by component.

Drawn from an Estimate (`homeport cost --chart`) or from the saved JSON report (`homeport report` reads
`kind: homeport-cost`): both become the same bars first, so the two charts cannot differ."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from homeport.cost.model import Estimate, OfferCost

STACK = (("compute", ("compute",), "#4e79a7"), ("storage", ("storage",), "#f28e2b"),
         ("egress", ("migration_egress", "ongoing_egress"), "#59a14f"))
BAR, GAP, LABEL_W, PLOT_W, TOP, RIGHT = 22, 10, 250, 520, 66, 110


@dataclass(frozen=True)
class Bar:
    provider: str
    offer: str
    is_source: bool
    total: float
    complete: bool
    amounts: dict  # stack name -> amount (a component without a price counts 0)


def cheapest_per_provider(e: Estimate) -> list[OfferCost]:
    """One offer per provider, the cheapest (today's offer stands for its provider), in the order of the totals."""
    chosen: dict[str, OfferCost] = {}
    for c in e.offers:  # already by total
        if c.offer.provider not in chosen or c.is_source:
            chosen[c.offer.provider] = c
    return sorted(chosen.values(), key=lambda c: c.total)


def render_svg(e: Estimate) -> str:
    bars = [Bar(c.offer.provider, c.offer.offer, c.is_source, c.total, c.complete,
                {name: sum(c.component(p).amount or 0.0 for p in parts) for name, parts, _ in STACK})
            for c in cheapest_per_provider(e)]
    return draw(bars, e.job.name, e.currency)


def render_svg_from_report(doc: dict) -> str:
    """The same chart from the JSON report (`kind: homeport-cost`, schema 1)."""
    chosen: dict[str, dict] = {}
    for o in doc["offers"]:  # already by total
        if o["provider"] not in chosen or o["is_source"]:
            chosen[o["provider"]] = o
    bars = [Bar(o["provider"], o["offer"], o["is_source"], o["total"], o["complete"],
                {name: sum(o["components"].get(p, {}).get("amount") or 0.0 for p in parts) for name, parts, _ in STACK})
            for o in sorted(chosen.values(), key=lambda o: o["total"])]
    return draw(bars, doc["job"]["name"], doc["currency"])


def draw(bars: list[Bar], job: str, currency: str) -> str:
    top = max((b.total for b in bars), default=0) or 1.0
    height = TOP + len(bars) * (BAR + GAP) + 40
    width = LABEL_W + PLOT_W + RIGHT
    title = f"homeport cost: {job}, total per provider in {currency}"
    subtitle = ("the cheapest offer of each provider, today's offer for today's provider; "
                "a total marked >= misses a component without a price")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" role="img" '
           f'aria-label={quoteattr(title)}>',
           f"<title>{escape(title)}</title>",
           f'<text x="10" y="20" font-size="14" font-weight="bold">Total cost per provider ({escape(currency)})</text>',
           f'<text x="10" y="38" fill="#555">{escape(subtitle)}</text>']
    for i, (name, _, color) in enumerate(STACK):  # legend
        x = LABEL_W + i * 110
        out.append(f'<rect x="{x}" y="{TOP - 14}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{x + 14}" y="{TOP - 5}">{name}</text>')
    for row, b in enumerate(bars):
        y = TOP + 4 + row * (BAR + GAP)
        label = f"{b.provider}: {b.offer}" + (" (today)" if b.is_source else "")
        out.append(f'<g class="bar" data-provider={quoteattr(b.provider)} data-total="{b.total:.2f}">')
        out.append(f'<text x="{LABEL_W - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end">{escape(label[:40])}</text>')
        x = float(LABEL_W)
        for name, _, color in STACK:
            amount = b.amounts[name]
            w = PLOT_W * amount / top
            if w > 0:
                tip = escape(f"{name}: {amount:,.2f} {currency}")
                out.append(f'<rect class="{name}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR}" fill="{color}">'
                           f"<title>{tip}</title></rect>")
            x += w
        total = f"{b.total:,.2f}" if b.complete else f">= {b.total:,.2f}"
        out.append(f'<text x="{x + 6:.1f}" y="{y + BAR * 0.7:.1f}">{escape(total)}</text></g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
