"""A small, dependency-free SVG line chart (loss curves with a tolerance band), readable on its own and
embeddable in the HTML report."""

from __future__ import annotations

from html import escape

W, H, PAD_L, PAD_R, PAD_T, PAD_B = 720, 360, 64, 16, 36, 44
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


def line_chart(title: str, series: dict[str, list[float]], band: tuple[list[float], list[float]] | None = None,
               band_label: str = "", x_label: str = "step", y_label: str = "loss") -> str:
    values = [v for ys in series.values() for v in ys] + ([v for side in band for v in side] if band else [])
    lo, hi = min(values), max(values)
    hi = hi if hi > lo else lo + 1
    steps = max(len(ys) for ys in series.values())

    def x(i: int) -> float:
        return PAD_L + (W - PAD_L - PAD_R) * i / max(steps - 1, 1)

    def y(v: float) -> float:
        return PAD_T + (H - PAD_T - PAD_B) * (hi - v) / (hi - lo)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="12" role="img" aria-label="{escape(title)}">',
           f'<title>{escape(title)}</title><rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{PAD_L}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>']
    for k in range(5):  # y grid with labels
        v = lo + (hi - lo) * k / 4
        out.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>'
                   f'<text x="{PAD_L - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.3g}</text>')
    out.append(f'<text x="{(W + PAD_L) / 2}" y="{H - 8}" text-anchor="middle">{escape(x_label)} (0-{steps - 1})</text>'
               f'<text x="14" y="{(H - PAD_B + PAD_T) / 2}" transform="rotate(-90 14 {(H - PAD_B + PAD_T) / 2})" '
               f'text-anchor="middle">{escape(y_label)}</text>')
    if band:
        lower, upper = band
        ring = [f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(upper)]
        ring += [f"{x(i):.1f},{y(v):.1f}" for i, v in reversed(list(enumerate(lower)))]
        out.append(f'<polygon points="{" ".join(ring)}" fill="#1f77b4" fill-opacity="0.18" stroke="none">'
                   f'<title>{escape(band_label)}</title></polygon>')
    for n, ((label, ys), color) in enumerate(zip(series.items(), COLORS)):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(ys))
        dash = ' stroke-dasharray="6 4"' if n else ""  # a later curve on top of an equal one stays visible
        out.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="1.6"{dash}>'
                   f'<title>{escape(label)}</title></polyline>')
    legend = list(zip(series, COLORS)) + ([(band_label, "#a6c8e4")] if band else [])
    for i, (label, color) in enumerate(legend):
        lx = W - PAD_R - 260
        ly = PAD_T + 6 + 16 * i
        out.append(f'<rect x="{lx}" y="{ly - 9}" width="12" height="10" fill="{color}"/>'
                   f'<text x="{lx + 18}" y="{ly}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
