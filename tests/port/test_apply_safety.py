"""`homeport port` writing files, when something goes wrong: every bad input gets a sentence (never a
traceback) and loses nothing; paths with spaces or quotes, created files and revert patches work with a
real `git apply`; a failed or interrupted --write or --out leaves the tree as it was."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from homeport.cli.main import main
from homeport.port import apply

EMAIL = ["-c", "user.email=t@t", "-c", "user.name=t"]
BODY = "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(12))  # room for an edit far from the port
FILES = {
    "train.py": b"import torch\nmodel = torch.nn.Linear(2, 2).cuda()\n",
    "pkg/a.py": b"import torch\nx = torch.ones(1).cuda()\n" + BODY.encode(),
    "pkg/b.py": b"import torch\ny = torch.ones(1).cuda()\n",
    "notes.txt": b"untouched\n",
}
DOCKERFILE = (b"FROM nvidia/cuda:12.6.3-cudnn-runtime-ubuntu22.04\n"
              b"RUN pip install torch==2.7.1+cu126 --index-url https://download.pytorch.org/whl/cu126\n")


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in err
    return code, out, " ".join(err.split())  # the messages, however rich wrapped them


def git(root: Path, *args: str, stdin: bytes | None = None) -> str:
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                          input=stdin).stdout.decode("utf-8", "replace")


def make(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def commit(root: Path) -> Path:
    git(root, "init", "-q")
    git(root, *EMAIL, "add", ".")
    git(root, *EMAIL, "commit", "-qm", "source")
    return root


@pytest.fixture
def tree(tmp_path) -> Path:
    return make(tmp_path / "repo", FILES)


@pytest.fixture
def repo(tree) -> Path:
    return commit(tree)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".git" not in p.parts and ".homeport" not in p.parts}


def patches(root: Path) -> list[Path]:
    return sorted((root / ".homeport" / "port").glob("revert-*.patch"))


# -- 1. paths with spaces (and the characters git quotes) ---------------------------------------------------
def test_a_path_with_spaces_reverts_with_homeport_and_with_git(capsys, tmp_path):
    files = {("my dir/train me.py" if k == "train.py" else k): v for k, v in FILES.items()}
    repo = commit(make(tmp_path / "repo", files))
    before = snapshot(repo)
    code, _, _ = run(capsys, "port", str(repo), "--write")
    assert code == 0 and snapshot(repo)["my dir/train me.py"] != before["my dir/train me.py"]
    (patch,) = patches(repo)
    assert "# homeport-revert my dir/train me.py " in patch.read_text()
    code, _, err = run(capsys, "port", "--revert", str(patch))
    assert code == 0 and "restored 3 files" in err and snapshot(repo) == before
    run(capsys, "port", str(repo), "--write", "--force")
    git(repo, "apply", str(patches(repo)[-1]))
    assert snapshot(repo) == before


def test_the_diff_of_paths_with_spaces_quotes_and_tabs_goes_through_git_apply(capsys, tmp_path):
    names = ["my dir/train me.py", 'q"uote.py', "back\\slash.py", "tab\there.py"]
    root = commit(make(tmp_path / "repo", {n: b"import torch\nx = torch.ones(1).cuda()\n" for n in names}))
    code, out, _ = run(capsys, "port", str(root))
    assert code == 0 and out.count("diff --git") == len(names)
    assert 'diff --git "a/tab\\there.py" "b/tab\\there.py"' in out  # quoted as git quotes it
    git(root, "apply", "-", stdin=out.encode())
    assert set(git(root, "diff", "--name-only", "-z").split("\0")) - {""} == set(names)
    git(root, "checkout", "--", ".")
    before = snapshot(root)
    run(capsys, "port", str(root), "--write")
    (patch,) = patches(root)
    code, _, err = run(capsys, "port", "--revert", str(patch))
    assert code == 0 and snapshot(root) == before


# -- 2. a --write that fails part-way, and reverting twice ---------------------------------------------------
def test_a_write_failing_part_way_restores_what_it_wrote(capsys, repo, monkeypatch):
    before = snapshot(repo)
    real, calls = apply._atomic_write, []

    def flaky(path, data):
        calls.append(path)
        if path.name == "b.py":
            raise PermissionError(13, "Permission denied", str(path))
        real(path, data)

    monkeypatch.setattr(apply, "_atomic_write", flaky)
    code, _, err = run(capsys, "port", str(repo), "--write")
    assert code == 2 and "cannot write pkg/b.py" in err and "Permission denied" in err
    assert "restored" in err
    assert snapshot(repo) == before  # the files written before b.py are back
    assert patches(repo) == []  # no revert patch for a port that did not happen
    assert any(p.name == "a.py" for p in calls)  # a.py had been written before the failure


def test_reverting_twice_says_already_restored(capsys, repo):
    before = snapshot(repo)
    run(capsys, "port", str(repo), "--write")
    (patch,) = patches(repo)
    assert run(capsys, "port", "--revert", str(patch))[0] == 0
    code, _, err = run(capsys, "port", "--revert", str(patch))
    assert code == 0 and "already restored" in err and "changed since the port" not in err
    assert snapshot(repo) == before


# -- 3. a patch naming files outside the tree ----------------------------------------------------------------
@pytest.mark.parametrize("escape", ["../outside.py", "ABSOLUTE", "pkg/../../outside.py"])
def test_revert_refuses_paths_outside_the_root(capsys, repo, escape):
    outside = repo.parent / "outside.py"
    outside.write_bytes(b"ported\n")
    path = str(outside) if escape == "ABSOLUTE" else escape
    sha = apply.sha256
    patch = repo / ".homeport" / "port" / "revert-evil.patch"
    patch.parent.mkdir(parents=True)
    patch.write_text(f"# homeport-revert {path} {sha(b'original' + bytes([10]))} {sha(b'ported' + bytes([10]))}\n"
                     "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-ported\n+original\n")
    code, _, err = run(capsys, "port", "--revert", str(patch))
    assert code == 2 and "outside" in err
    assert outside.read_bytes() == b"ported\n"


# -- 4. two --write runs in the same second -------------------------------------------------------------------
def test_two_writes_in_the_same_instant_keep_both_revert_patches(capsys, repo, monkeypatch):
    monkeypatch.setattr(apply.time, "strftime", lambda *a, **k: "20250101-000000")
    monkeypatch.setattr(apply.time, "time_ns", lambda: 0)
    run(capsys, "port", str(repo), "--write")
    first = patches(repo)
    assert len(first) == 1
    first_text = first[0].read_bytes()
    (repo / "pkg" / "b.py").write_bytes(b"import torch\nz = torch.zeros(1).cuda()\n")  # a second port, another diff
    git(repo, *EMAIL, "commit", "-qam", "more")
    run(capsys, "port", str(repo), "--write", "--force")
    both = patches(repo)
    assert len(both) == 2 and first[0].read_bytes() == first_text  # the first was not overwritten
    assert all(p.with_suffix(".json").is_file() for p in both)
    second = next(p for p in both if p != first[0])
    assert run(capsys, "port", "--revert", str(second))[0] == 0
    assert snapshot(repo)["pkg/b.py"] == b"import torch\nz = torch.zeros(1).cuda()\n"


# -- 5. --revert --force ---------------------------------------------------------------------------------------
def test_revert_force_reverts_the_port_and_keeps_later_edits(capsys, repo):
    run(capsys, "port", str(repo), "--write")
    (patch,) = patches(repo)
    ported = (repo / "pkg" / "a.py").read_bytes()
    edited = ported.replace(b"return 11", b"return 'eleven'")  # far from the ported line
    assert edited != ported
    (repo / "pkg" / "a.py").write_bytes(edited)
    code, _, err = run(capsys, "port", "--revert", str(patch))
    assert code == 2 and "changed since the port" in err and "--force" in err
    code, _, err = run(capsys, "port", "--revert", str(patch), "--force")
    assert code == 0 and "pkg/a.py" in err and "not byte-identical" in err
    assert (repo / "pkg" / "a.py").read_bytes() == FILES["pkg/a.py"].replace(b"return 11", b"return 'eleven'")
    assert (repo / "pkg" / "b.py").read_bytes() == FILES["pkg/b.py"]


def test_revert_force_refuses_a_file_edited_where_the_port_changed_it(capsys, repo):
    run(capsys, "port", str(repo), "--write")
    (patch,) = patches(repo)
    (repo / "pkg" / "b.py").write_bytes(b"import torch\ny = 'mine'\n")
    edited = snapshot(repo)
    code, _, err = run(capsys, "port", "--revert", str(patch), "--force")
    assert code == 2 and "pkg/b.py" in err and "--force" not in err.split("what to do:")[-1]
    assert snapshot(repo) == edited  # nothing reverted


# -- 6. created files: new file mode / deleted file mode ----------------------------------------------------
def test_a_created_file_goes_through_git_apply_both_ways(capsys, tmp_path):
    root = commit(make(tmp_path / "repo", {"Dockerfile": DOCKERFILE, "train.py": FILES["pkg/b.py"]}))
    before = snapshot(root)
    code, out, _ = run(capsys, "port", str(root), "-t", "rocm", "--unsafe-fixes")
    assert code == 0 and "new file mode 100644\n--- /dev/null\n+++ b/Apptainer.rocm.def\n" in out
    git(root, "apply", "-", stdin=out.encode())
    assert (root / "Apptainer.rocm.def").is_file()
    git(root, "checkout", "--", ".")
    (root / "Apptainer.rocm.def").unlink()
    run(capsys, "port", str(root), "-t", "rocm", "--unsafe-fixes", "--write")
    (patch,) = patches(root)
    assert "deleted file mode 100644\n--- a/Apptainer.rocm.def\n+++ /dev/null\n" in patch.read_text()
    git(root, "apply", str(patch))
    assert snapshot(root) == before
    run(capsys, "port", str(root), "-t", "rocm", "--unsafe-fixes", "--write", "--force")
    code, _, err = run(capsys, "port", "--revert", str(patches(root)[-1]))
    assert code == 0 and snapshot(root) == before and not (root / "Apptainer.rocm.def").exists()


# -- 7. --log onto a file the port reads or writes ---------------------------------------------------------
@pytest.mark.parametrize("name", ["pkg/b.py", "notes.txt"])
def test_log_refuses_a_file_of_the_tree(capsys, tree, name):
    before = snapshot(tree)
    code, out, err = run(capsys, "port", str(tree), "--log", str(tree / name))
    assert code == 2 and "--log" in err and name in err
    assert snapshot(tree) == before and out == ""


def test_log_may_replace_its_own_earlier_log_inside_the_tree(capsys, tree):
    log = tree / "port-log.json"
    assert run(capsys, "port", str(tree), "--log", str(log))[0] == 0
    assert run(capsys, "port", str(tree), "--log", str(log))[0] == 0
    assert json.loads(log.read_text())["tool"] == "homeport port"


# -- 8. --out with special or unreadable files, a failure, a file as PATH -----------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_out_skips_a_fifo_and_says_so(capsys, tree, tmp_path):
    os.mkfifo(tree / "pipe")
    out_dir = tmp_path / "ported"
    code, _, err = run(capsys, "port", str(tree), "--out", str(out_dir))
    assert code == 0 and "pipe" in err and "not copied" in err
    copy = snapshot(out_dir)
    assert set(copy) == set(FILES) and copy["notes.txt"] == FILES["notes.txt"]
    assert [p.name for p in tmp_path.iterdir() if "homeport" in p.name] == []


def test_out_skips_an_unreadable_file_and_says_so(capsys, tree, tmp_path, monkeypatch):
    real_open = open

    def guarded(file, mode="r", *a, **k):
        if str(file).endswith("notes.txt") and "r" in mode and str(tree) in str(file):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, mode, *a, **k)

    monkeypatch.setattr("builtins.open", guarded)
    out_dir = tmp_path / "ported"
    code, _, err = run(capsys, "port", str(tree), "--out", str(out_dir))
    assert code == 0 and "notes.txt" in err and "not copied" in err
    assert "notes.txt" not in snapshot(out_dir) and "pkg/a.py" in snapshot(out_dir)


def test_out_failing_part_way_leaves_nothing_and_can_be_rerun(capsys, tree, tmp_path, monkeypatch):
    out_dir = tmp_path / "ported"
    real = apply._atomic_write

    def failing(path, data):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(apply, "_atomic_write", failing)
    code, _, err = run(capsys, "port", str(tree), "--out", str(out_dir))
    assert code == 2 and "No space left on device" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]  # neither the copy nor a temporary one
    monkeypatch.setattr(apply, "_atomic_write", real)
    assert run(capsys, "port", str(tree), "--out", str(out_dir))[0] == 0
    assert set(snapshot(out_dir)) == set(FILES)


def test_out_of_one_file_copies_that_file_only(capsys, tree, tmp_path):
    out_dir = tmp_path / "ported"
    code, _, _ = run(capsys, "port", str(tree / "pkg" / "b.py"), "--out", str(out_dir))
    assert code == 0 and set(snapshot(out_dir)) == {"b.py"}
    assert b".to(_accelerator)" in (out_dir / "b.py").read_bytes()


# -- 9. --out is checked before the port ---------------------------------------------------------------------
def test_out_is_checked_before_porting(capsys, tree, tmp_path, monkeypatch):
    import homeport.port.engine as engine

    def no_port(*a, **k):
        raise AssertionError("ported before checking --out")

    monkeypatch.setattr(engine, "port", no_port)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "keep").write_text("mine")
    for out in (busy, tree / "inside"):
        code, _, err = run(capsys, "port", str(tree), "--out", str(out))
        assert code == 2 and ("not empty" in err or "inside the tree" in err)
    assert not (tree / "inside").exists()


# -- 10. the dirty-tree message -------------------------------------------------------------------------------
def test_the_dirty_tree_message_names_the_first_file_whole(capsys, repo):
    (repo / "notes.txt").write_text("edited\n")
    code, _, err = run(capsys, "port", str(repo), "--write")
    assert code == 2 and "1 changed: notes.txt" in err


# -- 11. a missing revert patch ---------------------------------------------------------------------------------
def test_revert_of_a_missing_patch_says_not_found(capsys, tmp_path):
    code, _, err = run(capsys, "port", "--revert", str(tmp_path / "nonexistent.patch"))
    assert code == 2 and "not found" in err and "cannot tell which tree" not in err


# -- 12. interrupted; the --log hint ---------------------------------------------------------------------------
def test_an_interrupted_write_is_rolled_back_and_says_so(capsys, repo, monkeypatch):
    before = snapshot(repo)
    real = apply._atomic_write

    def interrupted(path, data):
        if path.name == "b.py":
            raise KeyboardInterrupt
        real(path, data)

    monkeypatch.setattr(apply, "_atomic_write", interrupted)
    code, _, err = run(capsys, "port", str(repo), "--write")
    assert code == 2 and "interrupted" in err and "nothing was written" not in err and "restored" in err
    assert snapshot(repo) == before and patches(repo) == []


def test_an_unwritable_log_gets_a_generic_hint(capsys, tree, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, _, err = run(capsys, "port", str(tree), "--log", str(blocker / "log.json"))
    assert code == 2 and "cannot write" in err and "choose a writable path" in err and "with -o" not in err


# -- 13. a diff of a file that is not UTF-8 ----------------------------------------------------------------------
def test_the_diff_of_a_latin1_file_keeps_its_bytes(capsysbinary, tmp_path, monkeypatch):
    source = b"# -*- coding: latin-1 -*-\nimport torch\n# caf\xe9\nx = torch.ones(1).cuda()\n"
    root = make(tmp_path / "repo", {"old.py": source})
    strict = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", write_through=True)
    monkeypatch.setattr(sys, "stdout", strict)
    code = main(["port", str(root)])
    out = strict.buffer.getvalue()
    assert code == 0 and b"\n # caf\xe9\n" in out and b"+x = torch.ones(1).to(_accelerator)\n" in out
    commit(root)
    git(root, "apply", "-", stdin=out)
    assert b"caf\xe9" in (root / "old.py").read_bytes() and b".to(_accelerator)" in (root / "old.py").read_bytes()


def test_an_interrupted_out_leaves_nothing_and_says_so(capsys, tree, tmp_path, monkeypatch):
    def interrupted(path, data):
        raise KeyboardInterrupt

    monkeypatch.setattr(apply, "_atomic_write", interrupted)
    code, _, err = run(capsys, "port", str(tree), "--out", str(tmp_path / "ported"))
    assert code == 2 and "interrupted: the partial copy was removed" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]


def test_a_rollback_that_fails_too_exits_3_and_names_the_files(capsys, repo, monkeypatch):
    real, seen = apply._atomic_write, []

    def failing(path, data):
        seen.append(path.name)
        if path.name == "b.py" or seen.count("a.py") > 1:  # b.py cannot be written, nor a.py put back
            raise PermissionError(13, "Permission denied", str(path))
        real(path, data)

    monkeypatch.setattr(apply, "_atomic_write", failing)
    code, _, err = run(capsys, "port", str(repo), "--write")
    assert code == 3 and "could not be put back" in err and "pkg/a.py" in err and "--revert" in err
    (patch,) = patches(repo)  # kept: it undoes the rest
    monkeypatch.setattr(apply, "_atomic_write", real)
    code, _, err = run(capsys, "port", "--revert", str(patch))
    assert code == 0 and "already restored" in err
    assert snapshot(repo) == {k: v for k, v in FILES.items()}


def test_log_inside_out_is_refused_before_porting(capsys, tree, tmp_path):
    out_dir = tmp_path / "ported"
    code, _, err = run(capsys, "port", str(tree), "--out", str(out_dir), "--log", str(out_dir / "log.json"))
    assert code == 2 and "inside --out" in err and not out_dir.exists()
