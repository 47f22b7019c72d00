"""The terminal view, rendered by rich into a string: grouped by file, with the counts."""

from __future__ import annotations

import re
from io import StringIO

from rich.console import Console

from homeport import assess
from homeport.core.model import Severity
from homeport.report import terminal

FINDING_LINE = re.compile(r"^  \d+:\d+ ")


def screen(a, **kwargs) -> str:
    buffer = StringIO()
    terminal.render(a, Console(file=buffer, width=200, color_system=None, force_terminal=False), **kwargs)
    return buffer.getvalue()


def test_grouped_by_file(example):
    out = screen(example, max_per_file=10_000)  # the cap has its own test below
    lines = out.splitlines()
    paths = list(dict.fromkeys(f.location.path for f in example.findings))
    headers = [i for i, line in enumerate(lines) if line in paths]
    assert [lines[i] for i in headers] == paths  # each file once, in order
    for start, end, path in zip(headers, headers[1:] + [None], paths):
        block = [line for line in lines[start + 1:end] if FINDING_LINE.match(line)]
        mine = [f for f in example.findings if f.location.path == path]
        assert len(block) == len(mine)
        for line, f in zip(block, mine):
            assert line.split()[:3] == [f"{f.location.line}:{f.location.column}", f.severity.value, f.rule]


def test_counts_are_shown(example):
    out = screen(example)
    assert f"{len(example.findings)} findings in {len({f.location.path for f in example.findings})} of " \
           f"{len(example.files)} files ({example.lines:,} lines" in out
    assert "0 suppressed" in out and f"{len(example.skipped)} inputs skipped" in out
    assert "target: portable" in out
    for category in {f.category.value for f in example.findings}:
        of_cat = [f for f in example.findings if f.category.value == category]
        row = next(line for line in out.splitlines() if re.search(rf"\b{category}\b", line) and "│" in line)
        numbers = [int(n) for n in re.findall(r"\b\d+\b", row)]
        assert numbers[-1] == len(of_cat)
        assert numbers[0] == sum(1 for f in of_cat if f.severity == Severity.BLOCKER)


def test_suppressed_and_skipped_are_counted(tricky):
    out = screen(tricky)
    assert f"{len(tricky.suppressed)} suppressed" in out
    assert f"{len(tricky.skipped)} inputs skipped" in out
    assert "skipped:" in out
    assert "[fix: safe]" in out


def test_quiet_hides_info(example_path):
    a = assess(example_path, target="rocm")
    info = [f for f in a.findings if f.severity == Severity.INFO]
    assert info
    shown = screen(a, show_info=True, max_per_file=10_000)
    hidden = screen(a, show_info=False, max_per_file=10_000)
    count = lambda text: sum(1 for line in text.splitlines() if FINDING_LINE.match(line))  # noqa: E731
    assert count(shown) == len(a.findings)
    assert count(hidden) == len(a.findings) - len(info)


def test_long_files_are_cut_with_a_note(tmp_path):
    (tmp_path / "many.py").write_text("import torch\n" + "torch.cuda.synchronize()\n" * 7)
    out = screen(assess(tmp_path), max_per_file=3)
    assert "... and 4 more in this file" in out


def test_nothing_found(tmp_path):
    (tmp_path / "clean.py").write_text("print('hello')\n")
    out = screen(assess(tmp_path))
    assert "0 findings in 0 of 1 files" in out
