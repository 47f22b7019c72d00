"""The Markdown report says what the HTML page says: the same sections, tables that keep their columns, a
text alternative for every chart, and `no evidence yet` with the command for a phase without evidence."""

from __future__ import annotations

import re

import pytest

from homeport.cli.main import main
from homeport.report.page import html, markdown
from report_fixtures import EXAMPLE, built

PHASES = ["1. Catalog", "2. Adapt the code", "3. Move the data", "4. Keep it inside the border",
          "5. Prove the target", "6. Decide", "7. Cut over, or go back"]


@pytest.fixture(scope="module")
def full():
    return built(True)[0]


@pytest.fixture(scope="module")
def empty():
    return built(False)[0]


def test_sections_in_phase_order(full):
    text = markdown.render(full)
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings == ["Readiness", *PHASES, "Sources and evidence"]


def test_tables_keep_their_columns(full):
    text = markdown.render(full)
    tables = [block for block in text.split("\n\n") if block.startswith("| ")]
    assert len(tables) >= 15
    for block in tables:
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in block.splitlines()}
        assert len(widths) == 1, block[:300]


def test_every_figure_has_its_text_alternative(full):
    text = markdown.render(full)
    figures = re.findall(r"^_Figure: .+$", text, flags=re.M)
    assert len(figures) == 5  # inventory, data volumes, bench against peak, loss parity, cost per provider
    assert all(len(line) > 60 for line in figures)


def test_a_phase_without_evidence_says_so_and_how_to_get_it(empty):
    text = markdown.render(empty)
    assert text.count("**No evidence yet:**") == 6  # all but the catalog, which PATH gives
    assert "Run `homeport bench --out reports/bench.json (on the source and on the target)`" in text
    assert "Run `homeport cost JOB.yaml -f json -o reports/cost.json`" in text


def test_the_same_content_as_the_html(full):
    """Every table caption and every section lead of the page is in the Markdown."""
    page, text = html.render(full), markdown.render(full)
    for section in full.sections:
        assert section.lead.replace("`", "") in text.replace("`", "")
        assert section.title in page
    captions = re.findall(r"<caption>(.*?)</caption>", page)
    for caption in captions:
        plain = re.sub(r"<[^>]+>", "", caption).replace("&amp;", "&").replace("&#x27;", "'")
        assert plain in text.replace("`", ""), plain


def test_the_cli_writes_markdown_for_a_md_file(tmp_path, capsys):
    out = tmp_path / "report.md"
    assert main(["report", str(EXAMPLE), "--no-port", "--evidence", str(tmp_path), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("# Migration report: llm-pipeline")
    assert f"wrote markdown report to {out}" in capsys.readouterr().err


def test_a_migration_file_is_judged_by_the_plan_itself(tmp_path, monkeypatch, capsys):
    pytest.importorskip("homeport.plan")
    import shutil

    from homeport.report.page import build_report

    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    monkeypatch.chdir(repo)
    assert main(["plan", "init", "--from", "aws:eu-west-1", "--to", "ovhcloud:gra"]) == 0
    capsys.readouterr()
    doc = build_report(repo, [], port=False)  # no --evidence: homeport-plan.yaml beside the code is found
    cutover = next(s for s in doc.sections if s.id == "cutover")
    assert cutover.status == "partial" and cutover.lead.startswith("The migration file's gates: 0 of ")
    assert "Gates of the migration file" in markdown.render(doc)
