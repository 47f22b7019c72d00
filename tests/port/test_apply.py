"""Where a port goes, on real files and a real git work tree: the default changes nothing, --out makes
a complete copy, --write needs a clean tree and leaves a revert patch that restores every byte."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from homeport.cli.main import main

FILES = {
    "train.py": b"import torch\r\nmodel = torch.nn.Linear(2, 2).cuda()\r\ntorch.cuda.synchronize()\r\n",
    "pkg/util.py": b"import torch\n\n\ndef dev():\n    return 'cuda:0'  # the first GPU",  # no final newline
    "pkg/clean.py": b"import torch\nprint(torch.ones(1))\n",
    "broken.py": b"import torch\nx = torch.ones(1).cuda(\n",
    "notes.txt": b"untouched\n",
}


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def tree(tmp_path) -> Path:
    root = tmp_path / "repo"
    for rel, data in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


@pytest.fixture
def repo(tree) -> Path:
    git(tree, "init", "-q")
    git(tree, "-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    git(tree, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "source")
    return tree


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.parts and ".homeport" not in p.parts}


def test_the_default_prints_a_diff_and_changes_nothing(capsys, tree):
    before = snapshot(tree)
    code, out, err = run(capsys, "port", str(tree))
    assert code == 0 and snapshot(tree) == before
    assert "diff --git a/train.py b/train.py" in out and "+model = torch.nn.Linear(2, 2).to(_accelerator)" in out
    assert "not ported: broken.py: not valid Python" in err  # the syntax error is reported, not fatal


def test_out_writes_a_complete_ported_copy(capsys, tree, tmp_path):
    out_dir = tmp_path / "ported"
    code, _, err = run(capsys, "port", str(tree), "--out", str(out_dir))
    assert code == 0
    copy = snapshot(out_dir)
    assert set(copy) == set(FILES)
    assert copy["notes.txt"] == FILES["notes.txt"] and copy["broken.py"] == FILES["broken.py"]
    assert b"torch.accelerator.synchronize()\r\n" in copy["train.py"]
    assert copy["pkg/util.py"].endswith(b"return (f'{_accelerator.type}:0' if torch.accelerator.is_available() else 'cpu')  # the first GPU")
    for rel in ("train.py", "pkg/util.py"):
        compile(copy[rel], rel, "exec")


def test_out_refuses_a_non_empty_directory_and_writes_nothing(capsys, tree, tmp_path):
    out_dir = tmp_path / "busy"
    out_dir.mkdir()
    (out_dir / "keep").write_text("mine")
    code, _, err = run(capsys, "port", str(tree), "--out", str(out_dir))
    assert code == 2 and "not empty" in err
    assert [p.name for p in out_dir.iterdir()] == ["keep"]


def test_write_needs_git_and_a_clean_tree(capsys, tree, repo):
    (repo / "notes.txt").write_text("edited\n")
    before = snapshot(repo)
    code, _, err = run(capsys, "port", str(repo), "--write")
    assert code == 2 and "uncommitted changes" in err and "--force" in err
    assert snapshot(repo) == before


def test_write_outside_git_is_refused(capsys, tree):
    before = snapshot(tree)
    code, _, err = run(capsys, "port", str(tree), "--write")
    assert code == 2 and "not inside a git work tree" in err
    assert snapshot(tree) == before


def test_write_then_revert_restores_every_byte(capsys, repo):
    before = snapshot(repo)
    code, _, err = run(capsys, "port", str(repo), "--write")
    assert code == 0
    patch = next((repo / ".homeport" / "port").glob("revert-*.patch"))
    log = json.loads(patch.with_suffix(".json").read_text())
    assert log["totals"]["references_converted"] >= 3
    ported = snapshot(repo)
    assert ported != before and ported["notes.txt"] == before["notes.txt"]
    code, _, err = run(capsys, "port", "--revert", str(patch))
    assert code == 0 and "restored 2 files" in err
    assert snapshot(repo) == before


def test_git_apply_understands_the_revert_patch(capsys, repo):
    before = snapshot(repo)
    run(capsys, "port", str(repo), "--write")
    patch = next((repo / ".homeport" / "port").glob("revert-*.patch"))
    git(repo, "apply", str(patch))
    assert snapshot(repo) == before


def test_revert_refuses_files_edited_since_the_port(capsys, repo):
    run(capsys, "port", str(repo), "--write")
    patch = next((repo / ".homeport" / "port").glob("revert-*.patch"))
    (repo / "train.py").write_bytes((repo / "train.py").read_bytes() + b"# my edit\n")
    edited = snapshot(repo)
    code, _, err = run(capsys, "port", "--revert", str(patch))
    assert code == 2 and "changed since the port" in err
    assert snapshot(repo) == edited  # nothing reverted, not even the untouched file


def test_check_is_a_ratchet(capsys, repo):
    assert run(capsys, "port", str(repo), "--check")[0] == 1
    run(capsys, "port", str(repo), "--write")
    code, _, err = run(capsys, "port", str(repo), "--check")
    assert code == 1 and "1 Python files could not be checked" in err  # broken.py
    (repo / "broken.py").unlink()
    code, _, err = run(capsys, "port", str(repo), "--check")
    assert code == 0 and "no safe fix remains" in err


def test_json_change_log(capsys, tree):
    code, out, _ = run(capsys, "port", str(tree), "--format", "json")
    data = json.loads(out)
    assert data["schema_version"] == 1 and data["target"] == "portable"
    site = next(c for c in data["changes"] if c["rule"] == "ACC002")
    assert site == {"path": "train.py", "line": 2, "rule": "ACC002", "original": "torch.nn.Linear(2, 2).cuda()",
                    "replacement": "torch.nn.Linear(2, 2).to(_accelerator)", "kind": "exact",
                    "applicability": "safe", "status": "applied", "reason": ""}
    (broken,) = [s for s in data["skipped"] if s["path"] == "broken.py"]
    assert "not valid Python" in broken["reason"]


def test_a_bad_min_torch_is_a_usage_error(capsys, tree):
    code, _, err = run(capsys, "port", str(tree), "--min-torch", "two")
    assert code == 2 and "MAJOR.MINOR" in err


def test_revert_of_something_that_is_not_a_patch(capsys, tree):
    bogus = tree / "notes.txt"
    code, _, err = run(capsys, "port", str(tree), "--revert", str(bogus))
    assert code == 2 and "not a homeport revert patch" in err


@pytest.fixture(autouse=True)
def _git_available():
    assert shutil.which("git"), "git is needed by --write and by these tests"
