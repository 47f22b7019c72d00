"""Names: a file name that is not UTF-8 is refused with a sentence (not a crash), and a job is the same job
however its locations are spelled."""

from __future__ import annotations

import os

import pytest

from homeport.cli.main import main
from homeport.data.locations import parse_location

LATIN1 = b"caf\xe9.bin"  # "café" in Latin-1: not valid UTF-8


@pytest.fixture
def tree(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    with open(os.path.join(os.fsencode(src), LATIN1), "wb") as fh:
        fh.write(b"latin")
    (src / "ok.bin").write_bytes(b"fine")
    return src


@pytest.mark.parametrize("command", ["copy", "plan"])
def test_a_name_that_is_not_utf8_is_refused_and_the_rest_goes_on(tmp_path, tree, capsys, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    code = main(["data", command, str(tree), str(tmp_path / "dst")])
    out = capsys.readouterr().out
    assert code == 1  # not all of the source is there: the exit says so
    assert "refused: caf\ufffd.bin: its name is not valid UTF-8" in out
    if command == "copy":
        assert sorted(n for n in os.listdir(tmp_path / "dst") if not n.startswith(".homeport")) == ["ok.bin"]
        assert "copied 1 objects" in out and "1 refused" in out
    else:
        assert "1 objects" in out and "caf" not in (tmp_path / "manifest.jsonl").read_text()


@pytest.mark.parametrize("a, b", [
    ("{tmp}/data", "{tmp}/data/"), ("{tmp}/data", "{tmp}/./data"), ("s3://bucket/prefix", "s3://bucket/prefix/"),
    ("sov:bucket/p", "sov:bucket/p/"),
])
def test_one_place_has_one_canonical_spelling(tmp_path, monkeypatch, a, b):
    monkeypatch.setenv("HOMEPORT_REMOTE_SOV_ENDPOINT", "http://127.0.0.1:9")
    one, two = (parse_location(x.format(tmp=tmp_path)) for x in (a, b))
    assert one.canonical == two.canonical


def test_a_resume_finds_its_journal_with_or_without_the_trailing_slash(tmp_path, tree, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tree / os.fsdecode(LATIN1)).unlink()
    dst = tmp_path / "dst"
    assert main(["data", "copy", str(tree), str(dst)]) == 0
    assert main(["data", "copy", f"{tree}/", f"{dst}/"]) == 0
    out = capsys.readouterr().out
    assert "copied 0 objects" in out and "1 already copied" in out
    assert len(list((tmp_path / ".homeport" / "data").glob("*.sqlite"))) == 1


def test_links_and_special_files_are_said_not_skipped_in_silence(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src, elsewhere = tmp_path / "src", tmp_path / "elsewhere"
    src.mkdir()
    elsewhere.mkdir()
    (elsewhere / "inner.bin").write_bytes(b"inner")
    (tmp_path / "target.bin").write_bytes(b"target")
    (src / "plain.bin").write_bytes(b"plain")
    (src / "file-link.bin").symlink_to(tmp_path / "target.bin")  # followed: its content is copied
    (src / "dir-link").symlink_to(elsewhere, target_is_directory=True)  # not followed
    (src / "dangling.bin").symlink_to(tmp_path / "gone.bin")
    os.mkfifo(src / "pipe")
    assert main(["data", "copy", str(src), str(tmp_path / "dst")]) == 1  # the destination misses three names
    out = capsys.readouterr().out
    assert (tmp_path / "dst" / "file-link.bin").read_bytes() == b"target"
    assert not (tmp_path / "dst" / "dir-link").exists() and not (tmp_path / "dst" / "inner.bin").exists()
    assert "refused: dir-link: a link to a folder, not followed" in out
    assert "refused: dangling.bin: a link to nothing (dangling)" in out
    assert "refused: pipe: not a regular file" in out
    assert "copied 2 objects" in out


def test_verify_writes_json_evidence_the_report_reads(tmp_path, capsys, monkeypatch):
    import json

    from homeport.report.evidence import read

    monkeypatch.chdir(tmp_path)
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.bin").write_bytes(b"a" * 10)
    assert main(["data", "copy", str(src), str(tmp_path / "dst"), "--manifest", str(tmp_path / "m.jsonl")]) == 0
    capsys.readouterr()
    (tmp_path / "dst" / "a.bin").write_bytes(b"b" * 10)  # same size, other bytes: only the hash can tell
    assert main(["data", "verify", str(tmp_path / "dst"), "--manifest", str(tmp_path / "m.jsonl"), "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "homeport-data-verify" and doc["clean"] is False
    assert doc["checked"] == 1 and [key for key, _ in doc["mismatched"]] == ["a.bin"]
    (tmp_path / "verify.json").write_text(json.dumps(doc))
    assert read(tmp_path / "verify.json").kind == "data-verify"
