"""The report as a reader's browser shows it: headless Chromium (Debian `chromium`, installed by `make test`
when missing) loads the file, and the test reads the console, the network, the DOM, a screenshot and a
printed PDF over the DevTools protocol (tests/report/chromium.py)."""

from __future__ import annotations

import pytest

from homeport.report.page import html
from chromium import find_chromium, load
from report_fixtures import built

BINARY = find_chromium()
pytestmark = pytest.mark.skipif(BINARY is None, reason="chromium is not installed (`make test` installs it with "
                                                       "apt-get; or set HOMEPORT_CHROMIUM to a Chromium binary)")
SECTIONS = ["readiness", "catalog", "adapt", "data", "fence", "prove", "decide", "cutover", "sources"]


def _open(tmp_path_factory, with_evidence: bool, width: int = 1280):
    doc, _ = built(with_evidence)
    path = tmp_path_factory.mktemp("page") / "report.html"
    path.write_text(html.render(doc), encoding="utf-8")
    return path, load(path, binary=BINARY, width=width)


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    return _open(tmp_path_factory, True)


def test_it_loads_without_console_errors_or_network_requests(full):
    path, page = full
    assert page.exceptions == [] and page.log_errors == []
    assert [m for m in page.console if m["type"] in ("error", "warning", "assert")] == []
    assert page.requests == [path.resolve().as_uri()], "the page fetched something besides itself"
    assert page.dom["scripts"] == 0 and page.dom["external"] == []


def test_one_section_per_phase_with_headings(full):
    _, page = full
    dom = page.dom
    assert dom["title"] == "Migration report: llm-pipeline" and dom["h1"] == ["Migration report: llm-pipeline"]
    assert dom["sections"] == SECTIONS
    assert dom["h2"][1:8] == ["1Catalog", "2Adapt the code", "3Move the data", "4Keep it inside the border",
                              "5Prove the target", "6Decide", "7Cut over, or go back"]
    assert {"Per accelerator target", "Per provider", "Accelerator libraries", "Inventory"} <= set(dom["h3"])


def test_tables_have_captions_and_column_headers(full):
    _, page = full
    tables = page.dom["tables"]
    assert len(tables) >= 15
    for t in tables:
        assert t["caption"] and t["headers"] and t["scoped"] and t["rows"] >= 1, t
    captions = {t["caption"] for t in tables}
    for wanted in ("Code readiness per accelerator target", "Effort levels of Konveyor/MTA", "Accelerator libraries in",
                   "Readiness per provider", "References per file", "Destinations in the fence's audit log",
                   "Reference workloads", "Loss parity between source and target", "cheapest offers",
                   "Cutover gates", "Catalog rows used"):
        assert any(wanted in c for c in captions), wanted
    readiness = next(t for t in tables if t["caption"] == "Code readiness per accelerator target")
    assert readiness["headers"][:4] == ["target", "blockers", "warnings", "story points"] and readiness["rows"] == 5


def test_every_chart_has_a_text_alternative(full):
    _, page = full
    assert len(page.dom["svgs"]) == 5
    for svg in page.dom["svgs"]:
        assert svg["title"] and svg["label"] and svg["role"] == "img" and svg["width"] > 300, svg
    for figure in page.dom["figures"]:
        assert figure["label"] and figure["caption"]


def test_a_screenshot_and_a_printout_are_written(full, tmp_path):
    _, page = full
    shot = tmp_path / "report.png"
    shot.write_bytes(page.screenshot)
    assert page.screenshot[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 100_000
    assert page.pdf[:5] == b"%PDF-" and len(page.pdf) > 50_000


def test_phases_without_evidence_say_what_to_run(tmp_path_factory):
    _, page = _open(tmp_path_factory, False)
    assert len(page.dom["missing"]) == 6
    assert all(m.startswith("No evidence yet:") and "Run homeport " in m for m in page.dom["missing"])
    assert page.exceptions == [] and len(page.requests) == 1


def test_a_phone_width_page_does_not_scroll_sideways(tmp_path_factory):
    _, page = _open(tmp_path_factory, True, width=390)
    assert not page.dom["overflowX"], "wide tables must scroll inside their box, not the page"
