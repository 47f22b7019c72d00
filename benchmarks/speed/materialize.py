#!/usr/bin/env python3
"""Re-create the speed-benchmark corpus (corpus.csv) at its pinned commits. Standard library only.

    python benchmarks/speed/materialize.py OUT                       # git fetch from GitHub
    python benchmarks/speed/materialize.py OUT --mirror-root DIR     # from local mirrors

Each row of corpus.csv (repo, commit, subpath, lines) becomes OUT/<owner>__<name>/<subpath>/...:
the files of that commit, written from git objects (no checkout, no hooks, nothing run).

A mirror is a bare git directory at DIR/<owner>+<name>/repo (the layout the project's `fetch` tool
produces); any other git directory holding the commit works too via --mirror PATTERN, where
{owner} and {name} are substituted. Without a mirror the commit is fetched (depth 1) from GitHub.

So that both sources give the same tree, files of 4 MiB and more, links and submodules are left out
(the mirrors lack big blobs). `lines` in corpus.csv counts the lines of the .py/.pyi files written;
after writing, each repository's count is checked against it and a mismatch is reported (exit 1).

    python benchmarks/speed/materialize.py --pin owner/name[:subpath] ... --mirror-root DIR
prints new corpus.csv rows for the mirrors' current HEAD (to refresh the corpus).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAX_BLOB = 4 * 1024 * 1024  # the mirrors lack blobs this big; leave them out everywhere
PY_SUFFIXES = (".py", ".pyi")


def count_lines(data: bytes) -> int:
    """Lines as str.splitlines() sees them for ordinary source: newlines plus an unterminated last line."""
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("repo") and not r["repo"].startswith("#")]
    for row in rows:
        if len(row["commit"]) != 40:
            raise SystemExit(f"corpus.csv: {row['repo']}: commit must be a full 40-hex sha, got {row['commit']!r}")
        row["subpath"] = (row.get("subpath") or "").strip().strip("/")
        row["lines"] = int(row["lines"]) if row.get("lines") else None
    return rows


def dest_name(repo: str) -> str:
    owner, name = repo.split("/")
    return f"{owner}__{name}"


def _git(git_dir: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], check=True, capture_output=True, **kw)


def list_tree(git_dir: Path, commit: str, subpath: str) -> list[tuple[str, str, str, int | None]]:
    """(mode, sha, path, size) of every entry under subpath at commit."""
    args = ["ls-tree", "-r", "-l", "-z", commit]
    if subpath:
        args += ["--", subpath]
    out = _git(git_dir, *args).stdout
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, path = record.split(b"\t", 1)
        mode, _type, sha, size = meta.split()
        # "-" for links and submodules; "BAD" where the mirror lacks the blob, which it does only for
        # blobs of 4 MiB and more: count those as big, so mirror and GitHub give the same tree.
        size = None if size == b"-" else MAX_BLOB if size == b"BAD" else int(size)
        entries.append((mode.decode(), sha.decode(), path.decode("utf-8", "surrogateescape"), size))
    return entries


class BlobReader:
    """One long-lived `git cat-file --batch`; asks for one object at a time."""

    def __init__(self, git_dir: Path):
        self.proc = subprocess.Popen(["git", f"--git-dir={git_dir}", "cat-file", "--batch"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def read(self, sha: str) -> bytes | None:
        self.proc.stdin.write(sha.encode() + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline().split()
        if len(header) < 3 or header[1] != b"blob":
            return None  # "<sha> missing": the mirror lacks it
        data = self.proc.stdout.read(int(header[2]))
        self.proc.stdout.read(1)  # the newline after the content
        return data

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def write_tree(git_dir: Path, commit: str, subpath: str, dest: Path) -> dict:
    """Write the files of commit:subpath under dest. Returns counts of what was written and left out."""
    stats = {"files": 0, "py_files": 0, "lines": 0, "left_out_big": 0, "left_out_links": 0, "missing": []}
    reader = BlobReader(git_dir)
    try:
        for mode, sha, path, size in list_tree(git_dir, commit, subpath):
            if mode in ("120000", "160000"):  # link, submodule
                stats["left_out_links"] += 1
                continue
            if size is None or size >= MAX_BLOB:  # None: a type other than blob
                stats["left_out_big"] += 1
                continue
            parts = Path(path).parts
            if any(p in ("", ".", "..") for p in parts) or Path(path).is_absolute():
                raise SystemExit(f"refusing odd path in {git_dir}: {path!r}")
            data = reader.read(sha)
            if data is None:
                stats["missing"].append(path)
                continue
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            if mode == "100755":
                target.chmod(0o755)
            stats["files"] += 1
            if path.endswith(PY_SUFFIXES):
                stats["py_files"] += 1
                stats["lines"] += count_lines(data)
    finally:
        reader.close()
    return stats


def has_commit(git_dir: Path, commit: str) -> bool:
    return subprocess.run(["git", f"--git-dir={git_dir}", "cat-file", "-e", f"{commit}^{{commit}}"],
                          capture_output=True).returncode == 0


def fetch_remote(repo: str, commit: str, into: Path, url_pattern: str) -> Path:
    """A bare repository in `into` holding `commit` (depth 1). GitHub serves any reachable sha."""
    owner, name = repo.split("/")
    url = url_pattern.format(owner=owner, name=name)
    git_dir = into / f"{dest_name(repo)}.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(git_dir)], check=True)
    print(f"  fetching {repo}@{commit[:12]} from {url} ...", flush=True)
    subprocess.run(["git", f"--git-dir={git_dir}", "fetch", "--quiet", "--depth", "1", url, commit], check=True)
    return git_dir


def mirror_for(repo: str, args) -> Path | None:
    owner, name = repo.split("/")
    patterns = []
    if args.mirror:
        patterns.append(args.mirror)
    if args.mirror_root:
        patterns.append(os.path.join(args.mirror_root, "{owner}+{name}", "repo"))
    for pattern in patterns:
        candidate = Path(pattern.format(owner=owner, name=name))
        if candidate.exists():
            return candidate
    return None


def materialize(args) -> int:
    rows = read_rows(Path(args.csv))
    if args.only:
        wanted = {w.strip() for w in args.only.split(",")}
        rows = [r for r in rows if r["repo"] in wanted or dest_name(r["repo"]) in wanted]
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    problems = 0
    total = 0
    with tempfile.TemporaryDirectory(prefix="homeport-corpus-git-") as tmp:
        for row in rows:
            repo, commit, subpath = row["repo"], row["commit"], row["subpath"]
            dest = out / dest_name(repo)
            if dest.exists():
                if not args.force:
                    print(f"{repo}: {dest} exists, kept (use --force to rewrite)")
                    continue
                shutil.rmtree(dest)
            git_dir = mirror_for(repo, args)
            if git_dir is not None and not has_commit(git_dir, commit):
                print(f"{repo}: mirror {git_dir} lacks {commit[:12]}; fetching from GitHub instead")
                git_dir = None
            if git_dir is None:
                if args.offline:
                    print(f"{repo}: no mirror and --offline: skipped", file=sys.stderr)
                    problems += 1
                    continue
                git_dir = fetch_remote(repo, commit, Path(tmp), args.remote_url)
            dest.mkdir(parents=True)
            stats = write_tree(git_dir, commit, subpath, dest)
            total += stats["lines"]
            note = []
            if stats["left_out_big"]:
                note.append(f"{stats['left_out_big']} files >= 4 MiB left out")
            if stats["left_out_links"]:
                note.append(f"{stats['left_out_links']} links/submodules left out")
            if stats["missing"]:
                note.append(f"{len(stats['missing'])} blobs missing from the mirror "
                            f"(e.g. {stats['missing'][0]})")
            expected = row["lines"]
            ok = expected is None or expected == stats["lines"]
            if not ok:
                problems += 1
                note.append(f"LINES MISMATCH: corpus.csv says {expected}")
            print(f"{repo}@{commit[:12]}{'/' + subpath if subpath else ''}: {stats['files']} files, "
                  f"{stats['py_files']} Python files, {stats['lines']} Python lines"
                  + (f" ({'; '.join(note)})" if note else ""), flush=True)
    print(f"corpus at {out}: {total} Python lines written")
    return 1 if problems else 0


def pin(args) -> int:
    """Print corpus.csv rows for the current HEAD of each mirror."""
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["repo", "commit", "subpath", "lines"])
    for spec in args.pin:
        repo, _, subpath = spec.partition(":")
        git_dir = mirror_for(repo, args)
        if git_dir is None:
            raise SystemExit(f"{repo}: no mirror (give --mirror-root or --mirror)")
        commit = _git(git_dir, "rev-parse", "HEAD^{commit}", text=True).stdout.strip()
        lines = 0
        reader = BlobReader(git_dir)
        try:
            for mode, sha, path, size in list_tree(git_dir, commit, subpath.strip("/")):
                if mode in ("120000", "160000") or size is None or size >= MAX_BLOB:
                    continue
                if path.endswith(PY_SUFFIXES):
                    data = reader.read(sha)
                    lines += count_lines(data) if data is not None else 0
        finally:
            reader.close()
        writer.writerow([repo, commit, subpath.strip("/"), lines])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", nargs="?", help="directory to write the corpus into (e.g. /tmp/homeport-corpus)")
    parser.add_argument("--csv", default=str(HERE / "corpus.csv"), help="corpus list (default: %(default)s)")
    parser.add_argument("--mirror-root", help="directory holding <owner>+<name>/repo bare mirrors")
    parser.add_argument("--mirror", help="git-dir pattern with {owner} and {name}, e.g. ~/src/{name}/.git")
    parser.add_argument("--only", help="comma-separated repos (owner/name) to write")
    parser.add_argument("--force", action="store_true", help="rewrite repositories already in OUT")
    parser.add_argument("--offline", action="store_true", help="never fetch from GitHub")
    parser.add_argument("--remote-url", default="https://github.com/{owner}/{name}.git",
                        help="where repositories without a mirror come from (default: %(default)s)")
    parser.add_argument("--pin", nargs="+", metavar="OWNER/NAME[:SUBPATH]",
                        help="print corpus.csv rows for the mirrors' HEAD instead of materializing")
    args = parser.parse_args(argv)
    if args.pin:
        return pin(args)
    if not args.out:
        parser.error("OUT is required")
    return materialize(args)


if __name__ == "__main__":
    sys.exit(main())
