#!/usr/bin/env python3
"""Re-create the files of the accuracy benchmark at their pinned commits.

The benchmark (see README.md next to this script) lists, in ``files.csv``,
which files of which public repositories belong to the evaluation set, and in
``repos.csv`` the commit each repository is pinned to.  This script writes
every listed file, byte for byte as it is at the pinned commit, to

    OUT/<owner>__<name>/<path>

It never copies anything else.  It uses only the Python standard library and
the ``git`` command-line tool.

Two ways to get at the repositories:

* ``--mirror-root DIR``: local git directories already on disk.  For a repo
  ``owner/name`` the script looks, in order, at
      DIR/owner+name/repo      (bare git dir, the layout of the ``fetch`` tool)
      DIR/owner+name           (bare git dir, or a work tree with .git)
      DIR/owner__name
      DIR/owner/name
  and uses the first one that is a git repository containing the pinned
  commit.  With ``--mirror-root`` and without ``--allow-clone`` a missing
  mirror is an error.

* otherwise (or for repos missing from the mirror root when ``--allow-clone``
  is given): a bare partial clone ``git clone --bare --filter=blob:none``
  from https://github.com/owner/name into ``--clone-dir`` (default:
  OUT/.clones), fetching the pinned commit if the default clone lacks it.
  Re-runs reuse the clone.

The script is idempotent: a file whose bytes already match is left alone, so a
second run writes nothing.  ``--check`` only verifies (exit status 1 when a
file is missing or differs).  ``--clean`` removes files under
OUT/<owner>__<name>/ that are not in files.csv.  After writing, the line count
of every file is compared with the ``lines`` column of files.csv (lines are
counted as the number of '\\n'-terminated lines plus one for a final
unterminated line, which is also how label line numbers are counted).

Examples:
    python3 materialize.py --out /tmp/accuracy-corpus --mirror-root /work/.mirror
    python3 materialize.py --out /tmp/accuracy-corpus            # clones from GitHub
    python3 materialize.py --out /tmp/accuracy-corpus --check
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from collections import OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))


class MaterializeError(Exception):
    pass


def read_manifest(manifest_dir):
    repos_csv = os.path.join(manifest_dir, "repos.csv")
    files_csv = os.path.join(manifest_dir, "files.csv")
    for p in (repos_csv, files_csv):
        if not os.path.isfile(p):
            raise MaterializeError(f"manifest file not found: {p}")
    commits = OrderedDict()
    with open(repos_csv, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            repo, commit = row["repo"].strip(), row["commit"].strip()
            if repo.count("/") != 1:
                raise MaterializeError(f"repos.csv: bad repo name {repo!r}")
            if len(commit) != 40 or any(c not in "0123456789abcdef" for c in commit):
                raise MaterializeError(f"repos.csv: {repo}: commit is not a full 40-hex sha: {commit!r}")
            commits[repo] = commit
    files = OrderedDict()
    with open(files_csv, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            repo, path = row["repo"], row["path"]
            if repo not in commits:
                raise MaterializeError(f"files.csv: repo {repo!r} is not in repos.csv")
            if path.startswith("/") or ".." in path.split("/") or "\\" in path:
                raise MaterializeError(f"files.csv: unsafe path {path!r} in {repo}")
            files.setdefault(repo, []).append((path, int(row["lines"])))
    return commits, files


def git(git_dir, *args, binary=False, check=True):
    cmd = ["git", f"--git-dir={git_dir}", *args]
    try:
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise MaterializeError("the 'git' command is not installed or not on PATH")
    if check and res.returncode != 0:
        raise MaterializeError(
            f"git failed ({' '.join(cmd)}): {res.stderr.decode('utf-8', 'replace').strip()}")
    if binary:
        return res
    return res.returncode, res.stdout.decode("utf-8", "replace").strip()


def resolve_git_dir(candidate):
    """Return the git dir for a bare repo or a work tree, or None."""
    if not os.path.isdir(candidate):
        return None
    for gd in (candidate, os.path.join(candidate, ".git")):
        if os.path.isdir(gd) and os.path.exists(os.path.join(gd, "HEAD")) \
                and os.path.isdir(os.path.join(gd, "objects")):
            rc, _ = git(gd, "rev-parse", "--git-dir", check=False)
            if rc == 0:
                return gd
    return None


def has_commit(git_dir, commit):
    rc, _ = git(git_dir, "cat-file", "-e", f"{commit}^{{commit}}", check=False)
    return rc == 0


def find_mirror(mirror_root, repo, commit):
    owner, name = repo.split("/")
    tried = []
    for cand in (os.path.join(mirror_root, f"{owner}+{name}", "repo"),
                 os.path.join(mirror_root, f"{owner}+{name}"),
                 os.path.join(mirror_root, f"{owner}__{name}"),
                 os.path.join(mirror_root, owner, name)):
        gd = resolve_git_dir(cand)
        if gd is None:
            continue
        tried.append(gd)
        if has_commit(gd, commit):
            return gd, tried
    return None, tried


def ensure_clone(clone_root, repo, commit, git_base="https://github.com"):
    owner, name = repo.split("/")
    dest = os.path.join(clone_root, f"{owner}__{name}.git")
    url = f"{git_base.rstrip('/')}/{owner}/{name}"
    if resolve_git_dir(dest) is None:
        if os.path.exists(dest):
            raise MaterializeError(f"{dest} exists but is not a git dir; remove it and retry")
        os.makedirs(clone_root, exist_ok=True)
        print(f"[clone] {url} -> {dest} (partial, blobs on demand)", flush=True)
        res = subprocess.run(["git", "clone", "--bare", "--filter=blob:none", url, dest],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if res.returncode != 0:
            raise MaterializeError(
                f"cannot clone {url}: {res.stderr.decode('utf-8', 'replace').strip()}")
    if not has_commit(dest, commit):
        print(f"[fetch] {repo} {commit}", flush=True)
        rc, _ = git(dest, "fetch", "--filter=blob:none", "origin", commit, check=False)
        if rc != 0 or not has_commit(dest, commit):
            raise MaterializeError(
                f"{repo}: pinned commit {commit} is not reachable from {url} "
                "(force-pushed or deleted?)")
    return dest


def count_lines(data: bytes) -> int:
    if not data:
        return 0
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def write_if_changed(dest, data):
    if os.path.isfile(dest):
        with open(dest, "rb") as fh:
            if fh.read() == data:
                return False
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(dest), prefix=".tmp-materialize-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output folder (OUT/<owner>__<name>/<path>)")
    ap.add_argument("--mirror-root", help="folder holding local git dirs (e.g. /work/.mirror)")
    ap.add_argument("--allow-clone", action="store_true",
                    help="with --mirror-root: clone from GitHub when a mirror is missing")
    ap.add_argument("--clone-dir", help="where partial clones are kept (default: OUT/.clones)")
    ap.add_argument("--git-base", default="https://github.com",
                    help="clone base URL; repos are cloned from GIT_BASE/owner/name (default: %(default)s)")
    ap.add_argument("--manifest-dir", default=HERE, help="folder with repos.csv and files.csv")
    ap.add_argument("--repo", action="append", help="only this owner/name (repeatable)")
    ap.add_argument("--check", action="store_true", help="verify only; write nothing")
    ap.add_argument("--clean", action="store_true",
                    help="delete files under OUT/<owner>__<name>/ that are not listed")
    args = ap.parse_args(argv)

    try:
        commits, files = read_manifest(args.manifest_dir)
    except MaterializeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out = os.path.abspath(args.out)
    clone_root = os.path.abspath(args.clone_dir or os.path.join(out, ".clones"))
    if args.mirror_root and not os.path.isdir(args.mirror_root):
        print(f"error: --mirror-root {args.mirror_root} is not a directory", file=sys.stderr)
        return 2
    selected = [r for r in commits if not args.repo or r in args.repo]
    unknown = [r for r in (args.repo or []) if r not in commits]
    if unknown:
        print(f"error: not in repos.csv: {', '.join(unknown)}", file=sys.stderr)
        return 2

    errors, written, same, total = [], 0, 0, 0
    for repo in selected:
        commit = commits[repo]
        listed = files.get(repo, [])
        try:
            git_dir = None
            if args.mirror_root:
                git_dir, tried = find_mirror(args.mirror_root, repo, commit)
                if git_dir is None and not args.allow_clone:
                    where = ", ".join(tried) if tried else "no git dir found"
                    raise MaterializeError(
                        f"{repo}: commit {commit} not found under {args.mirror_root} ({where}); "
                        "pass --allow-clone to clone it from GitHub")
            if git_dir is None:
                if args.check:
                    git_dir = resolve_git_dir(os.path.join(clone_root, repo.replace('/', '__') + '.git'))
                    if git_dir is None:
                        raise MaterializeError(f"{repo}: no local clone to check against")
                else:
                    git_dir = ensure_clone(clone_root, repo, commit, args.git_base)
        except MaterializeError as e:
            errors.append(str(e))
            continue
        base = os.path.join(out, repo.replace("/", "__"))
        for path, expected_lines in listed:
            total += 1
            res = git(git_dir, "show", f"{commit}:{path}", binary=True, check=False)
            if res.returncode != 0:
                errors.append(f"{repo}: cannot read {path} at {commit}: "
                              f"{res.stderr.decode('utf-8', 'replace').strip()}")
                continue
            data = res.stdout
            n = count_lines(data)
            if n != expected_lines:
                errors.append(f"{repo}: {path}: {n} lines at {commit}, files.csv says {expected_lines}")
            dest = os.path.join(base, *path.split("/"))
            if args.check:
                ok = os.path.isfile(dest) and open(dest, "rb").read() == data
                if ok:
                    same += 1
                else:
                    errors.append(f"{repo}: {path}: missing or different in {base}")
                continue
            if write_if_changed(dest, data):
                written += 1
            else:
                same += 1
        if args.clean and not args.check and os.path.isdir(base):
            keep = {os.path.join(base, *p.split("/")) for p, _ in listed}
            for dirpath, _dirs, fnames in os.walk(base):
                for fn in fnames:
                    fp = os.path.join(dirpath, fn)
                    if fp not in keep:
                        os.unlink(fp)
                        print(f"[clean] removed {fp}")
        print(f"[ok] {repo} @ {commit[:12]}: {len(listed)} files", flush=True)

    verb = "checked" if args.check else "materialized"
    print(f"{verb} {total} files into {out}: {written} written, {same} already up to date, "
          f"{len(errors)} problem(s)")
    for e in errors:
        print(f"error: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
