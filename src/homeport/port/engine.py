"""`homeport port` as a library: assess the tree, rewrite the files that carry fixable findings, then
re-run the detector on every rewritten file, so the figures count what is really gone."""

from __future__ import annotations

import io
import os
import re
import tokenize
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import libcst as cst

from homeport.assess import kinds as K
from homeport.assess.analyze import analyze_bytes
from homeport.assess.discovery import Candidate
from homeport.assess.engine import assess, load_rules
from homeport.catalog.libraries import libraries
from homeport.core.errors import UsageError
from homeport.core.model import Applicability, Category, Finding, Skipped, Target
from homeport.core.rule import Rule
from homeport.port.changes import Change, FilePort, Kind, Status
from homeport.port.codemod import NotPortable, Options, port_python
from homeport.port.containers import apptainer_definition, port_dockerfile, port_requirements
from homeport.port.fixers.base import FIXERS, show, version
from homeport.port.infra import INFRA_KINDS, INFRA_RULES, port_infra
from homeport.port.launchers import launcher_files
from homeport.port.terraform import terraform_files

PORTED = (Category.ACCELERATOR, Category.DEPENDENCY)  # what porting the code is about, and the cloud
# findings a fixer rewrites (SageMaker paths): see `is_ported`
ASSUMED_TORCH = (2, 6)  # when nothing bounds torch: the first release with torch.accelerator


@dataclass
class PortResult:
    root: Path
    options: Options
    torch_floor: str  # where options.min_torch came from, in words
    files: list[FilePort] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def changes(self) -> list[Change]:
        return [c for f in self.files for c in f.changes]

    @property
    def changed(self) -> list[FilePort]:
        return [f for f in self.files if f.changed]

    def totals(self) -> dict:
        return summarize(self.files)


def is_ported(finding: Finding, kind: str = "") -> bool:
    """A finding the port rewrites or reports: code and dependencies everywhere, and in manifests and
    scripts also the cloud settings their rewriters handle (ECR images, EFA, IRSA)."""
    return (finding.category in PORTED or finding.rule in FIXERS
            or (kind in INFRA_KINDS and finding.rule in INFRA_RULES))


def summarize(files: list[FilePort]) -> dict:
    before = sum(f.flagged_before for f in files)
    after = sum(f.flagged_after for f in files)
    lines_before = sum(f.lines_before for f in files)
    lines_after = sum(f.lines_after for f in files)
    by_status = defaultdict(int)
    for f in files:
        for c in f.changes:
            by_status[c.status.value] += 1
    return {"files": len(files), "files_changed": sum(f.changed for f in files),
            "references_before": before, "references_converted": max(0, before - after), "references_left": after,
            "flagged_lines": lines_before, "flagged_lines_migrated": max(0, lines_before - lines_after),
            "share_migrated": round((lines_before - lines_after) / lines_before, 4) if lines_before else 1.0,
            "changes": dict(sorted(by_status.items()))}


def port(path: str | os.PathLike, *, target: Target | str = Target.PORTABLE, min_torch: str | None = None,
         unsafe: bool = False, registry: str = "", provider: str = "", policy=None,
         progress: Callable[[int, int], None] | None = None) -> PortResult:
    """Port the tree at `path` in memory: nothing is written (see port/apply.py for that). `registry`
    receives ECR images in manifests; `provider` (scaleway, ovhcloud) asks for a Terraform starting
    point in the first region `policy` allows."""
    target = Target(target)
    load_rules()
    assessment = assess(path, target=target)
    root = Path(assessment.root)
    floor, said = _torch_floor(assessment, min_torch)
    options = Options(target=target, min_torch=floor, unsafe=unsafe, registry=registry)
    # Of what assess skipped, only the sources a port would have rewritten (a syntax error, an unreadable file)
    skipped = [s for s in assessment.skipped if s.path.endswith((".py", ".ipynb"))]
    result = PortResult(root, options, said, skipped=skipped)
    by_path: dict[str, list[Finding]] = defaultdict(list)
    kinds = {r.path: r.kind for r in assessment.files}
    for finding in assessment.findings:
        if is_ported(finding, kinds.get(finding.location.path, "")):
            by_path[finding.location.path].append(finding)
    for done, (rel, findings) in enumerate(sorted(by_path.items()), start=1):
        result.files.append(port_file(root, rel, kinds.get(rel, ""), findings, options))
        if progress:
            progress(done, len(by_path))
    definitions = [_apptainer(root, f, target) for f in result.files
                   if kinds.get(f.path) == K.DOCKERFILE and not f.path.endswith(".def") and f.changed]
    result.files += [d for d in definitions if not d.skipped]
    result.skipped += [Skipped(d.path, d.skipped) for d in definitions if d.skipped]
    _add_infrastructure(result, assessment.findings, kinds, provider, policy)
    return result


def _add_infrastructure(result: PortResult, findings: list[Finding], kinds: dict[str, str], provider: str,
                        policy) -> None:
    """New files beside what has no in-place port: a Kubernetes Job and a Slurm script per SageMaker
    launcher (read as ported, so porting the ported tree again changes nothing), and with `provider` a
    Terraform starting point per folder of AWS Terraform."""
    options = result.options
    launchers = sorted({f.location.path for f in findings if f.rule == "CLD004" and kinds.get(f.location.path) == K.PYTHON})
    ported = {f.path: f for f in result.files if f.changed and not f.skipped}
    for rel in launchers:
        source = ported[rel].after.decode("utf-8", "replace") if rel in ported else None
        result.files += launcher_files(result.root, rel, options.target, options.registry, source)
    if provider:
        aws = sorted({f.location.path for f in findings if f.rule in ("CLD016", "CLD017")})
        generated, unread = terraform_files(result.root, aws, provider, policy)
        result.files += generated
        result.skipped += [Skipped(path, why) for path, why in unread]


def _apptainer(root: Path, dockerfile: FilePort, target: Target) -> FilePort:
    """An Apptainer/Singularity definition beside each ported Dockerfile, for the HPC sites that run no
    Docker daemon (Slurm clusters of most sovereign providers)."""
    rel = str(Path(dockerfile.path).parent / f"Apptainer.{target.value}.def").removeprefix("./")
    existing = (root / rel).read_bytes() if (root / rel).is_file() else b""
    try:
        text = apptainer_definition(dockerfile.after.decode("utf-8"), target)
    except ValueError as why:  # a Dockerfile fragment without FROM: nothing to build an image from
        return FilePort(rel, existing, existing, skipped=f"no Apptainer definition from {dockerfile.path}: {why}")
    change = Change(rel, 1, "DEP003", f"(from {dockerfile.path})", f"Apptainer definition for {target.value}",
                    Kind.SEMANTIC, Applicability.SAFE, Status.APPLIED, "a new file; the Dockerfile stays the source")
    return FilePort(rel, existing, text.encode("utf-8"), changes=[change] if existing != text.encode("utf-8") else [])


def port_file(root: Path, rel: str, kind: str, findings: list[Finding], options: Options) -> FilePort:
    """One file: rewrite it if an analyzer for its kind can, then log what stays."""
    try:
        data = (root / rel).read_bytes()
    except OSError as exc:
        return FilePort(rel, b"", b"", skipped=f"not readable: {exc.strerror or exc}", changes=_not_covered(
            rel, findings, [], f"not readable: {exc.strerror or exc}"))
    ported = FilePort(rel, data, data)
    try:
        encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0] if kind == K.PYTHON else "utf-8"
        text, ported.changes = rewrite(rel, kind, data.decode(encoding), findings, options)
        ported.after = text.encode(encoding)
    except NotRewritten as why:
        ported.skipped = str(why)
    except NotPortable as why:
        ported.skipped = f"{why}; left unchanged"
    except cst.ParserSyntaxError as exc:
        ported.skipped = f"not valid Python for libcst (line {exc.raw_line}): {exc.message}; left unchanged"
    except (UnicodeError, SyntaxError, ValueError) as exc:
        ported.skipped = f"could not be rewritten ({type(exc).__name__}: {exc}); left unchanged"
    except Exception as exc:  # a fixer's bug must not cost the rest of the tree its port
        ported.skipped = (f"internal error while porting ({type(exc).__name__}: {exc}); left unchanged. "
                          "Please report this file shape (rerun with --debug for the traceback)")
        if os.environ.get("HOMEPORT_DEBUG"):
            raise
    if ported.skipped:
        ported.after = data
        ported.changes = []
    _count(ported, kind, findings, options.target)
    ported.changes += _not_covered(rel, findings, ported.changes, ported.skipped)
    ported.changes.sort(key=lambda c: (c.line, c.rule))
    return ported


class NotRewritten(Exception):
    """Files of this kind are reported by the port, not rewritten by it."""


def rewrite(rel: str, kind: str, text: str, findings: list[Finding], options: Options) -> tuple[str, list[Change]]:
    """The rewritten text of one file and its change-log entries, by the file's kind."""
    if kind == K.PYTHON:
        return port_python(rel, text, findings, options)
    if kind == K.REQUIREMENTS:
        return _gated(text, *port_requirements(rel, text, options.target), options)
    if kind == K.DOCKERFILE and not rel.endswith(".def"):
        return _gated(text, *port_dockerfile(rel, text, options.target), options)
    if kind in INFRA_KINDS:
        return port_infra(rel, kind, text, findings, options)
    raise NotRewritten(f"{kind or 'files of this kind'} files are reported, not rewritten, by `homeport port`")


def _gated(original: str, text: str, changes: list[Change], options: Options) -> tuple[str, list[Change]]:
    """A container or requirements rewrite swaps the stack the source machine builds: all of it is
    unsafe, applied with --unsafe-fixes or not at all (a half-ported image is worse than either)."""
    if options.unsafe or not any(c.status is Status.APPLIED for c in changes):
        return text, changes
    why = "unsafe: the image or wheels for the target replace the NVIDIA ones (pass --unsafe-fixes to apply)"
    return original, [c.left(why) if c.status is Status.APPLIED else c for c in changes]


def _count(ported: FilePort, kind: str, before: list[Finding], target: Target) -> None:
    ported.flagged_before = len(before)
    ported.lines_before = len({f.location.line for f in before})
    if not ported.changed:
        ported.flagged_after, ported.lines_after = ported.flagged_before, ported.lines_before
        return
    candidate = Candidate(Path(ported.path), ported.path, kind, len(ported.after))
    result = analyze_bytes(ported.after, candidate, frozenset(Rule.registry), target)
    after = [f for f in result.findings if is_ported(f, kind)]
    ported.flagged_after = len(after)
    ported.lines_after = len({f.location.line for f in after})


def _not_covered(rel: str, findings: list[Finding], changes: list[Change], skipped: str) -> list[Change]:
    """A change-log line for every finding no fixer looked at: what to do instead, and why."""
    seen = {(c.line, c.rule) for c in changes}
    out = []
    for f in findings:
        if (f.location.line, f.rule) in seen:
            continue
        seen.add((f.location.line, f.rule))
        rule = Rule.registry[f.rule]
        if f.rule in FIXERS and not skipped:
            reason = "left as it is: the fixer does not rewrite this occurrence (for this target); " + _route(rule)
        else:
            reason = skipped or _route(rule)
        out.append(Change(rel, f.location.line, f.rule, f.snippet, "", Kind.UNSUPPORTED,
                          rule.fix_applicability if rule.fix_title else Applicability.UNSAFE, Status.UNSUPPORTED,
                          reason))
    return out


def _route(rule: type[Rule]) -> str:
    """The recommended route for what homeport does not rewrite (custom kernels, CUDA-only libraries)."""
    for lib in libraries():
        if rule.code in (lib.import_code, lib.package_code):
            return f"port by hand to: {lib.alternative}"
    if rule.code == "ACC010":
        return "custom CUDA kernels: prefer torch ops, torch.compile or Triton; keep the extension behind a capability check"
    if rule.fix_title:
        return f"port by hand: {rule.fix_title}"
    return f"no automatic rewrite; what to use instead: `homeport rules show {rule.code}`"


_REQ_NAME = re.compile(r"[A-Za-z0-9._-]*")
_SPEC = re.compile(r"(===|==|~=|>=|<=|!=|>|<|=)\s*v?(\d+)\.(\d+)")  # `=` is conda's (prefix match)
_TORCH = ("torch", "pytorch")  # the PyPI and the conda name


def _torch_floor(assessment, given: str | None) -> tuple[tuple[int, int], str]:
    """--min-torch when given; else the lowest torch every declaration allows (the highest floor). With
    no lower bound anywhere, 2.6 is assumed unless an upper bound rules it out: then nothing that needs
    a newer torch is written."""
    if given:
        try:
            return version(given), f"--min-torch {given}"
        except ValueError:
            raise UsageError(f"--min-torch {given!r} is not a version", expected="MAJOR.MINOR, e.g. 2.6",
                             got=given, hint="pass the lowest torch version the ported code must run on") from None
    floors, ceilings = [], []
    for file in assessment.files:
        for fact in file.facts:
            if fact.kind == "requirement" and _REQ_NAME.match(fact.value).group(0).lower() in _TORCH:
                where = f"{fact.value.strip()} in {file.path}:{fact.line}"
                for op, major, minor in _SPEC.findall(fact.value):
                    bound = (int(major), int(minor))
                    if op in ("<", "<="):
                        ceilings.append((bound if op == "<=" else (bound[0], bound[1] - 1), where))
                    elif op != "!=":
                        floors.append((bound, where))
    if floors:
        floor, said = max(floors)
        return floor, f"from {said}"
    if ceilings and min(ceilings)[0] < ASSUMED_TORCH:
        return (0, 0), (f"no lower bound for torch, and {min(ceilings)[1]} rules out {show(ASSUMED_TORCH)}: "
                        "nothing that needs a newer torch is written (pass --min-torch)")
    return ASSUMED_TORCH, (f"no lower bound for torch found in the requirements; assuming {show(ASSUMED_TORCH)} "
                           "(pass --min-torch)")
