"""The evidence `homeport report` reads: files the other commands wrote, recognised by their `kind` or
schema, never by their name.

Two ways in. Files named by the user must be evidence: one that cannot be read or recognised stops the
report with a sentence (exit 2). Folders (`reports/`, `.homeport/`) are scanned: a file there that is not
evidence is listed as skipped with its reason, never dropped in silence (pip-audit's contract).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from homeport.core.errors import HomeportError

# kind -> the command that writes it, in words (the report tells people how to get what is missing)
KINDS = {
    "assessment": "homeport assess PATH -f json -o reports/assessment.json",
    "port": "homeport port PATH --log reports/port.json",
    "data-plan": "homeport data plan SRC DST -f json --manifest reports/manifest.jsonl > reports/data-plan.json",
    "data-manifest": "homeport data copy SRC DST --manifest reports/manifest.jsonl",
    "data-verify": "homeport data verify DST --manifest reports/manifest.jsonl",
    "fence-log": "homeport fence run --policy POLICY --audit-log reports/fence-audit.jsonl -- COMMAND",
    "fence-check": "homeport fence check HOST --policy POLICY -f json > reports/fence-check.json",
    "bench": "homeport bench --out reports/bench.json",
    "bench-parity": "homeport bench parity SOURCE.json TARGET.json -f json > reports/parity.json",
    "cost": "homeport cost JOB.yaml -f json -o reports/cost.json",
    "plan": "homeport plan init --from SOURCE --to TARGET (the migration file, homeport-plan.yaml)",
}
DEFAULT_FOLDERS = ("reports", ".homeport")
DEFAULT_PLAN = "homeport-plan.yaml"  # where `homeport plan` keeps the migration file by default
SCAN_DEPTH = 3  # folder levels read below a scanned folder: .homeport/data/<job>/ and no further
MAX_JSON_BYTES = 256 * 1024 * 1024  # a JSON document is read whole; a manifest (JSONL) streams
READ_SUFFIXES = (".json", ".jsonl")
YAML_SUFFIXES = (".yaml", ".yml")  # only a migration file (`kind: homeport-plan`) is evidence


@dataclass
class Item:
    kind: str
    path: Path
    doc: object  # the parsed document; for JSONL, a summary built while streaming


@dataclass(frozen=True)
class Skip:
    path: str
    reason: str


@dataclass
class Evidence:
    items: list[Item] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)  # the folders that were scanned

    def of(self, kind: str) -> list[Item]:
        return [i for i in self.items if i.kind == kind]

    def first(self, kind: str) -> Item | None:
        found = self.of(kind)
        return found[-1] if found else None  # the newest: items are in modification order


class NotEvidence(Exception):
    """A file that is no homeport evidence: the message says what it is, or what was wrong."""


def collect(paths: list[str | os.PathLike], *, default_roots: list[Path] = ()) -> Evidence:
    """Read the evidence in `paths` (files and folders); with none, scan DEFAULT_FOLDERS under each root."""
    out = Evidence()
    if not paths:
        paths = [root / name for root in default_roots for name in DEFAULT_FOLDERS if (root / name).is_dir()]
        paths += [root / DEFAULT_PLAN for root in default_roots if (root / DEFAULT_PLAN).is_file()]
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            out.folders.append(str(path))
            _scan(path, out, seen)
        elif path.exists():
            if path.resolve() not in seen:
                seen.add(path.resolve())
                out.items.append(_explicit(path))
        else:
            raise HomeportError(f"evidence not found: {path}", expected="a file homeport wrote, or a folder of them",
                                hint="check the path; `homeport report --help` lists what each phase writes")
    out.items.sort(key=lambda i: (_mtime(i.path), str(i.path)))
    return out


def _explicit(path: Path) -> Item:
    try:
        return read(path)
    except NotEvidence as why:
        raise HomeportError(f"{path} is not evidence homeport can read", got=str(why),
                            hint="give a file written by assess -f json, port --log, bench --out, cost -f json, "
                                 "data plan -f json, a data manifest or a fence audit log; "
                                 "`homeport report --help` lists every kind") from None


def _scan(folder: Path, out: Evidence, seen: set[Path]) -> None:
    others: list[str] = []
    for path in _walk(folder):
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        if path.suffix == ".sarif":
            out.skipped.append(Skip(str(path), "SARIF holds the same findings as the assessment JSON, which the "
                                               "report reads (homeport assess -f json)"))
        elif path.suffix in YAML_SUFFIXES:
            try:
                out.items.append(read(path))
            except NotEvidence:
                others.append(path.name)
        elif path.suffix not in READ_SUFFIXES:
            others.append(path.name)
        else:
            try:
                out.items.append(read(path))
            except NotEvidence as why:
                out.skipped.append(Skip(str(path), str(why)))
    if others:
        shown = ", ".join(sorted(others)[:6]) + (f" and {len(others) - 6} more" if len(others) > 6 else "")
        out.skipped.append(Skip(f"{folder}/", f"{len(others)} file(s) not read ({shown}): the report reads the "
                                               "JSON and JSONL evidence homeport writes"))


def _walk(folder: Path):
    """Files under `folder`, SCAN_DEPTH levels deep, in name order; a ported copy of the tree is source code,
    not evidence, and is not entered."""
    base = len(folder.parts)
    for current, dirs, files in os.walk(folder):
        depth = len(Path(current).parts) - base
        dirs[:] = sorted(d for d in dirs if depth + 1 < SCAN_DEPTH and not _is_source_tree(Path(current) / d))
        for name in sorted(files):
            yield Path(current) / name


def _is_source_tree(path: Path) -> bool:
    return path.name in ("ported", "node_modules", "__pycache__") or (path / ".git").exists()


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


# -- recognising one file ---------------------------------------------------------------------------

def read(path: Path) -> Item:
    """The evidence in `path`, or NotEvidence saying why not."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(64 * 1024)
    except OSError as exc:
        raise NotEvidence(f"not readable ({exc.strerror or exc})") from None
    if not head.strip():
        raise NotEvidence("an empty file")
    if path.suffix in YAML_SUFFIXES:
        return _read_yaml(path)
    if _looks_like_jsonl(head):
        return _read_jsonl(path)
    if size > MAX_JSON_BYTES:
        raise NotEvidence(f"a JSON file of {size / 2**20:.0f} MiB, larger than any report homeport writes")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise NotEvidence("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise NotEvidence(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except OSError as exc:
        raise NotEvidence(f"not readable ({exc.strerror or exc})") from None
    return Item(classify(doc), path, doc)


def _read_yaml(path: Path) -> Item:
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise NotEvidence(f"not readable YAML ({first})") from None
    if not isinstance(doc, dict) or doc.get("kind") != "homeport-plan":
        raise NotEvidence("a YAML file that is not a migration file (`kind: homeport-plan`)")
    return Item("plan", path, doc)


def classify(doc) -> str:
    """The kind of a JSON document, or NotEvidence."""
    if not isinstance(doc, dict):
        raise NotEvidence(f"a JSON {type(doc).__name__}, not an object with a `kind` or a homeport schema")
    kind = doc.get("kind")
    if kind == "homeport-bench":
        from homeport.bench.results import problems

        bad = problems(doc)
        if bad:
            raise NotEvidence(f"a bench result that breaks its schema: {'; '.join(bad[:3])}")
        return "bench"
    if kind == "homeport-bench-parity":
        return _checked(doc, "bench-parity", ("verdict", "workload", "mean_a", "mean_b", "lower", "upper"))
    if kind == "homeport-cost":
        _version(doc, 1, "cost report")
        return _checked(doc, "cost", ("job", "currency", "source", "offers", "catalog_rows"))
    if doc.get("tool") == "homeport port":
        _version(doc, 1, "port change log")
        return _checked(doc, "port", ("target", "totals", "changes", "files"))
    if "findings" in doc and "inventory" in doc and "summary" in doc:
        _version(doc, 1, "assessment")
        return _checked(doc, "assessment", ("root", "target", "rules", "skipped"))
    if {"objects", "bytes", "manifest", "egress_detail"} <= doc.keys():
        return "data-plan"
    if kind == "homeport-data-verify" or {"checked", "ok", "counts"} <= doc.keys():  # `data verify -f json`
        return "data-verify"
    if {"target", "policy", "verdict", "rule"} <= doc.keys():
        return "fence-check"
    if "$schema" in doc and "sarif" in str(doc.get("$schema")):
        raise NotEvidence("SARIF: the report reads the assessment JSON (homeport assess -f json)")
    raise NotEvidence("a JSON object with no homeport `kind` or schema the report knows")


def _version(doc: dict, want: int, what: str) -> None:
    got = doc.get("schema_version")
    if got != want:
        raise NotEvidence(f"a {what} of schema_version {got!r}; this homeport reads {want}: write it again")


def _checked(doc: dict, kind: str, fields: tuple[str, ...]) -> str:
    missing = [f for f in fields if f not in doc]
    if missing:
        raise NotEvidence(f"looks like {kind} evidence but lacks {', '.join(missing)}")
    return kind


def _looks_like_jsonl(head: bytes) -> bool:
    """Several JSON objects, one a line (a manifest, an audit log), rather than one document."""
    lines = [line for line in head.split(b"\n") if line.strip()]
    if not lines or not lines[0].lstrip().startswith(b"{"):
        return False
    try:
        first = json.loads(lines[0])
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(first, dict) and ({"key", "size"} <= first.keys() or {"verdict", "host"} <= first.keys())


@dataclass
class ManifestSummary:
    objects: int = 0
    bytes: int = 0
    hashed: int = 0  # entries with a SHA-256 (written by a copy; a plan's manifest has sizes only)
    by_prefix: dict = field(default_factory=dict)  # first path segment -> [objects, bytes]


@dataclass
class AuditSummary:
    lines: int = 0
    unreadable: int = 0
    verdicts: dict = field(default_factory=dict)  # allow|deny|audit -> lines
    # (verdict, host, port) -> {count, country, provider, rule, reason, catalog_row}
    destinations: dict = field(default_factory=dict)
    first: str = ""
    last: str = ""


def _read_jsonl(path: Path) -> Item:
    """A manifest or a fence audit log, summarised while streaming (a manifest may list millions of keys)."""
    manifest, audit = ManifestSummary(), AuditSummary()
    kind = None
    try:
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    kind = kind or ("data-manifest" if "key" in row else "fence-log")
                    if kind == "data-manifest":
                        _add_entry(manifest, row)
                    else:
                        _add_decision(audit, row)
                except (ValueError, KeyError, TypeError, AttributeError):
                    if kind == "fence-log":  # the fence writes from many processes: a torn line is counted
                        audit.unreadable += 1
                        continue
                    raise NotEvidence(f"a manifest with a malformed line {number}: {line[:80].strip()!r}") from None
    except UnicodeDecodeError:
        raise NotEvidence("not UTF-8 text") from None
    except OSError as exc:
        raise NotEvidence(f"not readable ({exc.strerror or exc})") from None
    return Item(kind, path, manifest if kind == "data-manifest" else audit)


def _add_entry(summary: ManifestSummary, row: dict) -> None:
    key, size = str(row["key"]), int(row["size"])
    summary.objects += 1
    summary.bytes += size
    summary.hashed += bool(row.get("sha256"))
    prefix = key.split("/", 1)[0] if "/" in key else "(top level)"
    counts = summary.by_prefix.setdefault(prefix, [0, 0])
    counts[0] += 1
    counts[1] += size


def _add_decision(summary: AuditSummary, row: dict) -> None:
    verdict, host = str(row["verdict"]), str(row["host"])
    summary.lines += 1
    summary.verdicts[verdict] = summary.verdicts.get(verdict, 0) + 1
    stamp = str(row.get("time", ""))
    summary.first = min(summary.first, stamp) if summary.first else stamp
    summary.last = max(summary.last, stamp)
    key = (verdict, host, row.get("port"))
    seen = summary.destinations.setdefault(key, {"count": 0, "country": row.get("country", ""),
                                                 "provider": row.get("provider", ""), "rule": row.get("rule", ""),
                                                 "reason": row.get("reason", ""),
                                                 "catalog_row": row.get("catalog_row", "")})
    seen["count"] += 1
