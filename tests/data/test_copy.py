"""Copy, verify and resume between real directories (LocalStore), in-process and in subprocesses that
are killed with SIGKILL; the CLI's exit codes and sentences. No mocks: the faults are real stores that
fail (FlakyStore) and real processes that die."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from homeport.cli.main import main
from homeport.data.copy import copy, in_shard
from homeport.data.manifest import read_manifest
from homeport.data.store import Transient
from homeport.data.stores.local import LocalStore
from homeport.data.verify import verify

HERE = Path(__file__).parent
KIB = 1024
PART = 64 * KIB  # small parts keep the multipart tests fast; a directory accepts any part size
LARGE = {"m-large.bin": 40 * PART + 123, "z-large.bin": 9 * PART}


def make_source(root: Path, small: int = 120, large: dict = LARGE) -> dict[str, bytes]:
    rng = random.Random(7)
    objects = {f"{'az'[i % 2]}{i // 10:02d}/obj-{i:04d}.bin": rng.randbytes(rng.randrange(0, 5000)) for i in range(small)}
    objects.update({key: rng.randbytes(size) for key, size in large.items()})
    for key, data in objects.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)
    return objects


def small_copy(src, dst, journal, **kw):
    return copy(LocalStore(src), LocalStore(dst), journal=journal, workers=4, part_size=PART,
                multipart_threshold=4 * PART, **kw)


def cli(*argv, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from homeport.cli.main import run; run()", *map(str, argv)],
                          cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture
def source(tmp_path):
    make_source(tmp_path / "src")
    return tmp_path / "src"


def test_copy_then_verify_is_clean_and_sha256_lands_everywhere(tmp_path, source):
    result = small_copy(source, tmp_path / "dst", tmp_path / "j.sqlite")
    assert result.ok and result.listed == result.copied == 122
    assert result.parts_uploaded == 41 + 9
    manifest = list(read_manifest(result.manifest))
    assert [e.key for e in manifest] == sorted(e.key for e in manifest)
    dst = LocalStore(tmp_path / "dst")
    for entry in manifest:  # the same SHA-256 in the manifest and in the destination's metadata
        assert dst.head(entry.key).metadata["sha256"] == entry.sha256
    assert verify(dst, manifest=result.manifest).clean
    assert verify(dst, source=LocalStore(source)).clean
    again = small_copy(source, tmp_path / "dst", tmp_path / "j.sqlite")
    assert (again.copied, again.skipped, again.bytes_copied) == (0, 122, 0)


def test_verify_finds_a_corrupted_byte_a_missing_and_an_extra_object(tmp_path, source):
    result = small_copy(source, tmp_path / "dst", tmp_path / "j.sqlite")
    dst = tmp_path / "dst"
    with open(dst / "m-large.bin", "r+b") as fh:  # one byte, in the middle of a part
        fh.seek(10 * PART + 5)
        byte = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([byte[0] ^ 1]))
    (dst / "a00/obj-0000.bin").unlink()
    (dst / "stray.txt").write_text("not from the source")
    proc = cli("data", "verify", dst, "--manifest", result.manifest)
    assert proc.returncode == 1, proc.stderr
    assert "1 mismatched, 1 missing, 1 extra" in proc.stdout
    assert "mismatched: m-large.bin: sha256" in proc.stdout
    assert cli("data", "verify", dst, "--source", source).returncode == 1


def test_a_done_object_the_destination_lost_is_copied_again(tmp_path, source):
    small_copy(source, tmp_path / "dst", tmp_path / "j.sqlite")
    (tmp_path / "dst" / "z-large.bin").unlink()
    again = small_copy(source, tmp_path / "dst", tmp_path / "j.sqlite")
    assert (again.copied, again.skipped, again.parts_uploaded) == (1, 121, 9)
    assert verify(LocalStore(tmp_path / "dst"), source=LocalStore(source)).clean


class FlakyStore(LocalStore):
    """A directory that answers 503 SlowDown to the first `fails` GETs of every key."""

    def __init__(self, path, fails: int):
        super().__init__(path)
        self.fails, self.seen = fails, {}

    def get(self, key, start=0, end=None):
        n = self.seen[key, start] = self.seen.get((key, start), 0) + 1
        if n <= self.fails:
            raise Transient("503 SlowDown")
        return super().get(key, start, end)


def test_transient_errors_are_retried_then_the_object_fails_and_a_rerun_copies_it(tmp_path):
    make_source(tmp_path / "src", small=6, large={"big.bin": 5 * PART})
    flaky = FlakyStore(tmp_path / "src", fails=2)
    kw = dict(journal=tmp_path / "j.sqlite", workers=3, part_size=PART, multipart_threshold=4 * PART, backoff=0.001)
    assert copy(flaky, LocalStore(tmp_path / "dst"), attempts=3, **kw).copied == 7  # 2 fails, the 3rd try wins
    shy = FlakyStore(tmp_path / "src2", fails=5)
    make_source(tmp_path / "src2", small=6, large={"big.bin": 5 * PART})
    kw["journal"] = tmp_path / "j2.sqlite"
    failed = copy(shy, LocalStore(tmp_path / "dst2"), attempts=3, **kw)
    assert len(failed.failed) == 7 and "503 SlowDown" in failed.failed[0][1]
    assert copy(shy, LocalStore(tmp_path / "dst2"), attempts=6, **kw).ok  # a rerun retries the failed ones
    assert verify(LocalStore(tmp_path / "dst2"), source=LocalStore(tmp_path / "src2")).clean


def _journal_state(path: Path) -> tuple[set[str], int]:
    """(keys done, parts of m-large.bin uploaded) as another process sees them."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        done = {k for (k,) in db.execute("SELECT key FROM objects WHERE state = 'done'")}
        parts = db.execute("SELECT COUNT(*) FROM parts WHERE key = 'm-large.bin'").fetchone()[0]
        db.close()
        return done, parts
    except sqlite3.Error:  # not created yet
        return set(), 0


def _worker(tmp_path, log, delay):
    return [sys.executable, str(HERE / "copy_worker.py"), tmp_path / "src", tmp_path / "dst",
            tmp_path / "j.sqlite", log, str(delay)]


def test_kill_9_mid_copy_then_resume_writes_no_finished_object_or_part_twice(tmp_path, source):
    proc = subprocess.Popen(_worker(tmp_path, tmp_path / "run1.log", 0.01))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, parts = _journal_state(tmp_path / "j.sqlite")
        if parts >= 3 and "m-large.bin" not in done:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done, _ = _journal_state(tmp_path / "j.sqlite")
    db = sqlite3.connect(f"file:{tmp_path / 'j.sqlite'}?mode=ro", uri=True)
    [(upload_id,)] = db.execute("SELECT upload_id FROM objects WHERE key = 'm-large.bin'").fetchall()
    db.close()
    upload = tmp_path / "dst" / ".homeport-parts" / upload_id  # the other large object may be in flight too
    parts_before = {int(p.name.split("-")[0]) for p in upload.iterdir() if p.name[0].isdigit()}
    inodes = {k: (tmp_path / "dst" / k).stat().st_ino for k in done}
    assert 10 <= len(done) < 122 and 3 <= len(parts_before) < 41, (len(done), parts_before)

    rerun = subprocess.run(_worker(tmp_path, tmp_path / "run2.log", 0), timeout=60)
    assert rerun.returncode == 0
    rewritten = (tmp_path / "run2.log").read_text().splitlines()
    assert not [line for line in rewritten if line.split()[1] in done]  # no finished object written again
    again = {int(line.split()[2]) for line in rewritten if line.startswith("part m-large.bin")}
    assert again == set(range(1, 42)) - parts_before  # only the missing parts of the large object
    assert {k: (tmp_path / "dst" / k).stat().st_ino for k in done} == inodes
    manifest = next((tmp_path).glob("j.manifest.jsonl"))
    assert verify(LocalStore(tmp_path / "dst"), manifest=manifest).clean
    assert verify(LocalStore(tmp_path / "dst"), source=LocalStore(source)).clean


def test_shards_in_separate_processes_cover_every_key_exactly_once(tmp_path, source):
    n = 3
    procs = [subprocess.Popen([sys.executable, "-c", "from homeport.cli.main import run; run()", "data", "copy",
                               str(source), str(tmp_path / "dst"), "--shard", f"{k}/{n}", "--workers", "2",
                               "--manifest", str(tmp_path / f"m{k}.jsonl")], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for k in range(n)]
    assert [p.wait(60) for p in procs] == [0] * n
    shards = [{e.key for e in read_manifest(tmp_path / f"m{k}.jsonl")} for k in range(n)]
    everything = {o.key for o in LocalStore(source).list()}
    assert sum(map(len, shards)) == len(everything) and set().union(*shards) == everything
    assert all(shards)  # 122 keys: every worker got some
    assert all(in_shard(key, (k, n)) for k, keys in enumerate(shards) for key in keys)
    assert verify(LocalStore(tmp_path / "dst"), source=LocalStore(source)).clean


# -- the command line ----------------------------------------------------------------------------------

def test_plan_then_dry_run_then_copy(tmp_path, source, capsys):
    assert main(["data", "plan", str(source), str(tmp_path / "dst"), "--manifest", str(tmp_path / "p.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "122 objects" in out and "time: about" in out and "egress cost: not estimated" in out
    assert len(list(read_manifest(tmp_path / "p.jsonl"))) == 122
    journal = tmp_path / "j.sqlite"
    args = ["data", "copy", str(source), str(tmp_path / "dst"), "--journal", str(journal), "--part-size", "64KiB",
            "--multipart-threshold", "256KiB"]
    assert main([*args, "--dry-run"]) == 0
    assert "would copy 122 of 122 objects" in capsys.readouterr().out
    assert not journal.exists() and not (tmp_path / "dst").exists()
    assert main(args) == 0
    assert "copied 122 objects" in capsys.readouterr().out
    assert main(["data", "verify", str(tmp_path / "dst"), "--manifest", str(tmp_path / "p.jsonl")]) == 0
    assert "122 objects had no SHA-256" in capsys.readouterr().out  # a plan manifest: sizes only, and it says so


def _nothing_written(cwd: Path, before: set) -> bool:
    return {p for p in cwd.rglob("*")} == before


@pytest.mark.parametrize("argv, sentence", [
    (["data", "copy", "{tmp}/missing", "{tmp}/dst"], "does not exist"),
    (["data", "copy", "{src}", "{tmp}/dst", "--shard", "3/3"], "is not a shard"),
    (["data", "copy", "{src}", "{tmp}/dst", "--part-size", "lots"], "is not a size"),
    (["data", "verify", "{src}", "--manifest", "{tmp}/absent.jsonl"], "Cannot read the manifest"),
    (["data", "verify", "{src}", "--manifest", "{tmp}/bad.jsonl"], "malformed at line 2"),
    (["data", "verify", "{src}", "--manifest", "{tmp}/unsorted.jsonl"], "not in key order"),
    (["data", "verify", "{src}", "--manifest", "{src}/z-large.bin"], "is malformed at line 1"),
    (["data", "verify", "{src}"], "one of the arguments --manifest --source is required"),
])
def test_cli_errors_exit_2_with_a_sentence_and_write_nothing(tmp_path, source, capsys, monkeypatch, argv, sentence):
    (tmp_path / "bad.jsonl").write_text('{"key": "a", "size": 1}\n{"key": "b"}\n')
    (tmp_path / "unsorted.jsonl").write_text('{"key": "b", "size": 1}\n{"key": "a", "size": 1}\n')
    before = set(tmp_path.rglob("*"))
    monkeypatch.chdir(tmp_path)  # the default journal would land here
    code = main([a.format(tmp=tmp_path, src=source) for a in argv])
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert code == 2 and sentence in err and "Traceback" not in err
    assert _nothing_written(tmp_path, before)


def test_the_manifest_is_one_json_object_per_line(tmp_path, source):
    result = small_copy(source, tmp_path / "dst", tmp_path / "j.sqlite")
    first = json.loads(result.manifest.read_text().splitlines()[0])
    assert set(first) == {"key", "size", "sha256", "etag", "mtime"}


def test_moto_to_rclone_copy_verifies_clean(moto_location, rclone_location, tmp_path):
    """The hyperscaler side (moto) to the sovereign side (rclone serve s3, files on disk), with parts of
    5 MiB (AWS's smallest) and rclone's quirks (ranged GETs answered 200, metadata keys re-cased)."""
    from homeport.data.locations import open_store

    src, dst = open_store(moto_location), open_store(rclone_location)
    rng = random.Random(3)
    objects = {f"shard-{i:03d}.tar": rng.randbytes(rng.randrange(1, 300 * KIB)) for i in range(12)}
    objects["checkpoints/step-100.pt"] = rng.randbytes(11 * 1024 * KIB)  # three parts: 5 + 5 + 1 MiB
    for key, data in objects.items():
        src.put(key, [data])
    result = copy(src, dst, journal=tmp_path / "j.sqlite", workers=4, part_size=5 * 1024 * KIB,
                  multipart_threshold=6 * 1024 * KIB)
    assert result.ok and result.copied == 13 and result.parts_uploaded == 3
    assert verify(dst, manifest=result.manifest).clean
    assert verify(dst, source=src).clean
    sha = {e.key: e.sha256 for e in read_manifest(result.manifest)}
    assert dst.head("shard-000.tar").metadata["sha256"] == sha["shard-000.tar"]
    # a multipart object learns its SHA-256 at the end: set by copying the object onto itself
    assert dst.head("checkpoints/step-100.pt").metadata["sha256"] == sha["checkpoints/step-100.pt"]
    assert b"".join(dst.get("checkpoints/step-100.pt")) == objects["checkpoints/step-100.pt"]


DEPLOY = HERE.parents[1] / "deploy" / "data-copy"


def test_the_kubernetes_indexed_job_and_the_slurm_array_line_up_with_their_shards():
    import re

    import yaml

    from homeport.cli.main import build_parser

    job = yaml.safe_load((DEPLOY / "k8s-indexed-job.yaml").read_text())
    spec = job["spec"]
    args = spec["template"]["spec"]["containers"][0]["args"]
    shard = args[args.index("--shard") + 1]
    n = int(shard.removeprefix("$(JOB_COMPLETION_INDEX)/"))
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"] == n
    for k in range(n):  # what each pod runs, once Kubernetes has expanded $(JOB_COMPLETION_INDEX)
        parsed = build_parser().parse_args([a.replace("$(JOB_COMPLETION_INDEX)", str(k)) for a in args])
        assert parsed.shard == (k, n) and str(k) in parsed.journal

    script = (DEPLOY / "slurm-array.sh").read_text()
    first, last = map(int, re.search(r"^#SBATCH --array=(\d+)-(\d+)$", script, re.M).groups())
    [m] = re.findall(r'--shard "\$SLURM_ARRAY_TASK_ID/(\d+)"', script)
    assert (first, last + 1) == (0, int(m))  # task ids 0..N-1, as --shard K/N counts


def test_kill_9_of_the_cli_between_real_servers_then_resume(moto_location, rclone_server, rclone_location, tmp_path,
                                                          monkeypatch):
    """`homeport data copy s3://... sov:...` killed with SIGKILL mid-copy (the destination slowed by the
    latency proxy so there is a middle), then run again: every object verified, and the objects the
    first run finished keep the very files rclone wrote for them (same inode and mtime on its disk)."""
    from homeport.data.latency import LatencyProxy
    from homeport.data.locations import open_store

    src = open_store(moto_location)
    rng = random.Random(9)
    for i in range(40):
        src.put(f"s-{i:03d}.bin", [rng.randbytes(50 * KIB)])
    port = int(rclone_server.endpoint.rsplit(":", 1)[1])
    with LatencyProxy("127.0.0.1", port, delay_s=0.05) as proxy:
        monkeypatch.setenv("HOMEPORT_REMOTE_SOV_ENDPOINT", proxy.url)
        journal = tmp_path / "j.sqlite"
        argv = [sys.executable, "-c", "from homeport.cli.main import run; run()", "data", "copy",
                str(moto_location), str(rclone_location), "--workers", "2", "--journal", str(journal)]
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        done: set[str] = set()
        while time.monotonic() < deadline and len(done) < 5:
            done, _ = _journal_state(journal)
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        done, _ = _journal_state(journal)
        assert 5 <= len(done) < 40
        bucket_dir = rclone_server.root / rclone_location.bucket / "data"
        stamps = {k: ((bucket_dir / k).stat().st_ino, (bucket_dir / k).stat().st_mtime_ns) for k in done}
        assert subprocess.run(argv, timeout=120).returncode == 0
    assert {k: ((bucket_dir / k).stat().st_ino, (bucket_dir / k).stat().st_mtime_ns) for k in done} == stamps
    assert verify(open_store(rclone_location), source=src).clean


class _ChangesMidCopy(LocalStore):
    """A real local source whose object `big` is rewritten (same size) after its first part is read."""

    def __init__(self, path):
        super().__init__(path)
        self.reads = 0

    def get(self, key, start=0, end=None):
        data = b"".join(super().get(key, start, end))
        self.reads += 1
        if key == "big" and self.reads == 1:
            (self.root / "big").write_bytes(b"B" * 300_000)
        yield data


def test_an_object_changed_mid_copy_is_not_stored_as_a_mix_of_versions(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "big").write_bytes(b"A" * 300_000)
    src = _ChangesMidCopy(tmp_path / "src")
    result = copy(src, LocalStore(tmp_path / "dst"), journal=tmp_path / "j.sqlite", workers=1,
                  part_size=100_000, multipart_threshold=100_000)
    assert [k for k, _ in result.failed] == ["big"] and "changed while it was copied" in result.failed[0][1]
    assert not (tmp_path / "dst" / "big").exists()
    again = copy(LocalStore(tmp_path / "src"), LocalStore(tmp_path / "dst"), journal=tmp_path / "j.sqlite",
                 workers=1, part_size=100_000, multipart_threshold=100_000)
    assert again.ok and (tmp_path / "dst" / "big").read_bytes() == b"B" * 300_000


def test_a_destination_inside_the_source_is_refused(tmp_path, source):
    from homeport.core.errors import UsageError

    with pytest.raises(UsageError, match="inside the source"):
        copy(LocalStore(source), LocalStore(source / "backup"), journal=tmp_path / "j.sqlite")
    assert not (source / "backup").exists() and not (tmp_path / "j.sqlite").exists()


def test_a_missing_destination_bucket_stops_the_copy_before_anything_is_written(moto_location, moto_server,
                                                                               tmp_path):
    from homeport.data.locations import open_store, parse_location
    from homeport.data.store import NotFound

    src = open_store(moto_location)
    src.put("a.bin", [b"x"])
    missing = open_store(parse_location("s3://no-such-bucket-here/q", config={}))
    with pytest.raises(NotFound, match="no-such-bucket-here"):
        copy(src, missing, journal=tmp_path / "j.sqlite")
    assert not (tmp_path / "j.sqlite").exists()


def test_an_error_outside_the_retry_leaves_the_object_failed_not_copied(tmp_path, source):
    """A journal write that fails for one key (a fault injected by subclassing the real Journal) must not
    let the copy report success."""
    from homeport.data.journal import Journal

    victim = next(info.key for info in LocalStore(source).list())

    class FlakyJournal(Journal):
        def done(self, key, sha256):
            if key == victim:
                raise RuntimeError("database is locked")
            return super().done(key, sha256)

    result = copy(LocalStore(source), LocalStore(tmp_path / "dst"), journal=FlakyJournal(tmp_path / "j.sqlite"))
    assert not result.ok and [k for k, _ in result.failed] == [victim]


def test_a_part_size_s3_would_refuse_is_refused_before_anything_is_written(moto_location, rclone_location,
                                                                          tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["data", "copy", str(moto_location), str(rclone_location), "--part-size", "1MiB"])
    err = capsys.readouterr().err
    assert code == 2 and "outside what" in err and "5MiB to 5GiB" in err
    assert not (tmp_path / ".homeport").exists()


def test_an_empty_source_warns_and_a_bad_manifest_path_is_refused_before_copying(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    assert main(["data", "copy", str(tmp_path / "empty"), str(tmp_path / "dst")]) == 0
    assert "nothing listed under" in capsys.readouterr().out
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.bin").write_bytes(b"x")
    assert main(["data", "copy", str(tmp_path / "src"), str(tmp_path / "dst2"), "--manifest",
                 str(tmp_path / "no-such-dir" / "m.jsonl")]) == 2
    assert "cannot write the manifest" in capsys.readouterr().err and not (tmp_path / "dst2").exists()


def test_a_manifest_with_a_number_for_a_hash_is_a_sentence_not_a_traceback(tmp_path, capsys):
    bad = tmp_path / "m.jsonl"
    bad.write_text('{"key": "a", "size": 2, "sha256": 5}\n')
    (tmp_path / "d").mkdir()
    assert main(["data", "verify", str(tmp_path / "d"), "--manifest", str(bad)]) == 2
    assert "malformed at line 1" in capsys.readouterr().err


def test_a_finished_object_replaced_at_the_destination_by_another_of_the_same_size_is_copied_again(tmp_path, source):
    first = small_copy(source, tmp_path / "dst", tmp_path / "j.sqlite")
    key = next(e.key for e in read_manifest(first.manifest) if e.size > 0)
    dst = LocalStore(tmp_path / "dst")
    original = (tmp_path / "dst" / key).read_bytes()
    dst.put(key, [bytes(len(original))], metadata={"sha256": "0" * 64})  # someone else's object, same size
    again = small_copy(source, tmp_path / "dst", tmp_path / "j.sqlite")
    assert again.ok and again.copied == 1
    assert (tmp_path / "dst" / key).read_bytes() == original


def test_a_destination_prefix_inside_the_source_prefix_of_one_bucket_is_refused(moto_location, tmp_path):
    """The copy starts while the source is listed, so a destination inside it would be listed and copied
    again, level after level: refused before anything is written. A sibling prefix is fine."""
    from homeport.core.errors import UsageError
    from homeport.data.locations import open_store

    src = open_store(moto_location)
    src.put("a.bin", [b"x"])
    with pytest.raises(UsageError, match="inside the source"):
        copy(src, open_store(moto_location.child("backup")), journal=tmp_path / "j.sqlite")
    assert not (tmp_path / "j.sqlite").exists() and [o.key for o in src.list()] == ["a.bin"]
    sibling = open_store(replace(moto_location, text=str(moto_location) + "-copy", prefix=moto_location.prefix + "-copy"))
    assert copy(src, sibling, journal=tmp_path / "j2.sqlite").copied == 1
