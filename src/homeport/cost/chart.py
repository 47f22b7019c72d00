"""A self-contained SVG bar chart: the total per provider (its cheapest offer), stacked by component."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from homeport.cost.model import Estimate, OfferCost

STACK = (("compute", ("compute",), "#4e79a7"), ("storage", ("storage",), "#f28e2b"),
         ("egress", ("migration_egress", "ongoing_egress"), "#59a14f"))
BAR, GAP, LABEL_W, PLOT_W, TOP, RIGHT = 22, 10, 250, 520, 66, 110


def cheapest_per_provider(e: Estimate) -> list[OfferCost]:
    """One offer per provider, the cheapest (today's offer stands for its provider), in the order of the totals."""
    chosen: dict[str, OfferCost] = {}
    for c in e.offers:  # already by total
        if c.offer.provider not in chosen or c.is_source:
            chosen[c.offer.provider] = c
    return sorted(chosen.values(), key=lambda c: c.total)


def render_svg(e: Estimate) -> str:
    bars = cheapest_per_provider(e)
    top = max((c.total for c in bars), default=0) or 1.0
    height = TOP + len(bars) * (BAR + GAP) + 40
    width = LABEL_W + PLOT_W + RIGHT
    title = f"homeport cost: {e.job.name}, total per provider in {e.currency}"
    subtitle = ("the cheapest offer of each provider, today's offer for today's provider; "
                "a total marked >= misses a component without a price")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f"<title>{escape(title)}</title>",
           f'<text x="10" y="20" font-size="14" font-weight="bold">Total cost per provider ({escape(e.currency)})</text>',
           f'<text x="10" y="38" fill="#555">{escape(subtitle)}</text>']
    for i, (name, _, color) in enumerate(STACK):  # legend
        x = LABEL_W + i * 110
        out.append(f'<rect x="{x}" y="{TOP - 14}" width="10" height="10" fill="{color}"/>'
                   f'<text x="{x + 14}" y="{TOP - 5}">{name}</text>')
    for row, c in enumerate(bars):
        y = TOP + 4 + row * (BAR + GAP)
        label = f"{c.offer.provider}: {c.offer.offer}" + (" (today)" if c.is_source else "")
        out.append(f'<g class="bar" data-provider={quoteattr(c.offer.provider)} data-total="{c.total:.2f}">')
        out.append(f'<text x="{LABEL_W - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end">{escape(label[:40])}</text>')
        x = float(LABEL_W)
        for name, parts, color in STACK:
            amount = sum(c.component(p).amount or 0.0 for p in parts)
            w = PLOT_W * amount / top
            if w > 0:
                tip = escape(f"{name}: {amount:,.2f} {e.currency}")
                out.append(f'<rect class="{name}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR}" fill="{color}">'
                           f"<title>{tip}</title></rect>")
            x += w
        total = f"{c.total:,.2f}" if c.complete else f">= {c.total:,.2f}"
        out.append(f'<text x="{x + 6:.1f}" y="{y + BAR * 0.7:.1f}">{escape(total)}</text></g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
