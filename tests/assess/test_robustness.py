"""Robustness (the issue: "it never crashes"). Every input is analyzed, or listed as skipped with a reason;
findings point inside their file; the CLI exits 0 or 1, never 2 from an exception.

Property tests feed every file kind homeport reads with random bytes, random text and text built from the
rules' own INVALID examples (so findings do happen), cut by every line ending Python or an editor knows.
Named cases below cover the shapes the issue lists: deep nesting, Python 2, NUL bytes, invalid UTF-8,
a PEP 263 coding line, a 10 MB single line, a notebook with a bad cell, and a parallel run.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeport.assess.analyze import MAX_LINE_CHARS, analyze_bytes, analyze_snippet, split_lines
from homeport.assess.discovery import Candidate
from homeport.assess import engine
from homeport.assess.engine import assess, load_rules
from homeport.assess.kinds import kind_of
from homeport.assess.python import decode_python
from homeport.cli.main import main
from homeport.core.model import Target

CODES = frozenset(load_rules())

# One name per kind homeport analyzes (kinds.py), plus the names that pick a special path.
NAMES = ["train.py", "setup.py", "nb.ipynb", "requirements.txt", "pyproject.toml", "setup.cfg",
         "environment.yml", "Dockerfile", "values.yaml", "config.json", "main.tf", "prod.tfvars", "main.tf.json",
         "run.sh", ".env"]

def _example_lines(kind: str | None) -> list[str]:
    """Lines of the rules' own examples (of one kind, or all): findings do happen, so their positions get checked."""
    return sorted({line for rule in load_rules().values() for ex in (*rule.INVALID, *rule.VALID)
                   if kind is None or kind_of(Path(ex.path).name, ex.code.encode()[:200]) == kind
                   for line in ex.code.splitlines() if line.strip() and (kind != "python" or not line[0].isspace())})


def _compiles(line: str) -> bool:
    try:
        compile(line, "<line>", "exec")
    except SyntaxError:
        return False
    return True


ALL_LINES = _example_lines(None)
PY_LINES = [line for line in _example_lines("python") if _compiles(line)] + ["import torch", "import os"]
ODD = ["\x0c", "\x0b", "\x1c", "\x85", "\u2028", "\u2029", "\t", "é", "日本", "\ufeff", "\0", "\\", '"', "'",
       "# homeport: ignore", "  # homeport: ignore[ACC005] why", '"source": [', "{", "[", "]", "}", "(", "print 'x'",
       "# -*- coding: latin-1 -*-", "#!/usr/bin/env python", "pip install \\", "s3://bucket/key", "cuda:0"]
# Valid Python that moves positions: non-ASCII before a finding, a form feed, a string over several lines.
ODD_PY = ["\x0c", "é = 'ü'; torch.cuda.synchronize()", "x = f'é{torch.cuda.device_count()}'", "s = '''a\nb'''",
          "torch.cuda.synchronize()  # homeport: ignore[ACC005] measured", "# homeport: ignore", "if x:\n    pass"]
MAGIC = ["!pip install nvidia-cudnn-cu12", "%pip install cupy-cuda12x", "!nvidia-smi"]
NEWLINES = ["\n", "\r\n", "\r"]


def _texts(*pools: list[str], junk: bool = True) -> st.SearchStrategy[str]:
    line = st.one_of(*(st.sampled_from(pool) for pool in pools), *([st.text(max_size=30)] if junk else []))
    return st.builds(lambda parts, seps: "".join(p + seps[i % len(seps)] for i, p in enumerate(parts)),
                     st.lists(line, max_size=25), st.lists(st.sampled_from(NEWLINES), min_size=1, max_size=3))


@st.composite
def notebooks(draw) -> str:
    """nbformat-4 documents with code cells made of example lines; pretty-printed as Jupyter writes them,
    or on one line, or with a string source: the layouts whose lines map to cells differently."""
    cells = []
    for _ in range(draw(st.integers(0, 4))):
        pool = st.sampled_from(draw(st.sampled_from([PY_LINES, PY_LINES + ODD_PY + MAGIC, ALL_LINES + ODD])))
        source = [line + "\n" for line in draw(st.lists(pool, max_size=5))]
        kind = draw(st.sampled_from(["code", "code", "markdown"]))
        cells.append({"cell_type": kind, "metadata": {},
                      "source": "".join(source) if draw(st.booleans()) else source})
    if draw(st.booleans()):
        cells.append(draw(st.sampled_from([None, 3, "x", {"cell_type": "code", "source": [1]}])))
    doc = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc, indent=draw(st.sampled_from([None, 1])), ensure_ascii=draw(st.booleans()))


def contents(name: str) -> st.SearchStrategy[bytes]:
    kind = kind_of(name)
    if kind == "python":
        likely = _texts(PY_LINES, ODD_PY, junk=False)  # mostly valid Python: analyzed, so positions get checked
    else:
        likely = notebooks() if kind == "notebook" else _texts(_example_lines(kind) or ALL_LINES)
    return st.one_of(
        st.binary(max_size=300),
        likely.map(lambda t: t.encode("utf-8", "surrogatepass")),
        _texts(ALL_LINES, ODD).map(lambda t: t.encode("utf-8", "surrogatepass")),
        _texts(ALL_LINES, ODD).map(lambda t: t.encode("latin-1", "replace")),  # invalid UTF-8 where not ASCII
    )


named_files = st.sampled_from(NAMES).flatmap(lambda name: st.tuples(st.just(name), contents(name)))


def check_result(name: str, data: bytes, result) -> None:
    """The invariants: skipped with a reason, or every finding (and suppressed one) 1-based inside the file."""
    if result.skipped is not None:
        assert result.skipped.reason.strip(), f"{name}: skipped without a reason"
        assert not result.findings and not result.suppressed, f"{name}: skipped, yet reports findings"
        return
    for part in result.partial:
        assert part.reason.strip() and part.path.startswith(result.path + "#")
    text = decode_python(data) if result.kind == "python" else data.decode("utf-8-sig")
    lines = split_lines(text)
    assert result.lines == len(lines)
    for finding in [*result.findings, *(s.finding for s in result.suppressed)]:
        loc = finding.location
        where = f"{name} {finding.rule} at {loc.line}:{loc.column}-{loc.end_line}:{loc.end_column}"
        assert loc.line >= 1 and loc.line <= loc.end_line <= len(lines), where
        assert loc.column >= 1 and loc.column <= len(lines[loc.line - 1]) + 1, where
        assert loc.end_column >= 1 and loc.end_column <= len(lines[loc.end_line - 1]) + 1, where
        assert loc.end_line > loc.line or loc.end_column >= loc.column, where


@settings(max_examples=300, deadline=None)
@given(named_files)
def test_any_bytes_any_kind_analyzed_or_skipped(named):
    name, data = named
    kind = kind_of(name, data.split(b"\n", 1)[0])
    assert kind is not None
    candidate = Candidate(Path("/nonexistent-homeport-tree") / name, name, kind, len(data))
    check_result(name, data, analyze_bytes(data, candidate, CODES, Target.PORTABLE))


def _inputs(root: Path) -> set[str]:
    """Every file, link and special file under `root` (what discovery must account for)."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if name != ".gitignore" and (path.is_symlink() or not path.is_dir()):
                out.add(path.relative_to(root).as_posix())
    return out


def check_accounted(root: Path, assessment) -> None:
    analyzed = {f.path for f in assessment.files}
    skipped = {s.path: s.reason for s in assessment.skipped}
    assert all(reason.strip() for reason in skipped.values())
    assert not analyzed & skipped.keys(), "a file both analyzed and skipped"
    for rel in _inputs(root):
        parents = ["/".join(rel.split("/")[:i]) for i in range(1, rel.count("/") + 1)]
        assert rel in analyzed or rel in skipped or any(p in skipped for p in parents), f"{rel}: not accounted for"
    for finding in assessment.findings:
        assert finding.location.path in analyzed


trees = st.lists(st.one_of(named_files, st.tuples(
    st.sampled_from(["sub/train.py", "sub/keep.py", "sub/Dockerfile", "vendor/x.py", "data.bin", "README"]),
    st.binary(max_size=100)), st.tuples(st.sampled_from([".gitignore", "sub/.gitignore"]), st.sampled_from(
        [b"*.py\n!keep.py\n", b"!\n\\\n*.txt\n", b"sub/\n", b"*\n!*/\n!*.py\n"]))), max_size=6).map(dict)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=trees, fmt=st.sampled_from(["terminal", "json", "sarif", "markdown"]))
def test_any_tree_every_input_accounted_and_cli_exits_0_or_1(capsys, files, fmt):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rel, data in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(data)
        check_accounted(root, assess(root, jobs=1))
        code = main(["assess", str(root), "-f", fmt, "--fail-on", "warning"])
        out, err = capsys.readouterr()
        assert code in (0, 1), err
        assert "internal error" not in err and "Traceback" not in err


# -- the named shapes ---------------------------------------------------------------------------------

def analyze(tmp_path: Path, name: str, data: bytes | str):
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    assessment = assess(path, jobs=1)
    check_accounted(tmp_path, assessment)
    [result] = [f for f in assessment.files if f.path == name] or [None]
    skipped = {s.path: s.reason for s in assessment.skipped}
    if result is not None:
        check_result(name, path.read_bytes(), result)
    return result, skipped, assessment


@pytest.mark.parametrize("source, expect", [
    ("x = " + "(" * 10_000 + "1" + ")" * 10_000 + "\n", "too many nested parentheses"),
    ("[" * 100_000 + "\n", "too many nested parentheses"),
    ("x = " + "+".join(["1"] * 100_000) + "\n", "RecursionError"),  # left-deep BinOp: recursion in ast
    ("x = " + "-" * 100_000 + "1\n", "out of memory"),  # the parser's own stack runs out
    ("x = " + "not " * 100_000 + "y\n", "out of memory"),
])
def test_deep_nesting_is_skipped_with_a_reason(tmp_path, source, expect):
    result, skipped, _ = analyze(tmp_path, "deep.py", source)
    assert result is None and expect in skipped["deep.py"]


def test_python2_is_skipped_as_not_python3_with_its_line(tmp_path):
    _, skipped, _ = analyze(tmp_path, "old.py", "import os\n\nprint \"x\"\n")
    assert "not valid Python 3 (line 3" in skipped["old.py"]


@pytest.mark.parametrize("data, expect", [
    (b"import torch\0\n", "binary file (NUL bytes)"),  # found by discovery in the first 8 KiB
    (b"#" * 9000 + b"\nx = 1\0\n", "contains NUL bytes"),  # found by the analyzer, later in the file
])
def test_nul_bytes_python(tmp_path, data, expect):
    _, skipped, _ = analyze(tmp_path, "nul.py", data)
    assert expect in skipped["nul.py"]


@pytest.mark.parametrize("name", ["bad.py", "bad.yaml", "requirements.txt", "Dockerfile"])
def test_invalid_utf8_names_line_and_byte(tmp_path, name):
    _, skipped, _ = analyze(tmp_path, name, b"a = 1\nb = 2\nc = '\xff\xfe'\n")
    assert "not valid UTF-8 text (line 3, byte 17" in skipped[name]


def test_pep263_latin1_is_analyzed(tmp_path):
    source = "# -*- coding: latin-1 -*-\ncafé = 'é'\nimport torch\ntorch.cuda.synchronize()\n".encode("latin-1")
    result, _, _ = analyze(tmp_path, "latin.py", source)
    assert [(f.location.line, f.rule) for f in result.findings] == [(4, "ACC005")]


@pytest.mark.parametrize("source, message", [
    (b"# coding: no-such-codec\nx = 1\n", "unknown encoding: no-such-codec"),
    (b"# coding: rot13\nx = 1\n", "not a text encoding"),
])
def test_bad_coding_line_says_so(tmp_path, source, message):
    _, skipped, _ = analyze(tmp_path, "enc.py", source)
    assert message in skipped["enc.py"] and "PEP 263" in skipped["enc.py"]


def test_form_feed_does_not_shift_lines(tmp_path):
    """str.splitlines() counts \\f as a line break, Python does not: the suppression below must still apply."""
    source = "import torch\n\x0c\ntorch.cuda.synchronize()  # homeport: ignore[ACC005] measured\n"
    result, _, _ = analyze(tmp_path, "ff.py", source)
    assert result.lines == 3 and not result.findings
    assert [s.finding.location.line for s in result.suppressed] == [3]


def test_unicode_line_separator_in_yaml_keeps_editor_line_numbers(tmp_path):
    result, _, _ = analyze(tmp_path, "job.yaml", "note: a\u2028b\nimage: nvidia/cuda:12.1.0-runtime-ubuntu22.04\n")
    assert result.lines == 2 and {f.location.line for f in result.findings} == {2}


def test_ten_megabyte_single_line_is_skipped_fast(tmp_path):
    started = time.perf_counter()
    _, skipped, _ = analyze(tmp_path, "blob.py", "x = [" + "1," * (5 * 1024 * 1024) + "]\n")
    assert "characters long" in skipped["blob.py"] and f"{MAX_LINE_CHARS:,}" in skipped["blob.py"]
    assert time.perf_counter() - started < 10


def test_long_line_just_under_the_limit_is_analyzed(tmp_path):
    line = "x = [" + "torch.cuda," * ((MAX_LINE_CHARS - 20) // 11) + "]"
    started = time.perf_counter()
    result, _, _ = analyze(tmp_path, "wide.py", "import torch\n" + line + "\n")
    assert result is not None and len(result.findings) > 10_000
    assert time.perf_counter() - started < 10


def _cell(source: str, kind: str = "code") -> dict:
    return {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}


def test_notebook_bad_cell_is_listed_and_the_others_analyzed(tmp_path):
    cells = [_cell("import torch\nx = torch.randn(2)\ntorch.cuda.synchronize()\n"),
             _cell("print \"old\"\n"),
             _cell("# torch.cuda.synchronize()", "markdown"),
             _cell("!pip install nvidia-cudnn-cu12\nimport torch\ntorch.cuda.synchronize()\n"),
             "not a cell"]
    text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)
    result, skipped, _ = analyze(tmp_path, "nb.ipynb", text)
    lines = text.splitlines()
    found = sorted((f.location.line, f.rule) for f in result.findings)
    assert [rule for _, rule in found] == ["ACC005", "DEP002", "ACC005"]
    for line, rule in found:  # each finding sits on the JSON line that holds its source line
        assert "synchronize" in lines[line - 1] or "nvidia-cudnn" in lines[line - 1], (line, rule)
    assert "not valid Python 3" in skipped["nb.ipynb#cell2"]
    assert "not a notebook cell" in skipped["nb.ipynb#cell5"]
    assert "nb.ipynb#cell1" not in skipped and "nb.ipynb#cell4" not in skipped


def test_one_line_notebook_findings_stay_inside_the_file(tmp_path):
    text = json.dumps({"cells": [_cell("import torch\ntorch.cuda.synchronize()\n")], "nbformat": 4})
    result, _, _ = analyze(tmp_path, "mini.ipynb", text)
    assert result.lines == 1 and [(f.location.line, f.rule) for f in result.findings] == [(1, "ACC005")]
    assert result.findings[0].snippet == "torch.cuda.synchronize()"


@pytest.mark.parametrize("text, message", [
    ('{"cells": 5}', "not an nbformat 4 notebook"),
    ('"just a string"', "not an nbformat 4 notebook"),
    ('{"cells": [', "JSON error at line 1"),
    ('{"n": ' + "1" * 5000 + "}", "not a valid notebook"),  # longer than int() converts
    ("[" * 100_000, "nested too deeply"),
])
def test_broken_notebook_is_skipped_with_a_reason(tmp_path, text, message):
    _, skipped, _ = analyze(tmp_path, "broken.ipynb", text)
    assert message in skipped["broken.ipynb"]


def test_parallel_workers_survive_odd_files(tmp_path, monkeypatch):
    """Above 2 MiB the engine fans out to worker processes; odd files must come back as skipped results."""
    pools = []

    class RecordedPool(engine.ProcessPoolExecutor):  # the real pool; only noted, to prove it ran
        def __init__(self, *args, **kwargs):
            pools.append(kwargs)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(engine, "ProcessPoolExecutor", RecordedPool)
    filler = "# " + "padding " * 12 + "\n"
    body = "import torch\n" + filler * 9000 + "torch.cuda.synchronize()\n"  # ~1 MiB, one finding at the end
    for i in range(3):
        (tmp_path / f"big{i}.py").write_text(body)
    odd = {"deep.py": "x = " + "-" * 100_000 + "1\n", "py2.py": "print 'x'\n", "nul.py": "#" * 9000 + "\0",
           "bad.yaml": b"a: \xff\n", "enc.py": "# coding: rot13\n", "bin.json": b"\0\x01",
           "nb.ipynb": json.dumps({"cells": [_cell("print 'x'\n"), _cell("import torch\ntorch.cuda.synchronize()")]}),
           "wide.sh": "export CUDA_VISIBLE_DEVICES=0; " * 40_000}
    for name, data in odd.items():
        (tmp_path / name).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    assert sum(p.stat().st_size for p in tmp_path.iterdir()) > 2 * 1024 * 1024
    parallel, serial = assess(tmp_path, jobs=2), assess(tmp_path, jobs=1)
    assert pools == [{"max_workers": 2}]
    check_accounted(tmp_path, parallel)
    assert [f.to_dict() for f in parallel.findings] == [f.to_dict() for f in serial.findings]
    assert parallel.skipped == serial.skipped
    assert {"deep.py", "py2.py", "nul.py", "bad.yaml", "enc.py", "bin.json", "nb.ipynb#cell1", "wide.sh"} <= {
        s.path for s in parallel.skipped}
    assert {f.location.path for f in parallel.findings} >= {"big0.py", "big1.py", "big2.py", "nb.ipynb"}


# -- the command line -----------------------------------------------------------------------------------

@pytest.mark.parametrize("argv, expect", [
    (["assess", "/nonexistent/homeport/path"], "path not found"),
    (["assess", ".", "--frobnicate"], "unrecognized arguments"),
    (["assess", ".", "--target", "tpu"], "invalid choice"),
    (["assess", ".", "--jobs", "many"], "invalid int value"),
    (["assess"], "required: path"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_path_or_flag_is_a_sentence_and_exit_2(capsys, argv, expect):
    code = main(argv)
    _, err = capsys.readouterr()
    assert code == 2 and expect in err and "Traceback" not in err and "internal error" not in err


def test_error_messages_with_markup_like_paths_do_not_crash(capsys, tmp_path):
    """`[/x]` in a path is a closing tag to rich: the error printer must escape, not crash on it."""
    code = main(["assess", str(tmp_path / "a[" / "x]" / "[/bold]")])
    _, err = capsys.readouterr()
    assert code == 2 and "[/bold]" in err and "path not found" in err


def test_file_names_that_are_not_utf8_keep_reports_valid(capsys, tmp_path):
    os.close(os.open(os.fsencode(tmp_path) + b"/caf\xe9.py", os.O_CREAT | os.O_WRONLY))
    (tmp_path / "x.py").write_text("import torch\ntorch.cuda.synchronize()\n")
    out_file = tmp_path / "report.json"
    assert main(["assess", str(tmp_path), "-f", "json", "-o", str(out_file)]) == 1
    paths = {f["path"] for f in json.loads(out_file.read_text(encoding="utf-8"))["findings"]}
    assessment = assess(tmp_path)
    assert "x.py" in paths and "caf\\xe9.py" in {f.path for f in assessment.files}
    assert "internal error" not in capsys.readouterr().err


# -- known bugs outside assess/{discovery,analyze}.py and cli/main.py: strict, so fixing one flags the test ---

def test_column_after_form_feed_counts_characters():
    result = analyze_snippet("import torch\n\x0c\né = 'ü'; torch.cuda.synchronize()\n", "a.py")
    assert [(f.location.line, f.location.column) for f in result.findings] == [(3, 10)]


def test_conda_single_equals_end_column_inside_line():
    result = analyze_snippet("dependencies:\n  - pytorch-cuda=12.1\n", "environment.yml")
    assert result.findings and all(f.location.end_column <= len("  - pytorch-cuda=12.1") + 1
                                   for f in result.findings)


def test_notebook_import_in_an_earlier_cell_applies():
    text = json.dumps({"cells": [_cell("import torch\n"), _cell("torch.cuda.synchronize()\n")]}, indent=1)
    assert [f.rule for f in analyze_snippet(text, "nb.ipynb").findings] == ["ACC005"]


def test_terminal_report_with_markup_like_file_names(capsys, tmp_path):
    (tmp_path / "a[").mkdir()
    (tmp_path / "a[" / "x].py").write_text("x = 1\n")
    (tmp_path / "a[" / "link.py").symlink_to("x].py")
    code = main(["assess", str(tmp_path)])
    assert code == 0 and "internal error" not in capsys.readouterr().err


def test_terraform_variables_never_block_on_a_fifo_nor_follow_links(tmp_path):
    import os

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.tf").write_text('variable "region" {\n  default = "us-east-1"\n}\n')
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "main.tf").write_text('provider "aws" {\n  region = var.region\n}\n')
    os.mkfifo(tree / "vars.tf")  # would hang a plain read
    (tree / "linked.tf").symlink_to(outside / "secret.tf")
    result = assess(tree)
    assert not any("us-east-1" in f.message for f in result.findings)  # the value behind the link stays unread
    assert {s.path for s in result.skipped} >= {"vars.tf", "linked.tf"}


def test_a_killed_worker_costs_nothing(tmp_path, monkeypatch):
    """A worker killed by the system (out of memory, a signal): its files are analyzed again here."""
    import os

    from homeport.assess import engine

    for i in range(40):
        (tmp_path / f"m{i}.py").write_text("import torch\nx = torch.zeros(1).cuda()\n" + "# pad\n" * 20_000)
    expected = assess(tmp_path, jobs=1)
    parent, real = os.getpid(), engine.analyze_file

    def dies_in_a_worker(candidate, *args):
        if os.getpid() != parent and candidate.rel == "m7.py":
            os._exit(1)
        return real(candidate, *args)

    monkeypatch.setattr(engine, "analyze_file", dies_in_a_worker)
    result = assess(tmp_path, jobs=2)
    assert [f.to_dict() for f in result.findings] == [f.to_dict() for f in expected.findings]
    assert len(result.files) == 40
