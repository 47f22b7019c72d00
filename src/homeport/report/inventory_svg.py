"""The inventory as a picture: one card per kind of component, in four lanes from how the job is deployed to
what it runs on and talks to, and the links between kinds drawn once with their count.

Aggregated on purpose: a repository of a few hundred files has hundreds of modules and packages, and a box
per component would be unreadable. A card names its first few components (vendor-tied ones first) and says
how many more there are; the JSON assessment lists them all.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from xml.sax.saxutils import escape

LANES = (
    ("Deploy and launch", ("infrastructure", "job-manifest", "container-image")),
    ("Entry points", ("entry-point", "config")),
    ("Code and libraries", ("module", "package", "accelerator-library", "distributed")),
    ("Hardware, data, services", ("accelerator", "compute", "data-location", "cloud-service", "experiment-tracking")),
)
TITLES = {"infrastructure": "Infrastructure", "job-manifest": "Job manifests", "container-image": "Container images",
          "entry-point": "Entry points", "config": "Configuration", "module": "Modules", "package": "Packages",
          "accelerator-library": "Accelerator libraries", "distributed": "Distributed training",
          "accelerator": "Accelerators", "compute": "Instance types", "data-location": "Data locations",
          "cloud-service": "Cloud services", "experiment-tracking": "Experiment tracking"}
SHOWN = 5  # names per card
CARD_W, LANE_GAP, ROW_H, HEAD_H, CARD_GAP, TOP, LEFT = 228, 72, 17, 26, 16, 58, 12
TIED, PORTABLE, INK, MUTED, EDGE = "#b3261e", "#8a8f98", "#1f2328", "#59636e", "#7d8796"


@dataclass
class Card:
    kind: str
    lane: int
    names: list[tuple[str, bool]]  # (name, tied to a vendor), the shown ones
    total: int
    tied: int
    self_links: Counter  # relation -> links between components of this kind
    more: str = ""  # "+ 313 more", "+ 7 more folders": what the card does not name
    x: float = 0.0
    y: float = 0.0
    h: float = 0.0


FILE_KINDS = ("module", "entry-point", "config", "job-manifest", "infrastructure")  # a component that is a file


def tied_components(inventory: dict, findings: list[dict]) -> set[str]:
    """The parts tied to a vendor: a finding on one of the component's lines, or anywhere in a component that
    is a whole file (a module, a manifest) or was seen in a file without a line (the accelerator)."""
    lines = {f"{f['path']}:{f['line']}" for f in findings}
    files = {f["path"] for f in findings}
    out = set()
    for comp in inventory.get("components", []):
        for where in comp.get("evidence", []):
            path, _, line = where.rpartition(":")
            if where in lines or (not line.isdigit() and where in files) or (
                    comp["kind"] in FILE_KINDS and line.isdigit() and path in files):
                out.add(comp["id"])
                break
    return out


def _lane_of(kind: str) -> int:
    return next((i for i, (_, kinds) in enumerate(LANES) if kind in kinds), len(LANES) - 1)


def _cards(inventory: dict, tied: set[str]) -> dict[str, Card]:
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for comp in inventory.get("components", []):
        by_kind[comp["kind"]].append(comp)
    kind_of = {c["id"]: c["kind"] for c in inventory.get("components", [])}
    selfs: dict[str, Counter] = defaultdict(Counter)
    for link in inventory.get("links", []):
        kind = kind_of.get(link["source"])
        if kind and kind == kind_of.get(link["target"]):
            selfs[kind][link["relation"]] += 1
    cards = {}
    for kind, comps in by_kind.items():
        n_tied = sum(c["id"] in tied for c in comps)
        if kind in FILE_KINDS and len(comps) > SHOWN:  # hundreds of files: name their folders instead
            names, more = _by_folder(comps, tied)
        else:
            ordered = sorted(comps, key=lambda c: (c["id"] not in tied, -c.get("evidence_count", 0), c["name"]))
            names = [(c["name"], c["id"] in tied) for c in ordered[:SHOWN]]
            more = f"+ {len(comps) - SHOWN} more" if len(comps) > SHOWN else ""
        cards[kind] = Card(kind, _lane_of(kind), names, len(comps), n_tied, selfs[kind], more)
    return cards


def _by_folder(comps: list[dict], tied: set[str]) -> tuple[list[tuple[str, bool]], str]:
    """The folders (two levels deep) holding the most of these files, each with its count."""
    folders: dict[str, list[bool]] = defaultdict(list)
    for c in comps:
        parts = c["name"].split("/")[:-1][:2]
        folders["/".join(parts) + "/" if parts else "(top level)"].append(c["id"] in tied)
    ranked = sorted(folders.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    names = [(f"{folder} · {len(flags)} files", any(flags)) for folder, flags in ranked[:SHOWN]]
    rest = len(ranked) - SHOWN
    return names, f"+ {rest} more folder{'s' if rest > 1 else ''}" if rest > 0 else ""


def _columns(cards: dict[str, Card]) -> list[int]:
    """The lanes that hold a card, left to right: an empty lane takes no room."""
    return sorted({c.lane for c in cards.values()})


def _layout(cards: dict[str, Card]) -> float:
    """Place cards lane by lane in LANES order; returns the drawing's height."""
    bottom = TOP
    columns = _columns(cards)
    for lane, (_, kinds) in enumerate(LANES):
        if lane not in columns:
            continue
        y = TOP
        order = [k for k in kinds if k in cards] + sorted(k for k, c in cards.items()
                                                         if c.lane == lane and k not in kinds)
        for kind in order:
            card = cards[kind]
            extra = bool(card.more) + bool(card.self_links)
            card.x, card.y = LEFT + columns.index(lane) * (CARD_W + LANE_GAP), y
            card.h = HEAD_H + ROW_H * (len(card.names) + extra) + 8
            y += card.h + CARD_GAP
        bottom = max(bottom, y)
    return bottom + 48


def _edges(inventory: dict, cards: dict[str, Card]) -> list[tuple[Card, Card, Counter]]:
    kind_of = {c["id"]: c["kind"] for c in inventory.get("components", [])}
    agg: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for link in inventory.get("links", []):
        a, b = kind_of.get(link["source"]), kind_of.get(link["target"])
        if a and b and a != b:
            agg[(a, b)][link["relation"]] += 1
    return [(cards[a], cards[b], rel) for (a, b), rel in sorted(agg.items())]


def _fit(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars - 1] + "…"


def render_svg(inventory: dict, findings: list[dict], *, ident: str = "inventory") -> str:
    tied = tied_components(inventory, findings)
    cards = _cards(inventory, tied)
    height = _layout(cards)
    columns = _columns(cards)
    width = LEFT * 2 + max(len(columns), 1) * (CARD_W + LANE_GAP) - LANE_GAP
    n_comp, n_links = len(inventory.get("components", [])), len(inventory.get("links", []))
    title = f"Inventory: {n_comp} components in {len(cards)} kinds, {n_links} links; {len(tied)} tied to a vendor"
    desc = "; ".join(f"{TITLES.get(c.kind, c.kind)}: {c.total} ({c.tied} tied to a vendor)"
                     for c in sorted(cards.values(), key=lambda c: (c.lane, c.y)))
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" width="{width}" '
           f'height="{height:.0f}" role="img" aria-labelledby="{ident}-t {ident}-d" font-family="inherit" '
           f'font-size="12" class="inventory">',
           f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>',
           f'<defs><marker id="{ident}-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" '
           f'markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="{EDGE}"/></marker></defs>']
    for column, lane in enumerate(columns):
        name = LANES[lane][0]
        x = LEFT + column * (CARD_W + LANE_GAP)
        out.append(f'<text x="{x}" y="22" font-size="11" font-weight="600" fill="{MUTED}" '
                   f'letter-spacing="0.06em">{escape(name.upper())}</text>'
                   f'<line x1="{x}" x2="{x + CARD_W}" y1="32" y2="32" stroke="#d8dee4"/>')
    out += _draw_edges(_edges(inventory, cards), ident)
    for card in cards.values():
        out += _draw_card(card)
    legend_y = height - 30
    out.append(f'<circle cx="{LEFT + 5}" cy="{legend_y - 4}" r="4" fill="{TIED}"/>'
               f'<text x="{LEFT + 14}" y="{legend_y}" fill="{MUTED}">tied to a vendor: a finding on its lines '
               'or in its file</text>'
               f'<circle cx="{LEFT + 345}" cy="{legend_y - 4}" r="4" fill="none" stroke="{PORTABLE}"/>'
               f'<text x="{LEFT + 354}" y="{legend_y}" fill="{MUTED}">no finding</text>'
               f'<text x="{LEFT}" y="{legend_y + 18}" fill="{MUTED}">arrows: links between kinds, thicker '
               'for more (counts in the table)</text>')
    out.append("</svg>")
    return "\n".join(out)


def _draw_card(card: Card) -> list[str]:
    x, y = card.x, card.y
    title = TITLES.get(card.kind, card.kind)
    border = TIED if card.tied else "#d0d7de"
    out = [f'<g class="card" data-kind="{escape(card.kind)}">',
           f'<rect x="{x}" y="{y}" width="{CARD_W}" height="{card.h:.0f}" rx="6" fill="#ffffff" stroke="{border}" '
           f'stroke-width="{1.4 if card.tied else 1}"/>',
           f'<text x="{x + 10}" y="{y + 17}" font-weight="600" fill="{INK}">{escape(title)}</text>',
           f'<text x="{x + CARD_W - 10}" y="{y + 17}" text-anchor="end" fill="{MUTED}">'
           f'{card.total}{f" · {card.tied} tied" if card.tied else ""}</text>']
    row_y = y + HEAD_H + 10
    for name, is_tied in card.names:
        dot = (f'<circle cx="{x + 14}" cy="{row_y - 4}" r="3.5" fill="{TIED}"/>' if is_tied else
               f'<circle cx="{x + 14}" cy="{row_y - 4}" r="3.5" fill="none" stroke="{PORTABLE}"/>')
        out.append(f'{dot}<text x="{x + 24}" y="{row_y}" fill="{INK}"><title>{escape(name)}</title>'
                   f'{escape(_fit(name, 31))}</text>')
        row_y += ROW_H
    if card.more:
        out.append(f'<text x="{x + 24}" y="{row_y}" fill="{MUTED}" font-style="italic">{escape(card.more)}</text>')
        row_y += ROW_H
    if card.self_links:
        words = ", ".join(f"{rel} ×{n}" for rel, n in card.self_links.most_common())
        out.append(f'<text x="{x + 10}" y="{row_y}" fill="{MUTED}" font-size="11">↺ {escape(_fit(words, 34))}</text>')
    out.append("</g>")
    return out


def _draw_edges(edges, ident: str) -> list[str]:
    """Curves under the cards, thicker for more links; the counts are in each curve's tooltip and in the
    table beside the picture (labels on a few dozen curves would hide the picture)."""
    # fan the ends of several edges on one side of a card apart, so they do not share one point
    ends: dict[tuple[str, str], list] = defaultdict(list)
    for a, b, _ in edges:
        forward = a.lane <= b.lane
        ends[(a.kind, "out" if forward else "in")].append((b.y, (a.kind, b.kind)))
        ends[(b.kind, "in" if forward else "out")].append((a.y, (a.kind, b.kind)))
    offset: dict[tuple[str, tuple[str, str]], float] = {}
    for (kind, _), items in ends.items():
        items.sort(key=lambda t: t[0])
        for i, (_, pair) in enumerate(items):
            offset[(kind, pair)] = (i - (len(items) - 1) / 2) * 5
    out = ['<g class="links" fill="none">']
    for a, b, rel in edges:
        count = sum(rel.values())
        ya = a.y + min(a.h / 2, 44) + offset[(a.kind, (a.kind, b.kind))]
        yb = b.y + min(b.h / 2, 44) + offset[(b.kind, (a.kind, b.kind))]
        if a.lane == b.lane:  # within a lane: a loop out to the right
            xa = xb = a.x + CARD_W
            bend = LANE_GAP * 0.6
            path = f"M{xa},{ya:.1f} C{xa + bend},{ya:.1f} {xb + bend},{yb:.1f} {xb + 1},{yb:.1f}"
        else:
            forward = a.lane < b.lane
            xa = a.x + (CARD_W if forward else 0)
            xb = b.x + (-1 if forward else CARD_W + 1)
            mid = (xa + xb) / 2
            path = f"M{xa},{ya:.1f} C{mid},{ya:.1f} {mid},{yb:.1f} {xb},{yb:.1f}"
        width = 0.8 + min(count, 25) ** 0.5 * 0.5
        tip = ", ".join(f"{r} ×{n}" for r, n in rel.most_common())
        out.append(f'<path d="{path}" stroke="{EDGE}" stroke-opacity="0.5" stroke-width="{width:.2f}" '
                   f'marker-end="url(#{ident}-arrow)"><title>{escape(TITLES.get(a.kind, a.kind))} → '
                   f'{escape(TITLES.get(b.kind, b.kind))}: {escape(tip)}</title></path>')
    out.append("</g>")
    return out


def link_rows(inventory: dict) -> list[tuple[str, str, str, int]]:
    """(from kind, relation, to kind, links): the picture's arrows as a table, most links first."""
    kind_of = {c["id"]: c["kind"] for c in inventory.get("components", [])}
    agg: Counter = Counter()
    for link in inventory.get("links", []):
        a, b = kind_of.get(link["source"]), kind_of.get(link["target"])
        if a and b:
            agg[(TITLES.get(a, a), link["relation"], TITLES.get(b, b))] += 1
    return [(a, rel, b, n) for (a, rel, b), n in sorted(agg.items(), key=lambda kv: (-kv[1], kv[0]))]
