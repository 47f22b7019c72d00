"""The HTML page is self-contained and well-formed without a browser: no script, nothing to fetch, every SVG
named, every table headed (the browser test checks the same as a reader's browser sees it)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from homeport.report.page import html
from homeport.report.page.document import Document, Section, Table
from report_fixtures import built

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def page():
    return html.render(built(True)[0])


def test_nothing_is_fetched_and_nothing_runs(page):
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page, flags=re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", page, flags=re.I)
    assert "@import" not in page


def test_every_svg_is_well_formed_and_named(page):
    svgs = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
    assert len(svgs) == 5
    for svg in svgs:
        root = ET.fromstring(svg)
        title = root.find(f"{SVG}title")
        assert title is not None and title.text and len(title.text) > 20
        assert root.get("role") == "img" and (root.get("aria-label") or root.get("aria-labelledby"))


def test_ids_are_unique(page):
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_table_cells_are_escaped():
    doc = Document("t", "s", "now", "0", "verdict <b>", [], [
        Section("x", "X <i>", "catalog", "evidence", "lead & more",
                [Table("c", ["a|b"], [["<script>alert(1)</script>"]])])],
        Section("sources", "Sources", "", "info", "none"), [])
    out = html.render(doc)
    assert "<script>" not in out and "&lt;script&gt;" in out and "verdict &lt;b&gt;" in out


def test_the_inventory_aggregates_a_large_tree():
    """Five hundred modules and packages become two cards: modules named by folder, packages by the first
    few, each saying how many more there are; an empty lane takes no room."""
    from homeport.report.inventory_svg import render_svg

    comps = [{"id": f"module:src/pkg{i % 12}/m{i}.py", "kind": "module", "name": f"src/pkg{i % 12}/m{i}.py",
              "evidence": [f"src/pkg{i % 12}/m{i}.py:1"], "evidence_count": 1} for i in range(300)]
    comps += [{"id": f"package:p{i}", "kind": "package", "name": f"p{i}", "evidence": [], "evidence_count": 1}
              for i in range(200)]
    links = [{"source": f"module:src/pkg{i % 12}/m{i}.py", "target": f"package:p{i % 200}", "relation": "imports"}
             for i in range(300)]
    findings = [{"path": "src/pkg7/m7.py", "line": 3}]
    root = ET.fromstring(render_svg({"components": comps, "links": links}, findings))
    cards = root.findall(f".//{SVG}g[@class='card']")
    assert len(cards) == 2
    text = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert "src/pkg0/ · 25 files" in text and "+ 7 more folders" in text and "+ 195 more" in text
    assert "1 tied" in text
    assert len(root.findall(f".//{SVG}path")) <= 3  # one arrow for 300 links (and the marker's path)
    assert float(root.get("width")) < 1000  # one lane holds both cards
