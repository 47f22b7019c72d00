"""Discovery: what is analyzed, and why every other input is not (never skip silently).

Respects .gitignore (root and nested, with `!` negation), skips virtualenvs, vendored code and binaries,
never follows a link, and lists every skipped input with its reason.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

import pytest

from homeport.assess.analyze import analyze_file
from homeport.assess.discovery import discover
from homeport.assess.engine import assess, load_rules
from homeport.cli.main import main
from homeport.core.model import Target


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def scan(root: Path) -> tuple[set[str], dict[str, str]]:
    found, skipped = discover(root)
    reasons = {s.path: s.reason for s in skipped}
    assert len(reasons) == len(skipped), "an input listed twice"
    assert all(reason.strip() for reason in reasons.values())
    assert not {c.rel for c in found} & reasons.keys()
    return {c.rel for c in found}, reasons


def test_nested_gitignore_with_negation(tmp_path):
    write(tmp_path, {
        ".gitignore": "*.log\ngenerated/\n*.py\n!train.py\n",
        "train.py": "", "other.py": "", "run.log": "", "Dockerfile": "FROM python:3.11\n",
        "generated/model.py": "",
        "sub/.gitignore": "!keep.py\nlocal_*.yaml\n",
        "sub/keep.py": "", "sub/drop.py": "", "sub/local_dev.yaml": "", "sub/config.yaml": "",
        "sub/deeper/keep.py": "",  # the sub/.gitignore pattern has no slash: it applies below too
    })
    found, skipped = scan(tmp_path)
    assert found == {"train.py", "Dockerfile", "sub/keep.py", "sub/config.yaml", "sub/deeper/keep.py"}
    assert skipped == {
        "other.py": "ignored by .gitignore", "run.log": "ignored by .gitignore",
        "generated": "ignored by .gitignore",  # the folder once, not each file in it
        "sub/drop.py": "ignored by .gitignore", "sub/local_dev.yaml": "ignored by sub/.gitignore",
    }


def test_negation_cannot_reinclude_a_file_in_an_ignored_folder(tmp_path):
    """As in git: once a folder is ignored, nothing inside it is looked at."""
    write(tmp_path, {".gitignore": "build/\n!build/keep.py\n", "build/keep.py": ""})
    assert scan(tmp_path) == (set(), {"build": "ignored by .gitignore"})


def test_invalid_gitignore_pattern_is_listed_and_the_rest_applies(tmp_path):
    write(tmp_path, {".gitignore": "!\n*.txt\nbad\\\n", "a.txt": "", "train.py": ""})
    found, skipped = scan(tmp_path)
    assert found == {"train.py"}
    assert skipped["a.txt"] == "ignored by .gitignore"
    assert skipped[".gitignore"] == ("patterns that are not valid gitignore syntax were not applied "
                                     "(line 1: '!'; line 3: 'bad\\\\')")


def test_gitignore_through_a_link_or_a_fifo_is_not_read(tmp_path):
    """git reads no .gitignore through a link; a FIFO would block the walk forever."""
    outside = tmp_path / "outside.gitignore"
    outside.write_text("*.py\n")
    root = tmp_path / "repo"
    write(root, {"a/train.py": "", "b/train.py": ""})
    (root / "a" / ".gitignore").symlink_to(outside)
    os.mkfifo(root / "b" / ".gitignore")
    found, _ = _with_timeout(lambda: scan(root))
    assert found == {"a/train.py", "b/train.py"}


@pytest.mark.parametrize("marker", ["pyvenv.cfg", "conda-meta/history"])
def test_virtualenv_found_by_its_marker_not_its_name(tmp_path, marker):
    write(tmp_path, {f"myenv/{marker}": "", "myenv/lib/python3.11/site-packages/torch/cuda.py": "",
                     "envs/train.py": ""})
    assert scan(tmp_path) == ({"envs/train.py"}, {"myenv": "virtual environment"})


def test_vendored_and_cache_folders_are_listed_at_any_depth(tmp_path):
    write(tmp_path, {"node_modules/x/index.py": "", "pkg/vendor/lib.py": "", "third_party/apex/setup.py": "",
                     "pkg/__pycache__/a.cpython-311.pyc": b"\0", ".git/config": "", "pkg/train.py": ""})
    found, skipped = scan(tmp_path)
    assert found == {"pkg/train.py"}
    assert skipped == {"node_modules": "vendored dependencies", "pkg/vendor": "vendored code",
                       "third_party": "vendored code", "pkg/__pycache__": "cache"}  # .git: not an input


def test_binary_and_unknown_files(tmp_path):
    write(tmp_path, {"model.py": b"\x00\x01torch", "weights.bin": b"\x00" * 64, "logo.png": b"\x89PNG\r\n\x1a\n\0",
                     "config.json": b'{"a": 1}\0', "notes.md": "# notes\n", "run": "#!/bin/bash\nnvidia-smi\n",
                     "tool": "#!/usr/bin/env python3\nimport torch\n"})
    found, skipped = scan(tmp_path)
    assert found == {"run", "tool"}  # extension-less scripts by their shebang
    assert skipped == {"model.py": "binary file (NUL bytes)", "config.json": "binary file (NUL bytes)",
                       "weights.bin": "no analyzer for this file type", "logo.png": "no analyzer for this file type",
                       "notes.md": "no analyzer for this file type"}


def test_links_are_never_followed(tmp_path):
    outside = tmp_path / "outside"
    write(outside, {"secret.py": "import torch\ntorch.cuda.synchronize()\n", "pkg/mod.py": "import torch\n"})
    root = tmp_path / "repo"
    write(root, {"train.py": "import torch\ntorch.cuda.synchronize()\n", ".gitignore": "ignored.py\n",
                 "ignored.py": "", ".venv/pyvenv.cfg": "", ".venv/x.py": ""})
    links = {"same.py": "train.py", "out.py": str(outside / "secret.py"), "loop1.py": "loop2.py",
             "loop2.py": "loop1.py", "self.py": "self.py", "broken.py": "nothere.py", "pkg": str(outside / "pkg"),
             "here": ".", "to_ignored.py": "ignored.py", "to_venv.py": ".venv/x.py", "to_dir.py": "sub"}
    (root / "sub").mkdir()
    for name, target in links.items():
        (root / name).symlink_to(target)
    assessment = _with_timeout(lambda: assess(root, jobs=1))
    skipped = {s.path: s.reason for s in assessment.skipped}
    assert [f.path for f in assessment.files] == ["train.py"]
    assert {f.location.path for f in assessment.findings} == {"train.py"}  # the outside file was not read
    assert skipped["same.py"] == "link to train.py (analyzed there)"
    assert skipped["out.py"] == f"link to a file outside the root ({outside / 'secret.py'})"
    for name in ("loop1.py", "loop2.py", "self.py", "broken.py"):
        assert skipped[name] == "broken or looping link"
    assert skipped["pkg"] == skipped["here"] == skipped["to_dir.py"] == "link to a directory (links are not followed)"
    # "analyzed there" only where it is true
    assert skipped["to_ignored.py"].startswith("link to ignored.py (not followed; the target is not analyzed")
    assert skipped["to_venv.py"].startswith("link to .venv/x.py (not followed; the target is not analyzed")
    assert skipped["ignored.py"] == "ignored by .gitignore" and skipped[".venv"] == "virtual environment"


def test_fifo_is_listed_and_never_opened(tmp_path):
    """Reading a FIFO blocks until a writer comes; discovery must not even open it."""
    os.mkfifo(tmp_path / "pipe.py")
    write(tmp_path, {"train.py": ""})
    assert _with_timeout(lambda: scan(tmp_path)) == ({"train.py"}, {"pipe.py": "not a regular file"})


def test_fifo_given_as_path(tmp_path):
    os.mkfifo(tmp_path / "pipe.py")
    assessment = _with_timeout(lambda: assess(tmp_path / "pipe.py"))
    assert [(s.path, s.reason) for s in assessment.skipped] == [("pipe.py", "not a regular file")]


def test_directory_named_like_a_file_is_walked(tmp_path):
    write(tmp_path, {"train.py/inner.py": "", "requirements.txt/x.sh": ""})
    assert scan(tmp_path) == ({"train.py/inner.py", "requirements.txt/x.sh"}, {})


def test_file_that_vanishes_or_turns_into_a_link_after_discovery(tmp_path):
    """Between discovery and analysis a file may go, or be replaced by a link out of the root (a race):
    the analyzer must say why, and must not follow the new link."""
    write(tmp_path, {"gone.py": "x = 1\n", "swapped.py": "x = 1\n", "secret.py": "import torch\n"})
    found, _ = discover(tmp_path)
    by_name = {c.rel: c for c in found}
    (tmp_path / "gone.py").unlink()
    (tmp_path / "swapped.py").unlink()
    (tmp_path / "swapped.py").symlink_to(tmp_path / "secret.py")
    codes = frozenset(load_rules())
    gone = analyze_file(by_name["gone.py"], codes, Target.PORTABLE)
    swapped = analyze_file(by_name["swapped.py"], codes, Target.PORTABLE)
    assert gone.skipped.reason == "not readable: No such file or directory"
    assert swapped.skipped.reason.startswith("not readable: Too many levels of symbolic links")  # O_NOFOLLOW


def _chmod_stops_reads(directory: Path) -> bool:
    probe = directory / "probe"
    probe.write_text("x")
    probe.chmod(0)
    try:
        probe.read_text()
    except PermissionError:
        return True
    finally:
        probe.unlink()
    return False


def _assess_as_nobody(root: Path) -> dict:
    """Root reads through chmod 000 (CAP_DAC_OVERRIDE), so a mode cannot make a file unreadable to it.
    A forked child that gives up root (setuid to `nobody`) sees the tree as an ordinary user does; the
    modules are already imported, so the child needs no file but the tree."""
    assess(root, jobs=1)  # import every module the run needs while still root
    read, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            a = assess(root, jobs=1)
            payload = {"files": [f.path for f in a.files], "skipped": {s.path: s.reason for s in a.skipped}}
        except BaseException as exc:  # noqa: BLE001 (reported to the parent, which fails the test)
            payload = {"error": repr(exc)}
        os.write(write_fd, json.dumps(payload).encode())
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read) as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    result = json.loads(data)
    assert "error" not in result, result["error"]
    return result


def test_unreadable_file_and_directory():
    # Not pytest's tmp_path: its parents are 0700, and the unprivileged child must be able to reach the tree.
    root = Path(tempfile.mkdtemp(prefix="homeport-unreadable-"))
    try:
        root.chmod(0o755)
        write(root, {"ok.py": "x = 1\n", "secret.py": "import torch\n", "locked/inner.py": "import torch\n"})
        (root / "secret.py").chmod(0)
        (root / "locked").chmod(0)
        if _chmod_stops_reads(root):  # an ordinary user: the modes alone make them unreadable
            a = assess(root, jobs=1)
            result = {"files": [f.path for f in a.files], "skipped": {s.path: s.reason for s in a.skipped}}
        else:  # root: see _assess_as_nobody for why
            result = _assess_as_nobody(root)
        assert result["files"] == ["ok.py"]
        assert result["skipped"] == {"secret.py": "not readable: Permission denied",
                                     "locked": "directory not readable: Permission denied"}
    finally:
        (root / "locked").chmod(0o755)
        (root / "secret.py").chmod(0o644)
        for path in sorted(root.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        root.rmdir()


def test_empty_tree(tmp_path, capsys):
    assessment = assess(tmp_path)
    assert (assessment.files, assessment.findings, assessment.skipped) == ([], [], [])
    assert main(["assess", str(tmp_path), "-f", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["files"] == summary["findings"] == summary["skipped"] == 0


def test_single_file_as_path(tmp_path):
    write(tmp_path, {"src/train.py": "import torch\ntorch.cuda.synchronize()\n", "src/other.py": "import torch\n",
                     "src/notes.md": "x"})
    assessment = assess(tmp_path / "src" / "train.py")
    assert [f.path for f in assessment.files] == ["train.py"] and assessment.root == str(tmp_path / "src")
    assert [f.location.path for f in assessment.findings] == ["train.py"]
    assert assessment.skipped == []
    unsupported = assess(tmp_path / "src" / "notes.md")
    assert [(s.path, s.reason) for s in unsupported.skipped] == [("notes.md", "no analyzer for this file type")]


def test_single_file_through_a_link_is_analyzed(tmp_path):
    write(tmp_path, {"real/train.py": "import torch\ntorch.cuda.synchronize()\n"})
    (tmp_path / "train.py").symlink_to(tmp_path / "real" / "train.py")
    assessment = assess(tmp_path / "train.py")  # the user named it: follow it, to what it points at
    assert [f.path for f in assessment.files] == ["train.py"] and assessment.findings


def test_missing_path_or_broken_link_as_path(tmp_path, capsys):
    (tmp_path / "broken").symlink_to(tmp_path / "nothere")
    for path in (tmp_path / "nothere", tmp_path / "broken"):
        assert main(["assess", str(path)]) == 2
        err = capsys.readouterr().err
        assert "path not found" in err and "what to do" in err and "Traceback" not in err


def test_non_utf8_file_name_is_escaped(tmp_path):
    os.close(os.open(os.fsencode(tmp_path) + b"/caf\xe9.py", os.O_CREAT | os.O_WRONLY))
    os.close(os.open(os.fsencode(tmp_path) + b"/caf\xe9.bin", os.O_CREAT | os.O_WRONLY))
    found, skipped = scan(tmp_path)
    assert found == {"caf\\xe9.py"} and skipped == {"caf\\xe9.bin": "no analyzer for this file type"}


def test_large_file_is_skipped_by_size(tmp_path):
    from homeport.assess.discovery import MAX_FILE_BYTES

    with open(tmp_path / "huge.py", "wb") as fh:
        fh.write(b"x = 1\n")
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing more is written
    _, skipped = scan(tmp_path)
    assert skipped["huge.py"] == f"larger than 16 MiB ({MAX_FILE_BYTES + 1} bytes)"


def _with_timeout(fn, seconds: float = 20):
    """Run `fn` in a thread: a hang (a FIFO opened, a link loop followed) fails the test instead of the suite."""
    box: dict = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds}s: it blocked"
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_large_json_and_yaml_are_data_and_listed(tmp_path):
    (tmp_path / "golden_values.json").write_text("[" + ",".join(["1.0"] * 100_000) + "]")
    (tmp_path / "deepspeed.json").write_text('{"train_batch_size": 8}')
    found, skipped = discover(tmp_path)
    assert [c.rel for c in found] == ["deepspeed.json"]
    (reason,) = [s.reason for s in skipped if s.path == "golden_values.json"]
    assert "data file, not configuration" in reason
