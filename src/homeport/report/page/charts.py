"""Small horizontal bar charts for the report (bench against peak, data volumes), inline SVG with a title,
a description and one labelled bar per row, so the figure reads without colour and without the picture."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

LABEL_W, PLOT_W, VALUE_W, BAR, GAP, TOP = 230, 430, 230, 18, 12, 20
INK, MUTED, TRACK = "#1f2328", "#59636e", "#e6e9ed"
TONE_FILL = {"": "#3b6ea5", "ok": "#2e7d4f", "warn": "#b7791f", "bad": "#b3261e", "muted": "#8a8f98"}


@dataclass(frozen=True)
class BarRow:
    label: str
    value: float
    ceiling: float | None = None  # drawn as the track behind the bar (a peak); None: the chart's largest value
    text: str = ""  # what is written after the bar; the value when empty
    tone: str = ""


def hbars(title: str, rows: list[BarRow], *, ident: str) -> str:
    top = max([r.ceiling or r.value for r in rows] + [1e-12])
    height = TOP + len(rows) * (BAR + GAP) + 6
    width = LABEL_W + PLOT_W + VALUE_W
    desc = "; ".join(f"{r.label}: {r.text or r.value}" for r in rows)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" role="img" aria-labelledby="{ident}-t {ident}-d" font-family="inherit" font-size="12">',
           f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>']
    for i, r in enumerate(rows):
        y = TOP + i * (BAR + GAP)
        track = PLOT_W * (r.ceiling or top) / top
        bar = PLOT_W * min(r.value, r.ceiling or r.value) / top
        label = r.label if len(r.label) <= 34 else r.label[:33] + "…"
        out.append(f'<g class="bar" data-label={quoteattr(r.label)} data-value="{r.value:.6g}">'
                   f'<text x="{LABEL_W - 10}" y="{y + BAR * 0.72:.1f}" text-anchor="end" fill="{INK}">'
                   f'<title>{escape(r.label)}</title>{escape(label)}</text>'
                   f'<rect x="{LABEL_W}" y="{y}" width="{track:.1f}" height="{BAR}" rx="3" fill="{TRACK}"/>'
                   f'<rect x="{LABEL_W}" y="{y}" width="{max(bar, 1.5):.1f}" height="{BAR}" rx="3" '
                   f'fill="{TONE_FILL.get(r.tone, TONE_FILL[""])}"/>'
                   f'<text x="{LABEL_W + track + 8:.1f}" y="{y + BAR * 0.72:.1f}" fill="{MUTED}">'
                   f'{escape(r.text or f"{r.value:,.4g}")}</text></g>')
    out.append("</svg>")
    return "\n".join(out)
