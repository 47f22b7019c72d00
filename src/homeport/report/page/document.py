"""The migration report as data: sections of paragraphs, tables and figures that the HTML and the Markdown
renderers both walk, so the two formats cannot say different things.

Text is plain; a span in backticks is code (`homeport bench`). Tones (ok, warn, bad, muted) colour a cell
or a status in HTML and become words in Markdown, never colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

TONES = ("ok", "warn", "bad", "muted", "")


@dataclass(frozen=True)
class Cell:
    text: str
    tone: str = ""  # one of TONES
    note: str = ""  # a tooltip in HTML, a footnote-like suffix nowhere else (kept short)


CellLike = Union[str, int, float, Cell]


@dataclass
class Table:
    caption: str
    head: list[str]
    rows: list[list[CellLike]]
    numeric: tuple[int, ...] = ()  # column indexes holding figures: right-aligned
    nowrap: tuple[int, ...] = ()  # columns of short names that read badly broken (`CLD004 sagemaker-sdk`)
    note: str = ""  # a sentence under the table


@dataclass
class Figure:
    svg: str  # a complete <svg> element with <title> and aria-label
    caption: str
    alt: str  # the text alternative: what the picture says, in words


@dataclass
class Para:
    text: str
    tone: str = ""


@dataclass
class Missing:
    """A phase without evidence: what is missing and the command that writes it."""

    what: str
    command: str


@dataclass
class Heading:
    """A sub-heading inside a section."""

    text: str


@dataclass
class Bullets:
    items: list[str]
    title: str = ""


@dataclass
class Row:
    """Small blocks side by side on a wide page (one after the other in Markdown and on a narrow page)."""

    blocks: list


Block = Union[Para, Table, Figure, Missing, Bullets, Heading, Row]


@dataclass
class KeyFigure:
    label: str
    value: str
    note: str = ""
    tone: str = ""


@dataclass
class Section:
    id: str
    title: str
    phase: str  # the phase's name in DESIGN.md; "" for sections that are not a phase
    status: str  # evidence | partial | none | info
    lead: str  # one sentence: what this section says
    blocks: list[Block] = field(default_factory=list)
    command: str = ""  # the command of the phase (DESIGN.md's table)


@dataclass(frozen=True)
class Source:
    table: str  # the catalog file
    row: str  # the row in it: `line 23`, a key (`apex`)
    used_for: str  # what the report used it for
    source: str
    as_of: str


@dataclass
class Document:
    title: str
    subject: str  # the repository
    generated: str  # ISO date and time
    version: str
    verdict: str  # one or two sentences: the state of the migration
    key_figures: list[KeyFigure]
    sections: list[Section]
    appendix: Section  # the sources of every catalog fact used, the evidence read and skipped
    skipped: list[list[str]]  # [path, reason]: evidence not read (also in the appendix)


def cell_text(value: CellLike) -> str:
    return value.text if isinstance(value, Cell) else str(value)


def cell_tone(value: CellLike) -> str:
    return value.tone if isinstance(value, Cell) else ""
