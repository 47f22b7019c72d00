"""The report as Markdown: the same document as the HTML page. A chart becomes its text alternative (the
numbers it draws are in the tables beside it), a tone becomes the cell's word, which carries it anyway."""

from __future__ import annotations

from homeport.report.page.document import (Bullets, Document, Figure, Heading, Missing, Para, Row, Section, Table,
                                           cell_text)
from homeport.report.page.html import PHASE_NUMBER, STATUS_WORDS


def render(doc: Document) -> str:
    out = [f"# {doc.title}", "", f"`{doc.subject}` · {doc.generated} · homeport {doc.version}", "",
           f"> {doc.verdict}", ""]
    out += ["| key figure | value | note |", "|---|---:|---|"]
    out += [_row([k.label, k.value, k.note]) for k in doc.key_figures]
    out.append("")
    out += ["| phase | evidence |", "|---|---|"]
    out += [_row([f"{PHASE_NUMBER[s.phase]}. [{s.title}](#{s.id})", STATUS_WORDS[s.status]])
            for s in doc.sections if s.phase]
    out.append("")
    for s in doc.sections:
        out += _section(s)
    out += _section(doc.appendix)
    out.append(f"_Written by homeport {doc.version} on {doc.generated}._")
    return "\n".join(out).rstrip("\n") + "\n"


def _section(s: Section) -> list[str]:
    number = f"{PHASE_NUMBER[s.phase]}. " if s.phase in PHASE_NUMBER else ""
    out = [f'<a id="{s.id}"></a>', "", f"## {number}{s.title}", "",
           *([f"**{STATUS_WORDS[s.status]}**" + (f" · `{s.command}`" if s.command else ""), ""] if s.phase else []),
           s.lead, ""]
    for b in s.blocks:
        out += _block(b)
    return out


def _block(b) -> list[str]:
    if isinstance(b, Para):
        return [b.text, ""]
    if isinstance(b, Heading):
        return [f"### {b.text}", ""]
    if isinstance(b, Missing):
        return [f"**No evidence yet:** {b.what}. Run `{b.command}`", ""]
    if isinstance(b, Bullets):
        return ([f"**{b.title}**", ""] if b.title else []) + [f"- {_flat(i)}" for i in b.items] + [""]
    if isinstance(b, Figure):
        return [f"_Figure: {_flat(b.caption)}_ {_flat(b.alt)}", ""]
    if isinstance(b, Table):
        return table(b)
    if isinstance(b, Row):
        return [line for x in b.blocks for line in _block(x)]
    raise TypeError(f"no Markdown for {type(b).__name__}")


def table(t: Table) -> list[str]:
    align = ["---:" if i in t.numeric else "---" for i in range(len(t.head))]
    out = [f"**{_flat(t.caption)}**", "", _row(t.head), "|" + "|".join(align) + "|"]
    out += [_row([cell_text(c) for c in row]) for row in t.rows]
    out.append("")
    if t.note:
        out += [f"_{_flat(t.note)}_", ""]
    return out


def _row(cells) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _cell(value) -> str:
    text = _flat(str(value)).replace("|", "\\|")
    return text or " "


def _flat(text: str) -> str:
    return " ".join(text.split())
