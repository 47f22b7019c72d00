"""One file in, one FileResult out: decode, pick the analyzer for the kind, never raise."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from homeport.assess import kinds as K
from homeport.assess.discovery import Candidate
from homeport.assess.index import RuleIndex, build_index
from homeport.assess.python import analyze_python, decode_python
from homeport.assess.reporter import Reporter
from homeport.assess.terraform import analyze_terraform
from homeport.assess.text import analyze_lines, check_requirement
from homeport.core.inventory import Fact
from homeport.core.model import FileResult, Skipped, Target


def analyze_file(candidate: Candidate, codes: frozenset[str], target: Target) -> FileResult:
    try:
        data = candidate.path.read_bytes()
    except OSError as exc:
        return FileResult(candidate.rel, candidate.kind, skipped=Skipped(candidate.rel,
                                                                         f"not readable: {exc.strerror or exc}"))
    return analyze_bytes(data, candidate, codes, target)


def analyze_snippet(code: str, path: str, codes: frozenset[str] | None = None,
                    target: Target = Target.PORTABLE) -> FileResult:
    """Analyze text as if it were a file called `path` (rule examples, tests, editors)."""
    from homeport.assess.engine import load_rules
    from homeport.assess.kinds import kind_of

    name = Path(path).name
    data = code.encode("utf-8")
    kind = kind_of(name, data.split(b"\n", 1)[0])
    if kind is None:
        raise ValueError(f"no analyzer for a file called {name!r}")
    return analyze_bytes(data, Candidate(Path(path), path, kind, len(data)),
                         codes if codes is not None else frozenset(load_rules()), target)


def analyze_bytes(data: bytes, candidate: Candidate, codes: frozenset[str], target: Target) -> FileResult:
    result = FileResult(path=candidate.rel, kind=candidate.kind)
    try:
        _analyze(result, data, candidate, build_index(codes), target)
    except UnicodeDecodeError as exc:
        result.findings.clear()
        result.skipped = Skipped(candidate.rel, f"not valid UTF-8 (byte {exc.start}): {exc.reason}")
    except RecursionError:
        result.findings.clear()
        result.skipped = Skipped(candidate.rel, "nested too deeply to analyze")
    except Exception as exc:  # never let one odd file stop the scan; say what happened instead
        result.findings.clear()
        result.skipped = Skipped(candidate.rel, f"analyzer error ({type(exc).__name__}: {exc}); "
                                                "please report this file shape")
    return result


def _analyze(result: FileResult, data: bytes, candidate: Candidate, index: RuleIndex, target: Target) -> None:
    kind = candidate.kind
    text = decode_python(data) if kind == K.PYTHON else data.decode("utf-8-sig")
    lines = text.splitlines()
    result.lines = len(lines)
    reporter = Reporter(result, lines, target)
    if kind == K.PYTHON:
        if "\0" in text:
            result.skipped = Skipped(candidate.rel, "contains NUL bytes; not Python source")
            return
        analyze_python(result, text, index, reporter)
        if candidate.path.name == "setup.py" and result.skipped is None:
            for number, col, req in _setup_py_requirements(text):
                result.facts.append(Fact("requirement", req, number))
                check_requirement(req, number, col, index, reporter)
    elif kind == K.NOTEBOOK:
        _analyze_notebook(result, text, index, reporter)
    elif kind == K.TERRAFORM:
        analyze_lines(result, lines, kind, index, reporter)
        analyze_terraform(result, candidate.path, lines, index, reporter)
    else:
        analyze_lines(result, lines, kind, index, reporter)


def _setup_py_requirements(text: str):
    """Strings in lists, tuples and sets: requirements are declared that way (`install_requires=[...]`,
    `extras["x"] = [...]`); other strings there (classifiers) name no package a rule knows."""
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            for leaf in node.elts:
                if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str) and len(leaf.value) < 200:
                    yield leaf.lineno, leaf.col_offset + 1, leaf.value


_MAGIC = re.compile(r"^\s*[%!]")


def _analyze_notebook(result: FileResult, text: str, index: RuleIndex, reporter: Reporter) -> None:
    """Code cells are Python; `!cmd` and `%pip` lines are shell. Lines are those of the .ipynb file."""
    try:
        notebook = json.loads(text)
        cells = notebook.get("cells", []) if isinstance(notebook, dict) else []
    except json.JSONDecodeError as exc:
        result.skipped = Skipped(result.path, f"not a valid notebook (JSON error at line {exc.lineno})")
        return
    starts = [i for i, line in enumerate(reporter.lines) if '"source":' in line]
    for number, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        # nbformat writes one source line per JSON line, right after the "source": [ line.
        offset = starts[number] + 1 if number < len(starts) else 0
        cell_lines = source.splitlines()
        shell = [line if _MAGIC.match(line) else "" for line in cell_lines]
        python = "\n".join("" if _MAGIC.match(line) else line for line in cell_lines)
        analyze_python(result, python, index, reporter, line_offset=offset)
        if result.skipped is not None:  # one bad cell: say so, keep the others
            result.partial.append(Skipped(f"{result.path}#cell{number + 1}", result.skipped.reason))
            result.skipped = None
        analyze_lines(result, [s.lstrip().lstrip("%!") for s in shell], K.SHELL, index, reporter,
                      line_offset=offset)
