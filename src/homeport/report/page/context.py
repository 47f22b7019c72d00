"""Everything a report is built from, gathered once: the assessment (run now on PATH, or read from the
evidence), the port figures per target, readiness, libraries, providers, and the evidence files."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from homeport.core.model import Target
from homeport.report import readiness as R
from homeport.report.evidence import Evidence, collect
from homeport.report.page.document import Source


@dataclass
class Context:
    name: str  # what the report is about (the repository's folder name)
    root: str  # the assessed root, as the assessment records it
    assessment: dict  # the JSON form (report/json.py), fresh or read back
    assessment_basis: str  # "assessed now" or the evidence file's path
    evidence: Evidence
    targets: list[Target]
    readiness: list[R.TargetReadiness]
    providers: list[R.ProviderReadiness]
    libraries: list[R.LibraryUse]
    leaving: str | None  # the hyperscaler the pipeline is on today, when known
    sources: list[Source] = field(default_factory=list)
    used: dict = field(default_factory=dict)  # evidence path -> the section that used it

    def cite(self, table: str, row: str, used_for: str, source: str, as_of: str) -> None:
        """A catalog fact the report used: the sources table lists it with its source and date."""
        entry = Source(table, row, used_for, source, as_of)
        if entry not in self.sources:
            self.sources.append(entry)

    def use(self, item, section: str) -> None:
        self.used.setdefault(str(item.path), section)

    @property
    def findings(self) -> list[dict]:
        return self.assessment["findings"]

    @property
    def leaving_name(self) -> str:
        """Today's provider as people call it (`Amazon Web Services`), or `the hyperscaler` when unknown."""
        from homeport.catalog.providers import providers

        if not self.leaving:
            return "the hyperscaler"
        found = providers().get(self.leaving)
        return found.name if found else self.leaving

    def best(self) -> R.TargetReadiness | None:
        """The target with the least effort (blockers break ties): where a port costs least."""
        return min(self.readiness, key=lambda r: (r.effort.points, r.blockers, r.target.value), default=None)


def gather(path: str | os.PathLike | None, evidence_paths: list[str], *, targets: list[Target] | None = None,
           port: bool = True) -> Context:
    from homeport.assess.engine import assess, load_rules
    from homeport.report.json import to_dict

    load_rules()  # the severities per target and the fixes come from the rule declarations
    roots = [Path(path)] if path is not None else []
    evidence = collect(evidence_paths, default_roots=list(dict.fromkeys(roots + [Path.cwd()])))
    saved = evidence.first("assessment")
    if path is None and saved is None:  # nothing saved to report on: the current folder is the repository
        path = "."
    if path is not None:
        assessment, basis = to_dict(assess(path)), "assessed now"
    else:
        assessment, basis = saved.doc, str(saved.path)
    targets = list(targets or R.TARGETS)
    ports = R.port_from_logs(evidence.of("port"))
    if port and path is not None:  # figures of this run of the engine beat an older change log
        ports.update(R.port_in_memory(path, targets))
    root = assessment["root"]
    ctx = Context(Path(root).name or root, root, assessment, basis, evidence, targets,
                  R.target_readiness(assessment["findings"], targets, ports), [],
                  R.libraries_found(assessment["findings"], assessment["inventory"]), _leaving(assessment, evidence))
    ctx.providers = R.provider_readiness(assessment["findings"], leaving=ctx.leaving)
    if saved is not None:
        ctx.use(saved, "catalog" if basis != "assessed now" else "catalog (superseded: PATH was assessed now)")
    for item in evidence.of("port"):
        ctx.use(item, "adapt")
    return ctx


def _leaving(assessment: dict, evidence: Evidence) -> str | None:
    """Today's provider: the cost job's source, else the hyperscaler the cloud services belong to."""
    cost = evidence.first("cost")
    if cost is not None:
        return cost.doc["source"]["provider"]
    seen = [c["details"].get("provider") for c in assessment["inventory"].get("components", [])
            if c["kind"] == "cloud-service"]
    hyperscalers = [p for p in seen if p in ("aws", "azure", "gcp")]
    return max(set(hyperscalers), key=hyperscalers.count) if hyperscalers else None
