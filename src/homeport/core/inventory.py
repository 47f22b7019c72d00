"""The inventory: the pipeline's components and the links between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


class Fact(NamedTuple):
    """Something an analyzer saw that the inventory is built from (not a finding)."""

    kind: str  # import, relimport, entry, use, match, uri, call, image, script, requirement, manifest, resource
    value: str
    line: int
    detail: str = ""  # the rule code, the call's first argument, the line's text, ...


@dataclass
class Component:
    id: str  # "<kind>:<name>", unique
    kind: str  # entry-point, module, package, accelerator, accelerator-library, data-location, cloud-service,
    #            container-image, compute, distributed, experiment-tracking, job-manifest, infrastructure, config
    name: str
    details: dict = field(default_factory=dict)
    evidence: list[str] = field(default_factory=list)  # "path:line"

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "name": self.name, "details": self.details,
                "evidence": self.evidence[:20], "evidence_count": len(self.evidence)}


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    relation: str  # imports, uses, reads, writes, runs, deploys, launches

    def to_dict(self) -> dict:
        return {"source": self.source, "target": self.target, "relation": self.relation}


@dataclass
class Inventory:
    components: dict[str, Component] = field(default_factory=dict)
    links: set[Link] = field(default_factory=set)

    def add(self, kind: str, name: str, evidence: str | None = None, **details) -> Component:
        cid = f"{kind}:{name}"
        comp = self.components.get(cid)
        if comp is None:
            comp = self.components[cid] = Component(cid, kind, name)
        for key, value in details.items():
            if value is not None:
                comp.details.setdefault(key, value)
        if evidence and evidence not in comp.evidence:
            comp.evidence.append(evidence)
        return comp

    def link(self, source: str | None, target: str | None, relation: str) -> None:
        """A fact seen in a file that is no component (a README, a plain config) links nothing."""
        if source and target and source != target:
            self.links.add(Link(source, target, relation))

    def of_kind(self, kind: str) -> list[Component]:
        return sorted((c for c in self.components.values() if c.kind == kind), key=lambda c: c.name)

    def to_dict(self) -> dict:
        return {"components": [c.to_dict() for c in sorted(self.components.values(), key=lambda c: c.id)],
                "links": [l.to_dict() for l in sorted(self.links, key=lambda l: (l.source, l.target, l.relation))]}
