#!/usr/bin/env python3
"""Score `homeport assess` against the labels: precision and recall per category, at line level.

A prediction is (repo, path, line, category) from homeport's findings (several findings on one line
in one category count once); the truth is labels.csv. Only files listed in files.csv count, and the
(line, category) pairs of doubtful.csv count neither way.

    python3 benchmarks/accuracy/materialize.py --out /tmp/accuracy-corpus --mirror-root /work/.mirror
    .venv/bin/python benchmarks/accuracy/evaluate.py --corpus /tmp/accuracy-corpus [--errors]
    (held-out set: materialize.py/evaluate.py --manifest-dir benchmarks/accuracy/heldout)
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import platform
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
CATEGORIES = ("accelerator", "cloud", "dependency")


MANIFEST = HERE  # the folder with files.csv, labels.csv, doubtful.csv (--manifest-dir)


def read(name: str) -> list[dict]:
    with open(MANIFEST / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def repo_dir(repo: str) -> str:
    return repo.replace("/", "__")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", required=True, type=Path, help="the folder materialize.py wrote")
    parser.add_argument("--manifest-dir", type=Path, default=HERE,
                        help="the labeled set to score (default: this folder; heldout/ is the held-out set)")
    parser.add_argument("--target", default="portable")
    parser.add_argument("--errors", action="store_true", help="list every false positive and false negative")
    parser.add_argument("--json", type=Path, help="write the figures here (default: results-<date>.json)")
    args = parser.parse_args(argv)
    global MANIFEST
    MANIFEST = args.manifest_dir.resolve()

    from homeport import __version__, assess

    scope = {(repo_dir(r["repo"]), r["path"]) for r in read("files.csv")}
    missing = [f"{d}/{p}" for d, p in sorted(scope) if not (args.corpus / d / p).is_file()]
    if missing:
        print(f"error: {len(missing)} files of files.csv are not in {args.corpus} (first: {missing[0]})\n"
              "  what to do: run materialize.py --out with the same folder first", file=sys.stderr)
        return 2
    truth = {(repo_dir(r["repo"]), r["path"], int(r["line"]), r["category"]): r["snippet"] for r in read("labels.csv")
             if r["category"] in CATEGORIES}
    # Pairs a careful reader could judge either way are left out of the score, found or not.
    doubtful = {(repo_dir(r["repo"]), r["path"], int(r["line"]), r["category"]) for r in read("doubtful.csv")}
    truth = {k: v for k, v in truth.items() if k not in doubtful}
    result = assess(args.corpus, target=args.target)
    predicted: dict[tuple, str] = {}
    for f in result.findings:
        repo, _, path = f.location.path.partition("/")
        key = (repo, path, f.location.line, f.category.value)
        if (repo, path) in scope and key[3] in CATEGORIES and key not in doubtful:
            predicted.setdefault(key, f"{f.rule} {f.snippet}")
    skipped = [s for s in result.skipped if tuple(s.path.split("/", 1)) in scope]

    figures = {}
    for cat in CATEGORIES:
        t = {k for k in truth if k[3] == cat}
        p = {k for k in predicted if k[3] == cat}
        tp = len(t & p)
        figures[cat] = {"labels": len(t), "predicted": len(p), "true_positives": tp,
                        "false_positives": len(p - t), "false_negatives": len(t - p),
                        "precision": round(tp / len(p), 4) if p else 1.0,
                        "recall": round(tp / len(t), 4) if t else 1.0}
    print(f"homeport {__version__}, target {args.target}: {len(scope)} files, {len(truth)} labels, "
          f"{len(skipped)} files skipped")
    print(f"{'category':<12} {'labels':>7} {'found':>7} {'TP':>5} {'FP':>5} {'FN':>5} {'precision':>10} {'recall':>8}")
    for cat, f in figures.items():
        print(f"{cat:<12} {f['labels']:>7} {f['predicted']:>7} {f['true_positives']:>5} {f['false_positives']:>5} "
              f"{f['false_negatives']:>5} {f['precision']:>10.3f} {f['recall']:>8.3f}")
    if args.errors:
        for title, keys, source in (("false positives", set(predicted) - set(truth), predicted),
                                    ("false negatives", set(truth) - set(predicted), truth)):
            by_cat = defaultdict(list)
            for k in sorted(keys):
                by_cat[k[3]].append(k)
            for cat in CATEGORIES:
                for repo, path, line, _ in by_cat[cat]:
                    print(f"{title[:-1]:<15} {cat:<11} {repo}/{path}:{line}  {source[(repo, path, line, cat)][:100]}")
    for s in skipped:
        print(f"skipped: {s.path}: {s.reason}")
    out = args.json or MANIFEST / f"results-{dt.date.today().isoformat()}.json"
    out.write_text(json.dumps({"date": dt.date.today().isoformat(), "homeport": __version__, "target": args.target,
                               "machine": platform.platform(), "files": len(scope), "labels": len(truth),
                               "figures": figures, "skipped": [s.to_dict() for s in skipped]}, indent=2) + "\n")
    print(f"wrote {out}")
    ok = all(f["precision"] >= 0.97 and f["recall"] >= 0.95 for f in figures.values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
