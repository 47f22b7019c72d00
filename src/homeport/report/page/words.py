"""How figures are written in the report: one place, so every section writes them alike."""

from __future__ import annotations

import re

from homeport.report.page.document import Cell

SUPPORT = {"yes": Cell("yes", "ok"), "partial": Cell("partial", "warn"), "no": Cell("no", "bad")}
_AS_OF = re.compile(r"^(?P<what>.*?)\s*\[(?P<source>.*);\s*as of (?P<date>\d{4}-\d{2}-\d{2})\]\s*$")


def pct(share: float | None) -> str:
    if share is None:
        return "-"
    return f"{share * 100:.2g}%" if 0 < abs(share) < 0.01 else f"{share:.0%}"  # 0.05%, not 0%


def size(nbytes: float | None) -> str:
    if nbytes is None:
        return "-"
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(nbytes) >= scale:
            return f"{nbytes / scale:,.1f} {unit}"
    return f"{nbytes:,.0f} B"


def count(n: float | None) -> str:
    return "-" if n is None else f"{n:,.0f}"


def figure(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def blockers_cell(n: int) -> Cell:
    return Cell(str(n), "bad" if n else "ok")


def share_cell(share: float | None) -> Cell:
    if share is None:
        return Cell("-", "muted")
    return Cell(pct(share), "ok" if share >= 0.8 else "warn" if share >= 0.4 else "bad")


def split_cite(cite: str) -> tuple[str, str, str]:
    """`gpu_offers.csv line 23: seeweb H100 1x, ... [SOURCE; as of 2026-11-27]` -> (what, source, date)."""
    m = _AS_OF.match(cite)
    if not m:
        return cite, "", ""
    return m["what"], m["source"], m["date"]


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def upper_first(text: str) -> str:
    """A sentence from a clause: the first letter up, a full stop at the end (str.capitalize lowers the rest)."""
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else text
