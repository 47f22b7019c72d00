"""The report as one self-contained HTML file: inline CSS and SVG, no script, nothing fetched, so it opens
offline, in a mail client's sandbox, and prints (print rules in style.py)."""

from __future__ import annotations

import re
from html import escape

from homeport.report.page.document import (Bullets, Cell, Document, Figure, Heading, Missing, Para, Row, Section,
                                           Table, cell_text, cell_tone)
from homeport.report.page.style import CSS

STATUS_WORDS = {"evidence": "evidence", "partial": "partial evidence", "none": "no evidence yet", "info": "summary"}
PHASE_NUMBER = {"catalog": 1, "adapt": 2, "data": 3, "fence": 4, "prove": 5, "decide": 6, "cutover": 7}
_CODE = re.compile(r"`([^`]+)`")


def inline(text: str) -> str:
    """Escape, then backtick spans become <code>; a short one never breaks across lines (`DEP001`)."""
    return _CODE.sub(lambda m: f'<code{" class=nb" if len(m.group(1)) <= 24 else ""}>{m.group(1)}</code>',
                     escape(text, quote=False))


def render(doc: Document) -> str:
    body = [_masthead(doc), f'<p class="verdict">{inline(doc.verdict)}</p>', _figures(doc), _tracker(doc)]
    body += [_section(s) for s in doc.sections]
    body.append(_section(doc.appendix, "appendix"))
    body.append(f"<footer>Written by homeport {escape(doc.version)} on {escape(doc.generated)}. Every catalog fact "
                "above carries its source and date in the sources table; every figure comes from the evidence "
                "files listed with it. This page fetches nothing and runs no script.</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<meta name=\"generator\" content=\"homeport {escape(doc.version)}\">\n"
            f"<title>{escape(doc.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(body) + "\n</main>\n</body>\n</html>\n")


def _masthead(doc: Document) -> str:
    return (f'<header class="masthead"><div class="eyebrow">homeport · migration report</div>'
            f"<h1>{escape(doc.title)}</h1>"
            f'<div class="meta"><code>{escape(doc.subject)}</code> · {escape(doc.generated)} · homeport '
            f"{escape(doc.version)}</div></header>")


def _figures(doc: Document) -> str:
    cards = "".join(f'<div class="kf {escape(k.tone)}"><div class="value">{escape(k.value)}</div>'
                    f'<div class="label">{escape(k.label)}</div><div class="note">{inline(k.note)}</div></div>'
                    for k in doc.key_figures)
    return f'<div class="figures" role="list" aria-label="Key figures">{cards}</div>'


def _tracker(doc: Document) -> str:
    items = []
    for s in doc.sections:
        if not s.phase:
            continue
        items.append(f'<li class="{escape(s.status)}"><a href="#{escape(s.id)}"><span class="t">'
                     f'{escape(s.title)}</span></a><span class="c">{escape(STATUS_WORDS[s.status])}</span></li>')
    return f'<nav aria-label="Phases"><ol class="tracker">{"".join(items)}</ol></nav>'


def _section(s: Section, kind: str = "") -> str:
    number = f'<span class="n">{PHASE_NUMBER[s.phase]}</span>' if s.phase in PHASE_NUMBER else ""
    command = f" <code>{escape(s.command)}</code>" if s.command else ""
    badge = f'<span class="badge {escape(s.status)}">{escape(STATUS_WORDS[s.status])}</span>' if s.phase else ""
    head = f'<header><h2 id="{escape(s.id)}">{number}{escape(s.title)}</h2>{badge}{command}</header>'
    blocks = "\n".join(_block(b) for b in s.blocks)
    kind = kind or ("phase" if s.phase else "summary")
    return (f'<section class="{kind}" aria-labelledby="{escape(s.id)}">{head}'
            f'<p class="lead">{inline(s.lead)}</p>\n{blocks}</section>')


def _block(b) -> str:
    if isinstance(b, Para):
        return f'<p class="{escape(b.tone)}">{inline(b.text)}</p>'
    if isinstance(b, Heading):
        return f"<h3>{inline(b.text)}</h3>"
    if isinstance(b, Missing):
        return (f'<div class="missing"><strong>No evidence yet:</strong> {inline(b.what)}. '
                f"Run <code>{escape(b.command)}</code></div>")
    if isinstance(b, Bullets):
        title = f'<div class="blist-title">{inline(b.title)}</div>' if b.title else ""
        return title + '<ul class="bullets">' + "".join(f"<li>{inline(i)}</li>" for i in b.items) + "</ul>"
    if isinstance(b, Figure):
        return (f'<figure role="group" aria-label="{escape(b.alt)}">{b.svg}'
                f"<figcaption>{inline(b.caption)}</figcaption></figure>")
    if isinstance(b, Table):
        return table(b)
    if isinstance(b, Row):
        return '<div class="row">' + "".join(f"<div>{_block(x)}</div>" for x in b.blocks) + "</div>"
    raise TypeError(f"no HTML for {type(b).__name__}")


def table(t: Table) -> str:
    head = "".join(f'<th scope="col"{_num(i, t)}>{inline(h)}</th>' for i, h in enumerate(t.head))
    rows = []
    for row in t.rows:
        cells = "".join(f"<td{_num(i, t)}>{_cell(c)}</td>" for i, c in enumerate(row))
        rows.append(f"<tr>{cells}</tr>")
    note = f'<p class="tnote">{inline(t.note)}</p>' if t.note else ""
    return (f'<div class="table"><table><caption>{inline(t.caption)}</caption><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>{note}")


def _num(i: int, t: Table) -> str:
    return ' class="num"' if i in t.numeric else ' class="nw"' if i in t.nowrap else ""


def _cell(c) -> str:
    text, tone = inline(cell_text(c)), cell_tone(c)
    title = f' title="{escape(c.note)}"' if isinstance(c, Cell) and c.note else ""
    return f'<span class="pill {tone}"{title}>{text}</span>' if tone else text
