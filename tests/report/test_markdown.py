"""The Markdown report: every section present, tables well-formed, nothing dropped."""

from __future__ import annotations

import re

from homeport import assess
from homeport.assess.engine import load_rules
from homeport.report import markdown

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def sections(text: str) -> dict[str, str]:
    """`## Title` -> body (up to the next `## `)."""
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


def tables(text: str) -> list[list[list[str]]]:
    """Every table as rows of cells (split on unescaped pipes), header first, separator dropped."""
    found, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            current.append([c.strip() for c in UNESCAPED_PIPE.split(line)[1:-1]])
        elif current:
            found.append([current[0], *current[2:]])
            current = []
    return found


def test_every_section_is_there(example):
    text = markdown.render(example)
    assert text.startswith("# homeport assessment: llm-pipeline\n")
    assert list(sections(text)) == ["Summary", "Inventory", "Findings", "Suppressed findings", "Skipped inputs",
                                    "Rules that fired"]


def test_tables_are_well_formed(example, tricky):
    for a in (example, tricky):
        for table in tables(markdown.render(a)):
            width = len(table[0])
            assert all(len(row) == width for row in table), table


def test_summary_counts(example):
    body = sections(markdown.render(example))["Summary"]
    assert f"Files analyzed: {len(example.files):,} ({example.lines:,} lines)" in body
    assert f"Findings: {len(example.findings):,} in " in body
    assert "Target: **portable**" in body
    rows = {row[0]: row[1:] for row in tables(body)[0][1:]}
    for category in {f.category.value for f in example.findings}:
        blocker, warning, info, total = map(int, rows[category])
        of_cat = [f for f in example.findings if f.category.value == category]
        assert total == len(of_cat) == blocker + warning + info
        assert blocker == sum(1 for f in of_cat if f.severity.value == "blocker")
    assert int(rows["**total**"][-1]) == len(example.findings)


def test_inventory_lists_components_by_kind(example):
    body = sections(markdown.render(example))["Inventory"]
    rows = {row[0]: row for row in tables(body)[0][1:]}
    for kind in {c.kind for c in example.inventory.components.values()}:
        names = sorted(c.name for c in example.inventory.components.values() if c.kind == kind)
        assert int(rows[kind][1]) == len(names)
        assert f"`{names[0]}`" in rows[kind][2]
    assert f"{len(example.inventory.links):,} link" in body


def test_findings_grouped_by_file(example):
    body = sections(markdown.render(example))["Findings"]
    paths = re.findall(r"^### `(.+)`$", body, flags=re.M)
    assert paths == sorted({f.location.path for f in example.findings})
    chunks = re.split(r"^### .+$", body, flags=re.M)[1:]
    for path, chunk in zip(paths, chunks):
        rows = tables(chunk)[0]
        assert rows[0] == ["line", "severity", "rule", "message", "fix"]
        mine = [f for f in example.findings if f.location.path == path]
        assert len(rows) - 1 == len(mine)
        for row, f in zip(rows[1:], mine):
            assert row[0] == f"{f.location.line}:{f.location.column}"
            assert row[1] == f.severity.value and row[2].startswith(f.rule)


def test_pipes_are_escaped(tricky):
    text = markdown.render(tricky)
    assert "NVIDIA-only smoke test \\| kept on purpose" in text
    assert "### `odd|name.py`" in text  # a heading, not a table cell: left as is
    suppressed = tables(sections(text)["Suppressed findings"])[0]
    assert suppressed[0] == ["where", "severity", "rule", "message", "reason"]


def test_suppressed_and_skipped_with_reasons(tricky):
    parts = sections(markdown.render(tricky))
    suppressed = tables(parts["Suppressed findings"])[0][1:]
    assert {(row[2], row[4]) for row in suppressed} == {("ACC002", "NVIDIA-only smoke test \\| kept on purpose"),
                                                        ("ACC005", "(no reason given)")}
    skipped = {row[0].strip("`"): row[1] for row in tables(parts["Skipped inputs"])[0][1:]}
    assert skipped == {s.path: s.reason.replace("|", "\\|") for s in tricky.skipped}


def test_rules_appendix_lists_each_rule_that_fired(tricky):
    rows = tables(sections(markdown.render(tricky))["Rules that fired"])[0][1:]
    registry = load_rules()
    fired = {f.rule for f in tricky.findings} | {s.finding.rule for s in tricky.suppressed}
    assert [row[0] for row in rows] == sorted(fired)
    for row in rows:
        assert row[1] == registry[row[0]].name
        assert row[-1] == registry[row[0]].summary().replace("|", "\\|")
    counts = {row[0]: row[4] for row in rows}
    assert counts["ACC002"] == "1 (+1 suppressed)"  # one in `with space.py`, one silenced in train.py
    assert counts["ACC006"] == "2"


def test_a_clean_tree(tmp_path):
    (tmp_path / "clean.py").write_text("print('hello')\n")
    text = markdown.render(assess(tmp_path))
    parts = sections(text)
    assert "No findings" in parts["Summary"]
    assert parts["Findings"].strip() == "None."
    assert "every file under the root was analyzed" in parts["Skipped inputs"]


def test_cell_escaping():
    assert markdown.cell("a | b") == "a \\| b"
    assert markdown.cell("two\nlines") == "two lines"
    assert markdown.cell("") == " "
    assert markdown.code("a`b") == "``a`b``"
