"""An object an earlier run listed but could not copy, deleted from the source since: the rerun says it is
gone instead of failing on it again and again."""

from __future__ import annotations

import sqlite3

from homeport.cli.main import main
from homeport.data.copy import copy
from homeport.data.journal import Journal
from homeport.data.store import StoreError
from homeport.data.stores.local import LocalStore


class Refusing(LocalStore):
    """A directory whose object `bad.bin` cannot be read (the first run's failure)."""

    def get(self, key, start=0, end=None):
        if key == "bad.bin":
            raise StoreError("Access denied to bad.bin.")
        return super().get(key, start, end)


def test_a_failed_object_deleted_from_the_source_is_gone_on_the_rerun(tmp_path, capsys, monkeypatch):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    for name in ("a.bin", "bad.bin", "c.bin"):
        (src / name).write_bytes(name.encode() * 100)
    journal = tmp_path / "j.sqlite"
    first = copy(Refusing(src), LocalStore(dst), journal=journal, workers=2)
    assert [k for k, _ in first.failed] == ["bad.bin"] and first.copied == 2

    (src / "bad.bin").unlink()
    (src / "a.bin").unlink()  # copied already: it stays copied, and in the manifest
    second = copy(LocalStore(src), LocalStore(dst), journal=journal, workers=2)
    assert second.ok and second.failed == [] and second.gone == 1 and second.skipped == 2  # a.bin and c.bin are still there
    states = dict(sqlite3.connect(journal).execute("SELECT key, state FROM objects"))
    assert states == {"a.bin": "done", "bad.bin": "gone", "c.bin": "done"}
    assert [line.split('"')[3] for line in second.manifest.read_text().splitlines()] == ["a.bin", "c.bin"]

    (src / "bad.bin").write_bytes(b"back again")  # it comes back: copied on the next run
    third = copy(LocalStore(src), LocalStore(dst), journal=journal, workers=2)
    assert third.copied == 1 and third.gone == 0 and (dst / "bad.bin").read_bytes() == b"back again"


def test_the_cli_says_how_many_are_gone(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    (src / "keep.bin").write_bytes(b"k")
    journal = tmp_path / "j.sqlite"
    (src / "later.bin").write_bytes(b"l")
    # a first run that listed both and was stopped before copying anything: its listing alone
    Journal(journal).add_listing(LocalStore(src).list())
    (src / "later.bin").unlink()
    assert main(["data", "copy", str(src), str(tmp_path / "dst"), "--journal", str(journal)]) == 0
    assert "1 objects an earlier run listed are gone from the source" in capsys.readouterr().out


def _tree(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.mkdir()
    dst.mkdir()
    (src / "new.bin").write_bytes(b"new")
    (src / "same-key.bin").write_bytes(b"from the source")
    (dst / "same-key.bin").write_bytes(b"someone else's")
    return src, dst


def test_objects_already_at_the_destination_are_written_over_with_a_notice(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src, dst = _tree(tmp_path)
    assert main(["data", "copy", str(src), str(dst)]) == 0
    out = capsys.readouterr().out
    assert "notice: 1 objects were at the destination before this job and were written over" in out
    assert (dst / "same-key.bin").read_bytes() == b"from the source"
    assert main(["data", "copy", str(src), str(dst)]) == 0  # a rerun: its own copies are not "replaced"
    assert "notice" not in capsys.readouterr().out


def test_no_clobber_leaves_them_and_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src, dst = _tree(tmp_path)
    assert main(["data", "copy", str(src), str(dst), "--no-clobber"]) == 0
    out = capsys.readouterr().out
    assert "1 objects were at the destination already and were left as they are" in out
    assert "copied 1 objects" in out
    assert (dst / "same-key.bin").read_bytes() == b"someone else's" and (dst / "new.bin").read_bytes() == b"new"
    assert main(["data", "copy", str(src), str(dst)]) == 0  # without the flag the next run copies it
    assert (dst / "same-key.bin").read_bytes() == b"from the source"
