"""One file in, one FileResult out: decode, pick the analyzer for the kind, never raise."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path

from homeport.assess import kinds as K
from homeport.assess.destinations import Destinations
from homeport.assess.discovery import Candidate, read_bytes
from homeport.assess.index import RuleIndex, build_index
from homeport.assess.python import Lines, analyze_python, count_lines, decode_python, split_lines
from homeport.assess.reporter import SNIPPET_CHARS, Reporter
from homeport.assess.residency import Residency, judge
from homeport.assess.terraform import analyze_terraform
from homeport.assess.text import analyze_lines, check_requirement
from homeport.core.inventory import Fact
from homeport.core.model import FileResult, Skipped, Target

# A longer line is generated or minified data, not pipeline code; analyzing it costs seconds to minutes
# (every finding on it copies the line into its snippet) and tells the user nothing they can act on.
MAX_LINE_CHARS = 1_000_000


def analyze_file(candidate: Candidate, codes: frozenset[str], target: Target,
                 residency: Residency | None = None) -> FileResult:
    try:
        data = read_bytes(candidate.path)  # never through a link, never blocked by a FIFO
    except OSError as exc:
        return FileResult(candidate.rel, candidate.kind, skipped=Skipped(candidate.rel,
                                                                         f"not readable: {exc.strerror or exc}"))
    return analyze_bytes(data, candidate, codes, target, residency)


def analyze_snippet(code: str, path: str, codes: frozenset[str] | None = None,
                    target: Target = Target.PORTABLE, policy=None) -> FileResult:
    """Analyze text as if it were a file called `path` (rule examples, tests, editors). `policy`: a Policy, a
    policy file or an already parsed policy document; the residency rules judge the snippet against it."""
    from homeport.assess.engine import load_rules
    from homeport.assess.kinds import kind_of
    from homeport.policy import parse_policy

    name = Path(path).name
    data = code.encode("utf-8")
    kind = kind_of(name, data.split(b"\n", 1)[0])
    if kind is None:
        raise ValueError(f"no analyzer for a file called {name!r}")
    if isinstance(policy, dict):
        policy = parse_policy(policy, "example-policy.yaml")
    residency = Residency.of(policy) if policy is not None else None
    if codes is None:
        codes = frozenset(load_rules()) if residency else frozenset(c for c, r in load_rules().items() if not r.judges)
    return analyze_bytes(data, Candidate(Path(path), path, kind, len(data)), codes, target, residency)


def analyze_bytes(data: bytes, candidate: Candidate, codes: frozenset[str], target: Target,
                  residency: Residency | None = None) -> FileResult:
    result = FileResult(path=candidate.rel, kind=candidate.kind)
    try:
        _analyze(result, data, candidate, build_index(codes), target, residency)
    except UnicodeDecodeError as exc:
        result.skipped = Skipped(candidate.rel, _undecodable(data, exc))
    except RecursionError:
        result.skipped = Skipped(candidate.rel, "nested too deeply to analyze")
    except MemoryError:
        result.skipped = Skipped(candidate.rel, "too large or nested too deeply to analyze (out of memory)")
    except Exception as exc:  # never let one odd file stop the scan; say what happened instead
        result.skipped = Skipped(candidate.rel, f"analyzer error ({type(exc).__name__}: {exc}); "
                                                "please report this file shape")
    if result.skipped is not None:  # a skipped file reports nothing, not the half it got through
        result.findings.clear()
        result.suppressed.clear()
        result.facts.clear()
    return result


def _undecodable(data: bytes, exc: UnicodeDecodeError) -> str:
    if isinstance(exc.__cause__, SyntaxError):  # decode_python: the PEP 263 coding line
        if "invalid or missing" not in exc.reason:  # "unknown encoding: x", "encoding problem: utf-8"
            return f"cannot be decoded ({exc.reason}); fix its coding line (PEP 263) or save it as UTF-8"
        try:  # no coding line, and the first two lines are not UTF-8: find the real bad byte
            data.decode("utf-8")
        except UnicodeDecodeError as real:
            exc = real
        else:
            return f"cannot be decoded ({exc.reason}); save it as UTF-8"
    line = data.count(b"\n", 0, exc.start) + 1
    return (f"not valid {exc.encoding.upper()} text (line {line}, byte {exc.start}: {exc.reason}); "
            "save it as UTF-8, declare its encoding (PEP 263) or exclude it")


def _too_long(lines: list[str]) -> str | None:
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            return (f"line {number} is {len(line):,} characters long (limit {MAX_LINE_CHARS:,}): generated or "
                    "minified, not analyzed; exclude it or split the line")
    return None


def _analyze(result: FileResult, data: bytes, candidate: Candidate, index: RuleIndex, target: Target,
             residency: Residency | None) -> None:
    kind = candidate.kind
    try:
        text = decode_python(data) if kind == K.PYTHON else data.decode("utf-8-sig")
    except LookupError as exc:  # a coding line that names a codec, not a text encoding (`# coding: rot13`)
        result.skipped = Skipped(candidate.rel, f"cannot be decoded ({exc}); fix its coding line (PEP 263)")
        return
    lines = Lines(text) if kind == K.PYTHON else split_lines(text)
    result.lines = count_lines(text)
    # a notebook's outputs may be long (its cells are checked one by one); a short file has no long line
    too_long = _too_long(lines) if kind != K.NOTEBOOK and len(text) > MAX_LINE_CHARS else None
    if too_long:
        result.skipped = Skipped(candidate.rel, too_long)
        return
    if kind == K.YAML and _CONDA_ENV.search(text):
        kind = result.kind = K.CONDA  # a conda environment under any name (`automl_env.yml`)
    judging = residency is not None and bool(index.judges) and not residency.is_policy_file(candidate.path)
    reporter = Reporter(result, lines, target, suppressions="homeport:" in text,
                        destinations=Destinations() if judging else None)
    if kind == K.PYTHON:
        if "\0" in text:
            result.skipped = Skipped(candidate.rel, "contains NUL bytes; not Python source")
            return
        analyze_python(result, text, index, reporter, lines=lines)
        if candidate.path.name == "setup.py" and result.skipped is None:
            for number, col, req in _setup_py_requirements(text):
                result.facts.append(Fact("requirement", req, number))
                check_requirement(req, number, col, index, reporter)  # PyPI names
    elif kind == K.NOTEBOOK:
        _analyze_notebook(result, text, index, reporter, residency)
    elif kind == K.TERRAFORM:
        analyze_lines(result, lines, kind, index, reporter)
        analyze_terraform(result, candidate.path, lines, index, reporter)
    else:
        analyze_lines(result, lines, kind, index, reporter)
    if judging and result.skipped is None:
        judge(reporter, residency, index.judges)


_CONDA_ENV = re.compile(r"^dependencies:\s*$", re.M)


def _setup_py_requirements(text: str):
    """Strings in lists, tuples and sets: requirements are declared that way (`install_requires=[...]`,
    `extras["x"] = [...]`); other strings there (classifiers) name no package a rule knows."""
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            for leaf in node.elts:
                if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str) and len(leaf.value) < 200:
                    yield leaf.lineno, leaf.col_offset + 1, leaf.value


_MAGIC = re.compile(r"^\s*[%!]")


def _analyze_notebook(result: FileResult, text: str, index: RuleIndex, reporter: Reporter,
                      residency: Residency | None) -> None:
    """Code cells are Python; `!cmd` and `%pip` lines are shell. Lines are those of the .ipynb file."""
    try:
        notebook = json.loads(text)
    except ValueError as exc:  # bad JSON, or an integer longer than Python converts (4300 digits)
        where = f"JSON error at line {exc.lineno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else exc
        result.skipped = Skipped(result.path, f"not a valid notebook ({where})")
        return
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        result.skipped = Skipped(result.path, 'not an nbformat 4 notebook (expected a JSON object with a "cells" '
                                              "list); convert it with `jupyter nbconvert --to notebook`")
        return
    lines = reporter.lines
    starts = [i for i, line in enumerate(lines) if '"source":' in line]
    aliases: dict[str, str] = {}  # imports carry over from cell to cell, as in the kernel
    for number, cell in enumerate(cells):
        where = f"{result.path}#cell{number + 1}"
        if not isinstance(cell, dict):
            result.partial.append(Skipped(where, "not a notebook cell (expected a JSON object)"))
            continue
        if cell.get("cell_type") != "code":
            continue
        raw = cell.get("source", "")
        if not (isinstance(raw, str) or isinstance(raw, list) and all(isinstance(s, str) for s in raw)):
            result.partial.append(Skipped(where, "cell source is not text (expected a string or a list of strings)"))
            continue
        cell_lines = split_lines("".join(raw))
        too_long = _too_long(cell_lines)
        if too_long:
            result.partial.append(Skipped(where, too_long))
            continue
        # nbformat writes `"source": [` and then one JSON string per source line: cell lines map to file lines.
        # Any other layout (one-line JSON, a string source) gets its findings on the cell's `"source":` line.
        start = starts[number] if number < len(starts) else None
        mapped = (start is not None and isinstance(raw, list) and len(raw) == len(cell_lines)
                  and lines[start].rstrip().endswith("[") and start + len(raw) < len(lines)
                  and all(lines[start + 1 + i].lstrip().startswith('"') for i in range(len(raw))))
        offset = start + 1 if mapped else 0
        # an unmapped cell counts its own lines: its own reporter (duplicates, suppressions) on its own text
        cell_reporter = reporter if mapped else Reporter(
            result, cell_lines, reporter.target, suppressions="homeport:" in "".join(raw),
            destinations=None if reporter.destinations is None else Destinations())
        counts = len(result.findings), len(result.suppressed), len(result.facts)
        shell = [line if _MAGIC.match(line) else "" for line in cell_lines]
        python = "\n".join("" if _MAGIC.match(line) else line for line in cell_lines)
        analyze_python(result, python, index, cell_reporter, line_offset=offset, aliases=aliases)
        if result.skipped is not None:  # one bad cell: say so, keep the others
            result.partial.append(Skipped(where, result.skipped.reason))
            result.skipped = None
        analyze_lines(result, [s.lstrip().lstrip("%!") for s in shell], K.SHELL, index, cell_reporter,
                      line_offset=offset)
        if not mapped:
            if cell_reporter.destinations is not None:  # judged on the cell's own lines, then pinned with the rest
                judge(cell_reporter, residency, index.judges)
            _pin_to_line(result, counts, (start or 0) + 1, lines, cell_lines)


def _pin_to_line(result: FileResult, counts: tuple[int, int, int], line: int, lines: list[str],
                 cell_lines: list[str]) -> None:
    """Move what one cell reported (cell-relative lines) onto file line `line`, the whole line."""
    def pin(finding):
        inner = finding.location.line
        snippet = cell_lines[inner - 1].strip()[:SNIPPET_CHARS] if 0 < inner <= len(cell_lines) else finding.snippet
        end = len(lines[line - 1]) + 1 if 0 < line <= len(lines) else 1
        return dataclasses.replace(finding, location=dataclasses.replace(
            finding.location, line=line, column=1, end_line=line, end_column=end), snippet=snippet)

    found, suppressed, facts = counts
    result.findings[found:] = [pin(f) for f in result.findings[found:]]
    for entry in result.suppressed[suppressed:]:
        entry.finding = pin(entry.finding)
    result.facts[facts:] = [f._replace(line=line) if isinstance(f, Fact) else f for f in result.facts[facts:]]
